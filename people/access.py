"""Questions about a user's roles that more than one place asks."""

from django.conf import settings
from django.utils.module_loading import import_string

from . import levels
from .models import Role


def is_senior_admin(user) -> bool:
    """Superusers, and admins at city or district level: they see whole districts."""
    if user.is_superuser:
        return True
    return Role.objects.filter(
        user=user, kind=Role.Kind.ADMIN, unit__level__in=levels.MFA_REQUIRED
    ).exists()


def mfa_rules():
    """The functions of settings.ZHUANGMA_MFA_RULES; upper layers add theirs by name there,
    so that people never imports them (the chief judge rule lives in competitions)."""
    return [import_string(path) for path in settings.ZHUANGMA_MFA_RULES]


def requires_mfa(user) -> bool:
    """Whether `user` must use two-factor authentication: any rule says so."""
    return user.is_authenticated and any(rule(user) for rule in mfa_rules())


def may_see_personal_data(user) -> bool:
    """Whether `user` may ask to see ID and mobile numbers unmasked (each look is audited)."""
    return user.is_authenticated and user.has_perm("people.view_personal_data")
