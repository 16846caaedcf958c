"""Judging: score validation, submission (idempotent, once), recusal, reopen and re-mark with
their audit trail, closing, exam import, decoding, the API's status codes and the pages."""

import json
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from competitions import judging
from competitions.models import (
    Assignment,
    Recusal,
    RemarkRequest,
    ScoreChange,
    ScoreSheet,
    Stage,
)
from tests.factories import (
    activate_totp,
    make_admin,
    make_appearance,
    make_competition,
    make_entry,
    make_stage,
    make_tree,
    make_user,
    make_worker,
)

pytestmark = pytest.mark.django_db

GOOD = {"listen": "8.5", "policy": "9", "solve": "15"}  # 32.5
NAMES = ("王小明", "李秀英")


@dataclass
class Contest:
    units: dict
    chief: object
    competition: object
    stage: object
    judges: list
    outsider: object
    first: object  # A001: all three judges
    second: object  # A002: judges 0 and 1; judge 2 stands aside


def build_contest(prefix="T") -> Contest:
    """An open scenario stage with two contestants, three judges and one recusal."""
    units = make_tree(prefix)
    chief = make_user("裁判长")
    competition = make_competition(units[prefix], chief_judge=chief)
    stage = make_stage(competition.rounds.get(), status=Stage.Status.OPEN)
    judges = [make_user(f"评委{n}") for n in (1, 2, 3)]
    workers = [
        make_worker(units[f"{prefix}D1S1C1"], real_name=NAMES[0]),
        make_worker(units[f"{prefix}D2S1C1"], real_name=NAMES[1]),
    ]
    entries = [make_entry(competition, worker) for worker in workers]
    first = make_appearance(stage, entries[0], code="A001", judges=judges)
    second = make_appearance(stage, entries[1], code="A002", judges=judges[:2])
    second.room.judges.add(judges[2])
    Recusal.objects.create(appearance=second, judge=judges[2], reason=Recusal.Reason.SAME_STREET)
    return Contest(units, chief, competition, stage, judges, make_user("旁人"), first, second)


@pytest.fixture
def contest():
    return build_contest()


@pytest.fixture(autouse=True)
def english():
    # Messages are asserted in their English source form, whatever the .po files say.
    with translation.override("en"):
        yield


def submit(appearance, judge, values=GOOD, submission_id=None):
    return judging.submit_sheet(appearance, judge, values, submission_id or uuid.uuid4())


def score_everything(contest, values=GOOD):
    for appearance in (contest.first, contest.second):
        for assignment in Assignment.objects.filter(appearance=appearance):
            submit(appearance, assignment.judge, values)


# --------------------------------------------------------------------------- values


def test_valid_values_are_normalised_and_summed(contest):
    values, total = judging.validate_values(
        contest.stage, {"listen": 8.5, "policy": "9.0", "solve": 15}
    )
    assert values == {"listen": "8.5", "policy": "9", "solve": "15"}
    assert total == Decimal("32.5")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({**GOOD, "listen": "12"}, "“倾听与共情”: 12 is outside 0–10 points."),
        ({**GOOD, "listen": "-1"}, "“倾听与共情”: -1 is outside 0–10 points."),
        ({**GOOD, "listen": "8.3"}, "“倾听与共情”: 8.3 is not a multiple of the step 0.5."),
        ({**GOOD, "solve": "15.5"}, "“解决方案”: 15.5 is not a multiple of the step 1."),
        ({**GOOD, "policy": "abc"}, "“政策把握”: “abc” is not a number."),
        ({**GOOD, "policy": True}, "“政策把握”: “True” is not a number."),
        ({**GOOD, "policy": "NaN"}, "“政策把握”: “NaN” is not a number."),
        ({"listen": "8", "solve": "15"}, "“政策把握”: a score is required."),
        ({**GOOD, "policy": ""}, "“政策把握”: a score is required."),
        ({**GOOD, "humour": "3"}, "“humour” is not a criterion of this stage."),
    ],
)
def test_bad_values_are_refused_naming_the_criterion(contest, values, expected):
    with pytest.raises(ValidationError) as refusal:
        judging.validate_values(contest.stage, values)
    assert expected in refusal.value.messages


