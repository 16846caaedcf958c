import pytest
from django.core.exceptions import ValidationError

from people.models import OrgUnit
from tests.factories import activate_totp, make_tree

pytestmark = pytest.mark.django_db


@pytest.fixture
def units():
    return make_tree()


@pytest.fixture
def admin_client(client, admin_user):
    activate_totp(admin_user)  # superusers must use two-factor authentication
    client.force_login(admin_user)
    return client


def test_tree_levels_and_name_path(units):
    community = units["TD1S2C1"]
    assert [a.level for a in community.get_ancestors()] == ["city", "district", "street"]
    assert community.name_path() == "T第1区/T1区2街道/T1-2-1社区"


def test_a_street_can_move_to_another_district(units):
    street = units["TD1S1"]
    street.move(units["TD2"], "sorted-child")
    street.refresh_from_db()
    assert street.get_parent().code == "TD2"
    # Its communities came along.
    assert street.get_children().count() == 2
    assert all(c.path.startswith(street.path) for c in street.get_children())


@pytest.mark.parametrize(
    "unit, target",
    [
        ("TD1S1", "TD1S2"),  # street under a street: same level
        ("TD1", "TD2S1"),  # district under a street: lower level
        ("TD1S1", "TD2S1C1"),  # street under a community
    ],
)
def test_a_unit_cannot_move_under_the_same_or_a_lower_level(units, unit, target):
    before = OrgUnit.objects.get(code=unit).path
    with pytest.raises(ValidationError) as excinfo:
        units[unit].move(units[target], "sorted-child")
    assert "同级或更低层级" in str(excinfo.value) or "same or a lower level" in str(excinfo.value)
    assert OrgUnit.objects.get(code=unit).path == before


def test_sibling_moves_are_checked_against_the_new_parent(units):
    with pytest.raises(ValidationError):
        # Placing a street beside a community puts it under a street.
        units["TD1S1"].move(units["TD2S1C1"], "right")


def test_adding_units_respects_levels(units):
    with pytest.raises(ValidationError):
        units["TD1S1C1"].add_child(code="X", name="下级", level="community")
    with pytest.raises(ValidationError):
        OrgUnit.add_root(code="Y", name="孤立的区", level="district")
    assert not OrgUnit.objects.filter(code__in=["X", "Y"]).exists()


def test_changing_a_level_is_checked_by_clean(units):
    district = units["TD1"]
    district.level = "community"  # would sit above its own streets
    with pytest.raises(ValidationError):
        district.full_clean()


def move_in_admin(client, unit, new_parent):
    return client.post(
        f"/django-admin/people/orgunit/{unit.pk}/change/",
        {
            "code": unit.code,
            "name": unit.name,
            "level": unit.level,
            "treebeard_position": "sorted-child",
            "treebeard_ref_node": new_parent.pk,
        },
    )


def test_admin_form_refuses_a_misplaced_unit_with_a_message_not_a_500(admin_client, units):
    response = move_in_admin(admin_client, units["TD1S1"], units["TD2S1"])  # under a street
    assert response.status_code == 200
    assert "同级或更低层级" in response.content.decode()
    assert OrgUnit.objects.get(code="TD1S1").get_parent().code == "TD1"


def test_admin_form_moves_a_street_to_another_district(admin_client, units):
    response = move_in_admin(admin_client, units["TD1S1"], units["TD2"])
    assert response.status_code == 302
    assert OrgUnit.objects.get(code="TD1S1").get_parent().code == "TD2"
