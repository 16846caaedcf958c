"""The four levels of the org tree and the one rule about how they nest. No Django here."""

CITY, DISTRICT, STREET, COMMUNITY = "city", "district", "street", "community"
ORDER = (CITY, DISTRICT, STREET, COMMUNITY)
RANK = {level: rank for rank, level in enumerate(ORDER)}

# Levels whose admins must use two-factor authentication: they see a whole city or district.
MFA_REQUIRED = frozenset({CITY, DISTRICT})
# Levels that publish training and cases and so own a section of the site.
PUBLISHING = frozenset({CITY, DISTRICT, STREET})


def may_contain(parent_level: str | None, child_level: str) -> bool:
    """A unit sits under a unit of a strictly higher level; only a city may be a root."""
    if parent_level is None:
        return child_level == CITY
    return RANK[parent_level] < RANK[child_level]
