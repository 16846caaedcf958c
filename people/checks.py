"""System checks (`manage.py check`) for account rules that the database cannot enforce."""

from django.core.checks import Warning, register
from django.db import DatabaseError


@register("security", deploy=False)
def one_duty_per_account(app_configs=None, **kwargs):
    """三员分立: warn about any account holding two administrator duties."""
    from .duties import accounts_with_several_duties, describe

    try:
        found = accounts_with_several_duties()
    except DatabaseError:  # not migrated yet: nothing to check
        return []
    return [
        Warning(
            f"Account “{user.get_username()}” holds several administrator duties: "
            f"{describe(duties)}.",
            hint="Give each of the system, security and audit duties to a separate account "
            "(manage.py grant_duty; a superuser is the system administrator).",
            obj=user,
            id="people.W001",
        )
        for user, duties in found
    ]
