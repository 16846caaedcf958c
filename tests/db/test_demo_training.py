"""The demo city's training: three tiers of courses, a question bank, exams, plans, progress."""

import time
from collections import Counter

import pytest
from wagtail.models import Revision

from cms.demo import load_demo
from cms.demo_training import FIRST_WORKER_PHONE, load_training_demo
from people.models import User
from tests.factories import kept_for_the_module
from training import plans, progress
from training.models import (
    CoursePage,
    DrawRule,
    Enrolment,
    Exam,
    ExamAttempt,
    HoursEntry,
    LessonPage,
    LessonProgress,
    Nomination,
    PlanItem,
    PlanQuota,
    Question,
    TrainingPlan,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Loaded once for the module (the load takes seconds); rolled back at the end."""
    with kept_for_the_module(django_db_blocker):
        load_demo()
        started = time.monotonic()
        summary = load_training_demo()
        print(f"\nload_training_demo: {time.monotonic() - started:.1f} s {summary}")
        yield summary


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            CoursePage,
            LessonPage,
            Question,
            Exam,
            DrawRule,
            TrainingPlan,
            PlanItem,
            PlanQuota,
            Nomination,
            Enrolment,
            LessonProgress,
            HoursEntry,
            ExamAttempt,
            Revision,
        )
    } | {"completed": Enrolment.objects.filter(completed_at__isnull=False).count()}


def test_three_tiers_with_live_lessons(demo):
    tiers = Counter(CoursePage.objects.live().values_list("tier", flat=True))
    assert tiers["city_demo"] >= 1
    assert tiers["district_backbone"] >= 2
    assert tiers["street_all"] >= 1
    assert set(CoursePage.objects.values_list("owner_unit__code", flat=True)) >= {
        "QH",
        "QH01",
        "QH02",
        "QH0101",
    }
    for course in CoursePage.objects.live():
        lessons = list(course.lessons())
        assert len(lessons) >= 2, course.title
        assert course.hours > 0
        assert course.teachers.exists(), course.title
        # Every course has substance and a self-check question.
        blocks = [block.block_type for lesson in lessons for block in lesson.body]
        assert "quiz" in blocks, course.title
        text = "".join(
            str(b.value) for lesson in lessons for b in lesson.body if b.block_type == "text"
        )
        assert "<h2>" in text and "<li>" in text, course.title
    assert LessonPage.objects.live().filter(required=False).exists()
    city = CoursePage.objects.get(owner_unit__code="QH", tier="city_demo", exam__isnull=False)
    assert city.exam.mode == "drawn" and city.live_revision.content["exam"] == city.exam_id
    street = CoursePage.objects.get(owner_unit__code="QH0101")
    assert street.exam.mode == "fixed" and street.exam.questions.count() == 5


def test_question_bank_is_valid(demo):
    questions = list(Question.objects.filter(owner_unit__code="QH"))
    assert len(questions) >= 36
    categories = Counter(q.category for q in questions)
    assert len(categories) >= 4
    assert Counter(q.kind for q in questions).keys() == {"single", "multiple", "true_false"}
    assert set(q.difficulty for q in questions) == {1, 2, 3}
    for q in questions:
        assert len(q.options) >= 2, q.text
        assert q.answer and all(0 <= a < len(q.options) for a in q.answer), q.text
        assert len(set(q.answer)) == len(q.answer), q.text
        if q.kind in ("single", "true_false"):
            assert len(q.answer) == 1, q.text
        else:
            assert len(q.answer) >= 2, q.text
        if q.kind == "true_false":
            assert q.options == ["正确", "错误"], q.text
        assert q.explanation.strip(), q.text
    # The drawn exam can always be drawn.
    for rule in DrawRule.objects.all():
        assert categories[rule.category] >= rule.count, rule


def test_plans_at_every_level(demo):
    levels = set(
        TrainingPlan.objects.filter(published=True).values_list("owner_unit__level", flat=True)
    )
    assert levels >= {"city", "district", "street"}
    nominated = TrainingPlan.objects.get(title="2026年区级骨干培训示范班")
    assert nominated.audience == "nominated"
    assert nominated.quotas.count() == 3
    for quota in nominated.quotas.all():
        assert Nomination.objects.filter(plan=nominated, unit=quota.unit).count() <= quota.quota
    nominees = set(Nomination.objects.filter(plan=nominated).values_list("user_id", flat=True))
    assert nominees
    backbone = nominated.items.get().course
    assert (
        set(Enrolment.objects.filter(course=backbone).values_list("user_id", flat=True)) == nominees
    )
    # Some deadlines have passed, some are still ahead (today is 2026-11-27).
    deadlines = set(PlanItem.objects.exclude(deadline=None).values_list("deadline", flat=True))
    assert any(d.isoformat() < "2026-11-27" for d in deadlines)
    assert any(d.isoformat() > "2026-11-27" for d in deadlines)


def test_enrolments_progress_and_hours(demo):
    city = CoursePage.objects.get(owner_unit__code="QH", exam__isnull=False)
    enrolled = Enrolment.objects.filter(course=city, user__worker_profile__isnull=False)
    total = enrolled.count()
    assert total >= 280
    completed = enrolled.filter(completed_at__isnull=False).count()
    assert 0.2 * total <= completed <= 0.45 * total
    # Every completion went through the rules: hours credited, exam passed.
    for enrolment in enrolled.filter(completed_at__isnull=False):
        assert enrolment.hours_entry.hours == city.hours
        assert ExamAttempt.objects.filter(exam=city.exam, user=enrolment.user, passed=True).exists()
    assert (
        HoursEntry.objects.count() == Enrolment.objects.filter(completed_at__isnull=False).count()
    )
    assert not HoursEntry.objects.exclude(earned_on__year=2026).exists()
    assert not HoursEntry.objects.filter(earned_on__gt="2026-11-27").exists()
    part_way = enrolled.filter(
        completed_at__isnull=True, user__lesson_progress__lesson__in=city.lessons()
    )
    assert part_way.distinct().count() >= 0.25 * total
    assert ExamAttempt.objects.filter(passed=False).exists()


def test_first_worker_has_a_course_done_and_one_to_continue(demo):
    worker = User.objects.get(phone=FIRST_WORKER_PHONE)
    learning = progress.my_learning(worker)
    done = [r for r in learning["rows"] if r["enrolment"].completed_at]
    going = [
        r for r in learning["rows"] if not r["enrolment"].completed_at and 0 < r["percent"] < 100
    ]
    assert done and going
    assert learning["hours_this_year"] > 0
    assert learning["continue_lesson"] is not None


def test_the_cascade_shows_in_the_lineage(demo):
    district = CoursePage.objects.get(owner_unit__code="QH01")
    (line,) = plans.lineage(district)
    assert line["teacher"].username == "trainer"
    assert [c.tier for c in line["trained_in"]] == ["city_demo"]
    street = CoursePage.objects.get(owner_unit__code="QH0101")
    (line,) = plans.lineage(street)
    assert {c.tier for c in line["trained_in"]} >= {"city_demo", "district_backbone"}


def test_loading_twice_changes_nothing(demo):
    before = _counts()
    summary = load_training_demo()
    assert _counts() == before
    assert summary["enrolments_created"] == summary["lessons_completed"] == 0
    assert summary["exam_attempts"] == 0
