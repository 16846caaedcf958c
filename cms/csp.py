"""The one place the Content Security Policy is relaxed: Wagtail's admin.

Django's ContentSecurityPolicyMiddleware sends settings.SECURE_CSP on every response (strict:
this site's own scripts and styles only). Under the Wagtail admin's prefix (/admin/) this
middleware, placed after it, hands it settings.ADMIN_CSP instead, and lets the admin frame its
own pages and the previews of public pages (the live preview panel); everywhere else framing
stays refused.
"""

from functools import cache

from django.conf import settings
from django.urls import reverse
from django.utils.csp import CSP


@cache
def admin_prefix() -> str:
    return reverse("wagtailadmin_home")


class AdminPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(admin_prefix()):
            response._csp_config = settings.ADMIN_CSP
        elif getattr(request, "is_dummy", False):
            # Wagtail's preview runs the page through the middleware with a made-up request
            # for its public address: the site's strict policy, shown in the admin's frame.
            response._csp_config = {**settings.SECURE_CSP, "frame-ancestors": [CSP.SELF]}
        else:
            return response
        response["X-Frame-Options"] = "SAMEORIGIN"
        return response
