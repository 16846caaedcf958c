"""The demo's learning hours: a requirement, bases, sessions past and upcoming, workers ahead
and behind, outside training in every state."""

from decimal import Decimal

import pytest

from cms.demo import load_demo
from cms.demo_hours import YEAR, load_hours_demo
from cms.demo_training import load_training_demo
from people.models import WorkerProfile
from tests.factories import kept_for_the_module
from training import hours
from training.models import (
    Attendance,
    ExternalTraining,
    HoursCategory,
    HoursEntry,
    SessionSignup,
    TrainingBase,
    TrainingSession,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with kept_for_the_module(django_db_blocker):
        load_demo()
        load_training_demo()
        yield load_hours_demo()


def test_bases_and_sessions(demo):
    assert TrainingBase.objects.count() == 2
    from django.utils import timezone

    past = TrainingSession.objects.filter(ends_at__lt=timezone.now())
    upcoming = TrainingSession.objects.filter(starts_at__gt=timezone.now())
    assert past.count() == 7 and upcoming.count() == 2
    full = upcoming.get(title="居民议事会主持技巧")
    signups = full.signups
    assert signups.filter(status=SessionSignup.Status.CONFIRMED).count() == full.capacity
    assert signups.filter(status=SessionSignup.Status.WAITING).count() == 4


def test_only_those_who_stayed_earned_offline_hours(demo):
    attendances = Attendance.objects.select_related("session")
    stayed = [a for a in attendances if a.checked_out_at >= a.session.ends_at]
    left_early = [a for a in attendances if a.checked_out_at < a.session.ends_at]
    assert stayed and left_early
    credited = set(
        HoursEntry.objects.filter(category=HoursCategory.OFFLINE).values_list("source", flat=True)
    )
    assert credited == {f"attendance:{a.pk}" for a in stayed}


def test_some_workers_ahead_and_many_behind(demo):
    standings = hours.standings(WorkerProfile.objects.select_related("community"), YEAR)
    met = [s for s in standings.values() if s.met]
    behind = [s for s in standings.values() if not s.met]
    assert len(met) >= 10 and len(behind) > len(met)
    assert all(s.required in (Decimal("20"), Decimal("24")) for s in standings.values())


def test_outside_training_in_every_state(demo):
    states = set(ExternalTraining.objects.values_list("status", flat=True))
    assert states == set(ExternalTraining.Status.values)
    approved = ExternalTraining.objects.filter(status=ExternalTraining.Status.APPROVED)
    assert set(
        HoursEntry.objects.filter(category=HoursCategory.EXTERNAL).values_list("source", flat=True)
    ) == {f"external:{d.pk}" for d in approved}
    assert all(d.reason for d in ExternalTraining.objects.filter(status="rejected"))


def test_loading_again_adds_nothing(demo):
    before = (TrainingSession.objects.count(), HoursEntry.objects.count())
    load_hours_demo()
    assert (TrainingSession.objects.count(), HoursEntry.objects.count()) == before
