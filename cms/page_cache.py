"""Whole-page caching of the public casebook for anonymous readers.

`PageCacheMiddleware` (last in MIDDLEWARE, so it sees the user, the language and the messages)
keeps the rendered HTML of casebook pages (`CACHED_PAGE_TYPES`, and the empty search page) and
serves it again to anonymous GET requests without running the view.

Never cached, never served from the cache: logged-in users (their bookmark and "useful" state is
on the page), requests or responses carrying messages, responses that set a cookie of their own,
change the session (apart from the once-per-session view count) or say private/no-cache,
password- or login-restricted pages, previews, anything but 200, and query strings other than
the casebook's own filters (`FILTERS`, validated: a search with arbitrary words is not cached).

The key is host + language + path + the sorted filters. Every entry records the generation it was
rendered in; publishing, unpublishing, moving or deleting a page, and changes to what casebook
pages show from elsewhere (application reports, categories, unit names, view restrictions) bump
the generation after the transaction commits, so the next reader gets a fresh page. Counts that
change all day (views, bookmarks, "useful" marks) are allowed to lag by PAGE_CACHE_SECONDS
rather than empty the cache at every tap.

The footer's language form carries a CSRF token, which is per visitor: it is stored as a
placeholder and each reader gets their own token (and cookie) on the way out. A cache hit still
counts the reader's view once per session, as the page itself does (one UPDATE).
"""

import hashlib
import logging
import re
import time
from types import SimpleNamespace

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.middleware.csrf import CSRF_TOKEN_LENGTH, _unmask_cipher_token, get_token
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

DEFAULT_SECONDS = 600
GENERATION_KEY = "page_cache:generation"
HEADER = "X-Page-Cache"
# Views whose responses may be cached: Wagtail's pages (the page type decides) and the search
# page without a query.
CACHED_VIEWS = frozenset({"wagtail_serve", "case_search"})
# Query parameters the casebook page and the search page filter by; anything else bypasses the
# cache. Values are checked so that junk cannot fill the cache with keys.
FILTERS = {
    "category": re.compile(r"[-\w]{0,50}"),
    "unit": re.compile(r"[-\w.]{0,32}"),
    "year": re.compile(r"(\d{4})?"),
    "page": re.compile(r"([1-9]\d{0,2})?"),
}
# Stands in for the CSRF token in stored HTML; templates never output it, escaped text cannot.
CSRF_PLACEHOLDER = b"<!--page-cache:csrf-token-->"
_TOKEN = re.compile(rb"(?<![A-Za-z0-9])[A-Za-z0-9]{%d}(?![A-Za-z0-9])" % CSRF_TOKEN_LENGTH)
# Headers the outer middleware sets again on every response; the rest of the view's are kept.
_NOT_STORED = frozenset({"content-length", "set-cookie", "vary", "x-page-cache"})
_NOT_SHARED = ("private", "no-cache", "no-store")


def timeout() -> int:
    return int(getattr(settings, "PAGE_CACHE_SECONDS", DEFAULT_SECONDS))


def _cache():
    return caches[getattr(settings, "PAGE_CACHE_ALIAS", "default")]


def cached_page_types() -> tuple:
    from .models import CasebookPage, CasePage, GuidePage, SectionPage

    return (CasePage, GuidePage, CasebookPage, SectionPage)


# --------------------------------------------------------------------------------------
# Invalidation: one generation number for the whole casebook
# --------------------------------------------------------------------------------------


def _new_generation() -> int:
    # Not 1: if Redis evicts the counter, a restarted count must not revive old entries.
    return time.time_ns()


def current_generation(cache=None) -> int:
    cache = cache or _cache()
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, _new_generation(), timeout=None)
        generation = cache.get(GENERATION_KEY)
    return generation


def bump_now() -> None:
    cache = _cache()
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # no counter yet (or evicted)
        cache.set(GENERATION_KEY, _new_generation(), timeout=None)


def invalidate(**kwargs) -> None:
    """Signal receiver: every cached page is stale once the current transaction commits.

    After the commit, not before: a reader rendering in between would store the old content
    under the new generation.
    """
    transaction.on_commit(bump_now, robust=True)


def connect() -> None:
    """Bump the generation on whatever changes what a cached page shows. Safe to call twice."""
    from wagtail.models import Page, PageViewRestriction
    from wagtail.signals import page_published, page_unpublished, post_page_move

    from people.models import OrgUnit

    from .models import ApplicationReport, CaseCategory

    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(invalidate, dispatch_uid=f"cms.page_cache.{id(signal)}")
    # Model signals by sender only: a receiver for every model would stop Django's fast deletes.
    senders = (*cached_page_types(), Page, PageViewRestriction, ApplicationReport, CaseCategory)
    for model in (*senders, OrgUnit):
        for signal in (post_save, post_delete):
            if signal is post_save and issubclass(model, Page):
                continue  # a page saved as a draft changes nothing readers see
            signal.connect(
                invalidate,
                sender=model,
                dispatch_uid=f"cms.page_cache.{model.__name__}.{id(signal)}",
            )


