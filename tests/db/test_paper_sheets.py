"""Paper score sheets: a real .xlsx typed in and uploaded, all or nothing, then confirmed by a
second person; the template comes pre-filled with the codes and judges."""

import io
import uuid
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from competitions import judging, paper
from competitions.models import ScoreChange, ScoreSheet, Stage
from tests.db.test_judging import GOOD, NAMES, build_contest
from tests.factories import activate_totp, make_admin

pytestmark = pytest.mark.django_db

HEADER = ["编码", "评委", "倾听与共情", "政策把握", "解决方案"]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def contest():
    return build_contest()


@pytest.fixture
def organiser(contest):
    admin = make_admin(contest.units["T"])
    activate_totp(admin)
    return admin


def workbook(rows, header=HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def full_rows(contest):
    """Every (code, judge) of the contest, with good scores as numbers, as typists enter them."""
    j1, j2, j3 = (j.username for j in contest.judges)
    return [
        ["A001", j1, 8.5, 9, 15],
        ["A001", j2, 7, 8, 14],
        ["A001", j3, 6.5, 7.5, 12],
        ["A002", j1, 9, 9, 18],
        ["A002", j2, 8, 8.5, 16],
    ]


def test_a_good_file_types_in_entered_sheets(contest, organiser):
    sheets = paper.import_paper_sheets(
        contest.stage, workbook(full_rows(contest)), "评分表.xlsx", organiser
    )
    assert len(sheets) == 5
    stored = ScoreSheet.objects.get(appearance=contest.first, judge=contest.judges[0])
    assert (stored.status, stored.source, stored.entered_by) == ("entered", "paper", organiser)
    assert stored.values == GOOD and stored.total == Decimal("32.5")
    assert stored.submission_id is None and stored.submitted_at is None
    assert stored.changes.get().kind == ScoreChange.Kind.ENTERED
    # Typed in is not submitted: the stage cannot close until someone confirms them.
    with pytest.raises(ValidationError, match="A001、A002"):
        judging.close_stage(contest.stage, contest.chief)


def test_judges_by_mobile_number_and_headers_by_code(contest, organiser):
    judge = contest.judges[0]
    header = ["code", "judge", "listen", "policy", "solve"]
    rows = [["A001", int(judge.phone), 8.5, 9, 15]]
    paper.import_paper_sheets(contest.stage, workbook(rows, header), "sheet.xlsx", organiser)
    assert ScoreSheet.objects.get().judge == judge


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda rows: rows[1].__setitem__(0, "Z999"), "Row 3: “Z999” is not a blind code"),
        (lambda rows: rows.append(list(rows[0])), "Row 7: the same code and judge as row 2."),
        (
            lambda rows: rows[2].__setitem__(2, 12),
            "Row 4: “倾听与共情”: 12 is outside 0–10 points.",
        ),
        (
            lambda rows: rows[3].__setitem__(4, 15.5),
            "Row 5: “解决方案”: 15.5 is not a multiple of the step 1.",
        ),
        (lambda rows: rows[0].__setitem__(3, None), "Row 2: “政策把握”: a score is required."),
        (lambda rows: rows[0].__setitem__(1, "nobody"), "Row 2: “nobody” is not a judge"),
    ],
)
def test_any_bad_row_saves_nothing_and_names_the_row(contest, organiser, change, expected):
    rows = full_rows(contest)
    change(rows)
    with pytest.raises(ValidationError) as refusal:
        paper.import_paper_sheets(contest.stage, workbook(rows), "评分表.xlsx", organiser)
    assert any(m.startswith(expected) for m in refusal.value.messages), refusal.value.messages
    assert not ScoreSheet.objects.exists() and not ScoreChange.objects.exists()


def test_recused_unassigned_and_already_submitted_pairs_are_refused(contest, organiser):
    j1, j2, j3 = contest.judges
    judging.submit_sheet(contest.first, j1, GOOD, uuid.uuid4())
    rows = [
        ["A002", j3.username, 8, 8, 8],  # stands aside from A002
        ["A001", j1.username, 8, 8, 8],  # already submitted online
        ["A001", j2.username, 8, 8, 8],  # fine on its own
    ]
    with pytest.raises(ValidationError) as refusal:
        paper.import_paper_sheets(contest.stage, workbook(rows), "评分表.xlsx", organiser)
    messages = refusal.value.messages
    assert f"Row 2: {j3.username} stands aside from A002." in messages
    assert f"Row 3: {j1.username} has already submitted a sheet for A001." in messages
    assert ScoreSheet.objects.count() == 1


def test_a_file_without_the_columns_is_refused(contest, organiser):
    data = workbook([["A001", "x", 1]], header=["编码", "评委", "倾听与共情"])
    with pytest.raises(ValidationError) as refusal:
        paper.import_paper_sheets(contest.stage, data, "评分表.xlsx", organiser)
    assert "政策把握" in refusal.value.messages[0] and "解决方案" in refusal.value.messages[0]
    with pytest.raises(ValidationError):
        paper.import_paper_sheets(contest.stage, b"%PDF-1.4 nonsense", "a.pdf", organiser)


