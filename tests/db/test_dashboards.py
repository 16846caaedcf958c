"""Dashboards: figures per child unit against hand counts, scoping, charts, export, queries."""

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cms import dashboards
from cms.models import ApplicationReport, CasePage, UsefulMark
from competitions.models import Competition, RoundResult
from people.models import AuditEvent
from tests.db.test_casebook import make_case
from tests.factories import (
    activate_totp,
    make_admin,
    make_competition,
    make_course,
    make_entry,
    make_plan,
    make_sections,
    make_tree,
    make_user,
    make_worker,
)
from training import hours
from training.models import Enrolment, HoursRequirement, TrainingPlan

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year
URL = "/en/dashboard/"


def credit(user, amount, month, key):
    hours.credit(user, Decimal(amount), date(YEAR, month, 10), "online", source=f"test:{key}")


def enrol(user, course, plan, *, done, required=True):
    return Enrolment.objects.create(
        user=user,
        course=course,
        plan=plan,
        source="plan" if required else "self",
        required=required,
        completed_at=timezone.now() if done else None,
    )


@pytest.fixture
def world():
    """District TD1: street S1 has 张一 (22 h, met) and 王二 (5 h); S2 has 李三 (0 h).
    杨四 in TD2 must never count."""
    units = make_tree()
    sections = make_sections(units)
    w1 = make_worker(units["TD1S1C1"], real_name="张一")
    w2 = make_worker(units["TD1S1C2"], real_name="王二")
    w3 = make_worker(units["TD1S2C1"], real_name="李三")
    w4 = make_worker(units["TD2S1C1"], real_name="杨四")
    HoursRequirement.objects.create(owner_unit=units["T"], year=YEAR, hours=20)

    credit(w1, "12", 1, 1)
    credit(w1, "10", 3, 2)
    credit(w2, "5", 3, 3)
    credit(w4, "30", 1, 4)
    hours.credit(w2, Decimal("7"), date(YEAR - 1, 5, 1), "online", source="test:old")

    c1, c2 = (
        make_course(sections["T"], "课一", lessons=1),
        make_course(sections["T"], "课二", lessons=1),
    )
    plan = make_plan(units["T"], [c1, c2])
    TrainingPlan.objects.filter(pk=plan.pk).update(
        start_date=date(YEAR, 1, 1), end_date=date(YEAR, 12, 31)
    )
    enrol(w1, c1, plan, done=True)
    enrol(w1, c2, plan, done=False)
    enrol(w2, c1, plan, done=True)
    enrol(w3, c1, plan, done=False)
    enrol(w3, c2, None, done=True, required=False)  # chosen, not required: not counted
    enrol(w4, c1, plan, done=True)

    organiser = make_admin(units["T"])
    competition = make_competition(units["T"])
    Competition.objects.filter(pk=competition.pk).update(year=YEAR)
    regs = {w: make_entry(competition, w).registration for w in (w1, w2, w3, w4)}
    round_ = competition.rounds.get()

    def result(version, status, awards):
        ranking = [
            {"rank": n, "registration": regs[w].pk, "award": award}
            for n, (w, award) in enumerate(awards, 1)
        ]
        now = timezone.now()
        RoundResult.objects.create(
            round=round_, version=version, status=status, published_at=now,
            published_by=organiser, appeal_deadline=now + timedelta(days=3), ranking=ranking,
            scores_csv="", rules_json="", ranking_csv="", sha256="",
        )  # fmt: skip

    result(1, RoundResult.Status.SUPERSEDED, [(w3, "一等奖"), (w2, "二等奖")])
    result(2, RoundResult.Status.NOTICE, [(w1, "一等奖"), (w4, "一等奖"), (w3, "二等奖"), (w2, "")])

    a = make_case(sections["TD1S1"], "案例甲")
    b = make_case(sections["TD1S2"], "案例乙")
    c = make_case(sections["TD2"], "外区案例")
    d = make_case(sections["TD1S1"], "草稿案例", publish=False)
    for case, views in ((a, 5), (b, 1), (c, 100), (d, 50)):
        CasePage.objects.filter(pk=case.pk).update(view_count=views)
    for reader in (w1, w2, w3):
        UsefulMark.objects.create(user=reader, case=b)
    for reader in (w1, w2):
        ApplicationReport.objects.create(
            case=b, user=reader, unit=units["TD1S1C1"], what_changed="改", outcome="好"
        )
    return units, {"w1": w1, "w2": w2, "w3": w3, "w4": w4}


def by_code(rows):
    return {row["unit"].code: row for row in rows}