def test_every_problem_is_reported_at_once(contest):
    with pytest.raises(ValidationError) as refusal:
        judging.validate_values(contest.stage, {"listen": "11", "solve": "0.5"})
    assert len(refusal.value.messages) == 3


# --------------------------------------------------------------------------- submitting


def test_submission_is_recorded_with_its_history(contest):
    judge = contest.judges[0]
    sheet, created = submit(contest.first, judge)
    assert created
    assert (sheet.status, sheet.source, sheet.total) == ("submitted", "online", Decimal("32.5"))
    assert sheet.values == GOOD and sheet.entered_by == judge and sheet.submitted_at
    change = sheet.changes.get()
    assert (change.kind, change.by, change.old_values, change.new_values) == (
        "submitted",
        judge,
        None,
        GOOD,
    )


def test_same_submission_twice_makes_one_sheet_and_one_change(contest):
    judge, submission_id = contest.judges[0], uuid.uuid4()
    first, created = submit(contest.first, judge, submission_id=submission_id)
    again, created_again = submit(
        contest.first, judge, {**GOOD, "solve": "1"}, submission_id=str(submission_id)
    )
    assert created and not created_again and again.pk == first.pk
    assert ScoreSheet.objects.count() == 1 and ScoreChange.objects.count() == 1
    assert ScoreSheet.objects.get().values == GOOD  # the resend changed nothing


def test_a_second_different_submission_is_refused(contest):
    judge = contest.judges[0]
    submit(contest.first, judge)
    with pytest.raises(ValidationError) as refusal:
        submit(contest.first, judge, {**GOOD, "solve": "20"})
    assert refusal.value.code == "already_submitted"
    assert "ask the chief judge to reopen" in refusal.value.messages[0]
    assert ScoreSheet.objects.get().total == Decimal("32.5")
    assert ScoreChange.objects.count() == 1


def test_a_recused_or_unassigned_judge_is_refused(contest):
    with pytest.raises(PermissionDenied, match="stand aside"):
        submit(contest.second, contest.judges[2])
    with pytest.raises(PermissionDenied, match="not assigned"):
        submit(contest.first, contest.outsider)
    assert not ScoreSheet.objects.exists()


def test_a_submission_id_of_another_judge_is_refused(contest):
    submission_id = uuid.uuid4()
    submit(contest.first, contest.judges[0], submission_id=submission_id)
    with pytest.raises(ValidationError):
        submit(contest.first, contest.judges[1], submission_id=submission_id)
    assert ScoreSheet.objects.count() == 1


def test_scores_are_refused_once_the_stage_is_not_open(contest):
    for status in (Stage.Status.PREPARING, Stage.Status.CLOSED):
        Stage.objects.filter(pk=contest.stage.pk).update(status=status)
        with pytest.raises(ValidationError) as refusal:
            submit(contest.first, contest.judges[0])
        assert refusal.value.code == "stage_not_open"
    assert not ScoreSheet.objects.exists()


def test_a_resend_after_the_stage_closed_is_still_a_duplicate(contest):
    submission_id = uuid.uuid4()
    submit(contest.first, contest.judges[0], submission_id=submission_id)
    Stage.objects.filter(pk=contest.stage.pk).update(status=Stage.Status.CLOSED)
    _, created = submit(contest.first, contest.judges[0], submission_id=submission_id)
    assert not created


# --------------------------------------------------------------------------- chief judge


def test_reopen_needs_the_chief_judge_and_a_reason(contest):
    sheet, _ = submit(contest.first, contest.judges[0])
    with pytest.raises(PermissionDenied):
        judging.reopen_sheet(sheet, contest.judges[1], "typo")
    with pytest.raises(ValidationError) as refusal:
        judging.reopen_sheet(sheet, contest.chief, "   ")
    assert refusal.value.code == "reason_required"
    sheet.refresh_from_db()
    assert sheet.status == "submitted" and sheet.changes.count() == 1


