"""三员分立: the three administrator duties, each held by a different account (等保).

- system administrator: runs the site (Wagtail settings, sites, the content structure); a
  superuser is the system administrator;
- security administrator: accounts, roles, groups and duties;
- audit administrator: reads and exports the audit log, nothing else.

The security and audit duties are the groups below (made, with their permissions, by the
migration 0005_duties). One account holds at most one duty: the Wagtail user form and
`grant_duty` refuse a second, and `manage.py check --database default` warns about any account that has two.
"""

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

SYSTEM, SECURITY, AUDIT = "system", "security", "audit"
LABELS = {
    SYSTEM: _("system administrator"),
    SECURITY: _("security administrator"),
    AUDIT: _("audit administrator"),
}
# The groups that carry the duties given by hand (no ":" — see people/audit_signals.py).
GROUPS = {SECURITY: "安全管理员", AUDIT: "审计管理员"}
DUTY_OF_GROUP = {name: duty for duty, name in GROUPS.items()}


def duties_from(group_names, is_superuser: bool) -> set[str]:
    duties = {DUTY_OF_GROUP[name] for name in group_names if name in DUTY_OF_GROUP}
    if is_superuser:
        duties.add(SYSTEM)
    return duties


def duties_of(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    names = user.groups.filter(name__in=GROUPS.values()).values_list("name", flat=True)
    return duties_from(names, user.is_superuser)


def holds_admin_duty(user) -> bool:
    """An MFA rule (settings.ZHUANGMA_MFA_RULES): every duty holder uses two factors."""
    return bool(duties_of(user))


def describe(duties) -> str:
    return "、".join(str(LABELS[duty]) for duty in sorted(duties))


def check_one_duty(username: str, duties: set[str]):
    """Refuse to let the account `username` hold `duties` if that is more than one."""
    if len(duties) > 1:
        raise ValidationError(
            _(
                "“%(user)s” would hold %(duties)s: one account holds at most one administrator duty (system, security, audit). Use a separate account for each."
            ),
            code="several_duties",
            params={"user": username, "duties": describe(duties)},
        )


@transaction.atomic
def grant(user, duty: str):
    """Give `user` the security or audit duty (recorded as DUTY_CHANGE by the audit receivers)."""
    check_one_duty(user.get_username(), duties_of(user) | {duty})
    user.groups.add(Group.objects.get(name=GROUPS[duty]))


@transaction.atomic
def revoke(user, duty: str):
    user.groups.remove(Group.objects.get(name=GROUPS[duty]))


def accounts_with_several_duties() -> list[tuple[object, set[str]]]:
    """Every account that holds more than one duty, with its duties (for the system check)."""
    from .models import User

    holders = (
        User.objects.filter(Q(is_superuser=True) | Q(groups__name__in=GROUPS.values()))
        .distinct()
        .prefetch_related("groups")
    )
    found = []
    for user in holders:
        duties = duties_from((g.name for g in user.groups.all()), user.is_superuser)
        if len(duties) > 1:
            found.append((user, duties))
    return found
