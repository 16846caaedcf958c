"""Competition exports: the stage and round workbooks read back with openpyxl, the signed score
sheets' PDF text, the certificates list, and who may download any of it."""

import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext
from pypdf import PdfReader

from competitions import exports, results
from competitions.models import RoundResult, ScoreSheet, Stage
from people.models import AuditEvent
from tests.factories import (
    activate_totp,
    data_events,
    make_admin,
    make_appearance,
    make_competition,
    make_entry,
    make_stage,
    make_tree,
    make_user,
    make_worker,
)
from training import certificates
from training.models import Certificate

pytestmark = pytest.mark.django_db

# Three judges; per contestant their (listen, policy, solve) marks.
MARKS = {
    "A001": [("8.5", "9", "18"), ("8", "8.5", "17"), ("9", "9.5", "19")],  # 35.5 33.5 37.5 → 35.50
    "A002": [("7", "7.5", "15"), ("6.5", "7", "14"), ("7.5", "8", "16")],  # 29.5 27.5 31.5 → 29.50
    "A003": [("9.5", "9.5", "19"), ("9", "9", "18"), ("10", "10", "20")],  # 38 36 40 → 38.00
}
PANEL = {"A001": Decimal("35.5"), "A002": Decimal("29.5"), "A003": Decimal("38")}
NAMES = {"A001": "张晓梅", "A002": '=HYPERLINK("http://evil")', "A003": "王建国"}


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def add_sheet(appearance, judge, marks):
    values = dict(zip(("listen", "policy", "solve"), marks, strict=True))
    return ScoreSheet.objects.create(
        appearance=appearance,
        judge=judge,
        status=ScoreSheet.Status.SUBMITTED,
        values=values,
        total=sum(Decimal(v) for v in marks),
        submitted_at=timezone.now(),
    )


@pytest.fixture
def contest():
    units = make_tree()
    chief = make_user("裁判长老周")
    competition = make_competition(units["T"], chief_judge=chief)
    round_ = competition.rounds.get()
    round_.awards = [{"name": "一等奖", "share": "0.34"}, {"name": "二等奖", "share": "0.33"}]
    round_.save()
    stage = make_stage(round_)
    judges = [make_user(name) for name in ("评委甲", "评委乙", "评委丙")]
    communities = ["TD1S1C1", "TD1S2C1", "TD2S1C1"]
    appearances = {}
    for (code, name), community in zip(NAMES.items(), communities, strict=True):
        worker = make_worker(units[community], real_name=name)
        appearance = make_appearance(
            stage, make_entry(competition, worker), code=code, judges=judges
        )
        appearances[code] = appearance
        for judge, marks in zip(judges, MARKS[code], strict=True):
            add_sheet(appearance, judge, marks)
    organiser = make_admin(units["T"])
    activate_totp(organiser)
    return {
        "units": units,
        "competition": competition,
        "round": round_,
        "stage": stage,
        "judges": judges,
        "chief": chief,
        "organiser": organiser,
        "appearances": appearances,
    }


def read(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content))


def rows_of(sheet):
    return list(sheet.iter_rows(values_only=True))


