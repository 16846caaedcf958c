"""Results on the database: rules and scores for the engine, publishing versions that recompute
from their own files, the preview/publish pages, public result pages and the venue scoreboard."""

import hashlib
import io
import json
import subprocess
import sys
import zipfile
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from competitions import results, scoring
from competitions.models import Round, RoundResult, ScoreSheet, Stage
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

AWARDS = [{"name": "一等奖", "share": "0.34"}, {"name": "二等奖", "share": "0.33"}]

# (listen, policy, solve) per contestant and judge: 3 contestants × 3 judges.
MARKS = {
    "王丽": [("8", "7.5", "16"), ("9", "8", "17"), ("7", "7", "15")],  # 31.5, 34, 29 → 31.50
    "李强": [("9", "9", "18"), ("8.5", "8", "17"), ("9", "8.5", "18")],  # 36, 33.5, 35.5 → 35.00
    "赵敏": [("6", "6.5", "12"), ("7", "6", "13"), ("6", "6", "12")],  # 24.5, 26, 24 → 24.83
}
COMMUNITIES = {"王丽": "TD1S1C1", "李强": "TD1S2C1", "赵敏": "TD2S1C1"}


def sheet(appearance, judge, marks, status=ScoreSheet.Status.SUBMITTED):
    listen, policy, solve = marks
    return ScoreSheet.objects.create(
        appearance=appearance,
        judge=judge,
        status=status,
        values={"listen": listen, "policy": policy, "solve": solve},
        total=Decimal(listen) + Decimal(policy) + Decimal(solve),
        submitted_at=timezone.now(),
    )


def decode(*stages):
    for stage in stages:
        stage.status = Stage.Status.DECODED
        stage.save(update_fields=["status"])


def contest(prefix="T", *, marks=MARKS, stage_status=Stage.Status.CLOSED):
    """A city final with one scenario stage: three contestants, three judges, every sheet in."""
    units = make_tree(prefix)
    chief = make_user("孙裁判长")
    judges = [make_user(f"评委{n}") for n in (1, 2, 3)]
    competition = make_competition(units[prefix], chief_judge=chief)
    round_ = competition.rounds.get()
    round_.awards = AWARDS
    round_.status = Round.Status.RUNNING
    round_.save()
    stage = make_stage(round_, status=stage_status)
    workers, entries, appearances = {}, {}, {}
    for name, scores in marks.items():
        code = COMMUNITIES[name].replace("T", prefix, 1)
        workers[name] = make_worker(units[code], real_name=name)
        entries[name] = make_entry(competition, workers[name])
        appearances[name] = make_appearance(stage, entries[name], judges=judges)
        for judge, judge_marks in zip(judges, scores, strict=True):
            sheet(appearances[name], judge, judge_marks)
    return SimpleNamespace(
        units=units,
        chief=chief,
        judges=judges,
        competition=competition,
        round=round_,
        stage=stage,
        workers=workers,
        entries=entries,
        appearances=appearances,
    )


def number(world, name) -> str:
    return results.contestant_number(world.entries[name].registration_id)


@pytest.fixture
def world():
    return contest()


# --------------------------------------------------------------------------- rules and frame


def test_rules_follow_the_round(world):
    world.round.tie_breakers = ["scenario"]
    world.round.save()
    rules = results.rules_for(world.round)
    assert rules.stage_codes == ("scenario",)
    stage_rule = rules.stages[0]
    assert (stage_rule.weight, stage_rule.aggregate, stage_rule.trim, stage_rule.min_judges) == (
        Decimal("1.000"),
        "trimmed",
        1,
        5,
    )
    assert [(c.code, c.max, c.step) for c in rules.criteria["scenario"]] == [
        ("listen", Decimal("10"), Decimal("0.5")),
        ("policy", Decimal("10"), Decimal("0.5")),
        ("solve", Decimal("20"), Decimal("1")),
    ]
    assert rules.tie_breakers == ("scenario",)
    assert [(a.name, a.share) for a in rules.awards] == [
        ("一等奖", Decimal("0.34")),
        ("二等奖", Decimal("0.33")),
    ]


def test_stage_rules_take_one_stage_at_weight_one(world):
    written = make_stage(world.round, code="written", name="笔试", weight="0.4")
    Stage.objects.filter(pk=world.stage.pk).update(weight="0.6")
    rules = results.stage_rules(written)
    assert rules.stage_codes == ("written",) and rules.stages[0].weight == 1
    assert results.rules_for(world.round).stage_codes == ("scenario", "written")


