"""Login lock-outs as the security administrator sees them: whether an account is locked after
failed logins (ACCOUNT_RATE_LIMITS["login_failed"], its "key" rate counted per account by
people.adapter), until when, and lifting it early — for the worker who calls after mistyping.

allauth keeps each limit as a list of failure times in the cache, newest first; these helpers
read and clear the account's lists and nothing else (an address's limit ends after a minute).
"""

from datetime import UTC, datetime

from allauth.core.internal import ratelimit
from django.core.cache import cache

APP, ACTION = "allauth.account", "login_failed"


def account_key(user) -> str:
    """The rate limiter's key for `user`, whichever login (mobile number, username) was typed."""
    return f"account:{user.pk}"


def _account_limits(request, user):
    key = account_key(user)
    for rate in ratelimit.get_rates(app=APP, action=ACTION):
        if rate.per == "key":
            yield rate, ratelimit.get_cache_key(request, app=APP, action=ACTION, rate=rate, key=key)


def locked_until(request, user) -> datetime | None:
    """When the account's lock-out ends, or None if it may log in now."""
    now = ratelimit.time.time()  # the rate limiter's own clock
    ends = []
    for rate, cache_key in _account_limits(request, user):
        allowed, history = ratelimit.apply_rate(
            list(cache.get(cache_key, [])), now, rate, dry_run=True
        )
        if not allowed:
            # Allowed again once the amount-th newest failure has left the window.
            ends.append(history[rate.amount - 1] + rate.duration)
    return datetime.fromtimestamp(max(ends), tz=UTC) if ends else None


def lift(request, user) -> bool:
    """Forget the account's failed logins; True if it was locked out."""
    was_locked = locked_until(request, user) is not None
    for _rate, cache_key in _account_limits(request, user):
        cache.delete(cache_key)
    return was_locked
