"""Many people taking the last place at the same instant, and a cancellation racing sign-ups:
on PostgreSQL, where row locks are real, the session row's lock must let exactly one through."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import make_tree, make_user, make_worker
from training import sessions
from training.models import SessionSignup, TrainingBase, TrainingSession

pytestmark = [
    # Serialized like every other transactional test here: a plain flush re-runs post_migrate,
    # whose new content-type ids would collide with the next test's restored ones.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite has no row locks and serialises every write",
    ),
]

PEOPLE = 8
CONFIRMED = SessionSignup.Status.CONFIRMED
WAITING = SessionSignup.Status.WAITING


def run_together(calls):
    """Each call in its own thread, released at the same instant; results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait()
            results[index] = call()
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


def make_session(prefix, capacity):
    units = make_tree(prefix)
    base = TrainingBase.objects.create(
        unit=units[f"{prefix}D1S1"],
        name="实训基地",
        address="x",
        capacity=50,
        contact_name="x",
        contact_phone="8123456",
    )
    starts_at = timezone.now() + timedelta(days=1)
    session = TrainingSession.objects.create(
        base=base,
        trainer=make_user("讲师"),
        title="实训",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        capacity=capacity,
        hours=Decimal("2"),
    )
    return units, session


def test_many_people_for_the_last_place_get_exactly_one():
    units, session = make_session("P", capacity=3)
    early = [make_worker(units["PD1S1C1"], real_name=f"先到{n}") for n in range(2)]
    for person in early:
        sessions.sign_up(session, person)
    racers = [make_worker(units["PD1S1C2"], real_name=f"抢位{n}") for n in range(PEOPLE)]

    results = run_together([lambda p=p: sessions.sign_up(session, p) for p in racers])

    assert [r for r in results if isinstance(r, Exception)] == []
    statuses = [r.status for r in results]
    assert statuses.count(CONFIRMED) == 1 and statuses.count(WAITING) == PEOPLE - 1
    assert SessionSignup.objects.filter(session=session, status=CONFIRMED).count() == 3


def test_a_cancellation_racing_sign_ups_promotes_exactly_one():
    units, session = make_session("Q", capacity=1)
    holder, waiting = (make_worker(units["QD1S1C1"], real_name=n) for n in ("占位", "候补"))
    sessions.sign_up(session, holder)
    sessions.sign_up(session, waiting)
    racers = [make_worker(units["QD1S1C2"], real_name=f"抢位{n}") for n in range(PEOPLE)]

    calls = [lambda: sessions.cancel_signup(session, holder)]
    calls += [lambda p=p: sessions.sign_up(session, p) for p in racers]
    results = run_together(calls)

    assert [r for r in results if isinstance(r, Exception)] == []
    confirmed = SessionSignup.objects.filter(session=session, status=CONFIRMED)
    assert confirmed.count() == 1
    # Whichever order the locks were taken in, the freed place goes to the one who waited
    # longest: a racer before the cancellation queued behind them, one after found it taken.
    assert confirmed.get().user == waiting