def test_bad_round_rules_are_a_clear_error(world):
    make_stage(world.round, code="written", name="笔试", weight="0.5")  # 1 + 0.5
    with pytest.raises(ValidationError) as refusal:
        results.rules_for(world.round)
    assert "1.500" in str(refusal.value)


def test_scores_frame_is_long_form_from_submitted_sheets_in_one_query(world):
    ScoreSheet.objects.filter(appearance=world.appearances["赵敏"], judge=world.judges[2]).update(
        status=ScoreSheet.Status.REOPENED
    )
    with CaptureQueriesContext(connection) as queries:
        frame = results.scores_frame(world.round)
    assert len(queries) <= 3  # stages, criteria order, sheets: never one per sheet
    assert list(frame.columns) == ["contestant", "stage", "judge", "criterion", "score"]
    assert len(frame) == 8 * 3  # the reopened sheet is not in
    first = frame.iloc[0].to_dict()
    wang = number(world, "王丽")
    assert len(wang) == 5 and wang.startswith("0")
    assert first == {
        "contestant": wang,
        "stage": "scenario",
        "judge": f"J{world.judges[0].pk}",
        "criterion": "listen",
        "score": "8",
    }
    assert set(frame["judge"]) == {f"J{j.pk}" for j in world.judges}
    assert set(frame.loc[frame["contestant"] == number(world, "赵敏"), "judge"]) == {
        f"J{world.judges[0].pk}",
        f"J{world.judges[1].pk}",
    }


def test_a_written_stage_ranks_the_exam_score(world):
    from training.models import Exam

    Stage.objects.filter(pk=world.stage.pk).update(weight="0.6")
    written = make_stage(
        world.round, code="written", name="笔试", weight="0.4", criteria=[], kind="written"
    )
    written.exam = Exam.objects.create(owner_unit=world.units["T"], title="大赛笔试")
    written.save()
    for name, score in [("王丽", "90"), ("李强", "70.5"), ("赵敏", "88")]:
        appearance = make_appearance(written, world.entries[name], code=f"W{name}")
        ScoreSheet.objects.create(
            appearance=appearance,
            status=ScoreSheet.Status.SUBMITTED,
            source=ScoreSheet.Source.EXAM,
            values={"written": score},
            total=Decimal(score),
        )
    rules = results.rules_for(world.round)
    assert [(c.code, c.max, c.step) for c in rules.criteria["written"]] == [
        ("written", Decimal(100), Decimal("0.01"))
    ]
    frame = results.scores_frame(written)
    assert set(frame["judge"]) == {"exam"} and len(frame) == 3
    decode(world.stage, written)
    ranking = results.publish(world.round, world.chief).ranking
    # 王丽 0.6 × 31.50 + 0.4 × 90 = 54.90; 赵敏 0.6 × 24.83 + 0.4 × 88 = 50.098 → 50.10;
    # 李强 0.6 × 35.00 + 0.4 × 70.5 = 49.20.
    assert [(r["name"], r["stages"]["written"], r["total"]) for r in ranking] == [
        ("王丽", "90.00", "54.90"),
        ("赵敏", "88.00", "50.10"),
        ("李强", "70.50", "49.20"),
    ]


# --------------------------------------------------------------------------- publishing


def test_publish_refused_until_every_stage_is_decoded(world):
    with pytest.raises(ValidationError) as refusal:
        results.publish(world.round, world.chief)
    assert "情景模拟" in str(refusal.value)
    assert not RoundResult.objects.exists()
    with pytest.raises(PermissionDenied):
        results.publish(world.round, world.judges[0])


def test_publish_freezes_the_ranking(world):
    decode(world.stage)
    before = timezone.now()
    result = results.publish(world.round, world.chief)
    assert (result.version, result.status) == (1, RoundResult.Status.NOTICE)
    hours = timedelta(hours=world.competition.appeal_hours)
    assert before + hours <= result.appeal_deadline <= timezone.now() + hours
    world.round.refresh_from_db()
    assert world.round.status == Round.Status.NOTICE
    table = [
        (row["rank"], row["name"], row["stages"]["scenario"], row["total"], row["award"])
        for row in result.ranking
    ]
    assert table == [
        (1, "李强", "35.00", "35.00", "一等奖"),
        (2, "王丽", "31.50", "31.50", "二等奖"),
        (3, "赵敏", "24.83", "24.83", ""),
    ]
    li = result.ranking[0]
    assert li["contestant"] == number(world, "李强")
    assert li["registration"] == world.entries["李强"].registration_id
    assert (li["unit"], li["street"], li["district"]) == ("T1-2-1社区", "T1区2街道", "T第1区")
    assert result.ranking_csv.splitlines() == [
        "rank,contestant,scenario,total,award",
        f"1,{number(world, '李强')},35.00,35.00,一等奖",
        f"2,{number(world, '王丽')},31.50,31.50,二等奖",
        f"3,{number(world, '赵敏')},24.83,24.83,",
    ]
    rules = results.rules_for(world.round)
    assert result.rules_json == json.dumps(
        scoring.rules_to_dict(rules), sort_keys=True, ensure_ascii=False
    )
    assert len(result.scores_csv.splitlines()) == 1 + 27
    joined = result.scores_csv + result.rules_json + result.ranking_csv
    assert result.sha256 == hashlib.sha256(joined.encode()).hexdigest()
    phones = {w.phone for w in world.workers.values()}
    assert not any(phone in json.dumps(result.ranking) for phone in phones)