def all_text(workbook) -> str:
    return " ".join(
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


def decode(stage):
    stage.status = Stage.Status.DECODED
    stage.save(update_fields=["status"])


# ---------------------------------------------------------------------------------------
# Stage workbook
# ---------------------------------------------------------------------------------------


def test_stage_workbook_before_decoding_has_codes_and_judges_scores_but_no_names(contest):
    content, count = exports.stage_workbook(contest["stage"])
    workbook = read(content)
    sheet = workbook.worksheets[0]
    assert count == 3
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    header, *body = rows_of(sheet)
    # order, blind code, room, card, 3 judges × (3 criteria + total), judges, panel score
    assert len(header) == 4 + 3 * 4 + 2
    assert header[4:8] == ("J1 倾听与共情", "J1 政策把握", "J1 解决方案", header[7])
    assert header[7].startswith("J1") and header[11].startswith("J2")
    data = [row for row in body if row and row[0] is not None and isinstance(row[0], int)]
    assert [row[1] for row in data] == ["A001", "A002", "A003"]
    first = data[0]
    assert first[4:8] == (8.5, 9, 18, 35.5)  # numbers, not text
    assert first[8:12] == (8, 8.5, 17, 33.5)
    assert first[12:16] == (9, 9.5, 19, 37.5)
    assert {row[1]: Decimal(str(row[-1])) for row in data} == PANEL
    assert [row[-2] for row in data] == [3, 3, 3]
    assert sheet.cell(row=2, column=len(header)).number_format == "0.00"
    text = all_text(workbook)
    for name in NAMES.values():
        assert name not in text and name.lstrip("=") not in text
    # The judges are named on the second sheet.
    legend = rows_of(workbook.worksheets[1])
    assert legend[1:] == [("J1", "评委甲"), ("J2", "评委乙"), ("J3", "评委丙")]


def test_stage_workbook_after_decoding_shows_names_and_neutralises_formulas(contest):
    decode(contest["stage"])
    workbook = read(exports.stage_workbook(contest["stage"])[0])
    sheet = workbook.worksheets[0]
    header, *body = rows_of(sheet)
    assert len(header) == 6 + 3 * 4 + 2
    data = {row[1]: row for row in body if row and isinstance(row[0], int)}
    assert data["A001"][2] == "张晓梅"
    assert data["A001"][3] == "T第1区/T1区1街道/T1-1-1社区"
    evil = sheet.cell(row=3, column=3)
    assert evil.data_type == "s"
    assert evil.value == "'" + NAMES["A002"]  # shown as text, never run as a formula
    assert data["A003"][6] == 9.5  # J1's first criterion, shifted by the name columns


def test_stage_workbook_panel_score_follows_the_stage_rule(contest):
    stage = contest["stage"]
    stage.aggregate, stage.min_judges, stage.trim = Stage.Aggregate.TRIMMED, 3, 1
    stage.save()
    rows = rows_of(read(exports.stage_workbook(stage)[0]).worksheets[0])
    panel = {row[1]: row[-1] for row in rows[1:] if row and isinstance(row[0], int)}
    # Dropping the highest and lowest of three leaves the middle judge (J2's total).
    assert panel == {"A001": 35.5, "A002": 29.5, "A003": 38}
    a002 = [row for row in rows if row and row[1] == "A002"][0]
    assert sorted([a002[7], a002[11], a002[15]]) == [27.5, 29.5, 31.5]


def test_stage_workbook_query_count_does_not_grow_with_rows(contest):
    stage = contest["stage"]
    with CaptureQueriesContext(connection) as few:
        exports.stage_workbook(stage)
    units = contest["units"]
    for n in range(4, 9):
        worker = make_worker(units["TD2S2C2"], real_name=f"选手{n}")
        appearance = make_appearance(
            stage, make_entry(contest["competition"], worker), judges=contest["judges"]
        )
        for judge in contest["judges"]:
            add_sheet(appearance, judge, ("5", "5", "10"))
    with CaptureQueriesContext(connection) as many:
        content, count = exports.stage_workbook(stage)
    assert count == 8
    assert len(many) == len(few) <= 8


def test_unsubmitted_sheets_are_not_exported(contest):
    sheet = ScoreSheet.objects.get(
        appearance=contest["appearances"]["A001"], judge=contest["judges"][0]
    )
    sheet.status = ScoreSheet.Status.REOPENED
    sheet.save()
    rows = rows_of(read(exports.stage_workbook(contest["stage"])[0]).worksheets[0])
    a001 = [row for row in rows if row and row[1] == "A001"][0]
    totals = [a001[i] for i in (7, 11, 15)]
    assert totals.count(None) == 1 and a001[-2] == 2


# ---------------------------------------------------------------------------------------
# Round workbook
# ---------------------------------------------------------------------------------------


def publish_directly(contest) -> RoundResult:
    """A RoundResult frozen the way publishing freezes one (made here, not through publish)."""
    decode(contest["stage"])
    round_ = contest["round"]
    frame = results.scores_frame(round_)
    rules = results.rules_for(round_)
    ranking = results.compute(round_)
    scores_csv = results.scores_csv_text(frame)
    rules_json = results.rules_json_text(rules)
    ranking_csv = results.ranking_csv_text(ranking)
    return RoundResult.objects.create(
        round=round_,
        version=1,
        status=RoundResult.Status.NOTICE,
        published_at=timezone.now(),
        published_by=contest["organiser"],
        appeal_deadline=timezone.now(),
        ranking=results.ranking_rows(ranking, rules),
        scores_csv=scores_csv,
        rules_json=rules_json,
        ranking_csv=ranking_csv,
        sha256=results.fingerprint(scores_csv, rules_json, ranking_csv),
    )


def test_round_workbook_equals_the_published_ranking(contest):
    result = publish_directly(contest)
    content, count = exports.round_workbook(result)
    workbook = read(content)
    header, *body = rows_of(workbook.worksheets[0])
    assert count == 3
    assert "情景模拟" in header
    stage_column = header.index("情景模拟")
    ranked = [row for row in body if row and isinstance(row[0], int)]
    assert [
        (row[0], row[1], row[2].removeprefix("'"), Decimal(str(row[stage_column])), row[-1] or "")
        for row in ranked
    ] == [
        (
            line["rank"],
            line["contestant"],
            line["name"],
            Decimal(line["stages"]["scenario"]),
            line["award"],
        )
        for line in result.ranking
    ]
    assert [Decimal(str(row[-2])) for row in ranked] == [
        Decimal(line["total"]) for line in result.ranking
    ]
    assert [row[-1] for row in ranked] == ["一等奖", "二等奖", None]  # no award: an empty cell
    assert ranked[0][2] == "王建国"
    assert ranked[2][2] == "'" + NAMES["A002"]  # neutralised here too
    assert result.sha256 in all_text(workbook)


def test_round_workbook_lists_every_judges_total(contest):
    result = publish_directly(contest)
    workbook = read(exports.round_workbook(result)[0])
    judges_sheet = workbook.worksheets[1]
    assert judges_sheet.freeze_panes == "A2"
    header, *body = rows_of(judges_sheet)
    lines = [row for row in body if row and row[1]]
    assert len(lines) == 9
    by_key = {(row[2], row[5]): Decimal(str(row[6])) for row in lines}
    names = [judge.real_name for judge in contest["judges"]]
    for code, marks in MARKS.items():
        for judge_name, judge_marks in zip(names, marks, strict=True):
            assert by_key[(code, judge_name)] == sum(Decimal(m) for m in judge_marks)
    assert {row[3].removeprefix("'") for row in lines} == set(NAMES.values())


# ---------------------------------------------------------------------------------------
# Score sheets to sign
# ---------------------------------------------------------------------------------------


def pdf_pages(content: bytes) -> list[str]:
    return [compact(page.extract_text()) for page in PdfReader(io.BytesIO(content)).pages]


def label(msgid: str) -> str:
    with translation.override("zh-hans"):
        return compact(gettext(msgid)).rstrip(":：")


def test_score_sheets_pdf_has_a_signed_page_per_judge(contest):
    # The sheets follow the language of whoever prints them; these are printed in Chinese.
    with translation.override("zh-hans"):
        content, count = exports.score_sheets_pdf(contest["stage"])
    pages = pdf_pages(content)
    assert count == 3 and len(pages) == 3
    signature, chief_signature = label("Judge's signature:"), label("Chief judge's signature:")
    by_judge = {}
    for page in pages:
        judge = next(j for j in contest["judges"] if j.real_name in page)
        by_judge[judge.real_name] = page
        assert "青禾杯社区工作者技能大赛" in page and "情景模拟" in page and "第一考场" in page
        assert signature in page and chief_signature in page
        assert all(code in page for code in MARKS)
        assert "张晓梅" not in page  # not decoded yet
    assert set(by_judge) == {"评委甲", "评委乙", "评委丙"}
    # Each judge's own totals, not another judge's.
    first = by_judge["评委甲"]
    assert "35.5" in first and "29.5" in first and "38" in first
    assert "37.5" not in first
    assert "37.5" in by_judge["评委丙"]


def test_score_sheets_pdf_names_contestants_once_decoded(contest):
    decode(contest["stage"])
    pages = pdf_pages(exports.score_sheets_pdf(contest["stage"])[0])
    assert all("张晓梅" in page and "王建国" in page for page in pages)


# ---------------------------------------------------------------------------------------
# Views and who may use them
# ---------------------------------------------------------------------------------------


def urls(contest) -> dict[str, str]:
    stage, round_, competition = contest["stage"], contest["round"], contest["competition"]
    return {
        "index": f"/competitions/exports/{competition.pk}/",
        "stage": f"/competitions/exports/stages/{stage.pk}/scores.xlsx",
        "sheets": f"/competitions/exports/stages/{stage.pk}/score-sheets.pdf",
        "round": f"/competitions/exports/rounds/{round_.pk}/result.xlsx",
        "certificates": f"/competitions/exports/{competition.pk}/certificates/",
    }


def test_views_refuse_everyone_but_the_organiser_and_chief_judge(client, contest):
    publish_directly(contest)
    addresses = urls(contest)
    for url in addresses.values():
        assert client.get(url).status_code == 302  # to the login page
    outsiders = [
        contest["judges"][0],  # a judge, not the chief
        make_admin(contest["units"]["TD1S1"]),  # an admin below the organiser's unit
        make_worker(contest["units"]["TD1S1C1"], real_name="路人"),
    ]
    for user in outsiders:
        client.force_login(user)
        for url in addresses.values():
            assert client.get(url).status_code == 403, (user, url)
    assert not data_events().exists()


@pytest.mark.parametrize("who", ["organiser", "chief"])
def test_organiser_and_chief_judge_download_and_are_audited(client, contest, who):
    publish_directly(contest)
    client.force_login(contest[who])
    addresses = urls(contest)
    index = client.get(addresses["index"])
    assert index.status_code == 200
    assert addresses["stage"] in index.content.decode()
    response = client.get(addresses["stage"])
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_TYPE
    assert rows_of(read(response.content).worksheets[0])[1][1] == "A001"
    response = client.get(addresses["round"])
    assert response.status_code == 200 and read(response.content).sheetnames[0]
    response = client.get(addresses["sheets"])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    events = list(data_events().filter(actor=contest[who]).order_by("at", "pk"))
    assert [event.action for event in events] == [AuditEvent.Action.EXPORT] * 3
    assert [event.count for event in events] == [3, 3, 3]
    assert "情景模拟" in events[0].what


def test_round_export_without_a_result_says_so(client, contest):
    client.force_login(contest["chief"])
    response = client.get(urls(contest)["round"], follow=True)
    assert response.redirect_chain[-1][0] == urls(contest)["index"]
    assert len(list(response.context["messages"])) == 1
    assert not data_events().exists()


def test_score_sheets_without_submissions_say_so(client, contest):
    ScoreSheet.objects.all().delete()
    client.force_login(contest["chief"])
    response = client.get(urls(contest)["sheets"], follow=True)
    assert response.redirect_chain[-1][0] == urls(contest)["index"]
    assert len(list(response.context["messages"])) == 1


def test_certificates_list(client, contest):
    competition = contest["competition"]
    worker = contest["appearances"]["A001"].entry.registration.worker
    certificate = certificates.issue(
        worker,
        Certificate.Kind.AWARD,
        "2026 青禾杯社区工作者技能大赛 · 一等奖",
        "荣获一等奖",
        competition.owner_unit,
        timezone.localdate(),
        f"award:{contest['round'].pk}:{contest['appearances']['A001'].entry.registration_id}",
    )
    certificates.issue(  # another competition's certificate is not listed
        worker,
        Certificate.Kind.COURSE,
        "课程",
        "完成课程",
        competition.owner_unit,
        timezone.localdate(),
        "course:99",
    )
    client.force_login(contest["organiser"])
    page = client.get(urls(contest)["certificates"]).content.decode()
    assert certificate.code in page and f"/training/verify/{certificate.code}/" in page
    assert "课程" not in page.split('id="certificates"')[1]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, count=1).exists()
