"""Progress: lessons done, videos honestly watched, courses completed, hours credited.

Every page-facing function here runs a fixed number of queries, whatever the number of
lessons, enrolments or workers.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone

from people.models import WorkerProfile

from . import course_certificates, hours, plans, rules
from .models import (
    CoursePage,
    Enrolment,
    ExamAttempt,
    HoursCategory,
    HoursEntry,
    LessonPage,
    LessonProgress,
)


def _exam_passed(user, course: CoursePage) -> bool | None:
    if course.exam_id is None:
        return None
    return ExamAttempt.objects.filter(exam_id=course.exam_id, user=user, passed=True).exists()


def course_outline(course: CoursePage, user) -> dict:
    """Lessons with the user's progress, the enrolment, the exam state: three queries."""
    if not user.is_authenticated:
        return {
            "lessons": [{"page": lesson, "done": False} for lesson in course.lessons()],
            "enrolment": None,
        }
    completed = LessonProgress.objects.filter(
        user=user, lesson=OuterRef("pk"), completed_at__isnull=False
    )
    lessons = list(course.lessons().annotate(completed_by_user=Exists(completed)))
    done = {lesson.pk for lesson in lessons if lesson.completed_by_user}
    enrolment = Enrolment.objects.filter(user=user, course=course).first()
    exam_passed = _exam_passed(user, course)
    required = [lesson for lesson in lessons if lesson.required]
    steps_done = sum(1 for lesson in required if lesson.pk in done) + bool(exam_passed)
    return {
        "lessons": [{"page": lesson, "done": lesson.pk in done} for lesson in lessons],
        "enrolment": enrolment,
        "exam_passed": exam_passed,
        # A final exam is one more step: lessons alone never show 100 %.
        "percent": _percent(steps_done, len(required) + (exam_passed is not None)),
        "next_lesson": next((lesson for lesson in lessons if lesson.pk not in done), None),
    }


REOPEN_UNRECORDED = timedelta(minutes=5)


def lesson_state(lesson: LessonPage, user, *, now=None) -> dict:
    """The user's progress on a lesson they are opening.

    Opening starts the clock for the video rule (the first report can claim no more than
    the time since) and makes this the lesson "continue" returns to. Reopening a lesson within
    REOPEN_UNRECORDED of the last time writes nothing: a write per view was most of the page's
    time, and "continue" still leads to a lesson opened minutes ago.
    """
    if not user.is_authenticated:
        return {"progress": None}
    now = now or timezone.now()
    progress, created = LessonProgress.objects.get_or_create(
        user=user, lesson=lesson, defaults={"last_report_at": now}
    )
    if not created and progress.updated_at < now - REOPEN_UNRECORDED:
        LessonProgress.objects.filter(pk=progress.pk).update(updated_at=now)
    return {"progress": progress, "video_seconds": lesson.video_seconds}


def _percent(done: int, total: int) -> int:
    return 100 if total == 0 else round(100 * done / total)


@transaction.atomic
def enrol(user, course: CoursePage) -> Enrolment:
    """Self-enrolment in an elective (or a no-op when already enrolled)."""
    enrolment, _created = Enrolment.objects.get_or_create(
        user=user, course=course, defaults={"source": Enrolment.Source.SELF}
    )
    return enrolment


def _progress_for_update(user, lesson: LessonPage) -> LessonProgress:
    LessonProgress.objects.get_or_create(user=user, lesson=lesson)
    return LessonProgress.objects.select_for_update().get(user=user, lesson=lesson)


@transaction.atomic
def report_video(
    user, lesson: LessonPage, intervals, position: float, *, now=None
) -> LessonProgress:
    """Record stretches the player says it played; completes the lesson at 90 % watched."""
    now = now or timezone.now()
    duration = lesson.video_seconds
    progress = _progress_for_update(user, lesson)
    if duration:
        since = (now - progress.last_report_at).total_seconds() if progress.last_report_at else None
        known = [tuple(i) for i in progress.watched]
        accepted = rules.accept_report(
            known, intervals, duration=duration, seconds_since_last_report=since
        )
        if accepted != rules.merge_intervals(known) or not intervals:
            # A refused report moves nothing, not even where the video resumes.
            progress.position = max(0.0, min(float(position), float(duration)))
        progress.watched = [list(i) for i in accepted]
    progress.last_report_at = now
    progress.save()
    if (
        duration
        and progress.completed_at is None
        and rules.video_watched(progress.watched, duration)
    ):
        _complete(progress, now)
    return progress


@transaction.atomic
def complete_lesson(user, lesson: LessonPage, *, now=None) -> bool:
    """Mark a lesson read. A lesson with a video completes only by watching it."""
    if lesson.video_seconds:
        return False
    progress = _progress_for_update(user, lesson)
    if progress.completed_at is None:
        _complete(progress, now or timezone.now())
    return True


def _complete(progress: LessonProgress, now) -> None:
    progress.completed_at = now
    progress.save(update_fields=["completed_at", "updated_at"])
    course = CoursePage.objects.get(pk=progress.lesson.get_parent().pk)
    Enrolment.objects.get_or_create(
        user=progress.user, course=course, defaults={"source": Enrolment.Source.SELF}
    )
    refresh_completion(progress.user, course, now=now)