def test_figures_per_street_match_hand_counts(world):
    units, _ = world
    board = dashboards.build(units["TD1"], YEAR)
    assert [c.code for c in board.children] == ["TD1S1", "TD1S2"]

    completion = by_code(board.completion)
    assert (completion["TD1S1"]["done"], completion["TD1S1"]["total"]) == (2, 3)
    assert completion["TD1S1"]["percent"] == 67
    assert (completion["TD1S2"]["done"], completion["TD1S2"]["total"]) == (0, 1)

    hours_rows = by_code(board.hours)
    assert hours_rows["TD1S1"] == {
        "unit": units["TD1S1"], "workers": 2, "average": Decimal("13.5"), "behind": 1
    }  # fmt: skip
    assert (hours_rows["TD1S2"]["average"], hours_rows["TD1S2"]["behind"]) == (Decimal("0.0"), 1)

    months = {row["month"]: row["hours"] for row in board.months}
    assert (months[1], months[3], months[2]) == (Decimal("12"), Decimal("15"), Decimal("0"))
    assert [row["count"] for row in board.distribution] == [2, 0, 1, 0, 0, 0, 0]

    contests = by_code(board.contests)
    assert (contests["TD1S1"]["contestants"], contests["TD1S1"]["awards"]) == (2, 1)
    assert (contests["TD1S2"]["contestants"], contests["TD1S2"]["awards"]) == (1, 1)

    assert [(c.title, c.uses) for c in board.cases] == [("案例乙", 6), ("案例甲", 5)]


def test_city_sees_districts_and_a_community_has_no_rows(world):
    units, _ = world
    board = dashboards.build(units["T"], YEAR)
    completion = by_code(board.completion)
    assert (completion["TD2"]["done"], completion["TD2"]["total"]) == (1, 1)
    assert by_code(board.hours)["TD2"]["behind"] == 0
    community = dashboards.build(units["TD1S1C1"], YEAR)
    assert community.children == [] and community.completion == []
    assert sum(row["count"] for row in community.distribution) == 1


def district_client(client, unit):
    admin = make_admin(unit)
    activate_totp(admin)
    client.force_login(admin)
    return admin


def test_page_shows_tables_charts_and_drill_links(client, world):
    units, _ = world
    district_client(client, units["TD1"])
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert '<a class="drill" href="?unit=TD1S1">T1区1街道</a>' in page
    assert "T2区1街道" not in page  # another district's street
    assert page.count("<svg ") == 4
    assert "67%" in page and "13.5" in page and "案例乙" in page and "外区案例" not in page
    drilled = client.get(URL + "?unit=TD1S1").content.decode()
    assert "T1-1-1社区" in drilled and "T1区2街道" not in drilled.split("</nav>")[1]


def test_charts_load_and_run_nothing_remote(client, world):
    units, _ = world
    district_client(client, units["TD1"])
    page = client.get(URL).content.decode()
    svgs = re.findall(r"<svg .*?</svg>", page, re.S)
    assert len(svgs) == 4
    for svg in svgs:
        assert "<script" not in svg
        assert "cdn" not in svg.lower()
        assert not re.search(r"(src|href)=\"https?:", svg)
    assert not re.search(r"<script[^>]+src=\"https?:", page)


def test_scope_street_admin_and_worker(client, world):
    units, people = world
    street_admin = make_admin(units["TD1S1"])
    client.force_login(street_admin)
    assert client.get(URL + "?unit=TD1S2").status_code == 404
    assert client.get(URL + "?unit=TD1").status_code == 404  # above their street
    assert client.get(URL + "?unit=NOPE").status_code == 404
    assert client.get(URL + "export.xlsx?unit=TD1S2").status_code == 404
    page = client.get(URL).content.decode()
    assert "T1-1-1社区" in page and "T1区2街道" not in page
    assert client.get(URL + "?unit=TD1S1C2").status_code == 200
    client.force_login(people["w1"])
    assert client.get(URL).status_code == 403
    assert client.get(URL + "export.xlsx").status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302


def test_export_reads_back_and_is_audited(client, world):
    units, _ = world
    admin = district_client(client, units["TD1"])
    response = client.get(URL + "export.xlsx?unit=TD1")
    assert response.status_code == 200
    assert "dashboard-TD1-" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 6

    def rows(index):
        return list(book.worksheets[index].iter_rows(values_only=True))

    assert rows(0)[1:] == [("T1区1街道", 2, 3, 67), ("T1区2街道", 0, 1, 0)]
    assert rows(1)[1:] == [("T1区1街道", 2, 13.5, 1), ("T1区2街道", 1, 0, 1)]
    assert rows(2)[1] == (1, 12) and rows(2)[3] == (3, 15)
    assert [r[1] for r in rows(3)[1:]] == [2, 0, 1, 0, 0, 0, 0]
    assert rows(4)[1:] == [("T1区1街道", 2, 1), ("T1区2街道", 1, 1)]
    assert rows(5)[1] == ("案例乙", "T1区2街道", 1, 3, 2)
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == admin and "T第1区" in event.what


def page_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_page_runs_a_constant_number_of_queries(client, world):
    units, people = world
    district_client(client, units["TD1"])
    course = Enrolment.objects.filter(required=True).first()
    page_queries(client)  # warm the per-process caches (site root paths)
    small = page_queries(client)
    for n in range(12):
        worker = make_worker(units[f"TD1S{n % 2 + 1}C{n % 2 + 1}"], real_name=f"新人{n}")
        credit(worker, str(n + 1), n % 12 + 1, f"more{n}")
        enrol(worker, course.course, course.plan, done=n % 3 == 0)
        UsefulMark.objects.create(user=worker, case=CasePage.objects.get(title="案例甲"))
    make_user("旁人")
    assert page_queries(client) == small
