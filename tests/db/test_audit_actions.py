"""Competition actions in the audit log: a judge's submission, a chief judge's reopen, a paper
entry and its confirmation, a publication, finalising and appeal decisions each write exactly
one entry naming who acted, by blind code or contestant number (no contestant's name), in the
organiser's scope; the chain still verifies. Also API tokens given and taken back."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from cms.api import tokens
from competitions import audit as competition_audit
from competitions import judging, paper, results
from competitions.models import ScoreSheet
from people import audit
from people.models import AuditEvent
from tests.db.test_appeals import GROUNDS, close_window
from tests.db.test_judging import GOOD, NAMES, build_contest, post_score
from tests.db.test_paper_sheets import workbook
from tests.db.test_results import contest as results_contest
from tests.db.test_results import decode, number
from tests.factories import activate_totp, make_admin

pytestmark = pytest.mark.django_db
Action = AuditEvent.Action


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def entries(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def only_new(action, before):
    """The entries of `action` written since `before` (a list of earlier ones): exactly one."""
    seen = {event.pk for event in before}
    new = [event for event in entries(action) if event.pk not in seen]
    assert len(new) == 1, [event.what for event in new]
    return new[0]


@pytest.fixture
def judged():
    return build_contest()


@pytest.fixture
def published():
    world = results_contest()
    decode(world.stage)
    world.result = results.publish(world.round, world.chief)
    return world


def test_a_judges_submission_writes_one_entry_by_blind_code(client, judged):
    judge = judged.judges[0]
    client.force_login(judge)
    before = entries(Action.SCORE_CHANGE)
    response = post_score(client, judged.first, REMOTE_ADDR="10.8.0.7")
    assert response.status_code == 200
    event = only_new(Action.SCORE_CHANGE, before)
    assert event.actor_id == judge.pk and event.actor_name == judge.username
    assert event.what == " · ".join(
        (judged.competition.title, judged.stage.name, "A001", judge.username, "Submitted")
    )
    assert event.scope == judged.units["T"].name_path()
    assert event.address == "10.8.0.7"
    assert not any(name in event.what for name in NAMES)
    # The same submission sent again writes nothing more.
    response = post_score(
        client, judged.first, submission_id=ScoreSheet.objects.get().submission_id
    )
    assert response.json()["status"] == "duplicate"
    assert len(entries(Action.SCORE_CHANGE)) == len(before) + 1
    assert audit.verify() == []


def test_a_submission_costs_only_the_entry_and_the_chain_lock(judged, monkeypatch):
    """The judging hot path: beyond the audit tables' own statements, not one query more."""

    def queries_of(appearance, judge):
        with CaptureQueriesContext(connection) as captured:
            judging.submit_sheet(appearance, judge, GOOD, uuid.uuid4())
        # Savepoints are no queries (record() nests its own atomic block).
        return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]

    with_audit = queries_of(judged.first, judged.judges[0])
    monkeypatch.setattr(competition_audit, "record", lambda *args, **kwargs: None)
    without_audit = queries_of(judged.first, judged.judges[1])
    audit_tables = [sql for sql in with_audit if "people_audit" in sql]
    assert any("INSERT" in sql for sql in audit_tables)
    assert len(with_audit) - len(audit_tables) == len(without_audit)


def test_a_chief_judges_reopen_and_remark_write_one_entry_per_sheet(judged):
    sheet, _ = judging.submit_sheet(judged.first, judged.judges[0], GOOD, uuid.uuid4())
    before = entries(Action.SCORE_CHANGE)
    judging.reopen_sheet(sheet, judged.chief, "分数录错")
    event = only_new(Action.SCORE_CHANGE, before)
    assert event.actor_id == judged.chief.pk
    assert event.what.endswith(f"A001 · {judged.judges[0].username} · Reopened")

    judging.submit_sheet(judged.first, judged.judges[0], GOOD, uuid.uuid4())
    judging.submit_sheet(judged.first, judged.judges[1], GOOD, uuid.uuid4())
    before = entries(Action.SCORE_CHANGE)
    judging.request_remark(judged.first, judged.chief, "分差过大")
    remarks = entries(Action.SCORE_CHANGE)[len(before) :]
    assert sorted(e.what.split(" · ")[3] for e in remarks) == sorted(
        j.username for j in judged.judges[:2]
    )
    assert {e.actor_id for e in remarks} == {judged.chief.pk}
    assert audit.verify() == []


def test_a_paper_entry_and_its_confirmation_write_one_entry_each(judged):
    organiser = make_admin(judged.units["T"])
    activate_totp(organiser)
    judge = judged.judges[0]
    before = entries(Action.SCORE_CHANGE)
    rows = [["A001", judge.username, 8.5, 9, 15]]
    (sheet,) = paper.import_paper_sheets(judged.stage, workbook(rows), "评分表.xlsx", organiser)
    event = only_new(Action.SCORE_CHANGE, before)
    assert event.actor_id == organiser.pk
    assert event.what.endswith(f"A001 · {judge.username} · Typed in from paper")

    before = entries(Action.SCORE_CHANGE)
    paper.confirm_paper_sheets([sheet], judged.chief)
    event = only_new(Action.SCORE_CHANGE, before)
    assert event.actor_id == judged.chief.pk and event.what.endswith("Confirmed")
    assert audit.verify() == []


