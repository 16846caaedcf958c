import time

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .access import requires_mfa

# Session keys (seconds since the epoch).
MFA_CHECKED_UNTIL = "_zm_mfa_ok_until"
LAST_SEEN = "_zm_last_seen"
LOGGED_IN_AT = "_zm_logged_in_at"
# The idle clock is written at most this often: not a session write on every request.
TOUCH_SECONDS = 60


class IdleTimeoutMiddleware:
    """Logs out after ZHUANGMA_IDLE_MINUTES without a request, and SESSION_COOKIE_AGE after the
    login whatever the activity (等保: session time-out). The next request goes to the login.

    Django's own sliding expiry (SESSION_SAVE_EVERY_REQUEST) would write the session on every
    request; this writes it at most once a minute.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            seen = session.get(LAST_SEEN, now)
            logged_in_at = session.get(LOGGED_IN_AT, now)
            idle_minutes = settings.ZHUANGMA_IDLE_MINUTES
            if now - seen > idle_minutes * 60:
                reason = _(
                    "You were logged out after %(minutes)d minutes without activity. Please log in again."
                ) % {"minutes": idle_minutes}
            elif now - logged_in_at > settings.SESSION_COOKIE_AGE:
                reason = _(
                    "You were logged out because a session lasts at most %(hours)d hours. Please log in again."
                ) % {"hours": settings.SESSION_COOKIE_AGE // 3600}
            else:
                reason = None
            if reason:
                logout(request)
                messages.info(request, reason)
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if LOGGED_IN_AT not in session:
                session[LOGGED_IN_AT] = now
            if now - session.get(LAST_SEEN, 0) >= TOUCH_SECONDS:
                session[LAST_SEEN] = now
        return self.get_response(request)


def mfa_satisfied(session, user) -> bool:
    """Whether `user` needs no authenticator or has one.

    Asked on every request, so a "yes" is kept in the session for ZHUANGMA_MFA_RECHECK_SECONDS:
    someone newly made a chief judge or city admin is sent to set one up within that time.
    A "no" is not kept: it is asked again until the authenticator is there.
    """
    now = time.time()
    if session.get(MFA_CHECKED_UNTIL, 0) > now:
        return True
    if requires_mfa(user) and not is_mfa_enabled(user):
        return False
    session[MFA_CHECKED_UNTIL] = now + settings.ZHUANGMA_MFA_RECHECK_SECONDS
    return True


@receiver(user_logged_in)
def start_session_clocks(sender, request, user, **kwargs):
    """Set the clocks and the MFA answer while logging in writes the session anyway, so that
    the first page after it costs no extra session write."""
    session = getattr(request, "session", None)
    if session is None:
        return
    session[LOGGED_IN_AT] = session[LAST_SEEN] = int(time.time())
    mfa_satisfied(session, user)


class RequireMFAMiddleware:
    """Those who see whole districts of personal data, run a contest as its chief judge or hold
    an administrator duty (settings.ZHUANGMA_MFA_RULES): no entry without TOTP.

    Until they set up an authenticator, every page sends them to the set-up page.
    """

    # Paths needed to set up the authenticator, or to leave.
    ALLOWED_PREFIXES = ("/accounts/", "/en/accounts/", "/static/", "/media/", "/i18n/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and not mfa_satisfied(request.session, user)
        ):
            messages.warning(
                request,
                _(
                    "Your responsibilities require two-factor authentication: set up an authenticator app before you continue."
                ),
            )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
