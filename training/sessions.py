"""Offline sessions at training bases: who manages what, sign-up with a waiting list, check-in
and check-out, hand corrections and the hours a session earns.

Sign-ups and cancellations lock the session row (select_for_update), so two people can never
take the last place and a freed place goes to exactly one person on the waiting list.
Refusals are ValidationErrors with a code and a message for the person.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from people.audit import record
from people.models import AuditEvent, OrgUnit, Role, User
from people.scope import Scope, scope_of

from . import hours, hours_rules
from .models import (
    Attendance,
    HoursCategory,
    HoursEntry,
    SessionSignup,
    TrainingBase,
    TrainingSession,
)

# Check-in opens this long before the start and check-out closes this long after the end.
CHECK_MARGIN = timedelta(minutes=30)
MAX_REASON = 200
# Until the session model has a field for it, a cancellation's reason is kept in the audit log.
CANCELLED_WHAT = "Cancelled session #%(pk)s: "

Signup = SessionSignup.Status


# ---------------------------------------------------------------------------------------
# Who manages what
# ---------------------------------------------------------------------------------------


def bases_in_use() -> QuerySet[TrainingBase]:
    return TrainingBase.objects.filter(active=True).select_related("unit")


def managed_bases(user) -> QuerySet[TrainingBase]:
    """Bases of units in the user's admin scope, in use or not."""
    return scope_of(user).filter(TrainingBase.objects.select_related("unit"), via="unit")


def may_run_sessions(user) -> bool:
    """Admins and trainers create sessions."""
    return not (scope_of(user).is_empty and scope_of(user, kind=Role.Kind.TRAINER).is_empty)


def bases_for_sessions(user) -> QuerySet[TrainingBase]:
    """Bases in use where the user may hold a session: in their admin or trainer scope."""
    in_use = bases_in_use()
    admin = scope_of(user).filter(in_use, via="unit")
    trainer = scope_of(user, kind=Role.Kind.TRAINER).filter(in_use, via="unit")
    return (admin | trainer).order_by("unit__path", "name")


def trainer_choices(user, current=None) -> QuerySet[User]:
    """Who may teach a session the user sets up: themselves; an admin may also pick the
    trainers of units in their scope and of the units above it (a city trainer teaches
    everywhere)."""
    scope = scope_of(user)
    condition = Q(pk=user.pk)
    if current is not None:
        condition |= Q(pk=current.pk)
    if not scope.is_empty:
        trainers = Role.objects.filter(kind=Role.Kind.TRAINER)
        if not scope.everything:
            above = {
                p[:n] for p in scope.paths for n in range(OrgUnit.steplen, len(p), OrgUnit.steplen)
            }
            trainers = scope.filter(trainers, via="unit") | trainers.filter(unit__path__in=above)
        condition |= Q(pk__in=trainers.values("user_id"))
    return User.objects.filter(condition).order_by("real_name", "pk")


def may_manage_session(user, session: TrainingSession) -> bool:
    """The session's trainer and the admins of its base's unit."""
    if not user.is_authenticated:
        return False
    return user.pk == session.trainer_id or scope_of(user).contains(session.base.unit)


def managed_sessions(user) -> QuerySet[TrainingSession]:
    scope = scope_of(user)
    condition = Q(trainer=user)
    if not scope.is_empty:
        in_scope = scope.filter(TrainingSession.objects.all(), via="base__unit")
        condition |= Q(pk__in=in_scope.values("pk"))
    return TrainingSession.objects.filter(condition)


def with_counts(queryset: QuerySet[TrainingSession]) -> QuerySet[TrainingSession]:
    """Each session with `confirmed` and `waiting`: places taken and the waiting list's length."""
    return queryset.select_related("base", "base__unit", "trainer", "course").annotate(
        confirmed=Count("signups", filter=Q(signups__status=Signup.CONFIRMED), distinct=True),
        waiting=Count("signups", filter=Q(signups__status=Signup.WAITING), distinct=True),
    )


def upcoming(now: datetime | None = None) -> QuerySet[TrainingSession]:
    """Sessions not started yet that people can still sign up for."""
    now = now or timezone.now()
    return with_counts(
        TrainingSession.objects.filter(
            status=TrainingSession.Status.SCHEDULED, starts_at__gt=now
        ).order_by("starts_at", "pk")
    )


def places_left(session: TrainingSession) -> int:
    confirmed = session.signups.filter(status=Signup.CONFIRMED).count()
    return max(0, session.capacity - confirmed)


# ---------------------------------------------------------------------------------------
# Sign-up and the waiting list
# ---------------------------------------------------------------------------------------


def _refuse(message: str, code: str):
    raise ValidationError(message, code=code)


