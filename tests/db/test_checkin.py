"""QR check-in and check-out: the signed, rotating tokens, the rules of checking in and out,
the minimum time present, crediting hours once, and the scan pages."""

from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone

from people.models import Role
from tests.factories import (
    give_role,
    make_course,
    make_sections,
    make_training_base,
    make_training_session,
    make_tree,
    make_user,
    make_worker,
)
from training import checkin, sessions
from training.models import (
    Attendance,
    HoursCategory,
    HoursEntry,
    SessionSignup,
    TrainingSession,
)

pytestmark = pytest.mark.django_db

WINDOW = 30
# The start of a window, so "seconds into it" is exact.
T0 = datetime.fromtimestamp(WINDOW * 59_000_000, tz=timezone.get_fixed_timezone(0))


# --- tokens (no database needed, but cheap here) -----------------------------------------


def test_token_names_its_session_for_its_window_and_the_next():
    token = checkin.make_token(7, checkin.window_of(T0))
    assert checkin.read_token(token, now=T0) == 7
    assert checkin.read_token(token, now=T0 + timedelta(seconds=29)) == 7
    assert checkin.read_token(token, now=T0 + timedelta(seconds=59)) == 7  # the next window
    for later in (60, 61, 600):
        with pytest.raises(checkin.TokenError) as refused:
            checkin.read_token(token, now=T0 + timedelta(seconds=later))
        assert refused.value.code == "expired"


def test_token_from_a_past_window_or_the_future_is_refused():
    now_window = checkin.window_of(T0)
    assert checkin.read_token(checkin.make_token(7, now_window - 1), now=T0) == 7
    for window in (now_window - 2, now_window - 100, now_window + 1):
        with pytest.raises(checkin.TokenError) as refused:
            checkin.read_token(checkin.make_token(7, window), now=T0)
        assert refused.value.code == "expired"


def test_forged_tokens_are_refused():
    window = checkin.window_of(T0)
    token = checkin.make_token(7, window)
    value, signature = token.rsplit(":", 1)
    tampered = [
        f"8.{window}:{signature}",  # another session, same signature
        f"7.{window + 1}:{signature}",  # a later window, same signature
        value + ":" + signature[:-2] + ("AA" if not signature.endswith("AA") else "BB"),
        signing.Signer(salt="something else").sign(value),  # signed for another purpose
        signing.Signer().sign(value),
        "",
        "garbage",
        "7.abc:xyz",
    ]
    for bad in tampered:
        with pytest.raises(checkin.TokenError) as refused:
            checkin.read_token(bad, now=T0)
        assert refused.value.code == "forged", bad


def test_token_for_another_session_is_refused_when_a_session_is_expected():
    token = checkin.make_token(7, checkin.window_of(T0))
    assert checkin.read_token(token, now=T0, session_id=7) == 7
    with pytest.raises(checkin.TokenError) as refused:
        checkin.read_token(token, now=T0, session_id=8)
    assert refused.value.code == "other_session"


def test_seconds_left_counts_down_to_the_next_code():
    assert checkin.seconds_left(T0) == 30
    assert checkin.seconds_left(T0 + timedelta(seconds=29)) == 1


# --- check-in and check-out rules --------------------------------------------------------


@pytest.fixture
def units():
    return make_tree()


@pytest.fixture
def trainer(units):
    user = make_user("李讲师")
    give_role(user, units["TD1"], Role.Kind.TRAINER)
    return user


@pytest.fixture
def base(units):
    return make_training_base(units["TD1S1"])


def make_session(base, trainer, *, starts_at=None, minutes=100, **extra):
    starts_at = starts_at or timezone.now() - timedelta(minutes=5)
    values = {"title": "矛盾纠纷调解实训", "capacity": 5, "hours": Decimal("3"), **extra}
    return make_training_session(
        base.unit, trainer, base=base, starts_at=starts_at, minutes=minutes, **values
    )


def signed_up(session, user, status=SessionSignup.Status.CONFIRMED):
    SessionSignup.objects.create(
        session=session, user=user, status=status, signed_up_at=timezone.now()
    )
    return user


@pytest.fixture
def worker(units):
    return make_worker(units["TD1S1C1"], real_name="张晓梅")


def refusal(call) -> str:
    with pytest.raises(ValidationError) as refused:
        call()
    return refused.value.code


