"""Pages for training bases and offline sessions: the registry of bases, sessions and their
sign-up, the trainer's rotating QR code, the worker's scan, hand corrections and the paper sheet.

Who may do what is decided in training/sessions.py; a refusal of a service comes back as a
message on the page, never a 500.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from people.phones import mask_phone
from people.scope import scope_of

from . import checkin, sessions, sign_in_sheets
from .certificates import qr_data_uri
from .models import Attendance, SessionSignup, TrainingBase, TrainingSession
from .session_forms import (
    AttendanceCorrectionForm,
    CancelSessionForm,
    PaperSheetForm,
    TrainingBaseForm,
    TrainingSessionForm,
)

MAX_UPLOAD = 10 * 1024 * 1024


# --------------------------------------------------------------------------- bases


@login_required
def base_list(request):
    """Bases in use, for everyone; an admin also sees the bases of their units not in use."""
    managed = sessions.managed_bases(request.user)
    bases = (sessions.bases_in_use() | managed).select_related("unit").distinct()
    context = {
        "bases": bases.order_by("unit__path", "name"),
        "managed_ids": set(managed.values_list("pk", flat=True)),
        "may_add": not scope_of(request.user).is_empty,
    }
    return render(request, "training/sessions/base_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def base_new(request):
    if scope_of(request.user).is_empty:
        raise PermissionDenied
    return _base_form(request, TrainingBase())


@login_required
@require_http_methods(["GET", "POST"])
def base_edit(request, pk):
    base = get_object_or_404(sessions.managed_bases(request.user), pk=pk)
    return _base_form(request, base)


def _base_form(request, base):
    form = TrainingBaseForm(request.POST or None, instance=base, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The base “%(name)s” has been saved.") % {"name": base.name})
        return redirect("base_list")
    status = 400 if form.errors else 200
    context = {"form": form, "base": base if base.pk else None}
    return render(request, "training/sessions/base_form.html", context, status=status)


# --------------------------------------------------------------------------- sessions


def _session(pk) -> TrainingSession:
    queryset = TrainingSession.objects.select_related("base", "base__unit", "trainer", "course")
    return get_object_or_404(queryset, pk=pk)


def _managed_session(request, pk) -> TrainingSession:
    session = _session(pk)
    if not sessions.may_manage_session(request.user, session):
        raise PermissionDenied
    return session


@login_required
def session_list(request):
    user = request.user
    mine = {
        s.session_id: s
        for s in SessionSignup.objects.filter(user=user).exclude(
            status=SessionSignup.Status.CANCELLED
        )
    }
    upcoming = list(sessions.upcoming())
    for session in upcoming:
        session.my_signup = mine.get(session.pk)
        session.places_left = max(0, session.capacity - session.confirmed)
    recent = timezone.now() - timedelta(days=30)
    my_signups = (
        SessionSignup.objects.filter(user=user, session__ends_at__gte=recent)
        .select_related("session", "session__base")
        .order_by("session__starts_at")
    )
    running = []
    if sessions.may_run_sessions(user) or user.sessions_taught.exists():
        running = sessions.with_counts(
            sessions.managed_sessions(user).filter(ends_at__gte=recent).order_by("starts_at")
        )
    context = {
        "upcoming": upcoming,
        "my_signups": my_signups,
        "running": running,
        "may_create": sessions.may_run_sessions(user),
    }
    return render(request, "training/sessions/session_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def session_new(request):
    if not sessions.may_run_sessions(request.user):
        raise PermissionDenied
    return _session_form(request, TrainingSession(created_by=request.user))


@login_required
@require_http_methods(["GET", "POST"])
def session_edit(request, pk):
    session = _managed_session(request, pk)
    if session.status == TrainingSession.Status.CANCELLED:
        messages.error(request, _("This session has been cancelled."))
        return redirect("session_detail", pk=session.pk)
    return _session_form(request, session)


def _session_form(request, session):
    form = TrainingSessionForm(request.POST or None, instance=session, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            promoted = sessions.save_session(form.instance)
        except ValidationError as problem:
            form.add_error(None, problem)
        else:
            if promoted:
                messages.info(
                    request,
                    _("%(n)s people moved up from the waiting list.") % {"n": len(promoted)},
                )
            messages.success(request, _("The session has been saved."))
            return redirect("session_detail", pk=form.instance.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "session": session if session.pk else None}
    return render(request, "training/sessions/session_form.html", context, status=status)


@login_required
def session_detail(request, pk):
    session = _session(pk)
    user = request.user
    signup = SessionSignup.objects.filter(session=session, user=user).first()
    counts = sessions.live_counts(session)
    now = timezone.now()
    attendance = Attendance.objects.filter(session=session, user=user).first()
    context = {
        "session": session,
        "signup": signup if signup and signup.status != SessionSignup.Status.CANCELLED else None,
        "attendance": attendance,
        "credited": attendance is not None and sessions.is_credited(attendance),
        "confirmed": counts["confirmed"],
        "places_left": max(0, session.capacity - counts["confirmed"]),
        "waiting": session.signups.filter(status=SessionSignup.Status.WAITING).count(),
        "open_for_signup": session.status == TrainingSession.Status.SCHEDULED
        and now < session.starts_at,
        "cancelled": session.status == TrainingSession.Status.CANCELLED,
        "reason": session.cancel_reason,
        "manages": sessions.may_manage_session(user, session),
        "minimum_minutes": sessions.minimum_minutes(session),
    }
    return render(request, "training/sessions/session_detail.html", context)


@login_required
@require_POST
def session_signup(request, pk):
    session = _session(pk)
    try:
        signup = sessions.sign_up(session, request.user)
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
    else:
        if signup.status == SessionSignup.Status.CONFIRMED:
            messages.success(request, _("You have a place in this session."))
        else:
            messages.info(
                request,
                _(
                    "The session is full: you are on the waiting list and will move up automatically when someone cancels."
                ),
            )
    return redirect("session_detail", pk=session.pk)


@login_required
@require_POST
def session_signup_cancel(request, pk):
    session = _session(pk)
    try:
        sessions.cancel_signup(session, request.user)
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
    else:
        messages.success(request, _("Your sign-up has been cancelled."))
    return redirect("session_detail", pk=session.pk)


@login_required
@require_http_methods(["GET", "POST"])
def session_cancel(request, pk):
    session = _managed_session(request, pk)
    form = CancelSessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sessions.cancel_session(session, request.user, form.cleaned_data["reason"])
        except ValidationError as problem:
            form.add_error("reason", problem)
        else:
            messages.success(request, _("The session has been cancelled."))
            return redirect("session_detail", pk=session.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "session": session}
    return render(request, "training/sessions/session_cancel.html", context, status=status)


# --------------------------------------------------------------------------- QR check-in


def scan_url(request, session: TrainingSession) -> str:
    """The absolute address a phone opens from the QR code (Chinese pages, no prefix)."""
    with translation.override(settings.LANGUAGE_CODE):
        path = reverse("session_scan")
    query = urlencode({"t": checkin.make_token(session.pk)})
    return request.build_absolute_uri(f"{path}?{query}")


def _qr_state(request, session) -> dict:
    url = scan_url(request, session)
    return {
        "svg": qr_data_uri(url),
        "url": url,
        "expires_in": checkin.seconds_left(),
        **sessions.live_counts(session),
    }


@login_required
def session_qr(request, pk):
    session = _managed_session(request, pk)
    context = {
        "session": session,
        "cancelled": session.status == TrainingSession.Status.CANCELLED,
        "window": checkin.window_seconds(),
    }
    if not context["cancelled"]:
        context["qr"] = _qr_state(request, session)
    return render(request, "training/sessions/session_qr.html", context)


@login_required
@never_cache
def session_qr_current(request, pk):
    session = _managed_session(request, pk)
    if session.status == TrainingSession.Status.CANCELLED:
        return JsonResponse({"cancelled": True}, status=409)
    return JsonResponse(_qr_state(request, session))


TOKEN_MESSAGES = {
    "forged": lambda: _("This check-in code is not valid. Scan the code on the trainer's screen."),
    "expired": lambda: (
        _(
            "This check-in code has expired: the code on the trainer's screen changes every %(n)s seconds. Scan it again."
        )
        % {"n": checkin.window_seconds()}
    ),
}


def _token_session(token: str) -> TrainingSession:
    """The session a genuine, fresh token names; TokenError otherwise."""
    session_id = checkin.read_token(token)
    session = TrainingSession.objects.select_related("base", "course").filter(pk=session_id).first()
    if session is None:
        raise checkin.TokenError("forged")
    return session


def _next_action(attendance: Attendance | None) -> str | None:
    if attendance is None or attendance.checked_in_at is None:
        return "in"
    if attendance.checked_out_at is None:
        return "out"
    return None


@login_required
@require_http_methods(["GET", "POST"])
def session_scan(request):
    """The page a phone opens from the QR code: one big button, then the result."""
    token = (request.POST if request.method == "POST" else request.GET).get("t", "")
    try:
        session = _token_session(token)
    except checkin.TokenError as error:
        context = {"error": TOKEN_MESSAGES[error.code]()}
        return render(request, "training/sessions/scan.html", context, status=400)

    if request.method == "POST":
        return _scan_act(request, session, request.POST.get("action"))

    attendance = Attendance.objects.filter(session=session, user=request.user).first()
    action = _next_action(attendance)
    problem = None
    if action is not None:
        try:
            sessions.check_may_attend(session, request.user, timezone.now())
        except ValidationError as refusal:
            problem = " ".join(refusal.messages)
    context = {
        "session": session,
        "token": token,
        "action": action if problem is None else None,
        "attendance": attendance,
        "error": problem,
    }
    return render(request, "training/sessions/scan.html", context, status=400 if problem else 200)


def _scan_act(request, session, action):
    try:
        if action == "out":
            outcome = sessions.check_out(session, request.user)
        else:
            outcome = sessions.check_in(session, request.user)
    except ValidationError as refusal:
        context = {"session": session, "error": " ".join(refusal.messages)}
        return render(request, "training/sessions/scan.html", context, status=400)
    level, text = _outcome_message(session, outcome)
    messages.add_message(request, level, text)
    return redirect("session_detail", pk=session.pk)


def _outcome_message(session, outcome) -> tuple[int, str]:
    attendance = outcome.attendance
    if outcome.action == "in":
        at = sessions.local_time(attendance.checked_in_at)
        if not outcome.changed:
            return messages.INFO, _("You had already checked in at %(time)s.") % {"time": at}
        return messages.SUCCESS, _(
            "Checked in at %(time)s. Scan the code again when you leave, to check out."
        ) % {"time": at}
    at = sessions.local_time(attendance.checked_out_at)
    if not outcome.changed:
        return messages.INFO, _("You had already checked out at %(time)s.") % {"time": at}
    if outcome.credited:
        return messages.SUCCESS, _(
            "Checked out at %(time)s. %(hours)s learning hours have been credited."
        ) % {"time": at, "hours": session.hours}
    if sessions.presence_enough(attendance):
        return messages.SUCCESS, _("Checked out at %(time)s.") % {"time": at}
    present = int(
        sessions.presence_seconds(session, attendance.checked_in_at, attendance.checked_out_at)
        // 60
    )
    return messages.WARNING, _(
        "Checked out at %(time)s. You were present for %(present)s minutes; the minimum time of %(needed)s minutes was not reached, so no learning hours were credited."
    ) % {"time": at, "present": present, "needed": sessions.minimum_minutes(session)}


# --------------------------------------------------------------------------- corrections


@login_required
@require_http_methods(["GET", "POST"])
def session_attendance(request, pk):
    session = _managed_session(request, pk)
    initial = {}
    chosen = request.GET.get("user")
    if chosen and chosen.isdigit():
        attendance = Attendance.objects.filter(session=session, user_id=int(chosen)).first()
        initial = {
            "user": int(chosen),
            "checked_in_at": attendance and _local_input(attendance.checked_in_at),
            "checked_out_at": attendance and _local_input(attendance.checked_out_at),
        }
    form = AttendanceCorrectionForm(request.POST or None, session=session, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _attendance, credited = sessions.correct_attendance(
                session,
                data["user"],
                data["checked_in_at"],
                data["checked_out_at"],
                data["reason"],
                request.user,
            )
        except ValidationError as problem:
            form.add_error(None, problem)
        else:
            name = data["user"].real_name
            if credited:
                text = _("The attendance of %(name)s has been corrected; the hours are credited.")
            else:
                text = _("The attendance of %(name)s has been corrected; no hours are credited.")
            messages.success(request, text % {"name": name})
            return redirect("session_attendance", pk=session.pk)
    rows = sessions.attendance_rows(session)
    for row in rows:
        row.phone = mask_phone(row.signup.user.phone)
    context = {
        "session": session,
        "rows": rows,
        "form": form,
        "counts": sessions.live_counts(session),
    }
    return render(
        request,
        "training/sessions/attendance.html",
        context,
        status=400 if form.errors else 200,
    )


def _local_input(moment):
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


# --------------------------------------------------------------------------- paper sheet


@login_required
@require_http_methods(["GET", "POST"])
def session_paper(request, pk):
    session = _managed_session(request, pk)
    form = PaperSheetForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(MAX_UPLOAD + 1)
        result = sign_in_sheets.import_sheet(session, data, upload.name, by=request.user)
        if result.ok:
            messages.success(
                request,
                _("%(n)s rows imported; hours credited to %(credited)s people.")
                % {"n": result.imported, "credited": result.credited},
            )
            return redirect("session_attendance", pk=session.pk)
        errors = [error.message for error in result.errors]
    context = {"session": session, "form": form, "errors": errors}
    status = 400 if errors or form.errors else 200
    return render(request, "training/sessions/paper.html", context, status=status)


@login_required
def session_paper_template(request, pk):
    session = _managed_session(request, pk)
    content = sign_in_sheets.template_workbook(session, request.user)
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="sign-in-{session.pk}.xlsx"'
    return response