# --------------------------------------------------------------------------------------
# Which requests and responses take part
# --------------------------------------------------------------------------------------


def normalised_query(query) -> str | None:
    """The query string as part of a cache key, or None when the request must bypass the cache."""
    parts = []
    for key in sorted(query):
        values = query.getlist(key)
        pattern = FILTERS.get(key)
        if pattern is None or len(values) != 1 or not pattern.fullmatch(values[0]):
            return None
        parts.append(f"{key}={values[0]}")
    return "&".join(parts)


def cache_key(request) -> str | None:
    query = normalised_query(request.GET)
    if query is None:
        return None
    raw = "\n".join((request.get_host(), get_language() or "", request.path, query))
    return "page_cache:" + hashlib.sha256(raw.encode()).hexdigest()


def anonymous_without_messages(request) -> bool:
    if request.method != "GET" or getattr(request, "is_preview", False):
        return False
    if request.user.is_authenticated:
        return False
    # len() reads the messages without marking them shown.
    return not len(get_messages(request))


def _session_state(request) -> dict:
    """The session as the view could change it, less the view count (per reader, not shown)."""
    from .casebook import VIEWED_SESSION_KEY

    session = getattr(request, "session", None)
    if session is None:
        return {}
    return {k: v for k, v in session.items() if k != VIEWED_SESSION_KEY}


def _served_page(response):
    context = getattr(response, "context_data", None) or {}
    return context.get("page")


def _shareable(request, response) -> bool:
    """Is this response the same for every anonymous reader?"""
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if getattr(request, "_csp_nonce", None):  # the page used a CSP nonce meant for one reader
        return False
    cache_control = response.get("Cache-Control", "").lower()
    if any(word in cache_control for word in _NOT_SHARED) or response.has_header("Vary"):
        return False
    if len(get_messages(request)) or _session_state(request) != request._page_cache_session:
        return False
    if request.resolver_match and request.resolver_match.url_name == "case_search":
        return not request.GET
    page = _served_page(response)
    if not isinstance(page, cached_page_types()):
        return False
    return not page.get_view_restrictions().exists()


# --------------------------------------------------------------------------------------
# Storing and serving
# --------------------------------------------------------------------------------------


def without_csrf_tokens(content: bytes, secret: str | None) -> bytes:
    """`content` with every CSRF token made from `secret` replaced by the placeholder."""
    if not secret:
        return content

    def swap(match):
        try:
            mine = _unmask_cipher_token(match.group().decode()) == secret
        except ValueError:
            mine = False
        return CSRF_PLACEHOLDER if mine else match.group()

    return _TOKEN.sub(swap, content)


def _entry(request, response, generation) -> dict:
    from .models import CasePage

    page = _served_page(response)
    return {
        "generation": generation,
        "status": response.status_code,
        "headers": [(k, v) for k, v in response.items() if k.lower() not in _NOT_STORED],
        "content": without_csrf_tokens(response.content, request.META.get("CSRF_COOKIE")),
        "case": page.pk if isinstance(page, CasePage) else None,
    }


def _response_from(request, entry) -> HttpResponse:
    content = entry["content"]
    if CSRF_PLACEHOLDER in content:
        # Also flags the CSRF cookie for the response, as rendering the token would.
        content = content.replace(CSRF_PLACEHOLDER, get_token(request).encode())
    response = HttpResponse(content, status=entry["status"])
    for name, value in entry["headers"]:
        response[name] = value
    if entry["case"]:
        from .casebook import count_view

        count_view(SimpleNamespace(pk=entry["case"]), request)
    return response


class PageCacheMiddleware:
    """Serves stored casebook pages to anonymous readers; stores the ones that may be shared."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        pending = getattr(request, "_page_cache_pending", None)
        if pending is not None:
            response[HEADER] = self._store(request, response, *pending)
        return response

    @staticmethod
    def _store(request, response, key, generation) -> str:
        """'miss' when the response was stored for the next reader, 'pass' when it may not be."""
        if not _shareable(request, response):
            return "pass"
        try:
            _cache().set(key, _entry(request, response, generation), timeout())
        except Exception:  # a page not cached is never worth a failed response
            logger.exception("Could not store %s in the page cache", request.path)
            return "pass"
        return "miss"

    def process_view(self, request, view_func, view_args, view_kwargs):
        if timeout() <= 0 or request.resolver_match.url_name not in CACHED_VIEWS:
            return None
        if not anonymous_without_messages(request):
            return None
        key = cache_key(request)
        if key is None:
            return None
        cache = _cache()
        try:
            found = cache.get_many([GENERATION_KEY, key])
            generation = found.get(GENERATION_KEY) or current_generation(cache)
        except Exception:  # Redis down: render the page as if there were no cache
            logger.exception("Page cache unavailable")
            return None
        entry = found.get(key)
        if entry is not None and entry["generation"] == generation:
            response = _response_from(request, entry)
            response[HEADER] = "hit"
            patch_vary_headers(response, ("Cookie",))
            return response
        request._page_cache_pending = (key, generation)
        request._page_cache_session = _session_state(request)
        return None
