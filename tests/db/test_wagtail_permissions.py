"""District and street admins edit their own subtree of the site, through Wagtail's own rules."""

import pytest
from wagtail.models import GroupPagePermission

from cms.models import SectionPage
from people.models import Role
from tests.factories import (
    activate_totp,
    give_role,
    make_admin,
    make_sections,
    make_tree,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    units = make_tree()
    return units, make_sections(units)


def logged_in(client, user):
    # City and district admins must have an authenticator; tests log in directly.
    activate_totp(user)
    client.force_login(user)
    return client


def test_sections_mirror_the_org_tree(site):
    units, sections = site
    assert sections["TD1S2"].get_parent().specific == sections["TD1"]
    assert sections["TD1"].get_parent().specific == sections["T"]
    assert sections["T"].get_parent().specific.__class__.__name__ == "HomePage"
    assert not SectionPage.objects.filter(unit__level="community").exists()


def test_permissions_are_rows_at_the_section_root_only(site):
    units, sections = site
    group = units["TD1"].group_for(Role.Kind.ADMIN)
    rows = GroupPagePermission.objects.filter(group=group)
    assert {r.page_id for r in rows} == {sections["TD1"].pk}
    assert {r.permission.codename for r in rows} == {
        "add_page",
        "change_page",
        "publish_page",
        "lock_page",
        "unlock_page",
    }
    trainer_rows = GroupPagePermission.objects.filter(group=units["TD1"].group_for("trainer"))
    assert {r.permission.codename for r in trainer_rows} == {"add_page", "change_page"}


def test_ensure_section_twice_adds_nothing(site):
    from cms.models import HomePage
    from cms.sections import ensure_section

    units, sections = site
    before = GroupPagePermission.objects.count(), SectionPage.objects.count()
    assert ensure_section(units["TD1S1"], HomePage.objects.get()) == sections["TD1S1"]
    assert (GroupPagePermission.objects.count(), SectionPage.objects.count()) == before


def test_district_admin_edits_own_subtree_and_nothing_else(client, site):
    units, sections = site
    admin = make_admin(units["TD1"])
    logged_in(client, admin)

    assert client.get(f"/admin/pages/{sections['TD1'].pk}/edit/").status_code == 200
    # Streets below the district are inside its subtree.
    assert client.get(f"/admin/pages/{sections['TD1S2'].pk}/edit/").status_code == 200
    # The other district, its streets and the city's own section are not.
    for code in ("TD2", "TD2S1", "T"):
        response = client.get(f"/admin/pages/{sections[code].pk}/edit/")
        assert response.status_code in (302, 403), code
        assert sections[code].title not in response.content.decode()


def test_district_admin_cannot_save_into_another_district(client, site):
    units, sections = site
    logged_in(client, make_admin(units["TD1"]))
    other = sections["TD2"]
    response = client.post(
        f"/admin/pages/{other.pk}/edit/",
        {"title": "被篡改", "slug": other.slug, "unit": other.unit_id, "intro": ""},
    )
    assert response.status_code in (302, 403)
    other.refresh_from_db()
    assert other.title != "被篡改"


def test_street_admin_adds_a_page_under_own_section_only(client, site):
    units, sections = site
    logged_in(client, make_admin(units["TD1S1"]))
    own = client.get(f"/admin/pages/{sections['TD1S1'].pk}/")
    assert own.status_code == 200
    sibling = client.get(f"/admin/pages/add/cms/sectionpage/{sections['TD1S2'].pk}/")
    assert sibling.status_code in (302, 403)


def test_trainer_may_draft_but_not_publish(site):
    units, sections = site
    trainer = make_user("讲师")
    give_role(trainer, units["TD1"], Role.Kind.TRAINER)
    perms = sections["TD1S1"].permissions_for_user(trainer)
    assert perms.can_edit()
    assert not perms.can_publish()
    assert not sections["TD2"].permissions_for_user(trainer).can_edit()


def test_losing_the_role_removes_the_access(site):
    units, sections = site
    admin = make_admin(units["TD1"])
    assert sections["TD1"].permissions_for_user(admin).can_edit()
    Role.objects.filter(user=admin).delete()
    admin = type(admin).objects.get(pk=admin.pk)  # drop cached permissions
    assert not sections["TD1"].permissions_for_user(admin).can_edit()


def test_worker_cannot_open_the_admin(client, site):
    from tests.factories import make_worker

    units, _sections = site
    client.force_login(make_worker(units["TD1S1C1"]))
    response = client.get("/admin/")
    assert response.status_code in (302, 403)
    assert "/admin/pages/" not in response.content.decode()


def test_wagtail_admin_speaks_chinese_by_default(client, site):
    units, _sections = site
    logged_in(client, make_admin(units["TD1"]))
    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'lang="zh-hans"' in text
    assert "控制面板" in text  # "Dashboard"


def test_a_new_street_gets_its_section_under_its_district(site):
    units, sections = site
    street = units["TD2"].add_child(code="TD2S9", name="新设街道", level="street")
    section = SectionPage.objects.get(unit=street)
    assert section.get_parent().specific == sections["TD2"]
    assert section.live
    community = street.add_child(code="TD2S9C1", name="新设社区", level="community")
    assert not SectionPage.objects.filter(unit=community).exists()


def test_moving_a_street_moves_its_section_and_who_may_edit_it(site):
    units, sections = site
    old_admin = make_admin(units["TD1"])
    new_admin = make_admin(units["TD2"])
    units["TD1S1"].move(units["TD2"], "sorted-child")

    section = SectionPage.objects.get(unit__code="TD1S1")
    assert section.get_parent().specific == sections["TD2"]
    old_admin = type(old_admin).objects.get(pk=old_admin.pk)
    new_admin = type(new_admin).objects.get(pk=new_admin.pk)
    assert not section.permissions_for_user(old_admin).can_edit()
    assert section.permissions_for_user(new_admin).can_edit()


def test_street_admins_submit_for_review_instead_of_publishing(site):
    units, sections = site
    street = make_admin(units["TD1S1"])
    district = make_admin(units["TD1"])
    assert sections["TD1S1"].permissions_for_user(street).can_edit()
    assert not sections["TD1S1"].permissions_for_user(street).can_publish()
    assert sections["TD1S1"].permissions_for_user(district).can_publish()