def test_reopen_then_resubmit_keeps_old_new_and_why(contest):
    judge = contest.judges[0]
    sheet, _ = submit(contest.first, judge)
    judging.reopen_sheet(sheet, contest.chief, "评委按错了政策把握分")
    sheet.refresh_from_db()
    assert sheet.status == "reopened"
    changed = {**GOOD, "policy": "6"}
    again, created = submit(contest.first, judge, changed)
    assert created and again.pk == sheet.pk and again.status == "submitted"
    assert again.total == Decimal("29.5")
    kinds = [(c.kind, c.by, c.old_values, c.new_values) for c in again.changes.all()]
    assert kinds == [
        ("submitted", judge, None, GOOD),
        ("reopened", contest.chief, GOOD, None),
        ("submitted", judge, GOOD, changed),
    ]
    assert again.changes.get(kind="reopened").reason == "评委按错了政策把握分"


def test_reopen_only_while_open(contest):
    sheet, _ = submit(contest.first, contest.judges[0])
    Stage.objects.filter(pk=contest.stage.pk).update(status=Stage.Status.CLOSED)
    with pytest.raises(ValidationError) as refusal:
        judging.reopen_sheet(sheet, contest.chief, "late")
    assert refusal.value.code == "stage_not_open"


def test_remark_reopens_every_submitted_sheet_of_the_contestant(contest):
    for judge in contest.judges[:2]:
        submit(contest.first, judge)
    with pytest.raises(PermissionDenied):
        judging.request_remark(contest.first, contest.judges[0], "spread")
    remark = judging.request_remark(contest.first, contest.chief, "评委分差过大")
    assert RemarkRequest.objects.get() == remark and remark.requested_by == contest.chief
    sheets = ScoreSheet.objects.filter(appearance=contest.first)
    assert set(sheets.values_list("status", flat=True)) == {"reopened"}
    changes = ScoreChange.objects.filter(kind="remark")
    assert changes.count() == 2
    assert {c.reason for c in changes} == {"评委分差过大"}
    assert all(c.old_values == GOOD for c in changes)


def test_disagreements_list_spreads_above_the_threshold(contest):
    low = {"listen": "2", "policy": "2", "solve": "6"}  # 10
    submit(contest.first, contest.judges[0], low)
    submit(contest.first, contest.judges[1], GOOD)  # 32.5 → 22.5 apart
    submit(contest.second, contest.judges[0], low)
    submit(contest.second, contest.judges[1], {"listen": "5", "policy": "5", "solve": "10"})
    alerts = judging.disagreements(contest.stage)
    assert [a.blind_code for a in alerts] == ["A001"]
    assert alerts[0].spread == Decimal("22.5")
    assert [total for _, total in alerts[0].judge_totals] == [Decimal("10"), Decimal("32.5")]
    contest.stage.spread_threshold = Decimal("25")
    assert judging.disagreements(contest.stage) == []


def test_progress_counts_per_room_and_judge(contest):
    submit(contest.first, contest.judges[0])
    submit(contest.second, contest.judges[0])
    submit(contest.first, contest.judges[1])
    report = judging.progress(contest.stage)
    assert (report.assigned, report.submitted, report.appearances, report.complete) == (5, 3, 2, 0)
    (room,) = report.rooms
    counts = {j.judge.pk: (j.submitted, j.assigned) for j in room.judges}
    assert counts == {
        contest.judges[0].pk: (2, 2),
        contest.judges[1].pk: (1, 2),
        contest.judges[2].pk: (0, 1),
    }
    submit(contest.first, contest.judges[2])
    submit(contest.second, contest.judges[1])
    assert judging.progress(contest.stage).complete == 2


