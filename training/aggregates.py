"""Aggregates that pages serve from the cache and background tasks keep current.

A city roll-up counts 100,000 rows or more: too slow to count on every page view, quick enough
(well under a second) to count in the background. A page asks `serve` for the aggregate:

- none cached yet: it is counted now and cached;
- cached, and neither the data's mark nor the clock says it may be out of date: served as is;
- cached but perhaps out of date: served as is ("as of" its time on the page), and a task
  counts it again in the background (one task at a time per key); with a cache in the
  process's own memory (development) the page counts it again itself;
- cached but older than `STALE_LIMIT`: counted now, so a site without a running task worker
  never shows very old figures.

The data's mark is a few MAX() of indexed columns (one query): a new row or a newly completed
course changes it at once; what it cannot see (an edited row, a worker moving) shows within
`MAX_AGE`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection, transaction
from django.utils import timezone

MAX_AGE = timedelta(minutes=5)
STALE_LIMIT = timedelta(hours=1)
LOCK_SECONDS = 120
KEY_PREFIX = "zm:aggregate:v1"


@dataclass(frozen=True)
class Served:
    value: object
    as_of: datetime
    refreshing: bool = False


def data_mark(*columns) -> tuple:
    """(model, field name) pairs → their MAX() values, in one query: the data's mark.

    Each column should be indexed (a primary key, a db_index field) so each MAX is a lookup.
    """
    quote = connection.ops.quote_name
    parts = [
        f"(SELECT MAX({quote(model._meta.get_field(name).column)}) "
        f"FROM {quote(model._meta.db_table)})"
        for model, name in columns
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return tuple(str(value) for value in cursor.fetchone())


def cache_key(kind: str, *parts) -> str:
    return ":".join([KEY_PREFIX, kind, *map(str, parts)])


def store(key: str, value, mark: tuple) -> Served:
    now = timezone.now()
    cache.set(key, {"value": value, "mark": mark, "as_of": now}, timeout=None)
    return Served(value, now)


def _fresh(entry, mark: tuple) -> bool:
    return entry["mark"] == mark and timezone.now() - entry["as_of"] <= MAX_AGE


def local_cache() -> bool:
    """The cache lives in this process's memory (development, tests): a task worker, being
    another process, could not fill it, so the page counts again itself."""
    return isinstance(caches[DEFAULT_CACHE_ALIAS], LocMemCache)


def serve(key: str, mark: tuple, compute: Callable[[], object], enqueue) -> Served:
    """The aggregate under `key`: cached, or counted by `compute()` now. `enqueue()` asks the
    task worker to count it again; it is called once the current transaction commits."""
    entry = cache.get(key)
    if entry is None or timezone.now() - entry["as_of"] > STALE_LIMIT:
        return store(key, compute(), mark)
    if _fresh(entry, mark):
        return Served(entry["value"], entry["as_of"])
    if cache.add(key + ":refreshing", 1, timeout=LOCK_SECONDS):
        recount = (lambda: refreshed(key, mark, compute())) if local_cache() else enqueue
        transaction.on_commit(recount)
        # Outside a transaction the recount has run already: serve what it counted.
        entry = cache.get(key) or entry
        if _fresh(entry, mark):
            return Served(entry["value"], entry["as_of"])
    return Served(entry["value"], entry["as_of"], refreshing=True)


def refreshed(key: str, mark: tuple, value) -> Served:
    """Store a value a background task counted, and let the next stale view ask again."""
    served = store(key, value, mark)
    cache.delete(key + ":refreshing")
    return served