def _locked(session: TrainingSession) -> TrainingSession:
    return TrainingSession.objects.select_for_update().get(pk=session.pk)


def _check_open_for_signup(session: TrainingSession, now: datetime) -> None:
    if session.status == TrainingSession.Status.CANCELLED:
        _refuse(_("This session has been cancelled."), "cancelled")
    if now >= session.starts_at:
        _refuse(_("This session has already started."), "started")


def sign_up(session: TrainingSession, user, *, now: datetime | None = None) -> SessionSignup:
    """A place while places are left, else the end of the waiting list."""
    now = now or timezone.now()
    with transaction.atomic():
        session = _locked(session)
        _check_open_for_signup(session, now)
        signup = SessionSignup.objects.filter(session=session, user=user).first()
        if signup is not None and signup.status != Signup.CANCELLED:
            _refuse(_("You have already signed up for this session."), "already_signed_up")
        confirmed = session.signups.filter(status=Signup.CONFIRMED).count()
        status = Signup.CONFIRMED if confirmed < session.capacity else Signup.WAITING
        if signup is None:
            signup = SessionSignup(session=session, user=user)
        # Signing up again after cancelling goes to the back of the queue.
        signup.status, signup.signed_up_at, signup.cancelled_at = status, now, None
        signup.save()
        return signup


def cancel_signup(session: TrainingSession, user, *, now: datetime | None = None) -> SessionSignup:
    """Give up a place (or a spot on the waiting list); the first one waiting moves up."""
    now = now or timezone.now()
    with transaction.atomic():
        session = _locked(session)
        signup = SessionSignup.objects.filter(session=session, user=user).first()
        if signup is None or signup.status == Signup.CANCELLED:
            _refuse(_("You are not signed up for this session."), "not_signed_up")
        _check_open_for_signup(session, now)
        signup.status, signup.cancelled_at = Signup.CANCELLED, now
        signup.save(update_fields=["status", "cancelled_at"])
        promote_waiting(session)
        return signup


def promote_waiting(session: TrainingSession) -> list[SessionSignup]:
    """Fill free places from the waiting list, first come first served. Call it with the
    session row locked (inside sign-up, cancellation or an edit that adds places)."""
    free = session.capacity - session.signups.filter(status=Signup.CONFIRMED).count()
    if free <= 0:
        return []
    promoted = list(
        session.signups.filter(status=Signup.WAITING).order_by("signed_up_at", "pk")[:free]
    )
    for signup in promoted:
        signup.status = Signup.CONFIRMED
        signup.save(update_fields=["status"])
    return promoted


def save_session(session: TrainingSession) -> list[SessionSignup]:
    """Store an edited session; new places go to the waiting list. Refuses fewer places than
    people already confirmed."""
    with transaction.atomic():
        if session.pk:
            # The form's copy was read before the lock: a cancellation since then must stand,
            # not be saved over.
            if _locked(session).status == TrainingSession.Status.CANCELLED:
                _refuse(_("This session has been cancelled."), "cancelled")
            confirmed = session.signups.filter(status=Signup.CONFIRMED).count()
            if session.capacity < confirmed:
                raise ValidationError(
                    {
                        "capacity": _("%(n)s people already hold a place; keep at least that many.")
                        % {"n": confirmed}
                    }
                )
        session.save()
        return promote_waiting(session)


def cancel_session(session: TrainingSession, by, reason: str) -> TrainingSession:
    """Cancel with a reason people see on the session's page; nobody can check in."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for cancelling."), code="no_reason")
    with transaction.atomic():
        session = _locked(session)
        if session.status == TrainingSession.Status.CANCELLED:
            _refuse(_("This session has been cancelled."), "cancelled")
        session.status = TrainingSession.Status.CANCELLED
        session.cancelled_at = timezone.now()
        session.cancel_reason = reason[:MAX_REASON]
        session.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        record(
            by,
            AuditEvent.Action.CORRECT,
            (CANCELLED_WHAT % {"pk": session.pk}) + reason[:MAX_REASON],
            scope=Scope(paths=(session.base.unit.path,)),
            count=session.signups.exclude(status=Signup.CANCELLED).count(),
        )
    return session


# ---------------------------------------------------------------------------------------
# Check-in, check-out and hours
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a scan did: `action` "in" or "out"; `changed` False for a repeated scan; on a
    check-out, `credited` says whether the session's hours were earned."""

    action: str
    changed: bool
    attendance: Attendance
    credited: bool | None = None


def check_window(session: TrainingSession) -> tuple[datetime, datetime]:
    return session.starts_at - CHECK_MARGIN, session.ends_at + CHECK_MARGIN


