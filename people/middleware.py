from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .access import requires_mfa


class RequireMFAMiddleware:
    """City and district admins see whole districts of personal data: no entry without TOTP.

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
            and requires_mfa(user)
            and not is_mfa_enabled(user)
        ):
            messages.warning(
                request,
                _(
                    "As a city or district admin you must set up an authenticator app (two-factor authentication) before you continue."
                ),
            )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
