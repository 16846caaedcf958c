"""The worker's exam pages: rules and start, the paper, submit, result and review.

An attempt is visible only to its owner (404 for anyone else). Bad input never breaks a page:
missing or garbled answers count as unanswered, and every refusal of the engine comes back as
a message on a page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from . import exams
from .exams import ExamError
from .models import Exam, ExamAttempt


def _own_attempt(request, pk) -> ExamAttempt:
    return get_object_or_404(ExamAttempt.objects.select_related("exam"), pk=pk, user=request.user)


def _question_count(exam: Exam) -> int:
    if exam.mode == Exam.Mode.DRAWN:
        return sum(rule.count for rule in exam.draw_rules.all())
    return exam.questions.count()


def _clock(seconds: int) -> str:
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


@login_required
@require_http_methods(["GET", "POST"])
def exam_start(request, exam_id):
    exam = get_object_or_404(Exam, pk=exam_id)
    error = None
    if request.method == "POST":
        try:
            attempt = exams.start_attempt(request.user, exam)
        except ExamError as refusal:
            error = refusal.message
        else:
            return redirect("exam_attempt", pk=attempt.pk)
    now = timezone.now()
    try:
        exams.check_window(exam, now)
        window_error = None
    except ExamError as refusal:
        window_error = refusal.message
    standing = exams.standing(request.user, exam, now=now)
    may_start = window_error is None and (standing.live is not None or standing.left > 0)
    return render(
        request,
        "training/exam_start.html",
        {
            "exam": exam,
            "error": error,
            "window_error": window_error,
            "standing": standing,
            "may_start": may_start,
            "question_count": _question_count(exam),
        },
    )


@login_required
@require_http_methods(["GET"])
def exam_attempt(request, pk):
    attempt = _own_attempt(request, pk)
    if attempt.submitted_at is not None:
        return redirect("exam_review", pk=attempt.pk)
    now = timezone.now()
    expired = exams.is_expired(attempt, now=now)
    seconds = exams.seconds_left(attempt, now=now)
    return render(
        request,
        "training/exam_attempt.html",
        {
            "exam": attempt.exam,
            "attempt": attempt,
            "expired": expired,
            "items": [] if expired else exams.paper_items(attempt),
            "token": exams.token_of(attempt),
            "seconds_left": seconds,
            "clock": _clock(seconds),
        },
    )


def _answers_from(post, attempt: ExamAttempt) -> dict[str, list[int] | None]:
    """The ticked positions per question on the paper; a garbled value makes the question
    unanswered (None)."""
    answers: dict[str, list[int] | None] = {}
    for item in attempt.paper:
        qid = item.get("question") if isinstance(item, dict) else None
        if not isinstance(qid, int):
            continue
        values = post.getlist(f"q{qid}")
        if not values:
            continue
        try:
            answers[str(qid)] = [int(value) for value in values]
        except (TypeError, ValueError):
            answers[str(qid)] = None
    return answers


@login_required
@require_POST
def exam_submit(request, pk):
    attempt = _own_attempt(request, pk)
    try:
        exams.submit_attempt(
            attempt, _answers_from(request.POST, attempt), token=request.POST.get("token", "")
        )
    except ExamError as refusal:
        if refusal.code == "already_submitted":
            messages.info(request, refusal.message)
            return redirect("exam_review", pk=attempt.pk)
        messages.error(request, refusal.message)
        if refusal.code == "bad_token":
            return redirect("exam_attempt", pk=attempt.pk)
        return redirect("exam_start", exam_id=attempt.exam_id)
    return redirect("exam_review", pk=attempt.pk)


@login_required
@require_http_methods(["GET"])
def exam_review(request, pk):
    attempt = _own_attempt(request, pk)
    try:
        items = exams.review(attempt)
    except ExamError as refusal:
        messages.info(request, refusal.message)
        return redirect("exam_attempt", pk=attempt.pk)
    return render(
        request,
        "training/exam_review.html",
        {
            "exam": attempt.exam,
            "attempt": attempt,
            "items": items,
            "right_count": sum(1 for item in items if item.right),
            "standing": exams.standing(request.user, attempt.exam),
        },
    )
