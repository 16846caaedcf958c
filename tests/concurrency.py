"""Calls released at the same instant, for the concurrency suites (tests/db/test_*_concurrency.py).

On PostgreSQL the calls really overlap and row locks decide who goes first. SQLite has one
writer at a time, and its in-memory test database answers a second writer with "table is
locked" instead of queueing it; so there the calls take turns, in whatever order the threads
reach the turnstile, and the same invariants are checked for that order.
"""

import threading

import pytest
from django.db import connection

# Threads see only committed data: transactional tests, serialized like every other one here (a
# plain flush re-runs post_migrate, whose new content-type ids would collide with the next
# test's restored ones).
TRANSACTIONAL = pytest.mark.django_db(transaction=True, serialized_rollback=True)
POSTGRESQL_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the interleaving is forced while row locks are held: SQLite has none",
)


def run_together(calls):
    """Run each call in its own thread, released at the same instant by a barrier; returns the
    results or exceptions in call order."""
    barrier = threading.Barrier(len(calls))
    turnstile = threading.Lock() if connection.vendor == "sqlite" else None
    results = [None] * len(calls)

    def run(call):
        if turnstile is None:
            return call()
        with turnstile:
            return call()

    def worker(index, call):
        try:
            barrier.wait()
            results[index] = run(call)
        except Exception as error:  # kept and checked by the test
            results[index] = error
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def errors(results) -> list[Exception]:
    return [r for r in results if isinstance(r, Exception)]
