"""Training pages: lessons, the player's reports, enrolment, plan progress and nominations."""

import io
import json

import openpyxl
import pytest

from tests.factories import (
    make_admin,
    make_course,
    make_plan,
    make_sections,
    make_tree,
    make_worker,
)
from training import plans
from training.models import Enrolment, LessonProgress, Nomination, PlanQuota

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    units = make_tree()
    return units, make_sections(units)


@pytest.fixture
def worker(world):
    return make_worker(world[0]["TD1S1C1"], real_name="张晓梅")


def test_text_lesson_page_and_done_button(client, world, worker):
    _, sections = world
    course = make_course(sections["TD1S1"], "街道课", lessons=2)
    first, second = course.lessons()
    client.force_login(worker)
    page = client.get(first.url)
    assert page.status_code == 200
    assert "街道课 第1课内容" in page.content.decode()
    response = client.post(f"/training/lessons/{first.pk}/complete/")
    assert response.status_code == 302 and response["Location"] == second.url
    assert LessonProgress.objects.get(user=worker, lesson=first).completed_at
    response = client.post(f"/training/lessons/{second.pk}/complete/")
    assert response["Location"] == course.url
    assert Enrolment.objects.get(user=worker, course=course).completed_at
    assert 'id="course-state"' in client.get(course.url).content.decode()


def test_video_lesson_reports_through_the_endpoint(client, world, worker):
    _, sections = world
    lesson = make_course(sections["TD1S1"], lessons=1, video_seconds=120).lessons()[0]
    client.force_login(worker)
    text = client.get(lesson.url).content.decode()
    assert "<video" in text and f"/training/lessons/{lesson.pk}/report/" in text
    # The done button is not offered, and posting it anyway does not complete the lesson.
    client.post(f"/training/lessons/{lesson.pk}/complete/")
    assert not LessonProgress.objects.get(user=worker, lesson=lesson).completed_at
    response = client.post(
        f"/training/lessons/{lesson.pk}/report/",
        json.dumps({"intervals": [[0, 120]], "position": 120}),
        content_type="application/json",
    )
    assert response.json() == {"watched_percent": 0, "completed": False}  # too fast to be true
    bad = client.post(
        f"/training/lessons/{lesson.pk}/report/", "not json", content_type="application/json"
    )
    assert bad.status_code == 400


def test_elective_self_enrolment(client, world, worker):
    _, sections = world
    course = make_course(sections["TD1"], "选修课", lessons=1)
    client.force_login(worker)
    assert f"/training/courses/{course.pk}/enrol/" in client.get(course.url).content.decode()
    client.post(f"/training/courses/{course.pk}/enrol/")
    enrolment = Enrolment.objects.get(user=worker, course=course)
    assert enrolment.source == "self" and not enrolment.required


def test_plan_progress_drill_down_and_export(client, world, worker):
    units, sections = world
    course = make_course(sections["T"], "市级课", lessons=1)
    plan = make_plan(units["T"], [course])
    plans.sync_plan(plan)
    admin = make_admin(units["TD1"])
    from tests.factories import activate_totp

    activate_totp(admin)
    client.force_login(admin)
    assert plan.title in client.get("/training/plans/").content.decode()  # a plan from above
    page = client.get(f"/training/plans/{plan.pk}/").content.decode()
    assert "T第1区" in page and "T第2区" not in page  # only the admin's own district
    page = client.get(f"/training/plans/{plan.pk}/?unit=TD1S1C1").content.decode()
    assert "张晓梅" in page
    response = client.get(f"/training/plans/{plan.pk}/export.xlsx?unit=TD1")
    rows = list(
        openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    )
    assert rows[1][:3] == ("T1区1街道", 1, 0)
    assert client.get(f"/training/plans/{plan.pk}/?unit=NOPE").status_code == 404


def test_plan_pages_need_an_admin_and_hide_foreign_plans(client, world, worker):
    units, sections = world
    plan = make_plan(units["TD2"], [make_course(sections["TD2"])])
    client.force_login(worker)
    assert client.get("/training/plans/").status_code == 403
    street_admin = make_admin(units["TD1S1"])
    client.force_login(street_admin)
    assert client.get(f"/training/plans/{plan.pk}/").status_code == 404


def test_nomination_page_respects_the_quota(client, world, worker):
    units, sections = world
    plan = make_plan(units["T"], [make_course(sections["T"])], audience="nominated")
    PlanQuota.objects.create(plan=plan, unit=units["TD1S1"], quota=1)
    second = make_worker(units["TD1S1C2"], real_name="第二人")
    admin = make_admin(units["TD1S1"])
    client.force_login(admin)
    quota = PlanQuota.objects.get()
    page = client.get(f"/training/plans/{plan.pk}/nominate/")
    assert page.status_code == 200
    client.post(f"/training/plans/{plan.pk}/nominate/", {"quota": quota.pk, "user": worker.pk})
    response = client.post(
        f"/training/plans/{plan.pk}/nominate/", {"quota": quota.pk, "user": second.pk}, follow=True
    )
    assert Nomination.objects.count() == 1
    assert response.status_code == 200
    assert (
        client.post(f"/training/plans/{plan.pk}/nominate/", {"quota": "x", "user": "y"}).status_code
        == 302
    )


def test_lineage_page(client, world, worker):
    _, sections = world
    course = make_course(sections["TD1"], lessons=1)
    course.teachers.add(worker)
    course.save()
    client.force_login(worker)
    assert "张晓梅" in client.get(f"/training/courses/{course.pk}/lineage/").content.decode()


def test_course_list_groups_by_tier_city_first(client, world):
    _, sections = world
    make_course(sections["TD1S1"], "街道课", lessons=1)
    make_course(sections["T"], "市级课", lessons=1)
    text = client.get("/training/").content.decode()
    assert text.index("市级课") < text.index("街道课")
    assert "街道课" in client.get("/").content.decode()  # the home page's latest courses
