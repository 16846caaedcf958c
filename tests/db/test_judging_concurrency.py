"""Score submissions at the same moment: several judges, one judge from two devices, the chief
judge reopening and confirming meanwhile, a paper upload racing the judges online. Exactly one
sheet per judge, the one who loses is told, and every sheet's history replays to its values
(no update lost)."""

import threading
import time
import uuid

from django.core.exceptions import ValidationError

from competitions import judging, paper
from competitions.models import ScoreChange, ScoreSheet, Stage
from tests.concurrency import POSTGRESQL_ONLY, TRANSACTIONAL, errors, run_together
from tests.db.test_judging import build_contest
from tests.db.test_paper_sheets import workbook
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

pytestmark = TRANSACTIONAL

GOOD = {"listen": "8.5", "policy": "9", "solve": "15"}
OTHER = {"listen": "7", "policy": "8", "solve": "12"}
PAPER = {"listen": "6", "policy": "6.5", "solve": "11"}
JUDGES = 5
Kind = ScoreChange.Kind


def submit(appearance, judge, values, submission_id=None):
    return judging.submit_sheet(appearance, judge, values, submission_id or uuid.uuid4())


def assert_history_adds_up(sheet):
    """Replaying a sheet's changes gives its values: each change starts from what the one
    before it left, so no write went over another unseen."""
    sheet.refresh_from_db()
    values = None
    for change in sheet.changes.order_by("pk"):
        if change.old_values is not None:
            assert change.old_values == values, (change.kind, change.old_values, values)
        if change.new_values is not None:
            values = change.new_values
    assert values == sheet.values


def kinds(sheet):
    return list(sheet.changes.order_by("pk").values_list("kind", flat=True))


def paper_file(contest, values=PAPER):
    """A typed-in sheet for every (code, judge) pair of the contest."""
    pairs = [(contest.first, j) for j in contest.judges] + [
        (contest.second, j) for j in contest.judges[:2]
    ]
    rows = [[a.blind_code, j.username, *values.values()] for a, j in pairs]
    return pairs, workbook(rows)


def reopen_everything(contest):
    """Every pair submitted once, then the chief judge asks for a re-mark of both contestants."""
    pairs, _data = paper_file(contest)
    for appearance, judge in pairs:
        submit(appearance, judge, GOOD)
    for appearance in (contest.first, contest.second):
        judging.request_remark(appearance, contest.chief, "分差过大")
    return pairs


def test_concurrent_judges_and_a_doubled_submission():
    units = make_tree("P")
    competition = make_competition(units["P"], chief_judge=make_user("裁判长"))
    stage = make_stage(competition.rounds.get(), status=Stage.Status.OPEN)
    judges = [make_user(f"评委{n}") for n in range(JUDGES)]
    entry = make_entry(competition, make_worker(units["PD1S1C1"]))
    appearance = make_appearance(stage, entry, code="A001", judges=judges)

    # Every judge's device sends its submission twice at once (a resend racing the original).
    ids = {judge.pk: uuid.uuid4() for judge in judges}
    calls = [
        (lambda judge=judge: submit(appearance, judge, GOOD, ids[judge.pk]))
        for judge in judges
        for _copy in range(2)
    ]
    results = run_together(calls)

    assert errors(results) == []
    created = [created for _sheet, created in results]
    assert created.count(True) == JUDGES and created.count(False) == JUDGES
    assert ScoreSheet.objects.count() == JUDGES
    for judge in judges:
        sheet = ScoreSheet.objects.get(judge=judge)
        assert sheet.submission_id == ids[judge.pk]
        assert kinds(sheet) == [Kind.SUBMITTED]


def test_two_devices_with_different_scores_one_wins_the_other_is_told():
    contest = build_contest("Q")
    judge, appearance = contest.judges[0], contest.first
    sends = {"tablet": (GOOD, uuid.uuid4()), "phone": (OTHER, uuid.uuid4())}
    # Each device sends twice (its resend after a lost reply racing the original).
    calls = [
        (lambda values=values, sid=sid: submit(appearance, judge, values, sid))
        for values, sid in sends.values()
        for _copy in range(2)
    ]
    results = run_together(calls)

    sheet = ScoreSheet.objects.get(appearance=appearance, judge=judge)
    winner = "tablet" if sheet.submission_id == sends["tablet"][1] else "phone"
    won, lost = (results[:2], results[2:]) if winner == "tablet" else (results[2:], results[:2])
    assert sorted(created for _sheet, created in won) == [False, True]
    assert all(r.code == "already_submitted" for r in lost), lost
    assert sheet.values == sends[winner][0]
    assert kinds(sheet) == [Kind.SUBMITTED]
    assert_history_adds_up(sheet)


def test_two_devices_after_a_reopen_one_wins_and_the_history_adds_up():
    contest = build_contest("R")
    judge, appearance = contest.judges[0], contest.first
    sheet, _created = submit(appearance, judge, GOOD)
    judging.reopen_sheet(sheet, contest.chief, "请复核")

    results = run_together(
        [lambda: submit(appearance, judge, OTHER), lambda: submit(appearance, judge, PAPER)]
    )

    accepted = [r for r in results if not isinstance(r, Exception)]
    assert len(accepted) == 1 and [e.code for e in errors(results)] == ["already_submitted"]
    sheet.refresh_from_db()
    assert sheet.status == ScoreSheet.Status.SUBMITTED
    assert sheet.values == accepted[0][0].values
    assert kinds(sheet) == [Kind.SUBMITTED, Kind.REOPENED, Kind.SUBMITTED]
    assert_history_adds_up(sheet)


