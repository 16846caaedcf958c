"""allauth, taught that a user's phone number lives on the user model."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from allauth.mfa.adapter import DefaultMFAAdapter
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from . import lockouts
from .access import requires_mfa
from .audit import record
from .audit_signals import masked_login
from .fields import MobileField
from .models import AuditEvent, User


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

    # --- Login failures (ACCOUNT_RATE_LIMITS["login_failed"]: per address and per account) ---

    @staticmethod
    def _account(credentials) -> User | None:
        typed = credentials.get("phone") or credentials.get("username")
        return User.by_login(str(typed)) if typed else None

    def _get_login_attempts_cache_key(self, request, **credentials):
        # allauth counts failures per login as typed; an account has two logins (mobile number
        # and username), so count per account or 5 + 5 wrong guesses would get through.
        user = self._account(credentials)
        if user is not None:
            return lockouts.account_key(user)
        return super()._get_login_attempts_cache_key(request, **credentials)

    def authentication_failed(self, request, **credentials):
        """Audit a lock-out when this failure fills a limit (refused tries never get here)."""
        super().authentication_failed(request, **credentials)
        key = self._get_login_attempts_cache_key(request, **credentials)
        now = ratelimit.time.time()  # the rate limiter's own clock
        for rate in ratelimit.get_rates(app="allauth.account", action="login_failed"):
            cache_key = ratelimit.get_cache_key(
                request, app="allauth.account", action="login_failed", rate=rate, key=key
            )
            history = list(cache.get(cache_key, []))
            allowed, _history = ratelimit.apply_rate(history, now, rate, dry_run=True)
            if not allowed:
                self._record_lock_out(request, rate, credentials)

    def _record_lock_out(self, request, rate, credentials):
        limit = f"{rate.amount}/{int(rate.duration)}s"
        if rate.per == "ip":
            record(None, AuditEvent.Action.LOCKED_OUT, f"address · {limit}", request=request)
            return
        user = self._account(credentials)
        if user is not None:
            what = user.get_username()
        else:  # no such account: what was typed, never a full mobile number
            what = masked_login(str(credentials.get("phone") or credentials.get("username") or ""))
        record(user, AuditEvent.Action.LOCKED_OUT, f"{what} · {limit}", request=request)


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator):
        # Those who must use two-factor authentication may not switch it off.
        if authenticator.type == authenticator.Type.TOTP and requires_mfa(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)


def user_display(user) -> str:
    """How allauth names a user in its messages: by real name, not the login."""
    return user.real_name or user.username
