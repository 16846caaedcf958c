from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import User
from .phones import is_mainland_mobile, looks_like_phone, normalise_phone


class LoginForm(AllauthLoginForm):
    """One box for a mobile number or a username, with a clear word when a number is wrong."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = _("Mobile number or username")
        login.widget = forms.TextInput(
            attrs={
                "placeholder": _("Mobile number or username"),
                "autocomplete": "username",
                "autofocus": True,
            }
        )
        login.error_messages["required"] = _("Please enter your mobile number or username.")
        self.fields["password"].error_messages["required"] = _("Please enter your password.")

    def clean_login(self):
        login = super().clean_login()
        if looks_like_phone(login):
            number = normalise_phone(login)
            if not is_mainland_mobile(number):
                raise forms.ValidationError(
                    _(
                        "The mobile number “%(value)s” is malformed: it must be 11 digits starting with 1."
                    ),
                    code="invalid_phone",
                    params={"value": login},
                )
            return number
        if len(login) > User._meta.get_field("username").max_length:
            # No account has it; and SQLite cannot match so long a text case-insensitively.
            raise forms.ValidationError(
                _("The username or password is incorrect."), code="username_password_mismatch"
            )
        return login
