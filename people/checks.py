"""System checks (`manage.py check`) for account rules that the database cannot enforce."""

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError


# A database check: it reads the accounts, so it runs only when asked for a database
# (`manage.py check --database default`, and `migrate`), not at the start of every command.
@register(Tags.database)
def one_duty_per_account(app_configs=None, databases=None, **kwargs):
    """三员分立: warn about any account holding two administrator duties."""
    from .duties import accounts_with_several_duties, describe

    if not databases or "default" not in databases:
        return []
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