def refresh_completion(user, course: CoursePage, *, now=None) -> bool:
    """Complete the enrolment and credit the hours once the rules say the course is done."""
    enrolment = Enrolment.objects.select_for_update().filter(user=user, course=course).first()
    if enrolment is None or enrolment.completed_at is not None:
        return bool(enrolment and enrolment.completed_at)
    required = set(
        LessonPage.objects.live()
        .child_of(course)
        .filter(required=True)
        .values_list("pk", flat=True)
    )
    done = set(
        LessonProgress.objects.filter(
            user=user, lesson_id__in=required, completed_at__isnull=False
        ).values_list("lesson_id", flat=True)
    )
    if not rules.course_complete(required, done, _exam_passed(user, course)):
        return False
    now = now or timezone.now()
    enrolment.completed_at = now
    enrolment.save(update_fields=["completed_at"])
    HoursEntry.objects.get_or_create(
        enrolment=enrolment,
        defaults={
            "user": user,
            "hours": course.hours,
            "earned_on": timezone.localdate(now),
            "course": course,
            "category": HoursCategory.ONLINE,
            "tier": course.tier,
            "source": f"enrolment:{enrolment.pk}",
            "note": course.title[:200],
        },
    )
    course_certificates.certify_completion(enrolment)
    return True


@transaction.atomic
def exam_passed(user, exam) -> None:
    """Called by the exam engine after a pass: courses ending in this exam may now be complete."""
    for course in CoursePage.objects.filter(exam=exam):
        if Enrolment.objects.filter(user=user, course=course).exists():
            refresh_completion(user, course)


def hours_in_year(user, year: int) -> Decimal:
    total = HoursEntry.objects.filter(user=user, earned_on__year=year).aggregate(
        total=Sum("hours")
    )["total"]
    return total or Decimal("0")


def learner_enrolments(user) -> list[Enrolment]:
    """All of the user's enrolments with their courses, each with `exam_passed`: one query."""
    passed = ExamAttempt.objects.filter(user=user, passed=True, exam_id=OuterRef("course__exam_id"))
    return list(
        Enrolment.objects.filter(user=user)
        .select_related("course")
        .annotate(exam_passed=Exists(passed))
        .order_by("completed_at")
    )


def my_learning(
    user, *, today: date | None = None, enrolments=None, hours_by_category=None
) -> dict:
    """我的学习 in a fixed number of queries: what is due, progress per course, hours, continue.

    `enrolments` (learner_enrolments) and `hours_by_category` (this year's, hours'
    totals_by_category) save their queries when the caller has them.
    """
    today = today or timezone.localdate()
    if enrolments is None:
        enrolments = learner_enrolments(user)
    enrolments = [e for e in enrolments if e.course.live]
    courses = [e.course for e in enrolments]
    lesson_filter = Q(pk__in=[])
    for course in courses:
        lesson_filter |= Q(path__startswith=course.path, depth=course.depth + 1)
    completed = LessonProgress.objects.filter(
        user=user, lesson=OuterRef("pk"), completed_at__isnull=False
    )
    lessons = (
        list(
            LessonPage.objects.live()
            .filter(lesson_filter)
            .annotate(done=Exists(completed))
            .values("pk", "path", "required", "done")
        )
        if courses
        else []
    )
    done = {lesson["pk"] for lesson in lessons if lesson["done"]}
    rows = []
    for enrolment in enrolments:
        course = enrolment.course
        required = [
            lesson
            for lesson in lessons
            if lesson["required"] and lesson["path"].startswith(course.path)
        ]
        # As on the course page, a final exam counts as one more step.
        steps = len(required) + bool(course.exam_id)
        steps_done = sum(1 for lesson in required if lesson["pk"] in done) + bool(
            course.exam_id and enrolment.exam_passed
        )
        rows.append(
            {
                "enrolment": enrolment,
                "course": course,
                "percent": 100 if enrolment.completed_at else _percent(steps_done, steps),
                "overdue": bool(
                    enrolment.deadline and enrolment.deadline < today and not enrolment.completed_at
                ),
            }
        )
    # Required first, by deadline (none last); then electives; completed at the end.
    far = date.max
    rows.sort(
        key=lambda r: (
            r["enrolment"].completed_at is not None,
            not r["enrolment"].required,
            r["enrolment"].deadline or far,
            r["course"].title,
        )
    )
    last = (
        LessonProgress.objects.filter(user=user, completed_at__isnull=True, lesson__live=True)
        .select_related("lesson")
        .order_by("-updated_at")
        .first()
    )
    return {
        "rows": rows,
        "hours_this_year": (
            hours_in_year(user, today.year)
            if hours_by_category is None
            else sum(hours_by_category.values(), Decimal("0"))
        ),
        "continue_lesson": last.lesson if last else None,
        "year": today.year,
    }


def learner_home(user, *, today: date | None = None) -> dict:
    """What 我的 shows of training, in a fixed number of queries whatever the data: the
    profile, the plans' items (two), the enrolments (enrolling in newly required courses
    first), lessons done, "continue", this year's hours and their requirement."""
    today = today or timezone.localdate()
    profile = WorkerProfile.objects.filter(user=user).select_related("community").first()
    # Required courses reach workers through plans; enrol lazily so new workers see them too.
    items = plans.items_for(user, profile=profile) if profile is not None else {}
    enrolments = learner_enrolments(user)
    if plans.ensure_enrolments(user, items=items, enrolments=enrolments):
        enrolments = learner_enrolments(user)
    totals = hours.totals_by_category(user, today.year)
    return {
        "profile": profile,
        "learning": my_learning(user, today=today, enrolments=enrolments, hours_by_category=totals),
        "standing": (
            hours.standing(user, today.year, profile=profile, totals=totals) if profile else None
        ),
        "electives": plans.electives_among(items, {e.course_id for e in enrolments}),
    }