def test_excuse_takes_a_judge_off_what_they_have_not_scored(contest):
    judge = contest.judges[1]
    submit(contest.first, judge)
    with pytest.raises(PermissionDenied):
        judging.excuse_judge(contest.stage, judge, contest.judges[0], "ill")
    with pytest.raises(ValidationError):
        judging.excuse_judge(contest.stage, judge, contest.chief, "")
    codes = judging.excuse_judge(contest.stage, judge, contest.chief, "突发疾病")
    assert codes == ["A002"]
    assert list(
        Assignment.objects.filter(judge=judge).values_list("appearance__blind_code", flat=True)
    ) == ["A001"]
    from wagtail.models import ModelLogEntry

    entry = ModelLogEntry.objects.get(action="competitions.excuse_judge")
    assert entry.user == contest.chief and entry.data["reason"] == "突发疾病"
    assert entry.data["codes"] == ["A002"]


def test_close_is_refused_until_every_sheet_is_in(contest):
    submit(contest.first, contest.judges[0])
    with pytest.raises(PermissionDenied):
        judging.close_stage(contest.stage, contest.judges[0])
    with pytest.raises(ValidationError) as refusal:
        judging.close_stage(contest.stage, contest.chief)
    assert refusal.value.messages == ["Scoring is not complete for: A001、A002."]
    score_everything_else(contest)
    sheet = ScoreSheet.objects.get(appearance=contest.first, judge=contest.judges[0])
    judging.reopen_sheet(sheet, contest.chief, "check")
    with pytest.raises(ValidationError, match="A001"):
        judging.close_stage(contest.stage, contest.chief)
    submit(contest.first, contest.judges[0], GOOD)
    stage = judging.close_stage(contest.stage, contest.chief)
    stage.refresh_from_db()
    assert stage.status == "closed" and stage.closed_by == contest.chief and stage.closed_at


def score_everything_else(contest):
    for assignment in Assignment.objects.select_related("appearance", "judge"):
        if not ScoreSheet.objects.filter(
            appearance=assignment.appearance, judge=assignment.judge
        ).exists():
            submit(assignment.appearance, assignment.judge)


def test_decode_only_after_close_and_by_the_chief(contest):
    with pytest.raises(ValidationError) as refusal:
        judging.decode_stage(contest.stage, contest.chief)
    assert refusal.value.code == "stage_not_closed"
    score_everything(contest)
    judging.close_stage(contest.stage, contest.chief)
    with pytest.raises(PermissionDenied):
        judging.decode_stage(contest.stage, contest.judges[0])
    stage = judging.decode_stage(contest.stage, contest.chief)
    stage.refresh_from_db()
    assert stage.decoded and stage.decoded_by == contest.chief and stage.decoded_at


def test_amend_after_close_records_old_new_and_why(contest):
    score_everything(contest)
    sheet = ScoreSheet.objects.get(appearance=contest.first, judge=contest.judges[0])
    with pytest.raises(ValidationError) as refusal:
        judging.amend_sheet(sheet, GOOD, contest.chief, "appeal")
    assert refusal.value.code == "stage_not_closed"
    judging.close_stage(contest.stage, contest.chief)
    with pytest.raises(ValidationError):
        judging.amend_sheet(sheet, {**GOOD, "solve": "21"}, contest.chief, "appeal")
    with pytest.raises(ValidationError):
        judging.amend_sheet(sheet, GOOD, contest.chief, "")
    changed = {**GOOD, "solve": "18"}
    judging.amend_sheet(sheet, changed, contest.chief, "申诉成立：漏计解决方案分")
    sheet.refresh_from_db()
    assert sheet.values == changed and sheet.total == Decimal("35.5")
    change = sheet.changes.get(kind="appeal")
    assert (change.old_values, change.new_values, change.reason, change.by) == (
        GOOD,
        changed,
        "申诉成立：漏计解决方案分",
        contest.chief,
    )


