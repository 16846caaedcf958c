"""成长档案: a worker's record across two years against hand-computed figures, who may see it,
the PDF and spreadsheet exports, and a constant number of queries however much there is."""

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from pypdf import PdfReader

from cms.models import ApplicationReport, CaseCategory, CasePage
from cms.profile import build_profile
from cms.profile_views import render_profile_pdf
from competitions.models import RoundResult
from people.models import AuditEvent
from tests.factories import (
    data_events,
    make_admin,
    make_competition,
    make_course,
    make_entry,
    make_sections,
    make_stage,
    make_tree,
    make_user,
    make_worker,
)
from training import certificates, hours
from training.models import (
    Attendance,
    Certificate,
    Enrolment,
    Exam,
    ExamAttempt,
    HoursEntry,
    HoursRequirement,
    TrainingBase,
    TrainingSession,
)

pytestmark = pytest.mark.django_db

D = Decimal


def at(year, month, day, hour=10):
    return timezone.make_aware(datetime(year, month, day, hour))


@pytest.fixture
def world():
    units = make_tree()
    sections = make_sections(units)
    city = units["T"]
    # 2025: everyone owes 40 h, a quarter offline (10.0). 2026: full-time workers owe 30 h,
    # a fifth offline (6.0); the 60 h everyone-requirement must lose to the position's own.
    HoursRequirement.objects.create(owner_unit=city, year=2025, hours=40, min_offline_share="0.25")
    HoursRequirement.objects.create(
        owner_unit=city, year=2026, position="full_time", hours=30, min_offline_share="0.2"
    )
    HoursRequirement.objects.create(owner_unit=city, year=2026, hours=60, min_offline_share="0.5")
    base = TrainingBase.objects.create(
        unit=units["TD1S1"],
        name="东关实训基地",
        address="东关大街1号",
        capacity=30,
        contact_name="王主任",
        contact_phone="0971-8123456",
    )
    return {"units": units, "sections": sections, "base": base, "trainer": make_user("讲师")}


# --- Builders -------------------------------------------------------------------------------


def enrol(worker, course, completed_at, *, required=True):
    enrolment = Enrolment.objects.create(
        user=worker, course=course, source="plan", required=required, completed_at=completed_at
    )
    Enrolment.objects.filter(pk=enrolment.pk).update(
        enrolled_at=completed_at.replace(month=1, day=5)
    )
    HoursEntry.objects.create(
        user=worker,
        hours=course.hours,
        earned_on=timezone.localdate(completed_at),
        category="online",
        course=course,
        enrolment=enrolment,
        source=f"enrolment:{enrolment.pk}",
    )
    return enrolment


def attend(world, worker, title, starts_at, session_hours):
    session = TrainingSession.objects.create(
        base=world["base"],
        trainer=world["trainer"],
        title=title,
        starts_at=starts_at,
        ends_at=starts_at.replace(hour=starts_at.hour + 2),
        capacity=20,
        hours=session_hours,
    )
    attendance = Attendance.objects.create(
        session=session, user=worker, checked_in_at=starts_at, checked_out_at=session.ends_at
    )
    entry, _ = hours.credit(
        worker,
        session_hours,
        starts_at.date(),
        "offline",
        source=f"attendance:{attendance.pk}",
        note=title,
    )
    return attendance, entry


def publish_result(round_, version, status, ranking, by):
    return RoundResult.objects.create(
        round=round_,
        version=version,
        status=status,
        published_at=timezone.now(),
        published_by=by,
        appeal_deadline=timezone.now(),
        ranking=ranking,
        scores_csv="",
        rules_json="{}",
        ranking_csv="",
        sha256="0" * 64,
    )


def row(registration, rank, total, award, stages):
    return {
        "rank": rank,
        "registration": registration,
        "contestant": str(registration),
        "name": "x",
        "unit": "x",
        "street": "",
        "district": "",
        "stages": stages,
        "total": total,
        "award": award,
    }


