import pytest

from people.levels import CITY, COMMUNITY, DISTRICT, STREET, may_contain


@pytest.mark.parametrize(
    "parent, child",
    [
        (CITY, DISTRICT),
        (DISTRICT, STREET),
        (STREET, COMMUNITY),
        (CITY, STREET),
        (DISTRICT, COMMUNITY),
    ],
)
def test_a_unit_sits_under_a_higher_level(parent, child):
    assert may_contain(parent, child)


@pytest.mark.parametrize(
    "parent, child",
    [
        (DISTRICT, DISTRICT),
        (STREET, DISTRICT),
        (COMMUNITY, STREET),
        (COMMUNITY, COMMUNITY),
        (STREET, CITY),
    ],
)
def test_a_unit_never_sits_under_the_same_or_a_lower_level(parent, child):
    assert not may_contain(parent, child)


def test_only_a_city_is_a_root():
    assert may_contain(None, CITY)
    assert not may_contain(None, DISTRICT)
