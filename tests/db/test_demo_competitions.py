"""The demo contest: nominations within quotas, fair draws, two rounds released, certificates."""

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from cms.demo import load_demo
from cms.demo_competitions import PER_DISTRICT, TITLE, load_competition_demo
from cms.demo_training import load_training_demo
from competitions import setup
from competitions.models import (
    Appeal,
    Assignment,
    Competition,
    Recusal,
    Registration,
    RoundResult,
    ScoreChange,
    ScoreSheet,
)
from people import levels
from tests.factories import kept_for_the_module
from training.models import Certificate

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def contest(django_db_setup, django_db_blocker):
    """Loaded once for the module; rolled back at the end."""
    with kept_for_the_module(django_db_blocker):
        load_demo()
        load_training_demo()
        yield load_competition_demo()


def test_sixty_workers_nominated_within_quotas_and_approved(contest):
    registrations = Registration.objects.filter(competition=contest)
    assert registrations.count() == 60
    assert set(registrations.values_list("status", flat=True)) == {Registration.Status.APPROVED}
    by_district = Counter(r.unit.get_ancestors().get(level="district").code for r in registrations)
    assert by_district == {"QH01": PER_DISTRICT, "QH02": PER_DISTRICT, "QH03": PER_DISTRICT}


def test_every_draw_reproduces_from_its_seed(contest):
    stages = [s for r in contest.rounds.all() for s in r.stages.all()]
    assert len(stages) == 3
    for stage in stages:
        assert stage.draw_seed.startswith("qinghe-2026")
        assert setup.verify_draw(stage), stage


def test_no_judge_scores_someone_from_their_own_street(contest):
    judge7 = Assignment.objects.filter(
        appearance__stage__round__competition=contest, judge__username="judge7"
    ).select_related("appearance__entry__registration__unit")
    assert judge7.exists()
    streets = {
        a.appearance.entry.registration.unit.get_ancestors().get(level=levels.STREET).code
        for a in judge7
    }
    assert "QH0201" not in streets  # judge7 works at 岭南街道
    recused = Recusal.objects.filter(
        appearance__stage__round__competition=contest, judge__username="judge7"
    )
    assert recused.exists()
    assert set(recused.values_list("reason", flat=True)) == {Recusal.Reason.SAME_STREET}


def test_both_rounds_final_and_recomputable(contest):
    results = RoundResult.objects.filter(
        round__competition=contest, status=RoundResult.Status.FINAL
    )
    assert sorted(r.round.order for r in results) == [1, 2]
    for result in results:
        folder = ROOT / "test-artifacts" / f"demo-result-{result.pk}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "scores.csv").write_text(result.scores_csv, encoding="utf-8")
        (folder / "rules.json").write_text(result.rules_json, encoding="utf-8")
        run = subprocess.run(
            [sys.executable, "-m", "competitions.scoring", "scores.csv", "rules.json"],
            cwd=folder,
            capture_output=True,
            text=True,
            env={"PYTHONPATH": str(ROOT)},
        )
        assert run.returncode == 0, run.stderr
        assert run.stdout == result.ranking_csv


def test_top_four_of_each_district_reach_the_final(contest):
    district_round, final = contest.rounds.order_by("order")
    assert final.entries.count() == 12
    finalists = {e.registration_id for e in final.entries.all()}
    district_result = district_round.results.get(status=RoundResult.Status.FINAL)
    by_district = Counter(
        row["district"] for row in district_result.ranking if row["registration"] in finalists
    )
    assert by_district == {"东湖区": 4, "西岭区": 4, "南川县": 4}


def test_awards_by_share_and_certificates(contest):
    final_result = RoundResult.objects.get(
        round__competition=contest, round__order=2, status=RoundResult.Status.FINAL
    )
    awarded = [row for row in final_result.ranking if row["award"]]
    # 12 finalists: cumulative counts round-half-up(1.2, 3.6, 7.2) = 1, 4, 7.
    assert len(awarded) >= 7
    assert final_result.ranking[0]["award"] == "一等奖"
    certificates = Certificate.objects.filter(kind=Certificate.Kind.AWARD)
    assert certificates.count() == len(awarded)
    assert {c.holder_id for c in certificates} == set(
        Registration.objects.filter(pk__in=[row["registration"] for row in awarded]).values_list(
            "worker_id", flat=True
        )
    )


def test_written_scores_come_from_the_exam_and_history_is_kept(contest):
    exam_sheets = ScoreSheet.objects.filter(
        appearance__stage__code="written", source=ScoreSheet.Source.EXAM
    )
    assert exam_sheets.count() == 60
    kinds = set(
        ScoreChange.objects.filter(
            sheet__appearance__stage__round__competition=contest
        ).values_list("kind", flat=True)
    )
    assert {"submitted", "exam", "remark"} <= kinds
    appeal = Appeal.objects.get(result__round__competition=contest)
    assert appeal.status == Appeal.Status.REJECTED and appeal.decision


def test_loading_again_changes_nothing(contest):
    before = (Competition.objects.count(), ScoreSheet.objects.count(), Certificate.objects.count())
    load_competition_demo()
    assert (
        Competition.objects.count(),
        ScoreSheet.objects.count(),
        Certificate.objects.count(),
    ) == before
    assert Competition.objects.get(title=TITLE) == contest
