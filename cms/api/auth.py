"""Who is calling: a bearer token names a client; the client's rate per minute is enforced.

Refusals raise ApiError, which the API turns into a JSON answer (and the call log records).
"""

import math
import time

from django.core.cache import cache
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from cms.models.api import ApiClient

from .errors import ApiError
from .tokens import client_for_token

WINDOW_SECONDS = 60


class TokenAuth(HttpBearer):
    """`Authorization: Bearer zm_…`: missing, unknown and revoked tokens get a 401 that says which."""

    def __call__(self, request):
        header = request.headers.get("Authorization", "")
        scheme, _space, token = header.partition(" ")
        if not header:
            raise ApiError(
                401,
                "token_missing",
                _("Send your token in the header “Authorization: Bearer <token>”."),
                {"WWW-Authenticate": "Bearer"},
            )
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(
                401,
                "token_malformed",
                _("The Authorization header must read “Bearer <token>”."),
                {"WWW-Authenticate": "Bearer"},
            )
        return self.authenticate(request, token.strip())

    def authenticate(self, request, token):
        client = client_for_token(token)
        if client is None:
            raise ApiError(
                401,
                "token_unknown",
                _("This token is not known. Ask the admin who made it for a new one."),
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        request.api_client = client  # the call log names the client even when refused
        if client.revoked:
            raise ApiError(
                401,
                "token_revoked",
                _("This token was revoked. Ask the admin who made it for a new one."),
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        check_rate(client)
        return client


def check_rate(client: ApiClient, now: float | None = None) -> None:
    """A fixed window per client and minute; past the client's rate the call is refused."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    # The hash in the key: ids can be reused by a new client after a test or a restore.
    key = f"zm-api-rate:{client.pk}:{client.token_hash[:16]}:{window}"
    cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS * 2)
        count = 1
    if count > client.requests_per_minute:
        wait = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
        raise ApiError(
            429,
            "rate_limited",
            _("More than %(rate)d requests this minute. Try again in %(wait)d seconds.")
            % {"rate": client.requests_per_minute, "wait": wait},
            {"Retry-After": str(wait)},
        )