def make_case_page(section, owner, title, *, year=2025, publish=True):
    category, _ = CaseCategory.objects.get_or_create(name="电动自行车", slug="e-bike")
    case = CasePage(
        title=title,
        slug=f"case-{CasePage.objects.count() + 1}-{owner.pk}",
        summary=f"{title}：问题与解决办法。",
        category=category,
        year=year,
        owner=owner,
        live=False,
    )
    section.add_child(instance=case)
    revision = case.save_revision(user=owner)
    if publish:
        revision.publish()
    return CasePage.objects.get(pk=case.pk)


@pytest.fixture
def worker(world):
    """李春燕, full-time at TD1S1C1, with a record in 2025 and 2026 (figures in the tests)."""
    units, sections = world["units"], world["sections"]
    worker = make_worker(units["TD1S1C1"], real_name="李春燕")
    other = make_worker(units["TD1S1C2"], real_name="王海")

    # Courses: 4 h in 2025; 6 h in 2026 with a final exam sat twice (55 then 85.5).
    exam = Exam.objects.create(owner_unit=units["TD1S1"], title="网格治理结业考试")
    course_2025 = make_course(sections["TD1S1"], "社区议事协商", hours="4", lessons=1)
    course_2026 = make_course(sections["TD1"], "网格治理实务", hours="6", lessons=1, exam=exam)
    enrol(worker, course_2025, at(2025, 6, 10))
    enrol(worker, course_2026, at(2026, 3, 15))
    for started, score, passed in ((at(2026, 3, 1), "55", False), (at(2026, 3, 14), "85.5", True)):
        ExamAttempt.objects.create(
            exam=exam,
            user=worker,
            started_at=started,
            deadline=started,
            submitted_at=started,
            score=score,
            passed=passed,
        )

    # Offline: 3 h in 2025; 8 h in 2026, corrected by −2 (left early).
    attend(world, worker, "矛盾纠纷调解实训", at(2025, 9, 3, 9), "3")
    _, entry = attend(world, worker, "应急处置演练", at(2026, 5, 20, 9), "8")
    hours.correct(entry, "-2", "提前离场", by=world["trainer"])

    # Outside training: 5 h in 2025, 20 h in 2026; contest hours: 4 h in 2026.
    hours.credit(worker, "5", date(2025, 11, 2), "external", source="external:t1")
    hours.credit(worker, "20", date(2026, 7, 1), "external", source="external:t2")

    # Certificates: one valid, one revoked.
    issuer = units["TD1"]
    certificates.issue(
        worker, Certificate.Kind.COURSE, "网格治理实务结业证书", "完成课程", issuer,
        date(2026, 3, 15), "course:test:1",
    )  # fmt: skip
    revoked = certificates.issue(
        worker, Certificate.Kind.COURSE, "作废的证书", "完成课程", issuer,
        date(2025, 6, 10), "course:test:2",
    )  # fmt: skip
    Certificate.objects.filter(pk=revoked.pk).update(
        revoked_at=timezone.now(), revoked_reason="误发"
    )

    # 2026 contest: v1 (superseded) had her first; the final v2 has her second with 二等奖.
    organiser = make_admin(units["T"])
    contest = make_competition(units["T"], title="青禾杯技能大赛")
    final = contest.rounds.get()
    final.awards = [{"name": "一等奖", "share": "0.34"}, {"name": "二等奖", "share": "0.33"}]
    final.save()
    make_stage(final, code="written", name="笔试", weight="0.4")
    make_stage(final, code="scenario", name="情景模拟", weight="0.6")
    mine = make_entry(contest, worker).registration_id
    theirs = make_entry(contest, other).registration_id
    third = make_entry(contest, make_worker(units["TD2S1C1"], real_name="赵六")).registration_id
    publish_result(
        final,
        1,
        RoundResult.Status.SUPERSEDED,
        [row(mine, 1, "95.00", "一等奖", {"written": "95.00", "scenario": "95.00"})],
        organiser,
    )
    publish_result(
        final,
        2,
        RoundResult.Status.FINAL,
        [
            row(theirs, 1, "91.00", "一等奖", {"written": "91.00", "scenario": "91.00"}),
            row(mine, 2, "88.30", "二等奖", {"written": "85.00", "scenario": "90.50"}),
            row(third, 3, "70.00", "", {"written": "70.00", "scenario": "70.00"}),
        ],
        organiser,
    )
    hours.credit(worker, "4", date(2026, 10, 8), "contest", source=f"contest:{final.pk}:{mine}")

    # 2025 street heat: on notice, 3rd of 4, no award.
    heat_contest = make_competition(units["TD1S1"], title="街道练兵赛")
    heat_contest.year = 2025
    heat_contest.save()
    heat = heat_contest.rounds.get()
    make_stage(heat, code="scenario", name="情景模拟", weight="1")
    heat_mine = make_entry(heat_contest, worker).registration_id
    publish_result(
        heat,
        1,
        RoundResult.Status.NOTICE,
        [
            row(990001, 1, "80.00", "", {"scenario": "80.00"}),
            row(990002, 2, "78.00", "", {"scenario": "78.00"}),
            row(heat_mine, 3, "76.50", "", {"scenario": "76.50"}),
            row(990003, 4, "60.00", "", {"scenario": "60.00"}),
        ],
        organiser,
    )

    # Cases: hers (live, applied once elsewhere), her draft, and someone else's.
    case = make_case_page(sections["TD1S1"], worker, "楼道充电难题的四个解法")
    make_case_page(sections["TD1S1"], worker, "未发布草稿", publish=False)
    theirs_case = make_case_page(sections["TD1S1"], other, "别人的案例")
    ApplicationReport.objects.create(
        case=case, user=other, unit=units["TD1S1C2"], what_changed="照搬", outcome="好"
    )
    ApplicationReport.objects.create(
        case=theirs_case,
        user=worker,
        unit=units["TD1S1C1"],
        what_changed="设立共享充电点",
        outcome="投诉下降",
    )
    return worker


