"""Questions about a user's roles that more than one place asks."""

from . import levels
from .models import Role


def requires_mfa(user) -> bool:
    """Admins at city or district level, and superusers, must use two-factor authentication."""
    if user.is_superuser:
        return True
    return Role.objects.filter(
        user=user, kind=Role.Kind.ADMIN, unit__level__in=levels.MFA_REQUIRED
    ).exists()


def may_see_personal_data(user) -> bool:
    """Whether `user` may ask to see ID and mobile numbers unmasked (each look is audited)."""
    return user.is_authenticated and user.has_perm("people.view_personal_data")
