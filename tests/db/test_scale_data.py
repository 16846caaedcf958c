"""The scale data generator (cms.scale) at its tiny scale: counts, trees, pages, reproducibility."""

import hashlib
import json
from dataclasses import replace
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import translation
from wagtail.models import GroupPagePermission, Page

from cms import scale as scale_data
from cms.models import CasePage, SectionPage
from cms.scale import SCALES, ScaleDataError, generate, landmarks, spread
from cms.search import index_text, search
from cms.sections import SECTION_PERMISSIONS, grant_section_permissions, section_codenames
from competitions.models import (
    Assignment,
    Registration,
    RoundResult,
    ScoreChange,
    ScoreSheet,
    Stage,
    StageCriterion,
)
from people.models import OrgUnit, Role, User, WorkerProfile
from tests.factories import make_tree, make_worker
from training.models import CoursePage, Enrolment, HoursEntry, LessonPage, LessonProgress

pytestmark = pytest.mark.django_db

TINY = SCALES["tiny"]
TODAY = date(2026, 11, 27)


def make(scale=TINY, seed=2026):
    return generate(scale, seed=seed, today=TODAY)


def test_spread_keeps_the_total_and_the_cap():
    import random

    values = spread(1000, 37, random.Random(1), 0.8, 60)
    assert sum(values) == 1000 and max(values) <= 60 and min(values) >= 0
    assert values[0] >= 1000 // 37
    assert len(set(values)) > 3  # varied, not all equal
    with pytest.raises(ScaleDataError):
        spread(1000, 10, random.Random(1), 0.5, 99)


def test_counts_match_the_scale_and_the_trees_are_sound():
    counts = make()
    s = TINY
    units = OrgUnit.objects.filter(path__startswith=OrgUnit.objects.get(code="SC").path)
    streets = s.districts * s.streets_per_district
    assert units.count() == 1 + s.districts + streets + s.communities
    assert WorkerProfile.objects.count() == s.workers == counts["workers"]
    assert Role.objects.filter(kind=Role.Kind.WORKER).count() == s.workers
    assert SectionPage.objects.count() == 1 + s.districts + streets
    assert CoursePage.objects.live().count() == s.courses
    assert LessonPage.objects.live().count() == s.lessons
    assert CasePage.objects.live().count() == s.cases
    assert LessonProgress.objects.count() == s.lesson_progress
    assert HoursEntry.objects.count() == s.hours_entries
    assert Registration.objects.count() == s.contestants
    first = Stage.objects.get(round__order=1)
    assert first.status == Stage.Status.DECODED
    assert ScoreSheet.objects.filter(appearance__stage=first).count() == s.score_sheets
    assert ScoreChange.objects.filter(sheet__appearance__stage=first).count() == s.score_sheets
    assert StageCriterion.objects.filter(stage=first).count() == s.criteria
    # Section permissions are those cms.sections grants (granting again changes nothing),
    # and staff roles made their group memberships.
    granted = set(GroupPagePermission.objects.values_list("group", "page", "permission"))
    for section in SectionPage.objects.select_related("unit"):
        grant_section_permissions(section)
    assert set(GroupPagePermission.objects.values_list("group", "page", "permission")) == granted
    sections = set(SectionPage.objects.values_list("pk", flat=True))
    assert len([row for row in granted if row[1] in sections]) == sum(
        len(section_codenames(kind, section.unit.level))
        for section in SectionPage.objects.select_related("unit")
        for kind in SECTION_PERMISSIONS
    )
    street_admin = User.objects.get(username="scale_street_admin")
    assert street_admin.groups.filter(name="SC0101:admin").exists()
    # Bulk-written trees are trees treebeard itself accepts (paths, depth, numchild).
    assert all(not problem for problem in Page.find_problems())
    assert all(not problem for problem in OrgUnit.find_problems())
    assert set(counts["timings"]) == {
        "tree", "people", "courses", "cases", "learning", "hours", "contest"
    }  # fmt: skip


def test_learning_data_hangs_together():
    make()
    # A finished enrolment has every lesson done and earned its hours once.
    for enrolment in Enrolment.objects.filter(completed_at__isnull=False).select_related("course"):
        lessons = enrolment.course.lessons()
        done = LessonProgress.objects.filter(
            user=enrolment.user_id, lesson__in=lessons, completed_at__isnull=False
        )
        assert done.count() == lessons.count()
        entry = HoursEntry.objects.get(enrolment=enrolment)
        assert entry.source == f"enrolment:{enrolment.pk}" and entry.hours == enrolment.course.hours
    # An unfinished one has some lesson left.
    unfinished = Enrolment.objects.filter(completed_at__isnull=True).select_related("course")
    assert unfinished.exists()
    for enrolment in unfinished:
        lessons = enrolment.course.lessons()
        done = LessonProgress.objects.filter(
            user=enrolment.user_id, lesson__in=lessons, completed_at__isnull=False
        )
        assert done.count() < lessons.count()
    assert HoursEntry.objects.values("source").distinct().count() == TINY.hours_entries
    # sw000001: enrolled in the plan's courses with progress, has hours, was a contestant.
    worker = User.objects.get(username="sw000001")
    plan_courses = Enrolment.objects.filter(user=worker, source=Enrolment.Source.PLAN)
    assert plan_courses.count() == 2
    assert LessonProgress.objects.filter(user=worker).exists()
    assert HoursEntry.objects.filter(user=worker).exists()
    assert Registration.objects.filter(worker=worker).exists()