# --- Contents -------------------------------------------------------------------------------


def test_profile_contents_across_two_years(worker):
    profile = build_profile(worker)
    assert profile["worker"]["name"] == "李春燕"
    assert profile["worker"]["community"].endswith("T1-1-1社区")
    assert profile["years"] == [2026, 2025]

    by_year = {r["year"]: r for r in profile["hours"]}
    assert set(by_year) == {2025, 2026}
    # 2026: online 6 + offline (8 − 2) + external 20 + contest 4 = 36 ≥ 30, offline 6 ≥ 6.0.
    y26 = by_year[2026]
    cats26 = {c["category"]: c["hours"] for c in y26["categories"]}
    assert cats26 == {"online": D("6"), "offline": D("6"), "external": D("20"), "contest": D("4")}
    assert (y26["earned"], y26["required"], y26["offline_required"]) == (D(36), D(30), D("6.0"))
    assert y26["met"] is True
    # 2025: online 4 + offline 3 + external 5 = 12 < 40; offline 3 < 10.0.
    y25 = by_year[2025]
    cats25 = {c["category"]: c["hours"] for c in y25["categories"]}
    assert cats25 == {"online": D("4"), "offline": D("3"), "external": D("5"), "contest": D("0")}
    assert (y25["earned"], y25["required"], y25["offline_required"]) == (D(12), D(40), D("10.0"))
    assert y25["met"] is False and y25["remaining"] == D(28)

    courses = profile["courses"]
    assert [(c["year"], c["title"]) for c in courses] == [
        (2026, "网格治理实务"),
        (2025, "社区议事协商"),
    ]
    assert courses[0]["exam_score"] == D("85.5") and courses[0]["exam_passed"] is True
    assert courses[0]["hours_credited"] == D(6) and courses[1]["hours_credited"] == D(4)
    assert courses[1]["completed_on"] == date(2025, 6, 10)

    assert [(e["date"], e["score"], e["passed"]) for e in profile["exams"]] == [
        (date(2026, 3, 14), D("85.5"), True),
        (date(2026, 3, 1), D("55"), False),
    ]
    assert [(s["title"], s["year"], s["hours_credited"]) for s in profile["sessions"]] == [
        ("应急处置演练", 2026, D(6)),
        ("矛盾纠纷调解实训", 2025, D(3)),
    ]

    certs = profile["certificates"]
    assert [(c["title"], c["revoked"]) for c in certs] == [
        ("网格治理实务结业证书", False),
        ("作废的证书", True),
    ]
    code = certs[0]["code"]
    assert certs[0]["verify_path"] == f"/training/verify/{code}/"
    assert certs[0]["verify_url"].endswith(f"/training/verify/{code}/")

    contests = profile["contests"]
    assert len(contests) == 2
    final, heat = contests
    assert (final["competition"], final["round"], final["rank"], final["contestants"]) == (
        "青禾杯技能大赛",
        "决赛",
        2,
        3,
    )
    assert (final["total"], final["award"], final["final"]) == (D("88.30"), "二等奖", True)
    assert [(s["name"], s["score"]) for s in final["stages"]] == [
        ("笔试", D("85.00")),
        ("情景模拟", D("90.50")),
    ]
    assert (heat["year"], heat["rank"], heat["contestants"], heat["award"]) == (2025, 3, 4, "")
    assert heat["final"] is False and heat["total"] == D("76.50")

    assert [(c["title"], c["applications"]) for c in profile["cases"]] == [
        ("楼道充电难题的四个解法", 1)
    ]
    assert [(a["case"], a["what_changed"]) for a in profile["applications"]] == [
        ("别人的案例", "设立共享充电点")
    ]

    summary = profile["summary"]
    assert summary["years_active"] == 2
    assert (summary["first_year"], summary["last_year"]) == (2025, 2026)
    assert summary["total_hours"] == D(48)  # 12 + 36
    assert summary["certificates"] == 1  # the revoked one does not count
    assert summary["courses_completed"] == 2
    assert summary["best_contest"]["award"] == "二等奖"
    assert summary["cases"] == 1