def test_judges_submit_while_the_chief_reopens_and_confirms():
    contest = build_contest("S")
    first, (j0, j1, j2) = contest.first, contest.judges
    submitted, _created = submit(first, j0, GOOD)
    typist = make_admin(contest.units["S"])
    activate_totp(typist)
    (typed,) = paper.import_paper_sheets(
        contest.stage, workbook([["A001", j2.username, *PAPER.values()]]), "纸质.xlsx", typist
    )

    reopen, resubmit, newcomer, confirm = run_together(
        [
            lambda: judging.reopen_sheet(submitted, contest.chief, "请复核"),
            lambda: submit(first, j0, OTHER),  # j0's device, hoping the sheet is reopened
            lambda: submit(first, j1, OTHER),
            lambda: paper.confirm_paper_sheets([typed], contest.chief),
        ]
    )

    assert not isinstance(reopen, Exception) and not isinstance(confirm, Exception)
    assert not isinstance(newcomer, Exception) and newcomer[1] is True
    assert ScoreSheet.objects.filter(appearance=first).count() == 3
    submitted.refresh_from_db()
    if isinstance(resubmit, Exception):  # it came before the reopen
        assert resubmit.code == "already_submitted"
        assert (submitted.status, submitted.values) == (ScoreSheet.Status.REOPENED, GOOD)
        assert kinds(submitted) == [Kind.SUBMITTED, Kind.REOPENED]
    else:
        assert (submitted.status, submitted.values) == (ScoreSheet.Status.SUBMITTED, OTHER)
        assert kinds(submitted) == [Kind.SUBMITTED, Kind.REOPENED, Kind.SUBMITTED]
    newcomer_sheet = ScoreSheet.objects.get(appearance=first, judge=j1)
    assert (newcomer_sheet.values, kinds(newcomer_sheet)) == (OTHER, [Kind.SUBMITTED])
    typed.refresh_from_db()
    assert (typed.status, typed.confirmed_by) == (ScoreSheet.Status.SUBMITTED, contest.chief)
    assert kinds(typed) == [Kind.ENTERED, Kind.CONFIRMED]
    for sheet in ScoreSheet.objects.filter(appearance=first):
        assert_history_adds_up(sheet)


def _upload(contest, typist, data):
    return paper.import_paper_sheets(contest.stage, data, "纸质评分表.xlsx", typist)


def test_a_paper_upload_racing_the_judges_online_writes_one_or_the_other():
    contest = build_contest("U")
    typist = make_admin(contest.units["U"])
    activate_totp(typist)
    pairs = reopen_everything(contest)
    _pairs, data = paper_file(contest)

    calls = [lambda: _upload(contest, typist, data)]
    calls += [lambda a=a, j=j: submit(a, j, OTHER) for a, j in pairs]
    upload, *online = run_together(calls)

    sheets = [ScoreSheet.objects.get(appearance=a, judge=j) for a, j in pairs]
    if isinstance(upload, Exception):
        # A judge got in first: the upload changed nothing and every judge's scores stand.
        assert isinstance(upload, ValidationError), upload
        assert errors(online) == []
        assert {(s.status, s.source) for s in sheets} == {(ScoreSheet.Status.SUBMITTED, "online")}
        assert all(s.values == OTHER for s in sheets)
    else:
        # The upload got in first: each judge is told their paper sheet awaits confirmation.
        assert [e.code for e in errors(online)] == ["awaiting_confirmation"] * len(pairs)
        assert {(s.status, s.source) for s in sheets} == {(ScoreSheet.Status.ENTERED, "paper")}
        assert all(s.values == PAPER for s in sheets)
    for sheet in sheets:
        assert_history_adds_up(sheet)


@POSTGRESQL_ONLY
def test_a_submission_landing_while_an_upload_is_being_checked_is_not_overwritten(
    monkeypatch,
):
    """The worst moment: the upload has read the sheets and not yet written them when a judge
    submits. The upload must hold the judge back (or fail), not write over their scores."""
    contest = build_contest("V")
    typist = make_admin(contest.units["V"])
    activate_totp(typist)
    reopen_everything(contest)
    _pairs, data = paper_file(contest)
    judge, appearance = contest.judges[0], contest.first
    has_read = threading.Event()
    check_rows = paper._check_rows

    def slow_check_rows(*args):
        checked = check_rows(*args)
        has_read.set()
        time.sleep(0.5)  # a big file: the judge's submission arrives now
        return checked

    monkeypatch.setattr(paper, "_check_rows", slow_check_rows)

    def judge_submits():
        assert has_read.wait(5)
        return submit(appearance, judge, OTHER)

    upload, online = run_together([lambda: _upload(contest, typist, data), judge_submits])

    outcomes = [r for r in (upload, online) if not isinstance(r, Exception)]
    assert len(outcomes) == 1, (upload, online)
    sheet = ScoreSheet.objects.get(appearance=appearance, judge=judge)
    assert sheet.values == (PAPER if outcomes[0] is upload else OTHER)
    assert_history_adds_up(sheet)
