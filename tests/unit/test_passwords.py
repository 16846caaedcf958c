"""The password rules (people/passwords.py), without a database."""

import string

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from people import passwords
from people.passwords import (
    CONTAINS_PHONE,
    CONTAINS_USERNAME,
    MIN_CLASSES,
    MIN_LENGTH,
    TOO_FEW_CLASSES,
    TOO_SHORT,
    problems,
)

PHONE = "13812345678"
POOLS = {
    "upper": string.ascii_uppercase,
    "lower": string.ascii_lowercase,
    "digit": string.digits,
    "symbol": "!@#$%^&*()-_=+[]{};:,.<>/?~ ",
}


def from_pools(kinds, min_size=1):
    """Text drawn only from the character pools named in `kinds`, each of them used."""
    alphabet = "".join(POOLS[kind] for kind in kinds)
    required = st.tuples(*(st.sampled_from(POOLS[kind]) for kind in kinds))
    return st.builds(
        lambda first, rest, rnd: "".join(rnd.sample([*first, *rest], len(first) + len(rest))),
        required,
        st.lists(st.sampled_from(alphabet), min_size=min_size),
        st.randoms(use_true_random=False),
    )


@pytest.mark.parametrize(
    "password, expected",
    [
        ("Zhuangma-test-2026", []),
        ("abcdefghij", [TOO_FEW_CLASSES]),
        ("Abcdefghij", [TOO_FEW_CLASSES]),
        ("Abcdefgh1j", []),
        ("abcdefgh1!", []),
        ("Ab1!", [TOO_SHORT]),
        ("0987654321", [TOO_FEW_CLASSES]),
        ("Qing13812345678", [CONTAINS_PHONE]),
        ("Qh!12345678x", [CONTAINS_PHONE]),  # the last 8 digits
        ("Qh!1234-5678x", [CONTAINS_PHONE]),  # written with a dash
        ("Qh!１２３４５６７８x", [CONTAINS_PHONE]),  # full-width digits
        ("Qh!1234567x", []),  # 7 of them is chance
        ("Zhangxm-2026", [CONTAINS_USERNAME]),
        ("ZHANG.XM#2026", [CONTAINS_USERNAME]),
        ("短密码", [TOO_SHORT, TOO_FEW_CLASSES]),
        ("壮马社区2026Work", []),  # 汉字 count as the fourth kind
    ],
)
def test_examples(password, expected):
    assert problems(password, phone=PHONE, username="zhangxm") == expected


@given(
    st.sets(st.sampled_from(sorted(POOLS)), min_size=MIN_CLASSES).flatmap(
        lambda kinds: from_pools(sorted(kinds), min_size=MIN_LENGTH)
    )
)
def test_long_passwords_of_three_kinds_pass(password):
    assume(not any(ch.isdigit() for ch in password) or "12345678" not in password)
    assert problems(password, phone=PHONE, username="zhangxm") == []


@given(
    st.sets(st.sampled_from(sorted(POOLS)), min_size=1, max_size=MIN_CLASSES - 1).flatmap(
        lambda kinds: from_pools(sorted(kinds), min_size=MIN_LENGTH)
    )
)
def test_fewer_kinds_fail_however_long(password):
    assert TOO_FEW_CLASSES in problems(password)


@given(st.text(max_size=MIN_LENGTH - 1))
def test_short_passwords_fail_whatever_they_hold(password):
    assert TOO_SHORT in problems(password)


@given(
    st.text(alphabet=string.ascii_letters + "!#", max_size=6),
    st.text(alphabet=string.ascii_letters + "!#", max_size=6),
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.sampled_from(["whole", "tail"]),
)
def test_the_phone_number_is_found_wherever_it_sits(before, after, phone, part):
    number = phone if part == "whole" else phone[-passwords.PHONE_TAIL :]
    assert CONTAINS_PHONE in problems(before + number + after, phone=phone)


@given(
    st.from_regex(r"[a-z][a-z0-9]{2,10}", fullmatch=True),
    st.text(alphabet=string.digits + "!#", max_size=6),
)
def test_the_username_is_found_in_any_case(username, rest):
    assert CONTAINS_USERNAME in problems(username.upper() + rest, username=username)
    assert CONTAINS_USERNAME in problems(rest + username, username=username)


@given(st.text(), st.text(max_size=20), st.text(max_size=20))
def test_never_raises_and_names_only_known_rules(password, phone, username):
    found = problems(password, phone=phone, username=username)
    assert set(found) <= {TOO_SHORT, TOO_FEW_CLASSES, CONTAINS_PHONE, CONTAINS_USERNAME}
    assert (TOO_SHORT in found) == (len(password) < MIN_LENGTH)


def test_no_phone_or_a_short_username_is_not_a_rule():
    assert problems("Ab1!Ab1!Ab1!", phone="", username="ab") == []