def test_page_shows_the_sections(client, worker):
    client.force_login(worker)
    response = client.get("/en/profile/")
    assert response.status_code == 200
    text = response.content.decode()
    for anchor in ("summary", "hours", "courses", "exams", "sessions", "certificates"):
        assert f'id="{anchor}"' in text
    assert "李春燕" in text and "二等奖" in text and "楼道充电难题的四个解法" in text
    assert 'id="hours-2026"' in text and 'id="hours-2025"' in text
    assert "笔试 85.00" in text and "情景模拟 90.50" in text  # as published
    assert "Requirement not met" in text and "Requirement met" in text
    code = Certificate.objects.filter(holder=worker, revoked_at=None).get().code
    assert f"/training/verify/{code}/" in text
    assert f"/en/profile/{worker.pk}.pdf" in text and f"/en/profile/{worker.pk}.xlsx" in text
    assert client.get("/profile/").status_code == 200  # and in Chinese


# --- Who may see it -------------------------------------------------------------------------


def test_scoping(client, world, worker):
    units = world["units"]
    url = f"/en/profile/{worker.pk}/"
    assert client.get(url)["Location"].startswith("/en/accounts/login/")
    assert client.get("/en/profile/")["Location"].startswith("/en/accounts/login/")

    client.force_login(worker)
    assert client.get(url).status_code == 200

    client.force_login(make_admin(units["TD1S1"]))
    response = client.get(url)
    assert response.status_code == 200 and "李春燕" in response.content.decode()

    for outsider in (make_admin(units["TD1S2"]), make_worker(units["TD1S1C1"], real_name="同事")):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        assert client.get(f"/en/profile/{worker.pk}.pdf").status_code == 404
        assert client.get(f"/en/profile/{worker.pk}.xlsx").status_code == 404
    assert client.get("/en/profile/999999/").status_code == 404