def test_written_stage_imports_the_best_exam_score_on_close(contest):
    from training.models import Exam, ExamAttempt

    exam = Exam.objects.create(owner_unit=contest.units["T"], title="笔试")
    written = make_stage(
        contest.competition.rounds.get(),
        code="written",
        name="笔试",
        kind=Stage.Kind.WRITTEN,
        criteria=[("written", "笔试成绩", "100", "0.01")],
        exam=exam,
        status=Stage.Status.OPEN,
    )
    entries = [a.entry for a in (contest.first, contest.second)]
    taken = make_appearance(written, entries[0], code="W01")
    make_appearance(written, entries[1], code="W02")
    now = timezone.now()
    worker = entries[0].registration.worker
    for score, submitted in (("70", True), ("85.5", True), ("99", False)):
        ExamAttempt.objects.create(
            exam=exam,
            user=worker,
            started_at=now,
            deadline=now + timedelta(minutes=30),
            submitted_at=now if submitted else None,
            score=Decimal(score),
        )
    judging.close_stage(written, contest.chief)
    sheet = ScoreSheet.objects.get(appearance__stage=written)
    assert sheet.appearance == taken and sheet.judge is None
    assert (sheet.source, sheet.status, sheet.total) == ("exam", "submitted", Decimal("85.5"))
    assert sheet.values == {"written": "85.5"}
    assert sheet.changes.get().kind == "exam"
    # An appeal on the written score is checked against the stage's written criterion.
    judging.amend_sheet(sheet, {"written": "88"}, contest.chief, "阅卷复核")
    sheet.refresh_from_db()
    assert sheet.total == Decimal("88")


# --------------------------------------------------------------------------- pages and API


def judge_page(client, contest, judge):
    client.force_login(judge)
    return client.get(reverse("competitions:judge_stage", args=[contest.stage.pk]))


def test_scoring_page_shows_codes_inputs_and_descriptors_but_no_names(client, contest):
    contest.stage.criteria.filter(code="listen").update(
        bands=[
            {"low": "0", "high": "4", "descriptor": "打断居民，未回应诉求"},
            {"low": "4.5", "high": "10", "descriptor": "耐心倾听并复述居民诉求"},
        ]
    )
    response = judge_page(client, contest, contest.judges[0])
    assert response.status_code == 200
    page = response.content.decode()
    assert "A001" in page and "A002" in page
    assert 'name="c_listen"' in page and 'max="10"' in page and 'step="0.5"' in page
    assert 'inputmode="decimal"' in page
    assert "打断居民，未回应诉求" in page and "耐心倾听并复述居民诉求" in page  # bands
    assert "scoring.js" in page
    for name in NAMES:
        assert name not in page


def test_a_recused_judge_does_not_see_the_contestant(client, contest):
    page = judge_page(client, contest, contest.judges[2]).content.decode()
    assert "A001" in page and "A002" not in page


def test_someone_not_on_the_panel_gets_no_scoring_page(client, contest):
    assert judge_page(client, contest, contest.outsider).status_code == 404


def test_submitted_sheets_render_locked_and_reopened_show_the_reason(client, contest):
    judge = contest.judges[0]
    sheet, _ = submit(contest.first, judge)
    page = judge_page(client, contest, judge).content.decode()
    card = page[page.index(f'id="a{contest.first.pk}"') : page.index(f'id="a{contest.second.pk}"')]
    assert 'data-state="submitted"' in card and "readonly" in card and 'value="8.5"' in card
    assert "data-submit" not in card
    judging.reopen_sheet(sheet, contest.chief, "请复核倾听与共情")
    page = judge_page(client, contest, judge).content.decode()
    card = page[page.index(f'id="a{contest.first.pk}"') : page.index(f'id="a{contest.second.pk}"')]
    assert 'data-state="reopened"' in card and "请复核倾听与共情" in card
    assert "readonly" not in card and "data-submit" in card


def test_judge_home_lists_open_stages_where_the_user_is_seated(client, contest):
    client.force_login(contest.judges[2])
    page = client.get(reverse("competitions:judge_home")).content.decode()
    assert reverse("competitions:judge_stage", args=[contest.stage.pk]) in page
    assert "0 of 1 submitted" in page
    client.force_login(contest.outsider)
    page = client.get(reverse("competitions:judge_home")).content.decode()
    assert reverse("competitions:judge_stage", args=[contest.stage.pk]) not in page
    client.force_login(contest.chief)
    page = client.get(reverse("competitions:judge_home")).content.decode()
    assert reverse("competitions:chief_console", args=[contest.stage.pk]) in page