def test_pages_are_served_and_editable(client):
    make()
    marks = landmarks()
    course = CoursePage.objects.get(pk=marks["course_id"])
    lesson = LessonPage.objects.get(pk=marks["lesson_id"])
    case = CasePage.objects.get(pk=marks["case_id"])
    for url, title in (
        (marks["course_url"], course.title),
        (marks["lesson_url"], lesson.title),
        (marks["case_url"], case.title),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert title in response.content.decode()
    assert client.get(marks["home_url"]).status_code == 200
    # Editable in the Wagtail admin: the city's trainer edits the city's course; the city's
    # admin (TOTP set up by the generator) edits a street's case.
    client.force_login(User.objects.get(username=marks["trainer"]))
    assert client.get(f"/admin/pages/{course.pk}/edit/").status_code == 200
    client.force_login(User.objects.get(username=marks["city_admin"]))
    for page in (course, lesson, case):
        assert client.get(f"/admin/pages/{page.pk}/edit/").status_code == 200


def test_casebook_search_finds_cases_by_a_two_character_word(client):
    make()
    marks = landmarks()
    case = CasePage.objects.get(pk=marks["case_id"])
    assert case.search_text == index_text(case)
    hits = search(marks["search_query"]).hits
    assert case.pk in {hit.page.pk for hit in hits}
    page = client.get(marks["search_url"]).content.decode()
    assert f'href="{case.url}"' in page  # the title itself is marked up around the word


def test_the_judge_has_work_and_the_first_round_is_published(client):
    make()
    marks = landmarks()
    stage = Stage.objects.get(pk=marks["open_stage_id"])
    assert stage.status == Stage.Status.OPEN
    judge = User.objects.get(username=marks["judge"])
    assigned = Assignment.objects.filter(appearance__stage=stage, judge=judge)
    assert assigned.count() == TINY.finalists
    assert not ScoreSheet.objects.filter(appearance__stage=stage, judge=judge).exists()
    client.force_login(judge)
    page = client.get(marks["judge_stage_url"]).content.decode()
    for appearance in stage.appearances.all():
        assert appearance.blind_code in page
    result = RoundResult.objects.get(pk=marks["result_id"])
    assert len(result.ranking) == TINY.contestants
    assert [row["rank"] for row in result.ranking][0] == 1
    assert result.scores_csv and result.ranking_csv and len(result.sha256) == 64
    assert client.get(marks["result_url"]).status_code == 200


def fingerprint() -> str:
    """What a run made, without database ids (PostgreSQL does not roll sequences back)."""
    parts = [
        list(User.objects.order_by("username").values_list("username", "real_name", "phone")),
        list(OrgUnit.objects.order_by("path").values_list("code", "name", "population")),
        list(CasePage.objects.order_by("path").values_list("url_path", "title", "search_text")),
        list(
            LessonProgress.objects.order_by("user__username", "lesson__path").values_list(
                "user__username", "lesson__url_path", "completed_at"
            )
        ),
        list(
            HoursEntry.objects.order_by("user__username", "earned_on", "hours").values_list(
                "user__username", "hours", "earned_on", "category"
            )
        ),
        sorted(
            (
                s.appearance.entry.registration.worker.username,
                s.judge.username,
                json.dumps(s.values, sort_keys=True),
            )
            for s in ScoreSheet.objects.select_related(
                "judge", "appearance__entry__registration__worker"
            )
        ),
        [(r["name"], r["total"]) for r in RoundResult.objects.get().ranking],
    ]
    return hashlib.sha256(json.dumps(parts, default=str, sort_keys=True).encode()).hexdigest()


def run_and_forget(seed: int) -> str:
    """Generate, take the fingerprint, and roll everything back."""
    savepoint = transaction.savepoint_create()
    try:
        make(seed=seed)
        return fingerprint()
    finally:
        transaction.savepoint_rollback(savepoint)


def test_the_same_seed_gives_the_same_data():
    first = run_and_forget(7)
    assert not WorkerProfile.objects.exists()  # really gone: the second run starts empty
    assert run_and_forget(7) == first
    assert run_and_forget(8) != first


def test_a_database_with_workers_is_refused():
    units = make_tree()
    make_worker(units["TD1S1C1"])
    with translation.override("en"):
        with pytest.raises(ScaleDataError, match="already holds workers"):
            make()
        with pytest.raises(CommandError, match="already holds workers"):
            call_command("generate_scale_data", "--scale", "tiny")
    assert not OrgUnit.objects.filter(code="SC").exists()


def test_a_second_run_is_refused_and_variants_are_possible():
    counts = make(replace(TINY, workers=30, cases=5, lesson_progress=90, hours_entries=90))
    assert counts["workers"] == 30 and CasePage.objects.count() == 5
    with pytest.raises(ScaleDataError):
        make()
    assert scale_data.totp_secret("scale_city_admin") == scale_data.totp_secret("scale_city_admin")
