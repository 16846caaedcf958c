"""allauth, taught that a user's phone number lives on the user model."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.utils.translation import gettext_lazy as _

from .access import requires_mfa
from .fields import MobileField
from .models import User


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "phone_password_mismatch": _("The mobile number or password is incorrect."),
        "username_password_mismatch": _("The username or password is incorrect."),
        "too_many_login_attempts": _("Too many failed login attempts. Please try again later."),
    }

    def is_open_for_signup(self, request):
        # Accounts come from admins and roster imports; nobody signs themselves up.
        return False

    def phone_form_field(self, **kwargs):
        return MobileField(**kwargs)

    def set_phone(self, user, phone, verified):
        user.phone = phone
        user.save(update_fields=["phone"])

    def get_phone(self, user):
        # Numbers come from the employer's roster, so they count as verified.
        return (user.phone, True) if user.phone else None

    def set_phone_verified(self, user, phone):
        pass

    def get_user_by_phone(self, phone):
        return User.objects.filter(phone=phone).first()

    def send_verification_code_sms(self, user, phone, code, **kwargs):
        # No SMS gateway is configured; phone verification is off in settings.
        raise NotImplementedError("SMS is not configured")


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator):
        # Those who must use two-factor authentication may not switch it off.
        if authenticator.type == authenticator.Type.TOTP and requires_mfa(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)


def user_display(user) -> str:
    """How allauth names a user in its messages: by real name, not the login."""
    return user.real_name or user.username
