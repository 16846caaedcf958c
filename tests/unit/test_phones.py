import pytest

from people.phones import (
    is_mainland_mobile,
    looks_like_phone,
    mask_phone,
    normalise_phone,
    to_halfwidth,
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("13812345678", "13812345678"),
        (" 138 1234 5678 ", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+86-13812345678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),  # full-width digits from a Chinese IME
        ("\u3000138 1234 5678\u3000", "13812345678"),  # full-width spaces
        ("(138)12345678", "13812345678"),
    ],
)
def test_normalise_phone_strips_what_people_type_around_a_number(raw, expected):
    assert normalise_phone(raw) == expected


def test_normalise_phone_keeps_an_86_that_is_part_of_the_number():
    # 11 digits starting with 86 are not a country code followed by a number.
    assert normalise_phone("86123456789") == "86123456789"


@pytest.mark.parametrize("number", ["13812345678", "19900001234", "17012345678"])
def test_valid_mainland_mobiles(number):
    assert is_mainland_mobile(number)


@pytest.mark.parametrize(
    "number", ["", "1381234567", "138123456789", "12812345678", "23812345678", "1381234567a"]
)
def test_invalid_mainland_mobiles(number):
    assert not is_mainland_mobile(number)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("1381234", True),
        ("+86 138", True),
        ("１３８", True),
        ("zhang", False),
        ("w123", False),
        ("", False),
    ],
)
def test_looks_like_phone(raw, expected):
    assert looks_like_phone(raw) is expected


def test_mask_phone_hides_the_middle_four_digits():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("123") == "***"


def test_to_halfwidth_converts_letters_and_digits():
    assert to_halfwidth("ＡＢＣ１２３") == "ABC123"
