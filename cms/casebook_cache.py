"""When cached casebook answers go stale: searches, related cases, the search page's filters.

Those caches key their entries with `generation()`, made of two parts:

- the casebook's generation (cms.page_cache), moved on once a publication, unpublication, move,
  deletion, or a change to a category or a unit's name has committed;
- a counter of our own, moved at once (`changed`) when a case or guide is indexed for search,
  unpublished, moved or deleted, so that what happens inside a transaction (an import, a test)
  is seen by the next search at once.

Entries also expire after their own time-out, so a missed change heals by itself.
"""

import time

from django.core.cache import cache

COUNTER_KEY = "cms.casebook_cache.counter"


def _counter() -> int:
    counter = cache.get(COUNTER_KEY)
    if counter is None:
        # Not 0: if the cache drops the counter, a restarted count must not revive old entries.
        cache.add(COUNTER_KEY, time.time_ns(), timeout=None)
        counter = cache.get(COUNTER_KEY)
    return counter


def generation() -> str:
    from .page_cache import current_generation

    return f"{current_generation()}.{_counter()}"


def changed(**kwargs) -> None:
    """Cached casebook answers are stale from now on (also a signal receiver)."""
    try:
        cache.incr(COUNTER_KEY)
    except ValueError:  # no counter yet, or dropped
        cache.set(COUNTER_KEY, time.time_ns(), timeout=None)