def post_score(client, appearance, values=GOOD, submission_id=None, **extra):
    body = {
        "appearance": appearance.pk,
        "values": values,
        "submission_id": str(submission_id or uuid.uuid4()),
    }
    return client.post(
        reverse("competitions:api_submit_score"),
        json.dumps(body),
        content_type="application/json",
        **extra,
    )


def test_api_status_codes(client, contest):
    client.force_login(contest.judges[0])
    submission_id = uuid.uuid4()
    accepted = post_score(client, contest.first, submission_id=submission_id)
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted" and accepted.json()["total"] == "32.5"
    duplicate = post_score(client, contest.first, submission_id=submission_id)
    assert duplicate.status_code == 200 and duplicate.json()["status"] == "duplicate"
    again = post_score(client, contest.first)
    assert again.status_code == 409 and "reopen" in again.json()["error"]
    bad = post_score(client, contest.second, {**GOOD, "listen": "12"})
    assert bad.status_code == 400 and "倾听与共情" in bad.json()["error"]
    garbled = client.post(
        reverse("competitions:api_submit_score"), "{not json", content_type="application/json"
    )
    assert garbled.status_code == 400
    assert post_score(client, contest.second, submission_id="not-a-uuid").status_code == 400
    assert ScoreSheet.objects.count() == 1

    client.force_login(contest.judges[2])
    recused = post_score(client, contest.second)
    assert recused.status_code == 403 and "stand aside" in recused.json()["error"]
    client.force_login(contest.outsider)
    assert post_score(client, contest.first).status_code == 403

    Stage.objects.filter(pk=contest.stage.pk).update(status=Stage.Status.CLOSED)
    client.force_login(contest.judges[1])
    closed = post_score(client, contest.first)
    assert closed.status_code == 409 and "not open" in closed.json()["error"]
    assert ScoreSheet.objects.count() == 1

    client.logout()
    assert post_score(client, contest.first).status_code == 401