def local_time(moment: datetime | None) -> str:
    return date_format(timezone.localtime(moment), "H:i") if moment else ""


def check_may_attend(session: TrainingSession, user, at: datetime) -> None:
    if session.status == TrainingSession.Status.CANCELLED:
        _refuse(_("This session has been cancelled; nobody can check in."), "cancelled")
    signup = SessionSignup.objects.filter(session=session, user=user).first()
    if signup is None or signup.status == Signup.CANCELLED:
        _refuse(
            _(
                "You are not signed up for this session. Only people with a confirmed place can check in."
            ),
            "not_signed_up",
        )
    if signup.status == Signup.WAITING:
        _refuse(
            _(
                "The session is full and you are on its waiting list. Only people with a confirmed place can check in."
            ),
            "waiting",
        )
    opens, closes = check_window(session)
    if not opens <= at <= closes:
        _refuse(
            _("Checking in and out is possible from %(opens)s to %(closes)s on the session's day.")
            % {"opens": local_time(opens), "closes": local_time(closes)},
            "outside_time",
        )


def _lock_signup(session: TrainingSession, user) -> None:
    # Two taps of the button at once must not both pass the checks below.
    list(SessionSignup.objects.select_for_update().filter(session=session, user=user))


def check_in(session: TrainingSession, user, *, at: datetime | None = None) -> Outcome:
    at = at or timezone.now()
    with transaction.atomic():
        _lock_signup(session, user)
        check_may_attend(session, user, at)
        attendance = Attendance.objects.filter(session=session, user=user).first()
        if attendance is not None and attendance.checked_in_at is not None:
            return Outcome("in", False, attendance)
        if attendance is None:
            attendance = Attendance(session=session, user=user, source=Attendance.Source.QR)
        attendance.checked_in_at = at
        attendance.save()
        return Outcome("in", True, attendance)


def check_out(session: TrainingSession, user, *, at: datetime | None = None) -> Outcome:
    at = at or timezone.now()
    with transaction.atomic():
        _lock_signup(session, user)
        check_may_attend(session, user, at)
        attendance = Attendance.objects.filter(session=session, user=user).first()
        if attendance is None or attendance.checked_in_at is None:
            _refuse(
                _("You have not checked in to this session, so you cannot check out."),
                "not_checked_in",
            )
        if attendance.checked_out_at is not None:
            return Outcome("out", False, attendance, credited=is_credited(attendance))
        attendance.checked_out_at = max(at, attendance.checked_in_at)
        attendance.save(update_fields=["checked_out_at"])
        return Outcome("out", True, attendance, credited=settle_hours(attendance))


def presence_seconds(session: TrainingSession, checked_in_at, checked_out_at) -> float:
    """Time present during the session itself: arriving early or staying late adds nothing."""
    if checked_in_at is None or checked_out_at is None:
        return 0.0
    start = max(checked_in_at, session.starts_at)
    end = min(checked_out_at, session.ends_at)
    return max(0.0, (end - start).total_seconds())


def presence_enough(attendance: Attendance) -> bool:
    session = attendance.session
    return hours_rules.presence_enough(
        presence_seconds(session, attendance.checked_in_at, attendance.checked_out_at),
        (session.ends_at - session.starts_at).total_seconds(),
        session.min_presence_share,
    )


def minimum_minutes(session: TrainingSession) -> int:
    """The minutes present a session asks for, rounded up, to tell people."""
    seconds = (session.ends_at - session.starts_at).total_seconds()
    return math.ceil(Decimal(str(seconds)) * session.min_presence_share / 60)


def source_of(attendance: Attendance) -> str:
    return f"attendance:{attendance.pk}"


def _net_hours(entry: HoursEntry) -> Decimal:
    return entry.hours + sum((c.hours for c in entry.corrections.all()), Decimal(0))


def is_credited(attendance: Attendance) -> bool:
    entry = HoursEntry.objects.filter(source=source_of(attendance)).first()
    return entry is not None and _net_hours(entry) > 0


def settle_hours(attendance: Attendance, *, by=None, reason: str = "") -> bool:
    """Make the ledger agree with the attendance: credit the session's hours once (by source)
    when the time present is enough; after a hand correction that makes it too short, take
    them back with a correction entry. Returns whether the hours stand credited."""
    session = attendance.session
    enough = presence_enough(attendance)
    entry = HoursEntry.objects.filter(source=source_of(attendance)).first()
    if entry is None:
        if not enough or session.hours <= 0:
            return False
        hours.credit(
            attendance.user,
            session.hours,
            timezone.localtime(session.starts_at).date(),
            HoursCategory.OFFLINE,
            source=source_of(attendance),
            tier=session.course.tier if session.course else "",
            course=session.course,
            note=session.title,
            by=by,
        )
        return True
    net = _net_hours(entry)
    reason = reason or _("Attendance corrected")
    if enough and net <= 0 and session.hours > 0:
        hours.correct(entry, session.hours - net, reason, by)
    elif not enough and net > 0:
        hours.correct(entry, -net, reason, by)
    return enough and session.hours > 0


