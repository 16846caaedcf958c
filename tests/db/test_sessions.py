"""Training bases and sessions: the waiting list, cancelling, hand corrections and the pages'
permissions."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from people.models import AuditEvent, Role
from tests.factories import (
    data_events,
    give_role,
    make_admin,
    make_course,
    make_sections,
    make_training_base,
    make_training_session,
    make_tree,
    make_user,
    make_worker,
)
from training import sessions
from training.models import (
    Attendance,
    HoursCategory,
    HoursEntry,
    SessionSignup,
    TrainingBase,
    TrainingSession,
)

pytestmark = pytest.mark.django_db

CONFIRMED, WAITING, CANCELLED = (
    SessionSignup.Status.CONFIRMED,
    SessionSignup.Status.WAITING,
    SessionSignup.Status.CANCELLED,
)


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


def make_session(base, trainer, *, starts_in=timedelta(days=2), minutes=120, **extra):
    starts_at = timezone.now() + starts_in
    values = {"title": "矛盾纠纷调解实训", "capacity": 2, "hours": Decimal("3"), **extra}
    return make_training_session(
        base.unit, trainer, base=base, starts_at=starts_at, minutes=minutes, **values
    )


@pytest.fixture
def session(base, trainer):
    return make_session(base, trainer)


def workers(units, n):
    return [make_worker(units["TD1S1C1"], real_name=f"社工{i}") for i in range(n)]


def status_of(session, user):
    return SessionSignup.objects.get(session=session, user=user).status


# --- the waiting list --------------------------------------------------------------------


def test_places_then_waiting_list_in_order(units, session):
    a, b, c, d = workers(units, 4)
    now = timezone.now()
    results = [
        sessions.sign_up(session, person, now=now + timedelta(seconds=i)).status
        for i, person in enumerate((a, b, c, d))
    ]
    assert results == [CONFIRMED, CONFIRMED, WAITING, WAITING]
    assert sessions.places_left(session) == 0


def test_cancelling_moves_the_first_waiting_up(units, session):
    a, b, c, d = workers(units, 4)
    now = timezone.now()
    for i, person in enumerate((a, b, c, d)):
        sessions.sign_up(session, person, now=now + timedelta(seconds=i))
    cancelled = sessions.cancel_signup(session, a, now=now + timedelta(minutes=1))
    assert cancelled.status == CANCELLED and cancelled.cancelled_at is not None
    assert [status_of(session, p) for p in (a, b, c, d)] == [
        CANCELLED,
        CONFIRMED,
        CONFIRMED,
        WAITING,
    ]
    # Someone on the waiting list leaving promotes nobody and keeps the places as they are.
    sessions.cancel_signup(session, d, now=now + timedelta(minutes=2))
    assert SessionSignup.objects.filter(session=session, status=CONFIRMED).count() == 2


def test_signing_up_again_goes_to_the_back(units, session):
    a, b, c, d = workers(units, 4)
    now = timezone.now()
    for i, person in enumerate((a, b, c, d)):
        sessions.sign_up(session, person, now=now + timedelta(seconds=i))
    sessions.cancel_signup(session, c, now=now + timedelta(minutes=1))  # c leaves the queue
    again = sessions.sign_up(session, c, now=now + timedelta(minutes=2))  # … and rejoins it
    assert again.status == WAITING and again.cancelled_at is None
    sessions.cancel_signup(session, a, now=now + timedelta(minutes=3))
    # d waited longer than c's new sign-up, so d moves up.
    assert status_of(session, d) == CONFIRMED and status_of(session, c) == WAITING
    assert SessionSignup.objects.filter(session=session, user=c).count() == 1


def test_refusals(units, base, trainer, session):
    (a,) = workers(units, 1)
    sessions.sign_up(session, a)
    with pytest.raises(ValidationError) as second:
        sessions.sign_up(session, a)
    assert second.value.code == "already_signed_up"

    started = make_session(base, trainer, starts_in=-timedelta(minutes=5))
    with pytest.raises(ValidationError) as late:
        sessions.sign_up(started, a)
    assert late.value.code == "started"

    cancelled = make_session(base, trainer, status=TrainingSession.Status.CANCELLED)
    with pytest.raises(ValidationError) as off:
        sessions.sign_up(cancelled, a)
    assert off.value.code == "cancelled"

    other = make_session(base, trainer)
    with pytest.raises(ValidationError) as nothing:
        sessions.cancel_signup(other, a)
    assert nothing.value.code == "not_signed_up"
    assert not SessionSignup.objects.filter(session__in=[started, cancelled, other]).exists()


def test_more_places_promote_and_fewer_than_taken_are_refused(units, session):
    a, b, c, d = workers(units, 4)
    now = timezone.now()
    for i, person in enumerate((a, b, c, d)):
        sessions.sign_up(session, person, now=now + timedelta(seconds=i))
    session.capacity = 3
    promoted = sessions.save_session(session)
    assert [s.user for s in promoted] == [c] and status_of(session, d) == WAITING
    session.capacity = 2
    with pytest.raises(ValidationError):
        sessions.save_session(session)
    assert TrainingSession.objects.get(pk=session.pk).capacity == 3


def test_cancelled_session_keeps_its_reason(units, session, trainer):
    (a,) = workers(units, 1)
    sessions.sign_up(session, a)
    with pytest.raises(ValidationError):
        sessions.cancel_session(session, trainer, "  ")
    sessions.cancel_session(session, trainer, "场地停电")
    session.refresh_from_db()
    assert session.status == TrainingSession.Status.CANCELLED
    session.refresh_from_db()
    assert session.cancel_reason == "场地停电" and session.cancelled_at


# --- hand corrections --------------------------------------------------------------------


def test_manual_correction_credits_once_and_is_audited(units, base, trainer):
    course = make_course(make_sections(units)["TD1"], "调解实务")
    session = make_session(base, trainer, starts_in=-timedelta(hours=3), course=course)
    (a,) = workers(units, 1)
    SessionSignup.objects.create(
        session=session, user=a, status=CONFIRMED, signed_up_at=timezone.now()
    )
    with pytest.raises(ValidationError):
        sessions.correct_attendance(session, a, session.starts_at, session.ends_at, "", trainer)
    assert not Attendance.objects.exists() and not data_events().exists()

    _attendance, credited = sessions.correct_attendance(
        session, a, session.starts_at, session.ends_at, "扫码时手机没电", trainer
    )
    assert credited
    entry = HoursEntry.objects.get(user=a)
    assert entry.hours == Decimal("3") and entry.category == HoursCategory.OFFLINE
    assert entry.course == course and entry.tier == course.tier and entry.note == session.title
    assert entry.earned_on == timezone.localtime(session.starts_at).date()
    event = data_events().get()
    assert event.action == AuditEvent.Action.CORRECT and event.actor == trainer
    assert "扫码时手机没电" in event.what and "社工0" in event.what

    # Correcting again with enough time credits nothing more.
    sessions.correct_attendance(
        session, a, session.starts_at, session.ends_at - timedelta(minutes=1), "再次核对", trainer
    )
    assert HoursEntry.objects.filter(user=a).count() == 1

    # Too short after all: the hours are taken back by a correction entry, not deleted.
    _attendance, credited = sessions.correct_attendance(
        session,
        a,
        session.starts_at,
        session.starts_at + timedelta(minutes=30),
        "提前离开",
        trainer,
    )
    assert not credited
    assert sum(e.hours for e in HoursEntry.objects.filter(user=a)) == 0
    assert HoursEntry.objects.get(user=a, corrects=entry).note == "提前离开"
    assert data_events().count() == 3


def test_manual_correction_refuses_bad_times_and_strangers(units, base, trainer):
    session = make_session(base, trainer, starts_in=-timedelta(hours=3))
    a, stranger = workers(units, 2)
    SessionSignup.objects.create(
        session=session, user=a, status=CONFIRMED, signed_up_at=timezone.now()
    )
    with pytest.raises(ValidationError):  # out before in
        sessions.correct_attendance(session, a, session.ends_at, session.starts_at, "x", trainer)
    with pytest.raises(ValidationError):  # another day
        sessions.correct_attendance(
            session, a, session.starts_at - timedelta(days=1), None, "x", trainer
        )
    with pytest.raises(ValidationError):  # not signed up
        sessions.correct_attendance(
            session, stranger, session.starts_at, session.ends_at, "x", trainer
        )
    assert not Attendance.objects.exists() and not HoursEntry.objects.exists()


# --- bases -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "ok"),
    [
        ("13912345678", True),
        ("+86 139-1234-5678", True),
        ("0971-8123456", True),
        ("(010)12345678", True),
        ("0971 8123456转123", True),
        ("8123456", True),
        ("400-123-4567", True),
        ("12345", False),
        ("1391234567", False),
        ("电话待定", False),
    ],
)
def test_contact_phone_is_checked_loosely(phone, ok):
    from training.session_forms import contact_phone_ok

    assert contact_phone_ok(phone) is ok


def test_admin_adds_and_edits_bases_in_scope(client, units, base):
    admin = make_admin(units["TD1S1"])
    client.force_login(admin)
    form = {
        "unit": units["TD1S1C1"].pk,
        "name": "社区实训点",
        "address": "幸福路2号",
        "capacity": 20,
        "contact_name": "赵",
        "contact_phone": "13900001111",
        "active": "on",
    }
    response = client.post("/en/training/sessions/bases/new/", form)
    assert response.status_code == 302
    assert TrainingBase.objects.get(name="社区实训点").unit == units["TD1S1C1"]

    bad = client.post("/en/training/sessions/bases/new/", {**form, "contact_phone": "123"})
    assert bad.status_code == 400 and "area code" in bad.content.decode()
    outside = client.post("/en/training/sessions/bases/new/", {**form, "unit": units["TD2"].pk})
    assert outside.status_code == 400 and TrainingBase.objects.count() == 2

    edit = client.post(
        f"/en/training/sessions/bases/{base.pk}/edit/",
        {**form, "unit": units["TD1S1"].pk, "active": ""},
    )
    assert edit.status_code == 302
    base.refresh_from_db()
    assert base.name == "社区实训点" and not base.active

    foreign = TrainingBase.objects.create(
        unit=units["TD2S1"],
        name="外区基地",
        address="x",
        capacity=5,
        contact_name="x",
        contact_phone="13900002222",
    )
    assert client.get(f"/en/training/sessions/bases/{foreign.pk}/edit/").status_code == 404


def test_everyone_sees_bases_in_use_and_only_admins_add(client, units, base):
    TrainingBase.objects.create(
        unit=units["TD1S1"],
        name="停用基地",
        address="x",
        capacity=5,
        contact_name="x",
        contact_phone="8123456",
        active=False,
    )
    (worker,) = workers(units, 1)
    client.force_login(worker)
    page = client.get("/en/training/sessions/bases/").content.decode()
    assert "东关实训基地" in page and "停用基地" not in page
    assert client.get("/en/training/sessions/bases/new/").status_code == 403
    assert client.get(f"/en/training/sessions/bases/{base.pk}/edit/").status_code == 404
    client.force_login(make_admin(units["TD1S1"]))
    assert "停用基地" in client.get("/en/training/sessions/bases/").content.decode()


# --- session pages -----------------------------------------------------------------------


def session_form(base, trainer, **changes):
    start = timezone.localtime() + timedelta(days=3)
    return {
        "course": "",
        "title": "网格化管理实训",
        "trainer": trainer.pk,
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "base": base.pk,
        "place": "201室",
        "capacity": 25,
        "hours": "2",
        "min_presence_share": "0.8",
        **changes,
    }


def test_trainer_creates_a_session_within_the_base_capacity(client, base, trainer):
    client.force_login(trainer)
    too_many = client.post("/en/training/sessions/new/", session_form(base, trainer, capacity=31))
    assert too_many.status_code == 400 and "at most 30" in too_many.content.decode()
    backwards = session_form(base, trainer)
    backwards["ends_at"] = backwards["starts_at"]
    assert client.post("/en/training/sessions/new/", backwards).status_code == 400
    assert not TrainingSession.objects.exists()

    response = client.post("/en/training/sessions/new/", session_form(base, trainer))
    session = TrainingSession.objects.get()
    assert response["Location"].endswith(f"/training/sessions/{session.pk}/")
    assert session.trainer == trainer and session.created_by == trainer and session.capacity == 25


def test_title_comes_from_the_course_when_left_empty(client, units, base, trainer):
    course = make_course(make_sections(units)["TD1"], "社区议事协商")
    client.force_login(trainer)
    client.post(
        "/en/training/sessions/new/", session_form(base, trainer, title="", course=course.pk)
    )
    assert TrainingSession.objects.get().title == "社区议事协商"


def test_who_may_create_and_manage_sessions(client, units, base, trainer, session):
    (worker,) = workers(units, 1)
    client.force_login(worker)
    assert client.get("/en/training/sessions/new/").status_code == 403
    for suffix in (
        "edit/",
        "cancel/",
        "qr/",
        "qr/current/",
        "attendance/",
        "paper/",
        "paper/template.xlsx",
    ):
        assert client.get(f"/en/training/sessions/{session.pk}/{suffix}").status_code == 403, suffix
    assert client.get(f"/en/training/sessions/{session.pk}/").status_code == 200

    # A trainer cannot make someone else teach, nor use a base outside their scope.
    client.force_login(trainer)
    other_trainer = make_user("别的讲师")
    assert (
        client.post("/en/training/sessions/new/", session_form(base, other_trainer)).status_code
        == 400
    )
    foreign = TrainingBase.objects.create(
        unit=units["TD2S1"],
        name="外区基地",
        address="x",
        capacity=50,
        contact_name="x",
        contact_phone="8123456",
    )
    assert (
        client.post("/en/training/sessions/new/", session_form(foreign, trainer)).status_code == 400
    )

    # Admins of another district cannot touch the session; the base's street admin can.
    client.force_login(make_admin(units["TD2S1"]))
    assert client.get(f"/en/training/sessions/{session.pk}/qr/").status_code == 403
    street_admin = make_admin(units["TD1S1"])
    client.force_login(street_admin)
    assert client.get(f"/en/training/sessions/{session.pk}/attendance/").status_code == 200
    assert client.get(f"/en/training/sessions/{session.pk}/edit/").status_code == 200
    # The street admin may pick the district's trainer.
    response = client.post(
        "/en/training/sessions/new/", session_form(base, trainer, title="街道安排")
    )
    assert response.status_code == 302
    assert TrainingSession.objects.get(title="街道安排").trainer == trainer


def test_list_shows_places_left_and_the_waiting_list(client, units, base, trainer, session):
    a, b, c = workers(units, 3)
    for person in (a, b, c):
        sessions.sign_up(session, person)
    client.force_login(c)
    page = client.get("/en/training/sessions/").content.decode()
    assert "Full" in page and "1 on the waiting list" in page and "On the waiting list" in page
    roomy = make_session(base, trainer, title="第二期", capacity=5)
    sessions.sign_up(roomy, a)
    page = client.get("/en/training/sessions/").content.decode()
    assert "4 places left" in page


def test_sign_up_and_cancel_through_the_pages(client, units, session):
    a, b = workers(units, 2)
    session.capacity = 1
    session.save()
    client.force_login(a)
    client.post(f"/en/training/sessions/{session.pk}/signup/")
    client.force_login(b)
    response = client.post(f"/en/training/sessions/{session.pk}/signup/", follow=True)
    assert "waiting list" in response.content.decode()
    again = client.post(f"/en/training/sessions/{session.pk}/signup/", follow=True)
    assert "already signed up" in again.content.decode()
    client.force_login(a)
    client.post(f"/en/training/sessions/{session.pk}/signup/cancel/")
    assert status_of(session, b) == CONFIRMED
    client.force_login(b)
    page = client.get(f"/en/training/sessions/{session.pk}/").content.decode()
    assert 'id="signup-status">Place confirmed<' in page


def test_cancelling_a_session_shows_the_reason_to_those_signed_up(client, units, trainer, session):
    (a,) = workers(units, 1)
    sessions.sign_up(session, a)
    client.force_login(trainer)
    empty = client.post(f"/en/training/sessions/{session.pk}/cancel/", {"reason": ""})
    assert empty.status_code == 400
    client.post(f"/en/training/sessions/{session.pk}/cancel/", {"reason": "讲师临时出差"})
    client.force_login(a)
    listing = client.get("/en/training/sessions/").content.decode()
    assert "Cancelled by the organisers" in listing
    page = client.get(f"/en/training/sessions/{session.pk}/").content.decode()
    assert "This session has been cancelled." in page and "讲师临时出差" in page
    assert 'id="sign-up"' not in page


def test_attendance_page_corrects_with_a_reason(client, units, base, trainer):
    session = make_session(base, trainer, starts_in=-timedelta(hours=3))
    (a,) = workers(units, 1)
    SessionSignup.objects.create(
        session=session, user=a, status=CONFIRMED, signed_up_at=timezone.now()
    )
    client.force_login(trainer)
    start = timezone.localtime(session.starts_at).strftime("%Y-%m-%dT%H:%M")
    end = timezone.localtime(session.ends_at).strftime("%Y-%m-%dT%H:%M")
    url = f"/en/training/sessions/{session.pk}/attendance/"
    missing = client.post(
        url, {"user": a.pk, "checked_in_at": start, "checked_out_at": end, "reason": ""}
    )
    assert missing.status_code == 400 and not Attendance.objects.exists()
    done = client.post(
        url,
        {"user": a.pk, "checked_in_at": start, "checked_out_at": end, "reason": "手工补录"},
        follow=True,
    )
    text = done.content.decode()
    assert "the hours are credited" in text and "Credited" in text
    assert Attendance.objects.get().source == Attendance.Source.MANUAL
    assert HoursEntry.objects.get(user=a).source == f"attendance:{Attendance.objects.get().pk}"
    with translation.override("en"):
        assert "139****" in text  # mobile numbers masked in the list