def test_api_needs_the_csrf_header(contest):
    client = Client(enforce_csrf_checks=True)
    page = judge_page(client, contest, contest.judges[0]).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert post_score(client, contest.first).status_code == 403
    assert not ScoreSheet.objects.exists()
    response = post_score(client, contest.first, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200 and ScoreSheet.objects.count() == 1
    for name in NAMES:
        assert name not in response.content.decode()


def test_the_form_works_without_javascript(client, contest):
    judge = contest.judges[0]
    client.force_login(judge)
    url = reverse("competitions:judge_stage", args=[contest.stage.pk])
    data = {"appearance": contest.first.pk, "submission_id": str(uuid.uuid4())}
    data.update({f"c_{code}": value for code, value in GOOD.items()})
    response = client.post(url, data, follow=True)
    assert "Scores for A001 submitted: 32.5 points." in response.content.decode()
    client.post(url, data)  # the same post again is the same submission
    assert ScoreSheet.objects.get().total == Decimal("32.5")
    assert ScoreChange.objects.count() == 1
    bad = {**data, "appearance": contest.second.pk, "submission_id": uuid.uuid4(), "c_listen": "11"}
    response = client.post(url, bad, follow=True)
    assert "“倾听与共情”: 11 is outside 0–10 points." in response.content.decode()
    assert ScoreSheet.objects.count() == 1


# --------------------------------------------------------------------------- the console


def console(client, contest, user):
    client.force_login(user)
    return client.get(reverse("competitions:chief_console", args=[contest.stage.pk]))


def test_console_is_for_the_chief_judge_and_organisers(client, contest):
    assert console(client, contest, contest.judges[0]).status_code == 403
    assert console(client, contest, contest.outsider).status_code == 403
    organiser = make_admin(contest.units["T"])
    activate_totp(organiser)
    page = console(client, contest, organiser).content.decode()
    assert "only the chief judge can act" in page and "close-form" not in page
    page = console(client, contest, contest.chief).content.decode()
    assert "close-form" in page and "A001" in page


def test_console_shows_progress_alerts_and_names_only_after_decode(client, contest):
    submit(contest.first, contest.judges[0], {"listen": "1", "policy": "1", "solve": "1"})
    submit(contest.first, contest.judges[1], GOOD)
    page = console(client, contest, contest.chief).content.decode()
    assert f'id="alert-{contest.first.pk}"' in page
    assert "29.5 points apart" in page
    for name in NAMES:
        assert name not in page
    score_everything_else(contest)
    judging.close_stage(contest.stage, contest.chief)
    assert NAMES[0] not in console(client, contest, contest.chief).content.decode()
    judging.decode_stage(contest.stage, contest.chief)
    page = console(client, contest, contest.chief).content.decode()
    assert NAMES[0] in page and NAMES[1] in page
    # Judges still see codes only.
    assert NAMES[0] not in judge_page(client, contest, contest.judges[0]).content.decode()


def test_console_actions_reopen_remark_close_decode(client, contest):
    sheet, _ = submit(contest.first, contest.judges[0])
    client.force_login(contest.chief)
    reopen = reverse("competitions:chief_reopen", args=[contest.stage.pk])
    response = client.post(reopen, {"sheet": sheet.pk, "reason": ""}, follow=True)
    assert "Give a reason" in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.status == "submitted"
    client.post(reopen, {"sheet": sheet.pk, "reason": "分数录错"})
    sheet.refresh_from_db()
    assert sheet.status == "reopened"
    remark = reverse("competitions:chief_remark", args=[contest.stage.pk])
    client.post(remark, {"appearance": contest.first.pk, "reason": "分差大"})
    assert RemarkRequest.objects.get().reason == "分差大"
    close = reverse("competitions:chief_close", args=[contest.stage.pk])
    response = client.post(close, follow=True)
    assert "Scoring is not complete for: A001、A002." in response.content.decode()
    score_everything_else(contest)
    submit(contest.first, contest.judges[0])
    client.post(close)
    contest.stage.refresh_from_db()
    assert contest.stage.status == "closed"
    client.post(reverse("competitions:chief_decode", args=[contest.stage.pk]))
    contest.stage.refresh_from_db()
    assert contest.stage.decoded
    # Someone else cannot act, even by posting directly.
    client.force_login(contest.judges[0])
    assert client.post(close).status_code == 403


def test_console_excuse_and_garbled_ids(client, contest):
    client.force_login(contest.chief)
    excuse = reverse("competitions:chief_excuse", args=[contest.stage.pk])
    assert client.post(excuse, {"judge": "x", "reason": "ill"}).status_code == 404
    assert client.post(excuse, {"judge": contest.outsider.pk, "reason": "ill"}).status_code == 404
    reopen = reverse("competitions:chief_reopen", args=[contest.stage.pk])
    assert client.post(reopen, {"sheet": "1; drop", "reason": "x"}).status_code == 404
    client.post(excuse, {"judge": contest.judges[2].pk, "reason": "发烧"})
    assert not Assignment.objects.filter(judge=contest.judges[2]).exists()


def test_history_page_shows_who_when_old_new_why(client, contest):
    sheet, _ = submit(contest.first, contest.judges[0])
    judging.reopen_sheet(sheet, contest.chief, "倾听分录错")
    submit(contest.first, contest.judges[0], {**GOOD, "listen": "6"})
    url = reverse("competitions:sheet_history", args=[contest.first.pk])
    client.force_login(contest.judges[0])
    assert client.get(url).status_code == 403
    client.force_login(contest.chief)
    page = client.get(url).content.decode()
    assert "倾听分录错" in page
    assert "倾听与共情 8.5 · 政策把握 9 · 解决方案 15" in page
    assert "倾听与共情 6 · 政策把握 9 · 解决方案 15" in page
    assert NAMES[0] not in page