def test_only_organisers_and_the_chief_may_type_in(contest):
    with pytest.raises(PermissionDenied):
        paper.import_paper_sheets(
            contest.stage, workbook(full_rows(contest)), "x.xlsx", contest.judges[0]
        )
    paper.import_paper_sheets(
        contest.stage, workbook(full_rows(contest)[:1]), "x.xlsx", contest.chief
    )
    assert ScoreSheet.objects.get().entered_by == contest.chief


def test_the_enterer_cannot_confirm_but_someone_else_can(contest, organiser):
    sheets = paper.import_paper_sheets(
        contest.stage, workbook(full_rows(contest)), "评分表.xlsx", organiser
    )
    with pytest.raises(PermissionDenied, match="someone else must confirm"):
        paper.confirm_paper_sheets(sheets, organiser)
    assert set(ScoreSheet.objects.values_list("status", flat=True)) == {"entered"}
    with pytest.raises(PermissionDenied):
        paper.confirm_paper_sheets(sheets, contest.judges[0])  # not organiser nor chief
    confirmed = paper.confirm_paper_sheets(sheets, contest.chief)
    assert len(confirmed) == 5
    sheet = ScoreSheet.objects.get(appearance=contest.first, judge=contest.judges[0])
    assert (sheet.status, sheet.confirmed_by) == ("submitted", contest.chief)
    assert sheet.submitted_at is not None
    assert [c.kind for c in sheet.changes.all()] == ["entered", "confirmed"]
    assert sheet.changes.get(kind="confirmed").by == contest.chief
    with pytest.raises(ValidationError):  # confirming twice
        paper.confirm_paper_sheets(sheets, contest.chief)
    judging.close_stage(contest.stage, contest.chief)


def test_a_reopened_sheet_can_be_typed_in_again(contest, organiser):
    judge = contest.judges[0]
    sheet, _ = judging.submit_sheet(contest.first, judge, GOOD, uuid.uuid4())
    judging.reopen_sheet(sheet, contest.chief, "按纸质评分表重录")
    rows = [["A001", judge.username, 6, 6, 6]]
    paper.import_paper_sheets(contest.stage, workbook(rows), "x.xlsx", organiser)
    sheet.refresh_from_db()
    assert (sheet.status, sheet.source, sheet.total) == ("entered", "paper", Decimal("18"))
    change = sheet.changes.get(kind="entered")
    assert change.old_values == GOOD and change.new_values == {
        "listen": "6",
        "policy": "6",
        "solve": "6",
    }


def test_template_comes_prefilled_and_round_trips(client, contest, organiser):
    client.force_login(organiser)
    room = contest.first.room
    response = client.get(
        reverse("competitions:paper_template", args=[contest.stage.pk]) + f"?room={room.pk}"
    )
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:2] == ("编码", "评委") and rows[0][3:] == ("倾听与共情", "政策把握", "解决方案")
    pairs = [(r[0], r[1]) for r in rows[1:]]
    j1, j2, j3 = (j.username for j in contest.judges)
    assert pairs == [("A001", j1), ("A001", j2), ("A001", j3), ("A002", j1), ("A002", j2)]
    for name in NAMES:
        assert all(name not in str(cell) for row in rows for cell in row)
    # Filled in and uploaded again, it is accepted as it is.
    sheet = book.worksheets[0]
    for row in range(2, sheet.max_row + 1):
        for column, value in zip((4, 5, 6), (8, 8.5, 15), strict=True):
            sheet.cell(row=row, column=column, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    sheets = paper.import_paper_sheets(contest.stage, buffer.getvalue(), "t.xlsx", organiser)
    assert len(sheets) == 5 and {s.total for s in sheets} == {Decimal("31.5")}


def test_upload_page_lists_problems_and_confirm_page_refuses_the_enterer(
    client, contest, organiser
):
    url = reverse("competitions:paper_upload", args=[contest.stage.pk])
    client.force_login(contest.judges[0])
    assert client.get(url).status_code == 403
    client.force_login(organiser)
    rows = full_rows(contest)
    rows[1][0] = "Z999"
    upload = SimpleUploadedFile("评分表.xlsx", workbook(rows))
    page = client.post(url, {"file": upload}).content.decode()
    assert "Row 3: “Z999” is not a blind code of this stage." in page
    assert not ScoreSheet.objects.exists()
    upload = SimpleUploadedFile("评分表.xlsx", workbook(full_rows(contest)))
    response = client.post(url, {"file": upload}, follow=True)
    assert "5 sheets typed in" in response.content.decode()
    assert ScoreSheet.objects.filter(status="entered").count() == 5
    ids = list(ScoreSheet.objects.values_list("pk", flat=True))
    confirm = reverse("competitions:paper_confirm", args=[contest.stage.pk])
    response = client.post(confirm, {"sheet": ids}, follow=True)
    assert "someone else must confirm them" in response.content.decode()
    assert ScoreSheet.objects.filter(status="entered").count() == 5
    client.force_login(contest.chief)
    client.post(confirm, {"sheet": ids})
    assert ScoreSheet.objects.filter(status="submitted", confirmed_by=contest.chief).count() == 5


def test_paper_needs_an_open_stage(contest, organiser):
    Stage.objects.filter(pk=contest.stage.pk).update(status=Stage.Status.CLOSED)
    with pytest.raises(ValidationError) as refusal:
        paper.import_paper_sheets(contest.stage, workbook(full_rows(contest)), "x.xlsx", organiser)
    assert refusal.value.code == "stage_not_open"