def test_admin_exports_are_audited_own_are_not(client, world, worker):
    admin = make_admin(world["units"]["TD1S1"])
    client.force_login(worker)
    assert client.get(f"/en/profile/{worker.pk}.xlsx").status_code == 200
    assert not data_events().exists()

    client.force_login(admin)
    response = client.get(f"/en/profile/{worker.pk}.xlsx")
    assert response.status_code == 200
    event = data_events().get()
    assert (event.actor, event.action, event.count) == (admin, AuditEvent.Action.EXPORT, 1)
    assert "李春燕" in event.what and "T1区1街道" in event.scope


# --- Exports --------------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_in_chinese(client, world, worker):
    with translation.override("zh-hans"):
        content = render_profile_pdf(build_profile(worker))
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert "李春燕" in text
    for heading in ("学时", "课程", "考试", "线下培训", "证书", "技能大赛", "案例", "应用反馈"):
        assert heading in text, heading
    assert "二等奖" in text and "2026年3月15日" in text
    assert " / " in text  # page numbers, "1 / N"

    # The download an admin makes is the same document, and it is audited.
    client.force_login(make_admin(world["units"]["TD1S1"]))
    response = client.get(f"/profile/{worker.pk}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "李春燕" in pdf_text(response.content)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == 1


def test_xlsx_sheets_read_back(client, worker):
    client.force_login(worker)
    response = client.get(f"/en/profile/{worker.pk}.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Summary",
        "Learning hours",
        "Courses",
        "Exams",
        "Offline sessions",
        "Certificates",
        "Competitions",
        "Cases",
        "Application reports",
    ]
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Real name"] == "李春燕" and summary["Total learning hours"] == 48
    assert summary["Valid certificates"] == 1

    header, *rows = book["Learning hours"].iter_rows(values_only=True)
    lines = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    assert lines[2026]["Hours earned"] == 36 and lines[2026]["Requirement met"] == "Yes"
    assert lines[2025]["Offline sessions"] == 3 and lines[2025]["Requirement met"] == "No"

    header, *rows = book["Competitions"].iter_rows(values_only=True)
    final = dict(zip(header, rows[0], strict=True))
    assert (final["Rank"], final["Contestants"], final["Total"], final["Award"]) == (
        2,
        3,
        88.3,
        "二等奖",
    )
    assert final["Stage scores"] == "笔试 85.00；情景模拟 90.50"
    assert [r[1] for r in book["Courses"].iter_rows(min_row=2, values_only=True)] == [
        "网格治理实务",
        "社区议事协商",
    ]
    assert book["Exams"].max_row == 3 and book["Cases"].max_row == 2


# --- Queries --------------------------------------------------------------------------------


def test_constant_number_of_queries(client, world, worker):
    """Two sizes of the same record: two years with one or two of everything, then a third
    year with three more courses, sessions and cases."""
    units, sections = world["units"], world["sections"]

    def count(user):
        build_profile(user)  # warms the site-root cache that page URLs read once
        with CaptureQueriesContext(connection) as queries:
            build_profile(user)
        return len(queries)

    def count_page(user):
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/en/profile/").status_code == 200
        return len(queries)

    before, before_page = count(worker), count_page(worker)
    for n in range(3):
        course = make_course(sections["TD2"], f"加课{n}", hours="1", lessons=1)
        enrol(worker, course, at(2024, 4, 1 + n))
        attend(world, worker, f"加训{n}", at(2024, 5, 1 + n, 9), "1")
        make_case_page(sections["TD1S1"], worker, f"加案例{n}", year=2024)
        hours.credit(worker, "1", date(2024, 6, 1 + n), "external", source=f"external:x{n}")
    assert build_profile(worker)["years"] == [2026, 2025, 2024]
    assert count(worker) == before
    assert count_page(worker) == before_page
    # A worker with nothing yet costs no more than that.
    assert count(make_worker(units["TD2S1C1"], real_name="新人")) <= before
