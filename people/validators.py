import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import passwords
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


class PasswordPolicyValidator:
    """The password rules of people/passwords.py, for AUTH_PASSWORD_VALIDATORS.

    Every place that sets a password through Django's validate_password (allauth's change and
    set password, the Wagtail and Django admin user forms) applies them.
    """

    def messages(self):
        return {
            passwords.TOO_SHORT: _(
                "This password is too short: it must have at least %(min)d characters."
            )
            % {"min": passwords.MIN_LENGTH},
            passwords.TOO_FEW_CLASSES: _(
                "This password is too simple: use at least %(min)d of the four kinds of character: upper-case letters, lower-case letters, digits and symbols."
            )
            % {"min": passwords.MIN_CLASSES},
            passwords.CONTAINS_PHONE: _("The password must not contain your mobile number."),
            passwords.CONTAINS_USERNAME: _("The password must not contain your username."),
        }

    def validate(self, password, user=None):
        found = passwords.problems(
            password,
            phone=getattr(user, "phone", "") or "",
            username=getattr(user, "username", "") or "",
        )
        if found:
            messages = self.messages()
            raise ValidationError(
                [ValidationError(messages[name], code=f"password_{name}") for name in found]
            )

    def get_help_text(self):
        return _(
            "Your password must have at least %(length)d characters and use at least %(classes)d of: upper-case letters, lower-case letters, digits, symbols. It must not contain your mobile number or username."
        ) % {"length": passwords.MIN_LENGTH, "classes": passwords.MIN_CLASSES}
