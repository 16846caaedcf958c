import pytest
from django.contrib.auth.models import AnonymousUser

from people.models import OrgUnit, Role, User, WorkerProfile
from people.scope import scope_of
from tests.factories import give_role, make_admin, make_tree, make_user, make_worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def units():
    return make_tree()


def codes(queryset):
    return sorted(u.code for u in queryset)


def test_street_admin_sees_its_communities_and_not_a_sibling_streets(units):
    admin = make_admin(units["TD1S1"])
    scope = scope_of(admin)
    assert codes(scope.units) == ["TD1S1", "TD1S1C1", "TD1S1C2"]
    assert scope.contains(units["TD1S1C2"])
    assert not scope.contains(units["TD1S2C1"])  # sibling street's community
    assert not scope.contains(units["TD1"])  # its own district is above it


def test_district_admin_manages_the_whole_subtree_only(units):
    scope = scope_of(make_admin(units["TD2"]))
    assert codes(scope.units) == sorted(c for c in units if c.startswith("TD2"))
    assert not scope.contains(units["TD1S1C1"])


def test_people_are_filtered_through_the_same_scope(units):
    here = make_worker(units["TD1S1C1"], real_name="本街道")
    there = make_worker(units["TD1S2C1"], real_name="隔壁街道")
    scope = scope_of(make_admin(units["TD1S1"]))
    visible = scope.filter(WorkerProfile.objects.all(), via="community")
    assert [p.user for p in visible] == [here]
    assert here in scope.users()
    assert there not in scope.users()


def test_several_roles_join_their_subtrees_without_repeating(units):
    admin = make_admin(units["TD1S1"])
    give_role(admin, units["TD2S2"], Role.Kind.ADMIN)
    give_role(admin, units["TD1S1C1"], Role.Kind.ADMIN)  # already inside TD1S1
    scope = scope_of(admin)
    assert len(scope.paths) == 2
    assert codes(scope.units) == ["TD1S1", "TD1S1C1", "TD1S1C2", "TD2S2", "TD2S2C1", "TD2S2C2"]


def test_other_roles_do_not_grant_management(units):
    trainer = make_user("讲师")
    give_role(trainer, units["TD1"], Role.Kind.TRAINER)
    assert scope_of(trainer).is_empty
    assert scope_of(trainer).units.count() == 0
    # …but the trainer's own scope is available for trainer-specific questions.
    assert scope_of(trainer, Role.Kind.TRAINER).contains(units["TD1S2C2"])


def test_worker_manages_nothing(units):
    worker = make_worker(units["TD1S1C1"])
    assert scope_of(worker).units.count() == 0
    assert scope_of(worker).filter(User.objects.all(), via="roles__unit").count() == 0


def test_superuser_sees_everything_and_anonymous_nothing(units):
    root = User.objects.create_superuser(
        username="root", password="x", real_name="超级管理员", phone="13900000000"
    )
    assert scope_of(root).units.count() == OrgUnit.objects.count()
    assert scope_of(AnonymousUser()).units.count() == 0


def test_inactive_admin_sees_nothing(units):
    admin = make_admin(units["TD1"])
    admin.is_active = False
    admin.save()
    assert scope_of(admin).is_empty


def test_moving_a_street_moves_it_out_of_the_old_district_admins_scope(units):
    old = make_admin(units["TD1"])
    new = make_admin(units["TD2"])
    units["TD1S1"].move(units["TD2"], "sorted-child")
    moved = OrgUnit.objects.get(code="TD1S1C1")
    assert not scope_of(old).contains(moved)
    assert scope_of(new).contains(moved)
