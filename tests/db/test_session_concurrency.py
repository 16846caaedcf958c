"""Many people taking the last place at the same instant, a cancellation racing sign-ups, an
admin adding places meanwhile, a session cancelled while its form is saved: the session row's
lock lets exactly one through at a time, no place is oversold and nobody waits for a free one."""

from datetime import timedelta

from django.utils import timezone

from tests.concurrency import TRANSACTIONAL, errors, run_together
from tests.factories import make_admin, make_training_session, make_tree, make_user, make_worker
from training import sessions
from training.models import SessionSignup, TrainingSession

pytestmark = TRANSACTIONAL

PEOPLE = 8
CONFIRMED = SessionSignup.Status.CONFIRMED
WAITING = SessionSignup.Status.WAITING


def make_session(prefix, capacity):
    units = make_tree(prefix)
    session = make_training_session(
        units[f"{prefix}D1S1"],
        make_user("讲师"),
        starts_at=timezone.now() + timedelta(days=1),
        capacity=capacity,
    )
    return units, session


def assert_no_place_oversold_or_idle(session):
    """At most `capacity` confirmed, and nobody waiting while a place is free."""
    session.refresh_from_db()
    confirmed = session.signups.filter(status=CONFIRMED).count()
    assert confirmed <= session.capacity
    if session.signups.filter(status=WAITING).exists():
        assert confirmed == session.capacity


def test_many_people_for_the_last_place_get_exactly_one():
    units, session = make_session("P", capacity=3)
    early = [make_worker(units["PD1S1C1"], real_name=f"先到{n}") for n in range(2)]
    for person in early:
        sessions.sign_up(session, person)
    racers = [make_worker(units["PD1S1C2"], real_name=f"抢位{n}") for n in range(PEOPLE)]

    results = run_together([lambda p=p: sessions.sign_up(session, p) for p in racers])

    assert errors(results) == []
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

    assert errors(results) == []
    confirmed = SessionSignup.objects.filter(session=session, status=CONFIRMED)
    assert confirmed.count() == 1
    # Whichever order the locks were taken in, the freed place goes to the one who waited
    # longest: a racer before the cancellation queued behind them, one after found it taken.
    assert confirmed.get().user == waiting


def test_sign_ups_a_cancellation_and_more_places_at_once():
    units, session = make_session("R", capacity=2)
    holders = [make_worker(units["RD1S1C1"], real_name=f"占位{n}") for n in range(2)]
    queue = [make_worker(units["RD1S1C1"], real_name=f"候补{n}") for n in range(2)]
    for person in holders + queue:
        sessions.sign_up(session, person)
    racers = [make_worker(units["RD1S1C2"], real_name=f"抢位{n}") for n in range(PEOPLE)]
    edited = TrainingSession.objects.get(pk=session.pk)  # the admin's form, read beforehand
    edited.capacity = 5

    calls = [
        lambda: sessions.cancel_signup(session, holders[0]),
        lambda: sessions.save_session(edited),
    ]
    calls += [lambda p=p: sessions.sign_up(session, p) for p in racers]
    results = run_together(calls)

    assert errors(results) == []
    assert_no_place_oversold_or_idle(session)
    assert session.capacity == 5
    confirmed = session.signups.filter(status=CONFIRMED)
    assert confirmed.count() == 5  # 1 + 2 + 8 people want the 5 places
    # The queue moves first come first served: those waiting before the race go up first.
    assert set(queue) <= {signup.user for signup in confirmed}
    assert session.signups.filter(status=WAITING).count() == 1 + 2 + PEOPLE - 5


def test_a_session_cancelled_while_its_form_is_saved_stays_cancelled():
    units = make_tree("S")
    admin = make_admin(units["SD1"])
    sessions_, calls = [], []
    for n in range(3):  # three at once: both orders happen
        session = make_training_session(
            units["SD1S1"], admin, starts_at=timezone.now() + timedelta(days=1), capacity=1
        )
        for m in range(2):
            sessions.sign_up(session, make_worker(units["SD1S1C1"], real_name=f"学员{n}{m}"))
        edited = TrainingSession.objects.get(pk=session.pk)  # the form, read before the cancel
        edited.capacity = 2
        sessions_.append(session)
        calls += [
            lambda s=session: sessions.cancel_session(s, admin, "场地停电"),
            lambda e=edited: sessions.save_session(e),
        ]

    results = run_together(calls)

    for index, session in enumerate(sessions_):
        cancelled, saved = results[2 * index : 2 * index + 2]
        assert not isinstance(cancelled, Exception), cancelled
        session.refresh_from_db()
        assert session.status == TrainingSession.Status.CANCELLED
        if isinstance(saved, Exception):  # the cancellation came first: the edit is refused
            assert saved.code == "cancelled"
            assert session.capacity == 1
        else:  # the edit came first and moved the waiting person up
            assert session.capacity == 2
            assert session.signups.filter(status=CONFIRMED).count() == 2
