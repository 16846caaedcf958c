"""Tiered training: tiers, the plan cascade, enrolment, honest progress, hours, the roll-up."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from people.models import WorkerProfile
from people.scope import scope_of
from tests.factories import (
    make_admin,
    make_course,
    make_plan,
    make_sections,
    make_tree,
    make_worker,
)
from training import plans, progress, rollup
from training.models import Enrolment, HoursEntry, LessonProgress, PlanQuota, TrainingPlan

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    units = make_tree()
    return units, make_sections(units)


@pytest.fixture
def worker(world):
    units, _ = world
    return make_worker(units["TD1S1C1"], real_name="张晓梅")


def test_tier_follows_the_section_level(world):
    _, sections = world
    assert make_course(sections["T"], "市级课").tier == "city_demo"
    assert make_course(sections["TD1"], "区级课").tier == "district_backbone"
    street = make_course(sections["TD1S1"], "街道课")
    assert street.tier == "street_all"
    assert street.owner_unit.code == "TD1S1"


def test_worker_gets_required_items_of_every_plan_above(world, worker):
    units, sections = world
    city, district, street = (
        make_course(sections["T"], "市级课"),
        make_course(sections["TD1"], "区级课"),
        make_course(sections["TD1S1"], "街道课"),
    )
    other_district = make_course(sections["TD2"], "别区课")
    make_plan(units["T"], [city])
    make_plan(units["TD1"], [district])
    make_plan(units["TD1S1"], [street])
    make_plan(units["TD2"], [other_district])  # not above this worker
    make_plan(units["TD1S2"], [make_course(sections["TD1S2"], "隔壁街道课")])
    plans.ensure_enrolments(worker)
    titles = set(
        Enrolment.objects.filter(user=worker, required=True).values_list("course__title", flat=True)
    )
    assert titles == {"市级课", "区级课", "街道课"}


def test_a_lower_plan_cannot_make_an_inherited_required_course_optional(world, worker):
    units, sections = world
    course = make_course(sections["T"], "市级必修")
    make_plan(units["T"], [course], required=True)
    make_plan(units["TD1S1"], [course], required=False)
    assert plans.items_for(worker)[course.pk]["required"] is True
    assert plans.inherited_required(units["TD1S1"]) == {course.pk}
    street_plan = TrainingPlan.objects.get(owner_unit=units["TD1S1"])
    assert plans.check_items(street_plan, street_plan.items.all())


def test_the_earliest_deadline_wins(world, worker):
    units, sections = world
    course = make_course(sections["T"], "市级课")
    make_plan(units["T"], [course], deadline=date(2026, 10, 1))
    make_plan(units["TD1"], [course], deadline=date(2026, 6, 1))
    plans.ensure_enrolments(worker)
    assert Enrolment.objects.get(user=worker).deadline == date(2026, 6, 1)


def test_unpublished_plans_reach_nobody(world, worker):
    units, sections = world
    make_plan(units["T"], [make_course(sections["T"])], published=False)
    plans.ensure_enrolments(worker)
    assert not Enrolment.objects.exists()


def test_sync_plan_enrols_the_whole_audience_once(world, worker):
    units, sections = world
    make_worker(units["TD2S2C2"], real_name="别区人")
    course = make_course(sections["T"])
    plan = make_plan(units["T"], [course])
    assert plans.sync_plan(plan) == 2
    assert plans.sync_plan(plan) == 0
    assert Enrolment.objects.filter(course=course, required=True).count() == 2


def test_nominated_audience_and_quota_per_district(world, worker):
    units, sections = world
    course = make_course(sections["T"], "骨干示范班")
    plan = make_plan(units["T"], [course], audience="nominated")
    PlanQuota.objects.create(plan=plan, unit=units["TD1"], quota=1)
    second = make_worker(units["TD1S2C1"], real_name="第二人")
    elsewhere = make_worker(units["TD2S1C1"], real_name="别区人")

    plans.ensure_enrolments(worker)
    assert not Enrolment.objects.filter(user=worker).exists()  # not nominated: nothing

    with pytest.raises(ValidationError):
        plans.nominate(plan, elsewhere, unit=units["TD1"])  # works in another district
    with pytest.raises(ValidationError):
        plans.nominate(plan, worker, unit=units["TD2"])  # TD2 has no quota
    plans.nominate(plan, worker, unit=units["TD1"])
    with pytest.raises(ValidationError) as excinfo:
        plans.nominate(plan, second, unit=units["TD1"])
    assert "1" in str(excinfo.value)
    plans.ensure_enrolments(worker)
    assert Enrolment.objects.get(user=worker).required
    assert plans.sync_plan(plan) == 0  # only the nominee, already enrolled


def test_a_text_lesson_is_completed_by_the_worker(world, worker):
    _, sections = world
    course = make_course(sections["TD1S1"], lessons=2, hours="3.5")
    first, second = course.lessons()
    progress.complete_lesson(worker, first)
    assert not Enrolment.objects.get(user=worker, course=course).completed_at
    progress.complete_lesson(worker, second)
    enrolment = Enrolment.objects.get(user=worker, course=course)
    assert enrolment.completed_at
    assert HoursEntry.objects.get(user=worker).hours == Decimal("3.5")
    progress.complete_lesson(worker, second)  # again: nothing more
    assert HoursEntry.objects.filter(user=worker).count() == 1
    assert progress.hours_in_year(worker, timezone.localdate().year) == Decimal("3.5")


def test_a_video_lesson_needs_90_percent_really_played(world, worker):
    _, sections = world
    course = make_course(sections["TD1S1"], lessons=1, video_seconds=100)
    lesson = course.lessons()[0]
    assert progress.complete_lesson(worker, lesson) is False  # no shortcut button
    start = timezone.now()
    progress.lesson_state(lesson, worker, now=start)  # opening the lesson starts the clock

    # Skipping to the end: one report claiming the whole video after 3 seconds is refused.
    state = progress.report_video(worker, lesson, [(0, 100)], 100, now=start + timedelta(seconds=3))
    assert state.watched == [] and not state.completed_at

    # Watching honestly from the start: reports as time passes, one overlapping the last.
    t = start + timedelta(seconds=3)
    state = progress.report_video(worker, lesson, [(0, 3)], 3, now=t)
    assert state.watched == [[0.0, 3.0]]  # the first report counts in full
    for a, b in [(3, 30), (25, 60), (60, 89)]:
        t += timedelta(seconds=b - a)
        state = progress.report_video(worker, lesson, [(a, b)], b, now=t)
    assert state.completed_at is None  # 89 %
    t += timedelta(seconds=2)
    state = progress.report_video(worker, lesson, [(89, 91)], 91, now=t)
    assert state.completed_at is not None
    assert Enrolment.objects.get(user=worker, course=course).completed_at


def test_replaying_the_same_stretch_adds_nothing(world, worker):
    _, sections = world
    lesson = make_course(sections["TD1S1"], lessons=1, video_seconds=100).lessons()[0]
    t = timezone.now()
    for _ in range(10):
        t += timedelta(seconds=20)
        state = progress.report_video(worker, lesson, [(0, 20)], 20, now=t)
    assert state.watched == [[0.0, 20.0]]
    assert state.completed_at is None


def test_course_with_an_exam_completes_only_after_a_pass(world, worker):
    from training.models import Exam, ExamAttempt

    units, sections = world
    exam = Exam.objects.create(owner_unit=units["TD1S1"], title="结业考试")
    course = make_course(sections["TD1S1"], lessons=1, exam=exam)
    progress.complete_lesson(worker, course.lessons()[0])
    assert not Enrolment.objects.get(user=worker, course=course).completed_at
    now = timezone.now()
    ExamAttempt.objects.create(
        exam=exam, user=worker, started_at=now, deadline=now, submitted_at=now, passed=True
    )
    progress.exam_passed(worker, exam)
    assert Enrolment.objects.get(user=worker, course=course).completed_at


def test_rollup_counts_per_child_unit_and_person_in_the_database(world):
    units, sections = world
    course = make_course(sections["T"], lessons=1)
    plan = make_plan(units["T"], [course])
    done_worker = make_worker(units["TD1S1C1"], real_name="完成者")
    make_worker(units["TD1S1C2"], real_name="未完成")
    make_worker(units["TD2S1C1"], real_name="别区")
    plans.sync_plan(plan)
    progress.complete_lesson(done_worker, course.lessons()[0])

    city = scope_of(make_admin(units["T"]))
    rows = {
        r["unit"].code: (r["done"], r["total"], r["percent"])
        for r in rollup.children_progress(plan, units["T"], city)
    }
    assert rows == {"TD1": (1, 2, 50), "TD2": (0, 1, 0)}
    streets = {
        r["unit"].code: r["done"] for r in rollup.children_progress(plan, units["TD1"], city)
    }
    assert streets == {"TD1S1": 1, "TD1S2": 0}
    people = rollup.people_progress(plan, units["TD1S1C1"], city)
    assert [(p["user"].real_name, p["done"], p["total"]) for p in people] == [("完成者", 1, 1)]

    # A street admin sees the city plan only over their street.
    street = scope_of(make_admin(units["TD1S2"]))
    rows = rollup.children_progress(plan, units["T"], street)
    assert [(r["unit"].code, r["done"], r["total"]) for r in rows] == [("TD1", 0, 0)]
    assert rollup.totals(plan, street)["total"] == 0


def test_rollup_runs_a_fixed_number_of_queries(world):
    units, sections = world
    course = make_course(sections["T"], lessons=1)
    plan = make_plan(units["T"], [course])
    scope = scope_of(make_admin(units["T"]))

    def count():
        plans.sync_plan(plan)
        with CaptureQueriesContext(connection) as queries:
            rollup.children_progress(plan, units["TD1"], scope)
        return len(queries)

    make_worker(units["TD1S1C1"])
    few = count()
    for n in range(15):
        make_worker(units[f"TD1S{n % 2 + 1}C{n % 2 + 1}"], real_name=f"人员{n}")
    assert count() == few


def _queries(fn):
    with CaptureQueriesContext(connection) as queries:
        fn()
    return len(queries)


def test_course_page_and_my_learning_use_constant_queries(client, world, worker):
    units, sections = world
    client.force_login(worker)
    small = make_course(sections["TD1S1"], "少课时", lessons=1)
    make_plan(units["TD1S1"], [small])
    client.get("/me/")
    few_course = _queries(lambda: client.get(small.url))
    few_me = _queries(lambda: client.get("/me/"))

    big = make_course(sections["TD1S1"], "多课时", lessons=8)
    more = [make_course(sections["TD1"], f"区级课{n}", lessons=3) for n in range(4)]
    make_plan(units["TD1"], [big, *more])
    for lesson in big.lessons()[:3]:
        progress.complete_lesson(worker, lesson)
    client.get("/me/")
    assert _queries(lambda: client.get(big.url)) == few_course
    assert _queries(lambda: client.get("/me/")) == few_me


def test_my_learning_orders_required_by_deadline_and_shows_hours(client, world, worker):
    units, sections = world
    late = make_course(sections["TD1S1"], "晚截止", lessons=1, hours="2")
    soon = make_course(sections["TD1S1"], "早截止", lessons=1, hours="1.5")
    elective = make_course(sections["TD1S1"], "选修课", lessons=1)
    make_plan(units["TD1S1"], [late], deadline=date(2026, 12, 1))
    make_plan(units["TD1"], [soon], deadline=date(2026, 9, 1))
    make_plan(units["TD1S1"], [elective], required=False, title="选修计划")
    progress.enrol(worker, elective)
    client.force_login(worker)
    text = client.get("/me/").content.decode()
    assert text.index("早截止") < text.index("晚截止") < text.index("选修课")
    progress.complete_lesson(worker, soon.lessons()[0])
    text = client.get("/me/").content.decode()
    assert 'id="hours-this-year">1.5<' in text
    assert text.index("晚截止") < text.index("早截止")  # completed courses go last


def test_plan_form_refuses_a_deadline_outside_the_plan(world):
    from training.models import PlanItem

    units, sections = world
    plan = make_plan(units["TD1"], [])
    item = PlanItem(plan=plan, course=make_course(sections["TD1"]), deadline=date(2025, 12, 31))
    with pytest.raises(ValidationError):
        item.full_clean()
    plan.end_date = date(2025, 1, 1)
    with pytest.raises(ValidationError):
        plan.full_clean()


def test_lineage_traces_who_trained_the_teacher(world):
    units, sections = world
    city_course = make_course(sections["T"], "市级示范", lessons=1)
    teacher = make_worker(units["TD1S1C1"], real_name="骨干讲师")
    progress.complete_lesson(teacher, city_course.lessons()[0])
    district_course = make_course(sections["TD1"], "区级骨干", lessons=1)
    district_course.teachers.add(teacher)
    district_course.save()
    entry = plans.lineage(district_course)[0]
    assert entry["teacher"] == teacher
    assert [c.title for c in entry["trained_in"]] == ["市级示范"]


def test_lesson_progress_is_per_user(world, worker):
    units, sections = world
    other = make_worker(units["TD1S1C2"], real_name="他人")
    lesson = make_course(sections["TD1S1"], lessons=1).lessons()[0]
    progress.complete_lesson(worker, lesson)
    assert not LessonProgress.objects.filter(user=other).exists()
    assert WorkerProfile.objects.count() == 2


def test_a_course_for_some_positions_reaches_only_them(world, worker):
    units, sections = world
    course = make_course(sections["T"], "书记专题")
    course.audience_positions = ["secretary"]
    course.save()
    secretary = make_worker(units["TD1S1C2"], real_name="书记", position="secretary")
    plan = make_plan(units["T"], [course])
    assert plans.sync_plan(plan) == 1
    plans.ensure_enrolments(worker)  # a full-time worker
    assert list(Enrolment.objects.values_list("user_id", flat=True)) == [secretary.pk]


def test_trainers_add_courses_in_their_own_section_only(client, world):
    from people.models import Role
    from tests.factories import give_role, make_user

    units, sections = world
    trainer = make_user("讲师")
    give_role(trainer, units["TD1"], Role.Kind.TRAINER)
    client.force_login(trainer)
    own = client.get(f"/admin/pages/add/training/coursepage/{sections['TD1S1'].pk}/")
    assert own.status_code == 200
    other = client.get(f"/admin/pages/add/training/coursepage/{sections['TD2'].pk}/")
    assert other.status_code in (302, 403)


def test_a_course_with_an_exam_is_not_100_percent_before_the_exam(world, worker):
    from training.models import Exam

    units, sections = world
    exam = Exam.objects.create(owner_unit=units["TD1S1"], title="结业考试")
    course = make_course(sections["TD1S1"], lessons=1, exam=exam)
    progress.enrol(worker, course)
    progress.complete_lesson(worker, course.lessons()[0])
    assert progress.course_outline(course, worker)["percent"] == 50
    assert progress.my_learning(worker)["rows"][0]["percent"] == 50


def test_a_refused_report_does_not_move_the_resume_position(world, worker):
    _, sections = world
    lesson = make_course(sections["TD1S1"], lessons=1, video_seconds=100).lessons()[0]
    start = timezone.now()
    progress.lesson_state(lesson, worker, now=start)
    state = progress.report_video(worker, lesson, [(0, 10)], 10, now=start + timedelta(seconds=10))
    assert state.position == 10
    state = progress.report_video(
        worker, lesson, [(10, 100)], 100, now=start + timedelta(seconds=12)
    )
    assert state.position == 10


def test_reopening_a_lesson_within_minutes_writes_nothing_but_later_it_leads_continue_again(
    world, worker
):
    _, sections = world
    course = make_course(sections["TD1S1"], lessons=2)
    first, second = course.lessons()
    start = timezone.now()
    progress.lesson_state(first, worker, now=start)
    progress.lesson_state(second, worker, now=start + timedelta(minutes=1))
    row = LessonProgress.objects.get(user=worker, lesson=first)
    stamp = row.updated_at

    progress.lesson_state(first, worker, now=start + timedelta(minutes=2))
    assert LessonProgress.objects.get(pk=row.pk).updated_at == stamp  # nothing written

    later = start + progress.REOPEN_UNRECORDED + timedelta(minutes=1)
    progress.lesson_state(first, worker, now=later)
    assert LessonProgress.objects.get(pk=row.pk).updated_at == later
    latest = LessonProgress.objects.filter(user=worker).order_by("-updated_at").first()
    assert latest.lesson_id == first.pk  # "continue" leads to it again