def test_a_refused_paper_file_writes_nothing(judged):
    organiser = make_admin(judged.units["T"])
    before = entries(Action.SCORE_CHANGE)
    rows = [["A001", judged.judges[0].username, 8.5, 9, 15], ["A009", "nobody", 1, 1, 1]]
    with pytest.raises(Exception, match="A009"):
        paper.import_paper_sheets(judged.stage, workbook(rows), "评分表.xlsx", organiser)
    assert entries(Action.SCORE_CHANGE) == before


def test_a_publication_writes_one_release_entry(published):
    event = only_new(Action.RESULT_RELEASE, [])
    assert event.actor_id == published.chief.pk
    assert event.what == " · ".join(
        (published.competition.title, published.round.name, "v1", "On public notice")
    )
    assert event.count == len(published.result.ranking) == 3
    assert event.scope == published.units["T"].name_path()


def test_finalising_writes_one_release_entry(published):
    close_window(published.result)
    before = entries(Action.RESULT_RELEASE)
    results.finalise(published.round, published.chief)
    event = only_new(Action.RESULT_RELEASE, before)
    assert event.actor_id == published.chief.pk and event.what.endswith("v1 · Final")
    assert audit.verify() == []


def test_a_rejected_appeal_writes_one_decision_entry_without_names(published):
    appeal = results.file_appeal(published.result, published.workers["赵敏"], GROUNDS)
    before = {a: entries(a) for a in (Action.SCORE_CHANGE, Action.RESULT_RELEASE)}
    results.decide_appeal(appeal, published.chief, False, "经复核评分无误，维持原评分。")
    event = only_new(Action.APPEAL_DECISION, [])
    assert event.actor_id == published.chief.pk
    assert event.what == " · ".join(
        (
            published.competition.title,
            published.round.name,
            f"contestant {number(published, '赵敏')}",
            "Rejected",
            "经复核评分无误，维持原评分。",
        )
    )
    assert not any(name in event.what for name in published.workers)
    assert all(entries(action) == old for action, old in before.items())
    assert audit.verify() == []


def test_an_upheld_appeal_writes_its_changes_the_new_release_and_the_decision(published):
    zhao = published.workers["赵敏"]
    appeal = results.file_appeal(published.result, zhao, GROUNDS)
    sheet = results.appellant_sheets(appeal).get(judge=published.judges[1])
    start = AuditEvent.objects.order_by("-id").first().pk
    values = {"listen": "9", "policy": "9", "solve": "18"}
    results.decide_appeal(appeal, published.chief, True, "第二位评委漏计一项。", [(sheet, values)])
    written = list(AuditEvent.objects.filter(pk__gt=start).order_by("id"))
    assert [e.action for e in written] == [
        Action.SCORE_CHANGE,
        Action.RESULT_RELEASE,
        Action.APPEAL_DECISION,
    ]
    assert {e.actor_id for e in written} == {published.chief.pk}
    assert written[0].what.endswith("Changed on appeal") and "v2" in written[1].what
    assert "Upheld" in written[2].what
    assert audit.verify() == []


def test_an_action_that_fails_leaves_no_entry(judged):
    """The entry rolls back with its action: a refused reopen writes nothing."""
    sheet, _ = judging.submit_sheet(judged.first, judged.judges[0], GOOD, uuid.uuid4())
    before = entries(Action.SCORE_CHANGE)
    with pytest.raises(Exception, match="reason"):
        judging.reopen_sheet(sheet, judged.chief, "  ")
    assert entries(Action.SCORE_CHANGE) == before


def test_api_tokens_given_and_taken_back_are_recorded(judged):
    admin = make_admin(judged.units["TD1"])
    before = entries(Action.ROLE_GRANT)
    client, token = tokens.create_client(name="区网格平台", unit=judged.units["TD1"], by=admin)
    granted = only_new(Action.ROLE_GRANT, before)
    assert granted.actor_id == admin.pk
    assert granted.what == f"API · 区网格平台 · …{token[-4:]}"
    assert token not in granted.what
    assert granted.scope == judged.units["TD1"].name_path()
    before = entries(Action.ROLE_REVOKE)
    tokens.revoke(client, admin)
    tokens.revoke(client, admin)  # revoking twice changes nothing, so records nothing
    revoked = only_new(Action.ROLE_REVOKE, before)
    assert revoked.actor_id == admin.pk and revoked.what == granted.what


def test_the_demo_has_one_administrator_per_duty_and_loading_again_changes_nothing():
    from cms.demo import load_demo
    from people import duties
    from people.models import User

    logins = load_demo()
    auditor = User.objects.get(username="auditor")
    security = User.objects.get(username="security")
    assert duties.duties_of(auditor) == {duties.AUDIT}
    assert duties.duties_of(security) == {duties.SECURITY}
    assert {"auditor", "security"} <= {login.login for login in logins}
    assert auditor.has_perm("people.view_auditevent") and auditor.has_perm(
        "people.export_auditevent"
    )
    assert security.has_perm("people.add_role") and not security.has_perm("people.view_auditevent")
    length = AuditEvent.objects.count()
    load_demo()
    assert AuditEvent.objects.count() == length