def correct_attendance(
    session: TrainingSession, user, checked_in_at, checked_out_at, reason: str, by
) -> tuple[Attendance, bool]:
    """Set a signed-up person's times by hand, with a reason, audited; hours follow."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the correction.")})
    problem = attendance_times_problem(session, checked_in_at, checked_out_at)
    if problem:
        raise ValidationError({problem[0]: problem[1]})
    with transaction.atomic():
        _lock_signup(session, user)
        if not is_signed_up(session, user):
            raise ValidationError(_("This person has not signed up for the session."))
        attendance = _store_times(
            session, user, checked_in_at, checked_out_at, Attendance.Source.MANUAL, reason
        )
        credited = settle_hours(attendance, by=by, reason=reason)
        record(
            by,
            AuditEvent.Action.CORRECT,
            _("Attendance at “%(session)s” of %(name)s: in %(in)s, out %(out)s. %(reason)s")
            % {
                "session": session.title,
                "name": user.real_name or user.username,
                "in": local_time(checked_in_at) or "-",
                "out": local_time(checked_out_at) or "-",
                "reason": reason[:MAX_REASON],
            },
            scope=Scope(paths=(session.base.unit.path,)),
            count=1,
        )
    return attendance, credited


def attendance_times_problem(session, checked_in_at, checked_out_at) -> tuple[str, str] | None:
    """(field, message) when hand-entered times cannot be right, else None."""
    if checked_out_at is not None and checked_in_at is None:
        return "checked_out_at", _("A check-out needs a check-in time.")
    if checked_in_at and checked_out_at and checked_out_at < checked_in_at:
        return "checked_out_at", _("The check-out time is before the check-in time.")
    days = session_days(session)
    for field, moment in (("checked_in_at", checked_in_at), ("checked_out_at", checked_out_at)):
        if moment is not None and timezone.localtime(moment).date() not in days:
            return field, _("The time is not on the day of the session.")
    return None


def session_days(session: TrainingSession) -> set:
    first = timezone.localtime(session.starts_at).date()
    last = timezone.localtime(session.ends_at).date()
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}


def is_signed_up(session: TrainingSession, user) -> bool:
    """Signed up and not cancelled: a place or the waiting list (who came anyway)."""
    return SessionSignup.objects.filter(
        session=session, user=user, status__in=(Signup.CONFIRMED, Signup.WAITING)
    ).exists()


def _store_times(session, user, checked_in_at, checked_out_at, source, note) -> Attendance:
    attendance, _created = Attendance.objects.get_or_create(session=session, user=user)
    attendance.checked_in_at = checked_in_at
    attendance.checked_out_at = checked_out_at
    attendance.source = source
    attendance.note = (note or "")[:200]
    attendance.save()
    return attendance


def store_times(session, user, checked_in_at, checked_out_at, source, note="") -> Attendance:
    """For imports that have checked the times already (the paper sign-in sheet)."""
    return _store_times(session, user, checked_in_at, checked_out_at, source, note)


@dataclass
class AttendanceRow:
    signup: SessionSignup
    attendance: Attendance | None
    credited: bool


def attendance_rows(session: TrainingSession) -> list[AttendanceRow]:
    """Everyone signed up (places first, then the waiting list), with their times and credit."""
    signups = list(
        session.signups.exclude(status=Signup.CANCELLED)
        .select_related("user")
        .order_by("status", "signed_up_at", "pk")
    )
    attendances = {a.user_id: a for a in session.attendances.all()}
    sources = {source_of(a): a.user_id for a in attendances.values()}
    credited_users = set()
    entries = HoursEntry.objects.filter(source__in=sources).prefetch_related("corrections")
    for entry in entries:
        if _net_hours(entry) > 0:
            credited_users.add(sources[entry.source])
    return [
        AttendanceRow(s, attendances.get(s.user_id), s.user_id in credited_users) for s in signups
    ]


def live_counts(session: TrainingSession) -> dict[str, int]:
    rows = session.attendances.aggregate(
        checked_in=Count("pk", filter=Q(checked_in_at__isnull=False)),
        checked_out=Count("pk", filter=Q(checked_out_at__isnull=False)),
    )
    rows["confirmed"] = session.signups.filter(status=Signup.CONFIRMED).count()
    return rows