def test_check_in_then_out_credits_the_hours_once(units, base, trainer, worker):
    course = make_course(make_sections(units)["TD1"], "调解实务")
    session = make_session(base, trainer, course=course)
    signed_up(session, worker)
    start = session.starts_at
    first = sessions.check_in(session, worker, at=start - timedelta(minutes=10))
    assert first.changed and first.attendance.checked_in_at == start - timedelta(minutes=10)
    again = sessions.check_in(session, worker, at=start + timedelta(minutes=3))
    assert not again.changed and again.attendance.checked_in_at == start - timedelta(minutes=10)

    out = sessions.check_out(session, worker, at=start + timedelta(minutes=90))
    assert out.changed and out.credited
    entry = HoursEntry.objects.get(user=worker)
    assert entry.source == f"attendance:{out.attendance.pk}"
    assert entry.hours == Decimal("3") and entry.category == HoursCategory.OFFLINE
    assert entry.course == course and entry.tier == course.tier and entry.note == session.title

    twice = sessions.check_out(session, worker, at=start + timedelta(minutes=95))
    assert not twice.changed and twice.credited
    assert twice.attendance.checked_out_at == start + timedelta(minutes=90)
    assert HoursEntry.objects.filter(user=worker).count() == 1
    assert sessions.settle_hours(out.attendance) and HoursEntry.objects.count() == 1


def test_minimum_presence_just_under_and_just_over(base, trainer, units):
    # 100 minutes at 0.8: 80 minutes needed, counted within the session's own time.
    session = make_session(base, trainer)
    start = session.starts_at
    under, over = (make_worker(units["TD1S1C1"], real_name=n) for n in ("差一点", "刚好够"))
    for person in (under, over):
        signed_up(session, person)
        # Arriving early counts from the start only.
        sessions.check_in(session, person, at=start - timedelta(minutes=20))
    short = sessions.check_out(
        session, under, at=start + timedelta(minutes=80) - timedelta(seconds=1)
    )
    enough = sessions.check_out(session, over, at=start + timedelta(minutes=80))
    assert short.changed and short.credited is False
    assert enough.credited is True
    assert not HoursEntry.objects.filter(user=under).exists()
    assert HoursEntry.objects.filter(user=over).count() == 1
    assert sessions.minimum_minutes(session) == 80


def test_refusals_change_nothing(base, trainer, units, worker):
    session = make_session(base, trainer)
    start = session.starts_at
    assert refusal(lambda: sessions.check_in(session, worker, at=start)) == "not_signed_up"
    waiting = signed_up(session, make_worker(units["TD1S1C2"]), SessionSignup.Status.WAITING)
    assert refusal(lambda: sessions.check_in(session, waiting, at=start)) == "waiting"
    gone = signed_up(session, make_worker(units["TD1S1C2"]), SessionSignup.Status.CANCELLED)
    assert refusal(lambda: sessions.check_in(session, gone, at=start)) == "not_signed_up"

    signed_up(session, worker)
    too_early = start - timedelta(minutes=31)
    too_late = session.ends_at + timedelta(minutes=31)
    assert refusal(lambda: sessions.check_in(session, worker, at=too_early)) == "outside_time"
    assert refusal(lambda: sessions.check_in(session, worker, at=too_late)) == "outside_time"
    assert refusal(lambda: sessions.check_out(session, worker, at=start)) == "not_checked_in"
    assert not Attendance.objects.exists()

    sessions.check_in(session, worker, at=start)
    session.status = TrainingSession.Status.CANCELLED
    session.save()
    assert refusal(lambda: sessions.check_out(session, worker, at=session.ends_at)) == "cancelled"
    assert Attendance.objects.get().checked_out_at is None and not HoursEntry.objects.exists()


def test_the_edges_of_the_check_window_are_open(base, trainer, worker):
    session = make_session(base, trainer)
    signed_up(session, worker)
    assert sessions.check_in(session, worker, at=session.starts_at - timedelta(minutes=30)).changed
    assert sessions.check_out(session, worker, at=session.ends_at + timedelta(minutes=30)).credited


def test_session_of_no_hours_credits_nothing(base, trainer, worker):
    session = make_session(base, trainer, hours=Decimal("0"))
    signed_up(session, worker)
    sessions.check_in(session, worker, at=session.starts_at)
    assert sessions.check_out(session, worker, at=session.ends_at).credited is False
    assert not HoursEntry.objects.exists()


# --- the pages ---------------------------------------------------------------------------


def token_of(url: str) -> str:
    return parse_qs(urlparse(url).query)["t"][0]


def test_qr_page_and_its_json_give_a_fresh_signed_link(client, base, trainer, worker):
    session = make_session(base, trainer)
    signed_up(session, worker)
    client.force_login(trainer)
    page = client.get(f"/en/training/sessions/{session.pk}/qr/").content.decode()
    assert 'id="qr-image" src="data:image/svg+xml' in page and "training/session-qr.js" in page
    data = client.get(f"/en/training/sessions/{session.pk}/qr/current/").json()
    assert data["url"].startswith("http://testserver/training/sessions/scan/?t=")
    assert checkin.read_token(token_of(data["url"])) == session.pk
    assert data["svg"].startswith("data:image/svg+xml") and 1 <= data["expires_in"] <= 30
    assert (data["confirmed"], data["checked_in"], data["checked_out"]) == (1, 0, 0)


