import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .phones import is_mainland_mobile


def validate_mainland_mobile(value: str):
    if not is_mainland_mobile(value):
        raise ValidationError(
            _(
                "“%(value)s” is not a valid mainland mobile number: it must be 11 digits starting with 1."
            ),
            code="invalid_phone",
            params={"value": value},
        )


def validate_username(value: str):
    # All-digit names would be read as phone numbers at login.
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9._-]*", value or ""):
        raise ValidationError(
            _("A username starts with a letter and contains only letters, digits and . _ -."),
            code="invalid_username",
        )
