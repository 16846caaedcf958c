from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from people.idnumbers import (
    birth_date,
    check_char,
    id_number_problem,
    mask_id_number,
    normalise_id_number,
)

TODAY = date(2026, 6, 1)
# The example printed in GB 11643-1999 itself.
STANDARD_EXAMPLE = "11010519491231002X"


def iso7064_mod11_2(digits: str) -> str:
    """The check character by ISO 7064's recursive formulation, not the weighted sum under test."""
    p = 0
    for digit in digits:
        p = (p + int(digit)) * 2 % 11
    value = (12 - p) % 11
    return "X" if value == 10 else str(value)


def with_check(first17: str) -> str:
    return first17 + iso7064_mod11_2(first17)


def halfwidth_to_fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def test_the_standards_example_is_valid():
    assert check_char(STANDARD_EXAMPLE[:17]) == "X"
    assert id_number_problem(STANDARD_EXAMPLE, today=TODAY) is None
    assert birth_date(STANDARD_EXAMPLE) == date(1949, 12, 31)


def test_a_widely_cited_number_has_the_right_check_digit_but_a_birth_date_before_1900():
    # 440524188001010014 is often quoted as valid; its checksum is, but a birth in 1880 is
    # outside the range the rules accept for living people.
    assert check_char("44052418800101001") == "4"
    assert id_number_problem("440524188001010014", today=TODAY) == "id_birth_date"


def test_the_recursive_formulation_agrees_on_the_standards_example():
    # Anchors the test's own implementation, so the property below compares two correct ones.
    assert iso7064_mod11_2(STANDARD_EXAMPLE[:17]) == "X"


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_char_agrees_with_the_recursive_formulation(first17):
    assert check_char(first17) == iso7064_mod11_2(first17)


@pytest.mark.parametrize("first17", ["", "1234567890123456", "1101051949123100X", "１" * 17])
def test_check_char_refuses_anything_but_17_digits(first17):
    with pytest.raises(ValueError):
        check_char(first17)


@pytest.mark.parametrize(
    "number",
    [
        "",
        "11010519491231002",  # 17 characters
        "11010519491231002X1",  # 19
        "1101051949123100X2",  # X only as the last character
        "11010519491231002x",  # not normalised: lower-case x
        "１１０１０５１９４９１２３１００２Ｘ",  # not normalised: full-width
        "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X",  # Arabic-Indic digits, which \d would accept
        "11010519491231002Y",
        "110105 9491231002X",
        "110105194912310",  # a 15-digit first-generation number
    ],
)
def test_id_length_for_a_wrong_format(number):
    assert id_number_problem(number, today=TODAY) == "id_length"


@pytest.mark.parametrize(
    "first17",
    [
        "11010519990230002",  # 30 February
        "11010519991301002",  # month 13
        "11010519990100002",  # day 0
        "11010518991231002",  # before 1900
        "11010520260602002",  # the day after TODAY
        "11010500000101002",
    ],
)
def test_id_birth_date_for_an_impossible_or_future_date(first17):
    assert id_number_problem(with_check(first17), today=TODAY) == "id_birth_date"


def test_the_date_is_checked_before_the_check_digit():
    wrong = "0" if iso7064_mod11_2("11010519990230002") != "0" else "1"
    assert id_number_problem("11010519990230002" + wrong, today=TODAY) == "id_birth_date"


def test_born_today_and_on_1900_01_01_are_accepted():
    assert id_number_problem(with_check("11010520260601002"), today=TODAY) is None
    assert id_number_problem(with_check("11010519000101002"), today=TODAY) is None


@pytest.mark.parametrize("last", ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"])
def test_id_check_digit_for_every_wrong_check_char(last):
    assert id_number_problem(STANDARD_EXAMPLE[:17] + last, today=TODAY) == "id_check_digit"


def test_birth_date_refuses_an_impossible_date():
    with pytest.raises(ValueError):
        birth_date("110105199902300021")
    with pytest.raises(ValueError):
        birth_date("short")


@pytest.mark.parametrize(
    "number, masked",
    [
        ("110105194912310021", "110105********0021"),
        (STANDARD_EXAMPLE, "110105********002X"),
        ("11010519491231002", "*" * 17),
        ("11010519491231002X1", "*" * 19),
        ("", ""),
    ],
)
def test_mask_id_number(number, masked):
    assert mask_id_number(number) == masked


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_mask_never_shows_the_birth_date(first17):
    masked = mask_id_number(first17 + "X")
    assert masked[6:14] == "********"
    assert masked[:6] + masked[14:] == first17[:6] + first17[14:] + "X"


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002x",
        " 110105 19491231 002X ",
        "\u3000110105\u300019491231002x\u3000",
        "１１０１０５１９４９１２３１００２ｘ",
        "１１０１０５１９４９１２３１００２Ｘ",
        "110105\u00a019491231002X",
        "\ufeff11010519491231002X\u200b",
        "1101\n0519491231\t002X",
    ],
)
def test_normalise_id_number(raw):
    assert normalise_id_number(raw) == STANDARD_EXAMPLE


def test_normalise_keeps_what_it_cannot_fix():
    assert normalise_id_number("11010519491231002Y") == "11010519491231002Y"
    assert normalise_id_number("") == ""


@st.composite
def valid_bodies(draw) -> str:
    area = draw(st.from_regex(r"[1-9][0-9]{5}", fullmatch=True))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    sequence = draw(st.from_regex(r"[0-9]{3}", fullmatch=True))
    return f"{area}{born:%Y%m%d}{sequence}"


@given(valid_bodies(), st.sampled_from("0123456789X"))
def test_a_body_with_its_check_char_is_valid_and_any_other_char_is_not(body, other):
    number = body + check_char(body)
    assert id_number_problem(number, today=TODAY) is None
    if other != number[-1]:
        assert id_number_problem(body + other, today=TODAY) == "id_check_digit"


@given(valid_bodies(), st.integers(min_value=1, max_value=3650))
def test_a_birth_date_after_today_is_refused(body, days_later):
    number = body + check_char(body)
    born = birth_date(number)
    assert id_number_problem(number, today=born - timedelta(days=days_later)) == "id_birth_date"


@pytest.mark.parametrize("raw", ["e \u0301", "a\u3000\u030a"])
def test_normalise_is_idempotent_where_removing_a_space_lets_characters_compose(raw):
    once = normalise_id_number(raw)
    assert normalise_id_number(once) == once


@given(st.text())
def test_normalise_is_idempotent(raw):
    once = normalise_id_number(raw)
    assert normalise_id_number(once) == once


@given(valid_bodies(), st.data())
def test_lower_case_x_full_width_and_spaces_give_the_same_number(body, data):
    number = body + check_char(body)
    typed = number.lower() if data.draw(st.booleans()) else number
    if data.draw(st.booleans()):
        typed = halfwidth_to_fullwidth(typed)
    spaces = data.draw(st.lists(st.sampled_from([" ", "\u3000", "\t"]), max_size=3))
    for space in spaces:
        at = data.draw(st.integers(min_value=0, max_value=len(typed)))
        typed = typed[:at] + space + typed[at:]
    assert normalise_id_number(typed) == number
