"""Give each publishing org unit its section page, and its groups rights on that subtree only."""

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from wagtail.models import GroupPagePermission, Page

from people import levels
from people.models import OrgUnit, Role

from .models import HomePage, SectionPage

# What each role may do inside its unit's section. Trainers draft; district and city admins
# also publish. Street admins submit for review like trainers: their street approves, then
# the district publishes (see cms.models.casebook.UnitReviewTask).
SECTION_PERMISSIONS = {
    Role.Kind.ADMIN: ("add_page", "change_page", "publish_page", "lock_page", "unlock_page"),
    Role.Kind.TRAINER: ("add_page", "change_page"),
}
UNPUBLISHING_LEVELS = frozenset({levels.STREET})


def section_codenames(kind: str, level: str) -> tuple[str, ...]:
    codenames = SECTION_PERMISSIONS[kind]
    if level in UNPUBLISHING_LEVELS:
        codenames = tuple(c for c in codenames if c != "publish_page")
    return codenames


def _page_permission(codename: str) -> Permission:
    return Permission.objects.get(
        content_type=ContentType.objects.get_for_model(Page), codename=codename
    )


@transaction.atomic
def grant_section_permissions(section: SectionPage):
    """One set of rows per group, at the section's root; Wagtail extends them to descendants."""
    access_admin = Permission.objects.get(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )
    for kind in SECTION_PERMISSIONS:
        codenames = section_codenames(kind, section.unit.level)
        group = section.unit.group_for(kind)
        group.permissions.add(access_admin)
        for codename in codenames:
            GroupPagePermission.objects.get_or_create(
                group=group, page=section, permission=_page_permission(codename)
            )
        # Rights a group should no longer have here (a rule that changed) go.
        GroupPagePermission.objects.filter(group=group, page=section).exclude(
            permission__codename__in=codenames
        ).delete()


@transaction.atomic
def ensure_section(unit: OrgUnit, home: HomePage) -> SectionPage:
    """The unit's section, created under its parent's section (a city's under the home page)."""
    if unit.level not in levels.PUBLISHING:
        raise ValueError(f"{unit} ({unit.level}) does not publish content")
    section = SectionPage.objects.filter(unit=unit).first()
    if section is None:
        parent_unit = unit.get_parent()
        parent_page = home if parent_unit is None else ensure_section(parent_unit, home)
        section = SectionPage(title=unit.name, slug=unit.code.lower(), unit=unit)
        parent_page.add_child(instance=section)
        section.save_revision().publish()
    grant_section_permissions(section)
    return section
