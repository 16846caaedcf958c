"""Appeals and finalising: who may appeal and when, who decides, audited score changes that
republish the ranking, finalising after the window, advancement and award certificates."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from competitions import results
from competitions.models import (
    Appeal,
    Competition,
    Round,
    RoundEntry,
    RoundResult,
    ScoreChange,
    ScoreSheet,
    Stage,
)
from tests.db.test_results import contest, decode, number, sheet
from tests.factories import (
    make_appearance,
    make_competition,
    make_entry,
    make_stage,
    make_tree,
    make_user,
    make_worker,
)

pytestmark = pytest.mark.django_db

GROUNDS = "第二位评委的解决方案分明显偏低，请复核我的评分表。"


@pytest.fixture
def world():
    world = contest()
    decode(world.stage)
    world.result = results.publish(world.round, world.chief)
    return world


def close_window(result):
    RoundResult.objects.filter(pk=result.pk).update(
        appeal_deadline=timezone.now() - timedelta(minutes=1)
    )
    result.refresh_from_db()


# --------------------------------------------------------------------------- filing


def test_only_the_contestant_may_appeal(world):
    with pytest.raises(PermissionDenied):
        results.file_appeal(world.result, AnonymousUser(), GROUNDS)
    with pytest.raises(PermissionDenied):
        results.file_appeal(world.result, world.judges[0], GROUNDS)
    outsider = make_worker(world.units["TD1S1C1"], real_name="旁观者")
    with pytest.raises(PermissionDenied):
        results.file_appeal(world.result, outsider, GROUNDS)
    appeal = results.file_appeal(world.result, world.workers["赵敏"], f"  {GROUNDS}  ")
    assert appeal.registration == world.entries["赵敏"].registration
    assert appeal.text == GROUNDS and appeal.status == Appeal.Status.PENDING


def test_an_appeal_needs_written_grounds_and_only_one_waits(world):
    zhao = world.workers["赵敏"]
    with pytest.raises(ValidationError):
        results.file_appeal(world.result, zhao, "不服")
    results.file_appeal(world.result, zhao, GROUNDS)
    with pytest.raises(ValidationError):
        results.file_appeal(world.result, zhao, GROUNDS + "补充")
    assert Appeal.objects.count() == 1


def test_appeals_close_with_the_window(world):
    close_window(world.result)
    with pytest.raises(ValidationError) as refusal:
        results.file_appeal(world.result, world.workers["赵敏"], GROUNDS)
    assert "closed" in str(refusal.value) or "截止" in str(refusal.value)
    assert not Appeal.objects.exists()


def test_a_superseded_version_takes_no_appeal(world):
    results.publish(world.round, world.chief)
    world.result.refresh_from_db()
    with pytest.raises(ValidationError):
        results.file_appeal(world.result, world.workers["赵敏"], GROUNDS)


# --------------------------------------------------------------------------- deciding


def test_only_the_chief_judge_or_an_arbiter_decides(world):
    appeal = results.file_appeal(world.result, world.workers["赵敏"], GROUNDS)
    for person in (world.judges[0], world.workers["李强"], make_user("组织者")):
        with pytest.raises(PermissionDenied):
            results.decide_appeal(appeal, person, False, "维持原评分。")
    arbiter = make_user("仲裁员")
    world.competition.arbiters.add(arbiter)
    with pytest.raises(ValidationError):
        results.decide_appeal(appeal, arbiter, False, "   ")
    decided = results.decide_appeal(appeal, arbiter, False, "经复核评分无误，维持原评分。")
    assert (decided.status, decided.decided_by) == (Appeal.Status.REJECTED, arbiter)
    assert not ScoreChange.objects.exists()
    assert RoundResult.objects.count() == 1  # a rejection publishes nothing
    with pytest.raises(ValidationError):
        results.decide_appeal(appeal, world.chief, True, "再议")


def test_a_rejected_appeal_changes_no_score(world):
    appeal = results.file_appeal(world.result, world.workers["赵敏"], GROUNDS)
    low = ScoreSheet.objects.get(appearance=world.appearances["赵敏"], judge=world.judges[2])
    with pytest.raises(ValidationError):
        results.decide_appeal(
            appeal,
            world.chief,
            False,
            "驳回",
            [(low, {"listen": "9", "policy": "9", "solve": "20"})],
        )
    low.refresh_from_db()
    assert low.total == Decimal("24") and not ScoreChange.objects.exists()
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.PENDING  # nothing half-written


def test_an_upheld_appeal_changes_the_score_and_republishes(world):
    appeal = results.file_appeal(world.result, world.workers["赵敏"], GROUNDS)
    low = ScoreSheet.objects.get(appearance=world.appearances["赵敏"], judge=world.judges[2])
    new_values = {"listen": "10", "policy": "10", "solve": "20"}  # 24 → 40
    results.decide_appeal(
        appeal, world.chief, True, "第三位评委漏记分项，按原始记录更正。", [(low, new_values)]
    )
    low.refresh_from_db()
    assert low.values == new_values and low.total == Decimal("40")
    change = ScoreChange.objects.get(sheet=low)
    assert change.kind == ScoreChange.Kind.APPEAL and change.by == world.chief
    assert change.old_values == {"listen": "6", "policy": "6", "solve": "12"}
    assert change.new_values == new_values
    assert change.reason == "第三位评委漏记分项，按原始记录更正。"
    world.result.refresh_from_db()
    second = results.current_result(world.round)
    assert world.result.status == RoundResult.Status.SUPERSEDED
    assert (second.version, second.status) == (2, RoundResult.Status.NOTICE)
    assert second.appeal_deadline == world.result.appeal_deadline  # the window is not extended
    # 赵敏: (24.5 + 26 + 40) / 3 = 30.1666… → 30.17, still third; the CSV is recomputed.
    assert [(r["rank"], r["name"], r["total"]) for r in second.ranking] == [
        (1, "李强", "35.00"),
        (2, "王丽", "31.50"),
        (3, "赵敏", "30.17"),
    ]
    assert f"3,{number(world, '赵敏')},30.17,30.17," in second.ranking_csv
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.UPHELD


def test_an_upheld_appeal_changes_only_the_appellants_sheets(world):
    appeal = results.file_appeal(world.result, world.workers["赵敏"], GROUNDS)
    other = ScoreSheet.objects.get(appearance=world.appearances["李强"], judge=world.judges[0])
    with pytest.raises(ValidationError):
        results.decide_appeal(
            appeal,
            world.chief,
            True,
            "更正",
            [(other, {"listen": "0", "policy": "0", "solve": "0"})],
        )
    other.refresh_from_db()
    assert other.total == Decimal("36")


def test_a_bad_changed_score_is_refused_with_nothing_written(world):
    appeal = results.file_appeal(world.result, world.workers["赵敏"], GROUNDS)
    low = ScoreSheet.objects.get(appearance=world.appearances["赵敏"], judge=world.judges[2])
    with pytest.raises(ValidationError):
        results.decide_appeal(
            appeal,
            world.chief,
            True,
            "更正",
            [(low, {"listen": "10.3", "policy": "6", "solve": "12"})],
        )
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.PENDING
    assert RoundResult.objects.count() == 1 and not ScoreChange.objects.exists()


# --------------------------------------------------------------------------- finalising


def test_finalise_waits_for_the_deadline_and_every_appeal(world):
    with pytest.raises(ValidationError):
        results.finalise(world.round, world.chief)  # the window is open
    appeal = results.file_appeal(world.result, world.workers["赵敏"], GROUNDS)
    close_window(world.result)
    with pytest.raises(ValidationError):
        results.finalise(world.round, world.chief)  # an appeal is pending
    with pytest.raises(PermissionDenied):
        results.finalise(world.round, world.judges[0])
    results.decide_appeal(appeal, world.chief, False, "评分无误，维持。")
    outcome = results.finalise(world.round, world.chief)
    world.result.refresh_from_db()
    world.round.refresh_from_db()
    world.competition.refresh_from_db()
    assert world.result.status == RoundResult.Status.FINAL and world.result.finalised_at
    assert world.round.status == Round.Status.FINAL
    assert world.competition.status == Competition.Status.FINISHED
    assert outcome.advanced == 0


def test_finalising_the_last_round_issues_award_certificates(world):
    from training.models import Certificate

    close_window(world.result)
    outcome = results.finalise(world.round, world.chief)
    assert outcome.certificates == 2
    holders = {c.holder.real_name for c in Certificate.objects.filter(kind="award")}
    assert holders == {"李强", "王丽"}  # 赵敏 won no award


def make_heats():
    """A district round (top 2 of each district advance) before a city final."""
    units = make_tree("H")
    chief = make_user("裁判长")
    judge = make_user("评委")
    competition = make_competition(units["H"], chief_judge=chief)
    heats = competition.rounds.get()
    heats.name, heats.group_level, heats.advance_top_n = "区级复赛", "district", 2
    heats.save()
    final = Round.objects.create(competition=competition, order=2, name="市级决赛")
    stage = make_stage(heats)
    # (community, name, solve): listen and policy 5 each. District 1: 30, 28, 28 (a tie at the
    # boundary); district 2: 29, 26, 20.
    field = [
        ("HD1S1C1", "甲", "20"),
        ("HD1S1C2", "乙", "18"),
        ("HD1S2C1", "丙", "18"),
        ("HD2S1C1", "丁", "19"),
        ("HD2S1C2", "戊", "16"),
        ("HD2S2C1", "己", "10"),
    ]
    entries = {}
    for community, name, solve in field:
        entries[name] = make_entry(competition, make_worker(units[community], real_name=name))
        appearance = make_appearance(stage, entries[name], judges=[judge])
        sheet(appearance, judge, ("5", "5", solve))
    decode(stage)
    return chief, heats, final, entries


def test_advancement_takes_the_top_n_of_each_district_and_ties_at_the_boundary():
    chief, heats, final, entries = make_heats()
    result = results.publish(heats, chief)
    close_window(result)
    outcome = results.finalise(heats, chief)
    advanced = set(
        RoundEntry.objects.filter(round=final).values_list(
            "registration__worker__real_name", flat=True
        )
    )
    assert advanced == {"甲", "乙", "丙", "丁", "戊"}
    assert outcome.advanced == 5 and outcome.certificates == 0
    heats.competition.refresh_from_db()
    assert heats.competition.status != Competition.Status.FINISHED


def test_advancement_needs_a_rule():
    chief, heats, final, entries = make_heats()
    Round.objects.filter(pk=heats.pk).update(advance_top_n=None)
    close_window(results.publish(heats, chief))
    with pytest.raises(ValidationError):
        results.finalise(heats, chief)
    heats.refresh_from_db()
    assert heats.status == Round.Status.NOTICE and not final.entries.exists()


# --------------------------------------------------------------------------- pages


def test_contestant_files_an_appeal_on_the_result_page(client, world):
    url = reverse("competitions:result_detail", args=[world.result.pk])
    client.force_login(world.judges[0])
    assert 'id="appeal-form"' not in client.get(url).content.decode()
    client.force_login(world.workers["赵敏"])
    assert 'id="appeal-form"' in client.get(url).content.decode()
    client.post(reverse("competitions:appeal_file", args=[world.result.pk]), {"text": "太短"})
    assert not Appeal.objects.exists()
    response = client.post(
        reverse("competitions:appeal_file", args=[world.result.pk]), {"text": GROUNDS}, follow=True
    )
    assert Appeal.objects.get().text == GROUNDS
    assert GROUNDS in response.content.decode()
    close_window(world.result)
    page = client.get(url).content.decode()
    assert 'id="appeal-form"' not in page and GROUNDS in page


def test_appeals_console_and_decision_form(client, world):
    appeal = results.file_appeal(world.result, world.workers["赵敏"], GROUNDS)
    console = reverse("competitions:appeals_console", args=[world.competition.pk])
    client.force_login(world.judges[0])
    assert client.get(console).status_code == 403
    assert client.post(reverse("competitions:appeal_decide", args=[appeal.pk])).status_code == 403
    client.force_login(world.chief)
    preview = reverse("competitions:round_preview", args=[world.round.pk])
    assert 'id="pending-appeals"' in client.get(preview).content.decode()
    page = client.get(console).content.decode()
    assert GROUNDS in page and "赵敏" in page
    low = ScoreSheet.objects.get(appearance=world.appearances["赵敏"], judge=world.judges[2])
    assert f'name="sheet-{low.pk}-solve" value="12"' in page  # the appellant's per-judge scores
    decide = reverse("competitions:appeal_decide", args=[appeal.pk])
    client.post(decide, {"outcome": "uphold", "decision": ""})
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.PENDING
    client.post(
        decide,
        {
            "outcome": "uphold",
            "decision": "漏记分项，更正。",
            "change": [str(low.pk)],
            f"sheet-{low.pk}-listen": "10",
            f"sheet-{low.pk}-policy": "10",
            f"sheet-{low.pk}-solve": "20",
        },
    )
    appeal.refresh_from_db()
    low.refresh_from_db()
    assert appeal.status == Appeal.Status.UPHELD and low.total == Decimal("40")
    assert results.current_result(world.round).version == 2
    assert "漏记分项，更正。" in client.get(console).content.decode()
    assert 'id="pending-appeals"' not in client.get(preview).content.decode()


def test_stage_decoding_is_required_again_after_a_reopen(world):
    """A stage reopened after publishing blocks a new version until it is decoded again."""
    Stage.objects.filter(pk=world.stage.pk).update(status=Stage.Status.CLOSED)
    with pytest.raises(ValidationError):
        results.publish(world.round, world.chief)
    assert results.current_result(world.round) == world.result
