"""The pure yearly-hours rules: standing against a requirement, and time present at a session."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from training import hours_rules
from training.hours_rules import presence_enough, standing

D = Decimal


def test_standing_sums_the_categories_and_takes_offline_from_its_own():
    s = standing({"online": D("20.5"), "offline": D("6"), "external": D("4")}, D(40), D("0.25"))
    assert s.earned == D("30.5")
    assert s.offline_earned == D(6)
    assert s.offline_required == D("10.0")
    assert s.remaining == D("9.5")
    assert s.offline_remaining == D(4)
    assert s.by_category == {"online": D("20.5"), "offline": D("6"), "external": D("4")}
    assert not s.met


@pytest.mark.parametrize(
    ("required", "share", "expected"),
    [
        (D(40), D("0.25"), D("10.0")),
        (D(35), D("0.33"), D("11.6")),  # 11.55 rounds half up
        (D(5), D("0.05"), D("0.3")),  # 0.25 rounds half up, not to even
        (D(25), D("0.15"), D("3.8")),  # 3.75
        (D(40), D(0), D("0.0")),
        (D(40), D(1), D("40.0")),
    ],
)
def test_the_offline_minimum_is_rounded_half_up_to_a_tenth(required, share, expected):
    assert standing({}, required, share).offline_required == expected


def test_nothing_earned_and_no_category_is_zero_not_an_error():
    s = standing({}, D(40), D("0.25"))
    assert s.earned == 0 and s.offline_earned == 0
    assert s.remaining == D(40) and s.offline_remaining == D(10)
    assert s.percent == 0


def test_remaining_is_never_negative():
    s = standing({"online": D(50), "offline": D(30)}, D(40), D("0.25"))
    assert s.remaining == 0 and s.offline_remaining == 0
    assert s.met


def test_met_needs_the_offline_minimum_too():
    s = standing({"online": D(45)}, D(40), D("0.25"))
    assert s.remaining == 0
    assert s.offline_remaining == D(10)
    assert not s.met
    assert standing({"online": D(30), "offline": D(10)}, D(40), D("0.25")).met


def test_a_negative_correction_lowers_the_category():
    s = standing({"online": D(12), "offline": D(-2)}, D(10), D("0.1"))
    assert s.earned == D(10)
    assert s.offline_remaining == D(3)  # required 1.0, earned -2


@pytest.mark.parametrize(
    ("earned", "required", "percent"),
    [
        ("0", "40", 0),
        ("39", "40", 97),  # 97.5 is not yet 98
        ("40", "40", 100),
        ("80", "40", 100),  # capped
        ("5", "0", 100),  # nothing required counts as done
        ("0", "0", 100),
    ],
)
def test_percent_is_truncated_and_capped(earned, required, percent):
    assert standing({"online": D(earned)}, D(required), D(0)).percent == percent


def test_no_requirement_is_met():
    assert standing({}, D(0), D(0)).met


@given(
    st.dictionaries(
        st.sampled_from(["online", "offline", "external", "contest"]),
        st.decimals(min_value=0, max_value=200, places=1),  # a net total is never below zero
    ),
    st.decimals(min_value=0, max_value=200, places=1),
    st.decimals(min_value=0, max_value=1, places=2),
)
def test_standing_invariants(by_category, required, share):
    s = standing(by_category, required, share)
    assert s.remaining >= 0 and s.offline_remaining >= 0
    assert 0 <= s.percent <= 100
    assert s.met == (s.earned >= required and s.offline_earned >= s.offline_required)
    assert s.offline_required <= required


@pytest.mark.parametrize(
    ("present", "session", "share", "enough"),
    [
        (2880, 3600, D("0.8"), True),  # exactly the minimum
        (2879.9, 3600, D("0.8"), False),
        (2879, 3600, 0.8, False),  # a float share is read as its decimal, not 0.80000000001
        (2880, 3600, 0.8, True),
        (3600, 3600, D(1), True),
        (3599, 3600, D(1), False),
        (0, 3600, D(0), True),
        (5000, 3600, D("0.8"), True),
        (100, 0, D("0.8"), False),  # a session of no length earns nothing
        (100, -60, D(0), False),
    ],
)
def test_presence_enough_boundaries(present, session, share, enough):
    assert presence_enough(present, session, share) is enough


def test_offline_is_the_offline_category():
    assert hours_rules.OFFLINE == "offline"