def test_scan_needs_a_login_and_comes_back_to_the_same_address(client, base, trainer):
    session = make_session(base, trainer)
    url = f"/training/sessions/scan/?t={checkin.make_token(session.pk)}"
    response = client.get(url)
    assert response.status_code == 302
    location = response["Location"]
    assert "/accounts/login/" in location
    assert parse_qs(urlparse(location).query)["next"] == [url]


def test_worker_checks_in_and_out_through_the_scan_page(client, base, trainer, worker):
    session = make_session(base, trainer, min_presence_share=Decimal("0"))
    signed_up(session, worker)
    token = checkin.make_token(session.pk)
    client.force_login(worker)
    page = client.get(f"/en/training/sessions/scan/?t={token}").content.decode()
    assert 'id="scan-action">Check in<' in page and 'name="action" value="in"' in page
    done = client.post("/en/training/sessions/scan/", {"t": token, "action": "in"}, follow=True)
    assert "Checked in at" in done.content.decode()
    assert Attendance.objects.get(user=worker).checked_in_at is not None
    page = client.get(f"/en/training/sessions/scan/?t={token}").content.decode()
    assert 'id="scan-action">Check out<' in page
    again = client.post("/en/training/sessions/scan/", {"t": token, "action": "in"}, follow=True)
    assert "already checked in" in again.content.decode()
    out = client.post("/en/training/sessions/scan/", {"t": token, "action": "out"}, follow=True)
    text = out.content.decode()
    assert "3.0 learning hours have been credited" in text and 'id="hours-credited"' in text
    assert HoursEntry.objects.filter(user=worker).count() == 1


def test_too_short_a_stay_says_the_minimum_was_not_reached(client, base, trainer, worker):
    session = make_session(base, trainer)
    signed_up(session, worker)
    token = checkin.make_token(session.pk)
    client.force_login(worker)
    client.post("/en/training/sessions/scan/", {"t": token, "action": "in"})
    out = client.post("/en/training/sessions/scan/", {"t": token, "action": "out"}, follow=True)
    assert "the minimum time of 80 minutes was not reached" in out.content.decode()
    assert Attendance.objects.get().checked_out_at is not None
    assert not HoursEntry.objects.exists()


def test_bad_scans_get_a_clear_message_and_change_nothing(client, base, trainer, worker, units):
    session = make_session(base, trainer)
    signed_up(session, worker)
    client.force_login(worker)
    old = checkin.make_token(session.pk, checkin.window_of() - 2)
    for token, words in (
        (old, "has expired"),
        ("7.123:forged", "not valid"),
        (checkin.make_token(999_999), "not valid"),  # no such session
    ):
        page = client.get("/en/training/sessions/scan/", {"t": token})
        assert page.status_code == 400 and words in page.content.decode()
        posted = client.post("/en/training/sessions/scan/", {"t": token, "action": "in"})
        assert posted.status_code == 400 and words in posted.content.decode()
    out = client.post(
        "/en/training/sessions/scan/", {"t": checkin.make_token(session.pk), "action": "out"}
    )
    assert out.status_code == 400 and "not checked in" in out.content.decode()

    full = make_session(base, trainer, capacity=1)
    signed_up(full, make_worker(units["TD1S1C2"]))
    signed_up(full, worker, SessionSignup.Status.WAITING)
    page = client.get("/en/training/sessions/scan/", {"t": checkin.make_token(full.pk)})
    assert page.status_code == 400 and "waiting list" in page.content.decode()
    assert 'id="scan-action"' not in page.content.decode()
    posted = client.post(
        "/en/training/sessions/scan/", {"t": checkin.make_token(full.pk), "action": "in"}
    )
    assert posted.status_code == 400

    session.status = TrainingSession.Status.CANCELLED
    session.save()
    page = client.get("/en/training/sessions/scan/", {"t": checkin.make_token(session.pk)})
    assert page.status_code == 400 and "cancelled" in page.content.decode()
    assert not Attendance.objects.exists()


def test_scan_needs_post_with_csrf(base, trainer, worker):
    from django.test import Client

    session = make_session(base, trainer)
    signed_up(session, worker)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(worker)
    response = strict.post(
        "/en/training/sessions/scan/", {"t": checkin.make_token(session.pk), "action": "in"}
    )
    assert response.status_code == 403 and not Attendance.objects.exists()