def test_the_command_line_recomputes_the_published_ranking(world, tmp_path):
    decode(world.stage)
    result = results.publish(world.round, world.chief)
    (tmp_path / "scores.csv").write_text(result.scores_csv, encoding="utf-8", newline="")
    (tmp_path / "rules.json").write_text(result.rules_json, encoding="utf-8", newline="")
    run = subprocess.run(
        [sys.executable, "-m", "competitions.scoring", "scores.csv", "rules.json"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(settings.BASE_DIR), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr.decode()
    assert run.stdout.decode("utf-8") == result.ranking_csv


def test_republishing_makes_a_new_version_and_supersedes_the_old(world):
    decode(world.stage)
    first = results.publish(world.round, world.chief)
    organiser = make_admin(world.units["T"])
    second = results.publish(world.round, organiser)
    first.refresh_from_db()
    assert (first.status, second.status, second.version) == ("superseded", "notice", 2)
    assert results.current_result(world.round) == second
    assert second.published_by == organiser


def test_publishing_a_final_round_is_refused(world):
    decode(world.stage)
    results.publish(world.round, world.chief)
    Round.objects.filter(pk=world.round.pk).update(status=Round.Status.FINAL)
    with pytest.raises(ValidationError):
        results.publish(world.round, world.chief)
    assert RoundResult.objects.count() == 1


def test_team_rankings_by_street_and_district(world):
    decode(world.stage)
    teams = results.team_rankings(results.publish(world.round, world.chief))
    assert [(t["rank"], t["unit"], t["members"], t["mean_total"]) for t in teams["district"]] == [
        (1, "T第1区", 2, "33.25"),  # (35.00 + 31.50) / 2
        (2, "T第2区", 1, "24.83"),
    ]
    assert [t["unit"] for t in teams["street"]] == ["T1区2街道", "T1区1街道", "T2区1街道"]


# --------------------------------------------------------------------------- pages


def test_result_page_is_public_and_shows_no_phone_numbers(client, world):
    decode(world.stage)
    result = results.publish(world.round, world.chief)
    page = client.get(reverse("competitions:result_detail", args=[result.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    for name in MARKS:
        assert name in text
    assert "T1-2-1社区" in text and "35.00" in text and "一等奖" in text
    assert result.sha256 in text
    assert "python -m competitions.scoring scores.csv rules.json" in text
    assert 'id="teams-district"' in text
    for worker in world.workers.values():
        assert worker.phone not in text
    assert 'id="appeal-form"' not in text  # anonymous visitors cannot appeal
    listing = client.get(reverse("competitions:results_list")).content.decode()
    assert reverse("competitions:result_detail", args=[result.pk]) in listing
    other = make_competition(world.units["T"], title="另一场比赛")
    narrowed = client.get(reverse("competitions:results_list"), {"competition": other.pk})
    assert reverse("competitions:result_detail", args=[result.pk]) not in narrowed.content.decode()
    assert "另一场比赛" in narrowed.content.decode()


def test_downloads_return_the_frozen_files(client, world):
    decode(world.stage)
    result = results.publish(world.round, world.chief)
    for kind, text in [
        ("scores.csv", result.scores_csv),
        ("rules.json", result.rules_json),
        ("ranking.csv", result.ranking_csv),
    ]:
        response = client.get(reverse("competitions:result_download", args=[result.pk, kind]))
        assert response.status_code == 200 and response.content.decode("utf-8") == text
        assert "attachment" in response["Content-Disposition"]
    missing = client.get(reverse("competitions:result_download", args=[result.pk, "secret.txt"]))
    assert missing.status_code == 404


def test_preview_shows_progress_until_decoded_then_the_ranking(client, world):
    url = reverse("competitions:round_preview", args=[world.round.pk])
    client.force_login(world.judges[0])
    assert client.get(url).status_code == 403
    client.force_login(world.chief)
    page = client.get(url).content.decode()
    assert 'id="waiting"' in page and "9 / 9" in page
    assert "李强" not in page and 'id="preview-ranking"' not in page
    refused = client.post(reverse("competitions:round_publish", args=[world.round.pk]))
    assert refused.status_code == 302 and not RoundResult.objects.exists()
    decode(world.stage)
    page = client.get(url).content.decode()
    assert 'id="preview-ranking"' in page and "李强" in page and "24.83" in page
    assert not RoundResult.objects.exists()  # the preview publishes nothing


def test_publish_and_finalise_buttons(client, world):
    decode(world.stage)
    organiser = make_admin(world.units["T"])
    activate_totp(organiser)
    client.force_login(organiser)
    listing = client.get(reverse("competitions:results_list")).content.decode()
    assert reverse("competitions:round_preview", args=[world.round.pk]) in listing
    response = client.post(reverse("competitions:round_publish", args=[world.round.pk]))
    result = RoundResult.objects.get()
    assert response["Location"] == reverse("competitions:result_detail", args=[result.pk])
    response = client.post(
        reverse("competitions:round_finalise", args=[world.round.pk]), follow=True
    )
    result.refresh_from_db()
    assert result.status == RoundResult.Status.NOTICE  # the appeal window is still open
    assert "error" in [m.tags for m in response.context["messages"]]
    outsider = make_user("路人")
    client.force_login(outsider)
    assert (
        client.post(reverse("competitions:round_publish", args=[world.round.pk])).status_code == 403
    )


def test_stage_files_zip_for_the_organiser(client, world):
    client.force_login(world.chief)
    response = client.get(reverse("competitions:stage_files", args=["stage", world.stage.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["rules.json", "scores.csv"]
    scores = scoring.read_scores_csv(io.BytesIO(archive.read("scores.csv")))
    rules = scoring.read_rules_json(io.BytesIO(archive.read("rules.json")))
    ranking = scoring.rank(scores, rules)
    assert list(ranking["total"]) == [Decimal("35.00"), Decimal("31.50"), Decimal("24.83")]
    whole = client.get(reverse("competitions:stage_files", args=["round", world.round.pk]))
    assert whole.status_code == 200
    client.force_login(world.judges[0])
    assert (
        client.get(reverse("competitions:stage_files", args=["round", world.round.pk])).status_code
        == 403
    )


def test_stage_files_wait_for_the_stage_to_close(client):
    world = contest(stage_status=Stage.Status.OPEN)
    client.force_login(world.chief)
    response = client.get(reverse("competitions:stage_files", args=["stage", world.stage.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("competitions:round_preview", args=[world.round.pk])


# --------------------------------------------------------------------------- scoreboard


def test_scoreboard_shows_progress_without_names_then_the_ranking(client, world):
    data_url = reverse("competitions:scoreboard_data", args=[world.competition.pk])
    ScoreSheet.objects.filter(appearance=world.appearances["赵敏"]).delete()
    before = client.get(data_url)
    text = before.content.decode()
    board = before.json()
    assert board["phase"] == "progress" and board["ranking"] == []
    assert [(s["done"], s["expected"]) for s in board["stages"]] == [(6, 9)]
    assert board["stages"][0]["rooms"] == [{"room": "第一考场", "done": 6, "expected": 9}]
    for name in MARKS:
        assert name not in text
    assert "31.5" not in text and "35" not in text.replace(board["updated"], "")
    page = client.get(reverse("competitions:scoreboard", args=[world.competition.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert data_url in html and "competitions/scoreboard.js" in html and "6 / 9" in html

    for judge, marks in zip(world.judges, MARKS["赵敏"], strict=True):
        sheet(world.appearances["赵敏"], judge, marks)
    decode(world.stage)
    assert "李强" not in client.get(data_url).content.decode()  # decoded is not yet published
    results.publish(world.round, world.chief)
    board = client.get(data_url).json()
    assert board["phase"] == "ranking" and board["stages"] == []
    assert [(r["rank"], r["name"], r["total"], r["award"]) for r in board["ranking"]] == [
        (1, "李强", "35.00", "一等奖"),
        (2, "王丽", "31.50", "二等奖"),
        (3, "赵敏", "24.83", ""),
    ]
    assert (
        "李强"
        in client.get(
            reverse("competitions:scoreboard", args=[world.competition.pk])
        ).content.decode()
    )
