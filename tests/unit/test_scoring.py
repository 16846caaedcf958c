"""The competition results engine without a database: every rule checked on examples worked
out by hand (the arithmetic is in the comments), the files, the command line, a property
test that a ranking recomputed from its exports is the same ranking, and one that the fast engine
gives exactly what the plain row-by-row engine it replaced gives (kept at the end as the oracle)."""

import csv
import functools
import io
import json
import random
import re
import statistics
import subprocess
import sys
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from competitions import scoring
from competitions.scoring import (
    AGGREGATES,
    ERROR_CODES,
    Award,
    Criterion,
    Rules,
    ScoringError,
    StageRule,
    round_half_up,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
D = Decimal

# --------------------------------------------------------------------------- helpers


def one_criterion_rules(*stages, step="0.25", tie_breakers=(), awards=()):
    """Rules where each stage has the single criterion "points" (0–100), so that a judge's
    total is the score they gave."""
    criteria = {stage.code: (Criterion("points", D(100), D(step)),) for stage in stages}
    return Rules(tuple(stages), criteria, tuple(tie_breakers), tuple(awards))


def mean_stage(code="final", weight="1", **options):
    return StageRule(code, D(weight), "mean", **options)


def sheet(*rows):
    """A score table from (contestant, stage, judge, score) rows on the "points" criterion."""
    return pd.DataFrame(
        [(contestant, stage, judge, "points", score) for contestant, stage, judge, score in rows],
        columns=scoring.SCORE_COLUMNS,
        dtype=str,
    )


def panel(stage, **totals_by_contestant):
    """Rows where judges j1, j2, … gave each contestant the listed totals in `stage`."""
    return [
        (contestant, stage, f"j{number}", total)
        for contestant, totals in totals_by_contestant.items()
        for number, total in enumerate(totals, start=1)
    ]


def single_stage_ranking(totals, awards=(), tie_breakers=()):
    """Rank contestants who each got one judge's total (so the total is the stage score)."""
    rules = one_criterion_rules(mean_stage(), awards=awards, tie_breakers=tie_breakers)
    rows = [(contestant, "final", "j1", total) for contestant, total in totals.items()]
    return scoring.rank(sheet(*rows), rules)


def csv_text(ranking):
    buffer = io.StringIO()
    scoring.write_ranking_csv(ranking, buffer)
    return buffer.getvalue()


def ranking_frame(*rows):
    """A ranking with only what team ranking and advancement read: (rank, contestant, total)."""
    return pd.DataFrame(
        [
            {"rank": rank, "contestant": contestant, "total": D(total), "award": ""}
            for rank, contestant, total in rows
        ]
    )


# --------------------------------------------------------------------------- rounding


def test_round_half_up_rounds_a_half_cent_up_and_anything_below_it_down():
    assert round_half_up(D("2.345")) == D("2.35")
    assert round_half_up(D("2.3449")) == D("2.34")
    assert round_half_up(D("85.125")) == D("85.13")
    assert round_half_up(D("2.355")) == D("2.36")  # not to even (banker's would give 2.36 too)
    assert round_half_up(D("2.365")) == D("2.37")  # banker's would give 2.36
    # 85.125 is exact in binary and Python's round() goes to even: the float way is wrong.
    assert round(85.125, 2) == 85.12


# --------------------------------------------------------------------------- panel scores


def test_plain_mean_of_the_judges_totals():
    rules = one_criterion_rules(mean_stage())
    # (80 + 85 + 87.5) / 3 = 252.5 / 3 = 84.1666… → 84.17
    frame = sheet(*panel("final", c1=["80", "85", "87.5"]))
    scores = scoring.stage_scores(frame, rules)
    assert scores.to_dict("records") == [
        {"contestant": "c1", "stage": "final", "score": D("84.17"), "judges": 3}
    ]


def test_trimmed_mean_drops_the_highest_and_lowest_when_enough_judges_scored():
    rules = one_criterion_rules(StageRule("final", D(1), "trimmed", trim=1, min_judges=5))
    # Five judges: drop 70 and 95, (80 + 82 + 84) / 3 = 246 / 3 = 82.00
    frame = sheet(*panel("final", c1=["70", "80", "82", "84", "95"]))
    scores = scoring.stage_scores(frame, rules)
    assert (scores["score"][0], scores["judges"][0]) == (D("82.00"), 5)


def test_trimmed_mean_falls_back_to_the_plain_mean_below_min_judges():
    rules = one_criterion_rules(StageRule("final", D(1), "trimmed", trim=1, min_judges=5))
    # Four judges < 5: nothing dropped, (70 + 80 + 82 + 95) / 4 = 327 / 4 = 81.75
    frame = sheet(*panel("final", c1=["70", "80", "82", "95"]))
    assert scoring.stage_scores(frame, rules)["score"][0] == D("81.75")


def test_trimming_two_from_each_end():
    rules = one_criterion_rules(StageRule("final", D(1), "trimmed", trim=2, min_judges=5))
    # Drop 60, 70 and 99, 100: (80 + 90) / 2 = 85.00
    frame = sheet(*panel("final", c1=["60", "70", "80", "90", "99", "100"]))
    assert scoring.stage_scores(frame, rules)["score"][0] == D("85.00")


def test_a_panel_mean_on_the_half_cent_is_rounded_half_up():
    rules = one_criterion_rules(mean_stage())
    # (85 + 85.25) / 2 = 85.125 → 85.13 (round(85.125, 2) on floats gives 85.12)
    frame = sheet(*panel("final", c1=["85", "85.25"]))
    assert scoring.stage_scores(frame, rules)["score"][0] == D("85.13")


def test_a_judges_total_is_the_sum_of_the_criterion_scores():
    criteria = (Criterion("content", D(60), D("0.5")), Criterion("delivery", D(40), D("0.5")))
    rules = Rules((mean_stage(),), {"final": criteria})
    frame = pd.DataFrame(
        [
            ("c1", "final", "j1", "content", "50.5"),
            ("c1", "final", "j1", "delivery", "30"),
            ("c1", "final", "j2", "content", "45"),
            ("c1", "final", "j2", "delivery", "35.5"),
        ],
        columns=scoring.SCORE_COLUMNS,
    )
    totals = scoring.judge_totals(frame, rules)
    # j1: 50.5 + 30 = 80.5, j2: 45 + 35.5 = 80.5
    assert list(totals["total"]) == [D("80.5"), D("80.5")]
    assert list(totals["adjusted"]) == list(totals["total"])  # not standardised


# --------------------------------------------------------------------------- standardisation


def test_standardisation_worked_by_hand():
    rules = one_criterion_rules(mean_stage("interview", standardise=True), step="1")
    # Judge A is strict, judge B lenient:
    #   A: c1 79, c2 80, c3 81        B: c1 87, c2 88, c3 89
    # All six totals: mean M = 504 / 6 = 84; deviations −5 −4 −3 3 4 5, squares
    # 25 + 16 + 9 + 9 + 16 + 25 = 100, population variance 100 / 6 = 50/3, S = √(50/3).
    # Judge A: mean 80, deviations −1 0 1, variance 2/3, s = √(2/3), so c1's z = −√(3/2);
    # adjusted = M + S·z = 84 − √(50/3)·√(3/2) = 84 − √25 = 79. Likewise c2 → 84, c3 → 89,
    # and judge B (mean 88, same spread) maps to the same 79, 84, 89.
    frame = sheet(
        *panel("interview", c1=["79", "87"], c2=["80", "88"], c3=["81", "89"]),
    )
    totals = scoring.judge_totals(frame, rules)
    expected = {"c1": D(79), "c2": D(84), "c3": D(89)}
    for row in totals.itertuples():
        assert abs(row.adjusted - expected[row.contestant]) < D("1e-25")
    assert list(totals["total"]) == [D(t) for t in ["79", "87", "80", "88", "81", "89"]]
    # Panel means: 79.00, 84.00, 89.00 — where the raw means were (79 + 87) / 2 = 83,
    # 84 and 85: the strict and the lenient judge now count alike.
    scores = scoring.stage_scores(frame, rules)
    assert list(scores["score"]) == [D("79.00"), D("84.00"), D("89.00")]
    raw = scoring.stage_scores(frame, one_criterion_rules(mean_stage("interview"), step="1"))
    assert list(raw["score"]) == [D("83.00"), D("84.00"), D("85.00")]


def test_a_judge_with_one_contestant_or_no_spread_is_left_as_is():
    rules = one_criterion_rules(mean_stage(standardise=True), step="1")
    frame = sheet(
        ("c1", "final", "A", "79"),
        ("c2", "final", "A", "80"),
        ("c3", "final", "A", "81"),
        ("c1", "final", "C", "60"),  # C saw one contestant
        ("c1", "final", "D", "85"),  # D gave everyone 85
        ("c2", "final", "D", "85"),
    )
    totals = scoring.judge_totals(frame, rules).set_index(["judge", "contestant"])
    for key in [("C", "c1"), ("D", "c1"), ("D", "c2")]:
        assert totals.loc[key, "adjusted"] == totals.loc[key, "total"]
    # A is mapped onto all six totals: c2 sits at A's mean (z = 0), so it lands on the
    # stage mean (79 + 80 + 81 + 60 + 85 + 85) / 6 = 470 / 6 = 78.333…
    assert round_half_up(totals.loc[("A", "c2"), "adjusted"]) == D("78.33")
    assert totals.loc[("A", "c1"), "adjusted"] != D(79)


# --------------------------------------------------------------------------- totals and ranks


def test_the_total_weighs_the_stage_scores():
    rules = one_criterion_rules(mean_stage("written", "0.3"), mean_stage("practical", "0.7"))
    frame = sheet(("c1", "written", "j1", "80"), ("c1", "practical", "j1", "90"))
    # 0.3 × 80 + 0.7 × 90 = 24 + 63 = 87.00
    ranking = scoring.rank(frame, rules)
    assert ranking.loc[0, ["written", "practical", "total"]].tolist() == [
        D("80.00"),
        D("90.00"),
        D("87.00"),
    ]


def test_the_total_uses_the_published_stage_score_not_the_unrounded_mean():
    rules = one_criterion_rules(mean_stage("written", "0.5"), mean_stage("practical", "0.5"))
    frame = sheet(
        *panel("written", c1=["85", "85.25"]),  # mean 85.125, published 85.13
        ("c1", "practical", "j1", "70"),
    )
    # Published: 0.5 × 85.13 + 0.5 × 70 = 42.565 + 35 = 77.565 → 77.57
    # (from the unrounded 85.125 it would be 42.5625 + 35 = 77.5625 → 77.56)
    ranking = scoring.rank(frame, rules)
    assert ranking.loc[0, "written"] == D("85.13")
    assert ranking.loc[0, "total"] == D("77.57")


def test_a_missing_stage_is_empty_and_counts_as_zero():
    rules = one_criterion_rules(mean_stage("written", "0.4"), mean_stage("practical", "0.6"))
    frame = sheet(
        ("c1", "written", "j1", "90"),
        ("c1", "practical", "j1", "80"),
        ("c2", "written", "j1", "95"),  # never took the practical
    )
    ranking = scoring.rank(frame, rules)
    # c1: 0.4 × 90 + 0.6 × 80 = 36 + 48 = 84.00; c2: 0.4 × 95 + 0 = 38.00
    assert ranking[["contestant", "total"]].values.tolist() == [
        ["c1", D("84.00")],
        ["c2", D("38.00")],
    ]
    assert ranking.loc[1, "practical"] is None
    assert csv_text(ranking).splitlines()[2] == "2,c2,95.00,,38.00,"


def test_shared_ranks_skip_the_next_place_and_list_the_tied_by_code():
    ranking = single_stage_ranking({"d": "80", "c": "90", "b": "90", "a": "95"})
    assert ranking["rank"].tolist() == [1, 2, 2, 4]
    assert ranking["contestant"].tolist() == ["a", "b", "c", "d"]


def test_contestants_in_a_shared_rank_are_ordered_by_code_as_a_string():
    ranking = single_stage_ranking({"9": "50", "10": "50", "100": "50"})
    assert ranking["contestant"].tolist() == ["10", "100", "9"]
    assert ranking["rank"].tolist() == [1, 1, 1]


def test_tie_breakers_apply_in_their_order():
    # The final decides (weight 1); the semi-final and the preliminary only break ties.
    stages = (mean_stage("final"), mean_stage("semi", "0"), mean_stage("prelim", "0"))
    frame = sheet(
        *[
            (contestant, stage, "j1", score)
            for contestant, scores in {
                "c1": ("90", "80", "70"),
                "c2": ("90", "80", "75"),
                "c3": ("90", "85", "60"),
                "c4": ("95", "50", "50"),
            }.items()
            for stage, score in zip(("final", "semi", "prelim"), scores, strict=True)
        ]
    )
    # semi first: c3 (85) beats c1, c2 (80, 80), which the prelim splits: c2 75, c1 70.
    by_semi = scoring.rank(frame, one_criterion_rules(*stages, tie_breakers=("semi", "prelim")))
    assert by_semi["contestant"].tolist() == ["c4", "c3", "c2", "c1"]
    assert by_semi["rank"].tolist() == [1, 2, 3, 4]
    # prelim first: c2 75, c1 70, c3 60.
    by_prelim = scoring.rank(frame, one_criterion_rules(*stages, tie_breakers=("prelim", "semi")))
    assert by_prelim["contestant"].tolist() == ["c4", "c2", "c1", "c3"]
    # Without tie-breakers the three share second place.
    untied = scoring.rank(frame, one_criterion_rules(*stages))
    assert untied["rank"].tolist() == [1, 2, 2, 2]


def test_a_missing_tie_breaker_stage_counts_as_zero():
    stages = (mean_stage("final"), mean_stage("semi", "0"))
    frame = sheet(
        ("c1", "final", "j1", "90"),
        ("c2", "final", "j1", "90"),
        ("c2", "semi", "j1", "0"),
    )
    # c1 has no semi score (0), c2 scored 0 there: still tied.
    ranking = scoring.rank(frame, one_criterion_rules(*stages, tie_breakers=("semi",)))
    assert ranking["rank"].tolist() == [1, 1]


def test_the_ranking_columns_and_their_types():
    rules = one_criterion_rules(mean_stage("written", "0.5"), mean_stage("practical", "0.5"))
    ranking = scoring.rank(sheet(("c1", "written", "j1", "80")), rules)
    assert list(ranking.columns) == ["rank", "contestant", "written", "practical", "total", "award"]
    assert ranking.loc[0, "rank"] == 1 and ranking["rank"].dtype == "int64"
    assert ranking.loc[0, "award"] == ""
    empty = scoring.rank(sheet(), rules)
    assert list(empty.columns) == list(ranking.columns) and empty.empty


# --------------------------------------------------------------------------- awards


GOLD_SILVER_BRONZE = (
    Award("一等奖", D("0.1")),
    Award("二等奖", D("0.2")),
    Award("三等奖", D("0.3")),
)


def test_awards_go_by_cumulative_share():
    # N = 10: cumulative counts 10 × 0.1 = 1, 10 × 0.3 = 3, 10 × 0.6 = 6.
    totals = {f"c{n:02}": str(100 - n) for n in range(1, 11)}
    ranking = single_stage_ranking(totals, awards=GOLD_SILVER_BRONZE)
    assert ranking["award"].tolist() == ["一等奖"] + ["二等奖"] * 2 + ["三等奖"] * 3 + [""] * 4


def test_a_tie_across_an_award_boundary_gets_the_higher_award():
    # Positions 1 and 2 tie: both get the first prize (count 1), the second prize then goes
    # to position 3 only (count 3). Positions 6 and 7 tie on the third prize's boundary
    # (count 6): both get it.
    totals = {"c01": "99", "c02": "99", "c03": "97", "c04": "96", "c05": "95"}
    totals |= {"c06": "94", "c07": "94", "c08": "92", "c09": "91", "c10": "90"}
    ranking = single_stage_ranking(totals, awards=GOLD_SILVER_BRONZE)
    assert ranking["rank"].tolist() == [1, 1, 3, 4, 5, 6, 6, 8, 9, 10]
    assert ranking["award"].tolist() == (["一等奖"] * 2 + ["二等奖"] + ["三等奖"] * 4 + [""] * 3)


def test_a_tie_spanning_two_boundaries_all_get_the_higher_award():
    # N = 10: positions 1–4 tie, so all four get the first prize (count 1); the second
    # prize's count (3) is used up, and the third prize goes to positions 5 and 6.
    totals = {f"c{n:02}": ("99" if n <= 4 else str(100 - n)) for n in range(1, 11)}
    ranking = single_stage_ranking(totals, awards=GOLD_SILVER_BRONZE)
    assert ranking["award"].tolist() == ["一等奖"] * 4 + ["三等奖"] * 2 + [""] * 4


def test_award_counts_round_half_up():
    first = (Award("一等奖", D("0.1")),)
    # N = 15: 15 × 0.1 = 1.5 → 2
    ranking = single_stage_ranking({f"c{n:02}": str(n) for n in range(15)}, awards=first)
    assert (ranking["award"] == "一等奖").sum() == 2
    # N = 14: 1.4 → 1; N = 4: 0.4 → 0, nobody
    ranking = single_stage_ranking({f"c{n:02}": str(n) for n in range(14)}, awards=first)
    assert (ranking["award"] == "一等奖").sum() == 1
    ranking = single_stage_ranking({f"c{n:02}": str(n) for n in range(4)}, awards=first)
    assert (ranking["award"] == "").all()


def test_shares_of_one_award_everyone():
    awards = (Award("金", D("0.5")), Award("银", D("0.5")))
    # N = 3: 3 × 0.5 = 1.5 → 2 gold; 3 × 1 = 3 → the third gets silver.
    ranking = single_stage_ranking({"a": "3", "b": "2", "c": "1"}, awards=awards)
    assert ranking["award"].tolist() == ["金", "金", "银"]


# --------------------------------------------------------------------------- rules files


FULL_RULES = {
    "stages": [
        {
            "code": "written",
            "weight": "0.4",
            "aggregate": "trimmed",
            "trim": 1,
            "min_judges": 5,
            "standardise": False,
        },
        {
            "code": "practical",
            "weight": "0.6",
            "aggregate": "mean",
            "trim": 1,
            "min_judges": 5,
            "standardise": True,
        },
    ],
    "criteria": {
        "written": [{"code": "content", "max": "60", "step": "0.5"}],
        "practical": [
            {"code": "skill", "max": "70", "step": "0.25"},
            {"code": "manner", "max": "30", "step": "1"},
        ],
    },
    "tie_breakers": ["practical", "written"],
    "awards": [{"name": "一等奖", "share": "0.1"}, {"name": "二等奖", "share": "0.2"}],
}


def test_rules_round_trip_through_their_dict_and_json_exactly():
    rules = scoring.rules_from_dict(FULL_RULES)
    assert rules.stages[1] == StageRule("practical", D("0.6"), "mean", standardise=True)
    assert rules.criteria["practical"][0] == Criterion("skill", D(70), D("0.25"))
    assert rules.tie_breakers == ("practical", "written")
    assert scoring.rules_to_dict(rules) == FULL_RULES
    text = json.dumps(scoring.rules_to_dict(rules), ensure_ascii=False)
    assert scoring.read_rules_json(io.StringIO(text)) == rules
    assert scoring.read_rules_json(io.BytesIO(text.encode())) == rules


def test_rules_take_json_numbers_exactly_and_fill_in_defaults():
    # As floats 0.1 + 0.2 + 0.7 is 0.9999999999999999; read as Decimals it is exactly 1.
    text = """{"stages": [{"code": "a", "weight": 0.1, "aggregate": "mean"},
                          {"code": "b", "weight": 0.2, "aggregate": "mean"},
                          {"code": "c", "weight": 0.7, "aggregate": "mean"}],
               "criteria": {"a": [{"code": "x", "max": 10, "step": 0.5}],
                            "b": [{"code": "x", "max": 10, "step": 1}],
                            "c": [{"code": "x", "max": 10, "step": 1}]}}"""
    rules = scoring.read_rules_json(io.StringIO(text))
    assert [stage.weight for stage in rules.stages] == [D("0.1"), D("0.2"), D("0.7")]
    assert rules.stages[0] == StageRule("a", D("0.1"), "mean", trim=1, min_judges=5)
    assert (rules.tie_breakers, rules.awards) == ((), ())
    assert scoring.rules_from_dict(scoring.rules_to_dict(rules)) == rules


def rules_with(**changes):
    """FULL_RULES with a change applied to a copy: stage0=..., criterion0=... or top-level."""
    data = json.loads(json.dumps(FULL_RULES))
    for key, value in changes.items():
        if key == "stage0":
            data["stages"][0].update(value)
        elif key == "criterion0":
            data["criteria"]["written"][0].update(value)
        else:
            data[key] = value
    return data


def without(mapping, key):
    return {k: v for k, v in mapping.items() if k != key}


RULE_CASES = [
    ("weights_sum", rules_with(stage0={"weight": "0.3"})),  # 0.3 + 0.6 = 0.9
    ("unknown_aggregate", rules_with(stage0={"aggregate": "median"})),
    ("bad_trim", rules_with(stage0={"trim": -1})),
    ("bad_min_judges", rules_with(stage0={"min_judges": 0, "aggregate": "mean"})),
    ("trim_too_large", rules_with(stage0={"trim": 2, "min_judges": 4})),  # needs 5+
    ("unknown_tie_breaker", rules_with(tie_breakers=["oral"])),
    ("bad_share", rules_with(awards=[{"name": "一等奖", "share": "0"}])),
    (
        "shares_over_one",
        rules_with(awards=[{"name": "a", "share": "0.6"}, {"name": "b", "share": "0.5"}]),
    ),
    (
        "duplicate_award",
        rules_with(awards=[{"name": "a", "share": "0.1"}, {"name": "a", "share": "0.1"}]),
    ),
    ("stage_without_criteria", rules_with(criteria={"written": FULL_RULES["criteria"]["written"]})),
    ("stage_without_criteria", rules_with(criteria={**FULL_RULES["criteria"], "practical": []})),
    ("unknown_stage", rules_with(criteria={**FULL_RULES["criteria"], "oral": []})),
    ("bad_max", rules_with(criterion0={"max": "0"})),
    ("bad_step", rules_with(criterion0={"step": "-0.5"})),
    ("max_off_step", rules_with(criterion0={"max": "10", "step": "3"})),
    ("duplicate_stage", rules_with(stages=[FULL_RULES["stages"][0]] * 2)),
    (
        "duplicate_criterion",
        rules_with(
            criteria={**FULL_RULES["criteria"], "written": FULL_RULES["criteria"]["written"] * 2}
        ),
    ),
    ("reserved_code", rules_with(stage0={"code": "total"})),
    ("bad_weight", rules_with(stage0={"weight": "-0.4"})),
    ("missing_field", rules_with(stages=[without(FULL_RULES["stages"][0], "weight")])),
    ("missing_field", without(FULL_RULES, "criteria")),
    ("unknown_field", rules_with(stage0={"standardize": True})),  # American spelling
    ("bad_value", rules_with(stage0={"standardise": "yes"})),
    ("bad_value", rules_with(stage0={"trim": "1"})),
    ("bad_value", rules_with(stage0={"code": " "})),
    ("bad_value", rules_with(stages="written")),
    ("bad_number", rules_with(stage0={"weight": "forty"})),
    ("bad_number", rules_with(criterion0={"step": "NaN"})),
]


@pytest.mark.parametrize(("code", "data"), RULE_CASES)
def test_bad_rules_are_refused_with_a_stable_code(code, data):
    with pytest.raises(ScoringError) as caught:
        scoring.rules_from_dict(data)
    assert caught.value.code == code
    assert caught.value.row is None
    assert str(caught.value)  # a plain English message, all its parameters filled in


def test_weights_must_add_up_to_exactly_one():
    stages = [mean_stage("a", "0.33"), mean_stage("b", "0.33"), mean_stage("c", "0.33")]
    with pytest.raises(ScoringError) as caught:
        one_criterion_rules(*stages)
    assert (caught.value.code, caught.value.params) == ("weights_sum", {"total": "0.99"})
    assert "0.99" in str(caught.value)
    one_criterion_rules(mean_stage("a", "0.3"), mean_stage("b", "0.7"))  # fine


def test_invalid_json_is_refused():
    with pytest.raises(ScoringError) as caught:
        scoring.read_rules_json(io.StringIO('{"stages": [}'))
    assert caught.value.code == "bad_json"
    assert caught.value.params["line"] == 1


# --------------------------------------------------------------------------- score files

RULES_FOR_CHECKS = Rules(
    (StageRule("written", D("0.5"), "mean"), StageRule("practical", D("0.5"), "mean")),
    {
        "written": (Criterion("content", D(10), D("0.5")), Criterion("form", D(5), D(1))),
        "practical": (Criterion("skill", D(20), D("0.25")),),
    },
)
HEADER = "contestant,stage,judge,criterion,score\n"
GOOD_ROWS = "c1,written,j1,content,8.5\nc1,written,j1,form,4\n"  # data rows 1 and 2

SCORE_CASES = [
    # (code, text after the header and the two good rows, row of the error)
    ("unknown_stage", "c1,oral,j1,content,8\n", 3),
    ("unknown_criterion", "c1,practical,j1,content,8\n", 3),
    ("extra_fields", "c1,practical,j1,skill,8,5\n", 3),  # "8,5" unquoted is a sixth field
    ("bad_number", "c1,practical,j1,skill,eight\n", 3),
    ("bad_number", 'c1,practical,j1,skill,"8,5"\n', 3),
    ("bad_number", "c1,practical,j1,skill,1e1\n", 3),
    ("out_of_bounds", "c1,practical,j1,skill,20.25\n", 3),
    ("out_of_bounds", "c1,practical,j1,skill,-1\n", 3),
    ("off_step", "c1,practical,j1,skill,8.3\n", 3),
    ("duplicate_score", "c2,practical,j1,skill,8\nc1,written,j1,form,5\n", 4),
    ("missing_criterion", "c2,practical,j1,skill,8\nc2,written,j2,form,3\n", 4),
    ("missing_value", "c1,practical,,skill,8\n", 3),
    ("missing_value", "c1,practical,j1,skill,\n", 3),
]


@pytest.mark.parametrize(("code", "rows", "row"), SCORE_CASES)
def test_bad_scores_are_refused_with_their_row_number(code, rows, row):
    with pytest.raises(ScoringError) as caught:
        frame = scoring.read_scores_csv(io.StringIO(HEADER + GOOD_ROWS + rows))
        scoring.check_scores(frame, RULES_FOR_CHECKS)
    assert (caught.value.code, caught.value.row) == (code, row)
    assert str(caught.value).startswith(f"row {row}: ")


def test_error_params_name_what_is_wrong():
    frame = scoring.read_scores_csv(
        io.StringIO(HEADER + GOOD_ROWS + "c2,practical,j1,skill,8\nc1,written,j1,form,5\n")
    )
    with pytest.raises(ScoringError) as caught:
        scoring.check_scores(frame, RULES_FOR_CHECKS)
    assert caught.value.params == {
        "first_row": 2,
        "contestant": "c1",
        "stage": "written",
        "judge": "j1",
        "criterion": "form",
    }
    frame = scoring.read_scores_csv(io.StringIO(HEADER + "c1,written,j1,content,8\n"))
    with pytest.raises(ScoringError) as caught:
        scoring.check_scores(frame, RULES_FOR_CHECKS)
    # The judge scored "content" but not "form", at the first row of their sheet.
    assert caught.value.code == "missing_criterion"
    assert caught.value.params["criterion"] == "form"
    assert caught.value.row == 1


FILE_CASES = [
    ("missing_column", b"contestant,stage,judge,criterion\nc1,written,j1,content\n"),
    ("missing_column", b""),
    ("duplicate_column", b"contestant,stage,judge,criterion,score,score\n"),
    ("bad_encoding", (HEADER + "张三,written,j1,content,8\n").encode("gbk")),
    ("bad_csv", (HEADER + "c1,written,j1,content," + "9" * 200_000 + "\n").encode()),
]


@pytest.mark.parametrize(("code", "data"), FILE_CASES)
def test_unreadable_score_files_are_refused(code, data):
    with pytest.raises(ScoringError) as caught:
        scoring.check_scores(scoring.read_scores_csv(io.BytesIO(data)), RULES_FOR_CHECKS)
    assert caught.value.code == code


def test_reading_normalises_and_keeps_row_numbers():
    text = (
        "\ufeffContestant, Stage ,judge,criterion,score,note\n"
        " c1 ,written,j1,content, 8.50 ,late\n"
        ",,,,,\n"  # a blank row: skipped, but it keeps its number
        "c1,written,j1,form,4\n"
        "c1,written,j1,form,4\n"
    )
    frame = scoring.read_scores_csv(io.StringIO(text))
    with pytest.raises(ScoringError) as caught:
        scoring.check_scores(frame, RULES_FOR_CHECKS)
    assert (caught.value.code, caught.value.row) == ("duplicate_score", 4)
    checked = scoring.check_scores(frame.iloc[:3], RULES_FOR_CHECKS)
    assert list(checked.columns) == list(scoring.SCORE_COLUMNS)
    assert checked.values.tolist() == [
        ["c1", "written", "j1", "content", D("8.50")],
        ["c1", "written", "j1", "form", D(4)],
    ]


def test_scores_csv_round_trips():
    text = HEADER + " c1 ,written,j1,content,08.50\n" + "c1,written,j1,form,4\n"
    checked = scoring.check_scores(scoring.read_scores_csv(io.StringIO(text)), RULES_FOR_CHECKS)
    buffer = io.StringIO()
    scoring.scores_to_csv(checked, buffer)
    # Codes trimmed, scores in plain notation as parsed (08.50 is the Decimal 8.50).
    assert buffer.getvalue() == HEADER + "c1,written,j1,content,8.50\nc1,written,j1,form,4\n"
    again = scoring.read_scores_csv(io.StringIO(buffer.getvalue()))
    pd.testing.assert_frame_equal(scoring.check_scores(again, RULES_FOR_CHECKS), checked)


OTHER_CODES_TESTED = {"bad_json", "bad_advancement", "missing_group"}


def test_every_error_code_is_exercised():
    tested = {code for code, *_ in RULE_CASES + SCORE_CASES + FILE_CASES} | OTHER_CODES_TESTED
    assert tested == set(ERROR_CODES)
    assert len(ERROR_CODES) == len(set(ERROR_CODES))


# --------------------------------------------------------------------------- teams and more


def test_team_ranking_by_mean_total_with_shared_ranks():
    ranking = ranking_frame(
        (1, "c1", "90.01"),
        (2, "c3", "85.01"),
        (3, "c2", "80.00"),
        (4, "c4", "70"),
        (5, "c5", "60"),
        (6, "c6", "50"),
        (7, "c7", "99"),  # an individual entrant, in no unit
    )
    units = {"c1": "U1", "c2": "U1", "c3": "U2", "c4": "U3", "c5": "U3", "c6": "U3"}
    # U1: (90.01 + 80.00) / 2 = 85.005 → 85.01; U2: 85.01; U3: (70 + 60 + 50) / 3 = 60.00
    teams = scoring.team_ranking(ranking, units)
    assert teams.values.tolist() == [
        [1, "U1", 2, D("85.01")],
        [1, "U2", 1, D("85.01")],
        [3, "U3", 3, D("60.00")],
    ]
    # With at least two members U2 drops out.
    teams = scoring.team_ranking(ranking, units, min_members=2)
    assert teams[["rank", "unit"]].values.tolist() == [[1, "U1"], [2, "U3"]]


def test_advancement_per_group_takes_the_tied_at_the_boundary():
    ranking = ranking_frame(
        (1, "c1", "95"),
        (2, "c2", "90"),
        (2, "c3", "90"),
        (2, "c5", "90"),
        (5, "c4", "80"),
        (6, "c6", "70"),
    )
    groups = {"c1": "东区", "c2": "东区", "c3": "东区", "c4": "东区", "c5": "西区", "c6": "西区"}
    # 东区 ranks 1, 2, 2, 5: the top 2 are c1 and c2, and c3 ties with c2. 西区: c5, c6.
    assert scoring.advancing(ranking, groups, top_n=2) == ["c1", "c2", "c3", "c5", "c6"]
    # Half of each: 东区 4 × 0.5 = 2 (plus c3, tied); 西区 2 × 0.5 = 1.
    assert scoring.advancing(ranking, groups, top_share=D("0.5")) == ["c1", "c2", "c3", "c5"]
    # A tenth: 4 × 0.1 = 0.4 and 2 × 0.1 = 0.2 round to 0, but each group sends at least 1.
    assert scoring.advancing(ranking, groups, top_share=D("0.1")) == ["c1", "c5"]
    # 东区 4 × 0.375 = 1.5 → 2 (half up).
    assert scoring.advancing(ranking, groups, top_share=D("0.375")) == ["c1", "c2", "c3", "c5"]
    # More places than contestants: everyone.
    assert len(scoring.advancing(ranking, groups, top_n=10)) == 6


@pytest.mark.parametrize(
    ("top_n", "top_share"), [(None, None), (2, D("0.5")), (0, None), (None, D("1.5"))]
)
def test_advancement_needs_exactly_one_sensible_quota(top_n, top_share):
    ranking = ranking_frame((1, "c1", "95"))
    with pytest.raises(ScoringError) as caught:
        scoring.advancing(ranking, {"c1": "东区"}, top_n=top_n, top_share=top_share)
    assert caught.value.code == "bad_advancement"


def test_advancement_refuses_a_contestant_without_a_group():
    ranking = ranking_frame((1, "c1", "95"), (2, "c2", "90"))
    with pytest.raises(ScoringError) as caught:
        scoring.advancing(ranking, {"c1": "东区"}, top_n=1)
    assert (caught.value.code, caught.value.params) == ("missing_group", {"contestant": "c2"})


def test_spread_of_the_judges_totals_widest_first():
    rules = one_criterion_rules(mean_stage("written", "0.5"), mean_stage("practical", "0.5"))
    frame = sheet(
        *panel("written", c2=["70", "71"], c1=["80", "90", "85"], c3=["50"]),
        *panel("practical", c1=["0", "100"]),
    )
    # c1: 90 − 80 = 10; c2: 71 − 70 = 1; c3: one judge, 0.
    result = scoring.spread(frame, rules, "written")
    assert result.values.tolist() == [
        ["c1", 3, D(80), D(90), D(10)],
        ["c2", 2, D(70), D(71), D(1)],
        ["c3", 1, D(50), D(50), D(0)],
    ]
    assert list(result.columns) == ["contestant", "judges", "min_total", "max_total", "spread"]
    with pytest.raises(ScoringError) as caught:
        scoring.spread(frame, rules, "oral")
    assert caught.value.code == "unknown_stage"


# --------------------------------------------------------------------------- command line

CLI_RULES = {
    "stages": [
        {"code": "笔试", "weight": "0.4", "aggregate": "trimmed", "trim": 1, "min_judges": 3},
        {"code": "实操", "weight": "0.6", "aggregate": "mean", "standardise": True},
    ],
    "criteria": {
        "笔试": [{"code": "内容", "max": "10", "step": "0.5"}],
        "实操": [
            {"code": "技能", "max": "20", "step": "0.25"},
            {"code": "礼仪", "max": "5", "step": "1"},
        ],
    },
    "tie_breakers": ["实操"],
    "awards": [{"name": "一等奖", "share": "0.2"}, {"name": "二等奖", "share": "0.3"}],
}
CLI_SCORES = (
    "\ufeffcontestant,stage,judge,criterion,score\n"
    + "".join(
        f"{name},笔试,j{judge},内容,{score}\n"
        for name, scores in {
            "张三": ["8.5", "9", "7.50"],
            "李四": ["9", "9", "6"],
            "王五": ["10", "2", "8"],
        }.items()
        for judge, score in enumerate(scores, start=1)
    )
    + "".join(
        f"{name},实操,{judge},技能,{skill}\n{name},实操,{judge},礼仪,{manner}\n"
        for name, judge, skill, manner in [
            ("张三", "k1", "15.25", "4"),
            ("张三", "k2", "18", "5"),
            ("李四", "k1", "12", "3"),
            ("李四", "k2", "19.75", "5"),
            ("王五", "k1", "17", "4"),
        ]
    )
    + "赵六,笔试,j1,内容,10\n"
)


def run_cli(scores_path, rules_path):
    return subprocess.run(
        [sys.executable, "-m", "competitions.scoring", str(scores_path), str(rules_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        check=False,
    )


def test_cli_prints_the_ranking_and_recomputing_from_the_exports_gives_the_same_bytes(tmp_path):
    scores_path, rules_path = tmp_path / "scores.csv", tmp_path / "rules.json"
    scores_path.write_text(CLI_SCORES, encoding="utf-8")
    rules_path.write_text(json.dumps(CLI_RULES, ensure_ascii=False), encoding="utf-8")

    result = run_cli(scores_path, rules_path)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b""
    rules = scoring.read_rules_json(rules_path)
    ranking = scoring.rank(scoring.read_scores_csv(scores_path), rules)
    assert result.stdout.decode("utf-8") == csv_text(ranking)
    assert result.stdout.decode("utf-8").splitlines()[0] == "rank,contestant,笔试,实操,total,award"
    assert len(ranking) == 4 and ranking["award"].tolist()[0] == "一等奖"

    # Export what the ranking was computed from, recompute from the exports only.
    exported_scores, exported_rules = tmp_path / "exported.csv", tmp_path / "exported.json"
    scoring.scores_to_csv(
        scoring.check_scores(scoring.read_scores_csv(scores_path), rules), exported_scores
    )
    exported_rules.write_text(
        json.dumps(scoring.rules_to_dict(rules), ensure_ascii=False), encoding="utf-8"
    )
    again = run_cli(exported_scores, exported_rules)
    assert again.returncode == 0
    assert again.stdout == result.stdout


def test_cli_error_names_the_row_and_exits_with_2(tmp_path):
    scores_path, rules_path = tmp_path / "scores.csv", tmp_path / "rules.json"
    lines = CLI_SCORES.splitlines(keepends=True)
    lines[3] = "张三,笔试,j3,内容,7.3\n"  # data row 3, off the 0.5 step
    scores_path.write_text("".join(lines), encoding="utf-8")
    rules_path.write_text(json.dumps(CLI_RULES, ensure_ascii=False), encoding="utf-8")
    result = run_cli(scores_path, rules_path)
    assert result.returncode == 2
    assert result.stdout == b""
    message = result.stderr.decode("utf-8")
    assert message.count("\n") == 1
    assert "row 3" in message and "7.3" in message and str(scores_path) in message


def test_cli_errors_in_the_rules_and_missing_files(tmp_path):
    scores_path, rules_path = tmp_path / "scores.csv", tmp_path / "rules.json"
    scores_path.write_text(CLI_SCORES, encoding="utf-8")
    rules_path.write_text(json.dumps({**CLI_RULES, "tie_breakers": ["口试"]}), encoding="utf-8")
    result = run_cli(scores_path, rules_path)
    assert result.returncode == 2
    assert "口试" in result.stderr.decode("utf-8") and "tie-breaker" in result.stderr.decode()
    result = run_cli(tmp_path / "absent.csv", rules_path)
    assert result.returncode == 2 and result.stderr.decode().count("\n") == 1


def test_the_module_does_not_import_django():
    code = "import sys, competitions.scoring; print('django' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# --------------------------------------------------------------------------- property


@st.composite
def competitions(draw, levels=None):
    """Valid rules and a valid score table for them; with `levels`, each score is one of the
    `levels` + 1 highest a criterion allows, so that totals tie often."""
    stage_count = draw(st.integers(1, 3))
    codes = [f"s{index}" for index in range(stage_count)]
    cuts = sorted(
        draw(st.lists(st.integers(0, 100), min_size=stage_count - 1, max_size=stage_count - 1))
    )
    weights = [D(high - low) / 100 for low, high in zip([0, *cuts], [*cuts, 100], strict=True)]
    stages, criteria = [], {}
    for code, weight in zip(codes, weights, strict=True):
        trim = draw(st.integers(0, 2))
        stages.append(
            StageRule(
                code,
                weight,
                draw(st.sampled_from(AGGREGATES)),
                trim=trim,
                min_judges=draw(st.integers(2 * trim + 1, 2 * trim + 3)),
                standardise=draw(st.booleans()),
            )
        )
        criteria[code] = tuple(
            Criterion(f"k{index}", step * draw(st.integers(1, 40)), step)
            for index, step in enumerate(
                draw(st.lists(st.sampled_from([D("0.25"), D("0.5"), D(1)]), min_size=1, max_size=3))
            )
        )
    tie_breakers = draw(st.permutations(codes))[: draw(st.integers(0, stage_count))]
    share_cents = draw(
        st.lists(st.integers(1, 40), max_size=3).filter(lambda cents: sum(cents) <= 100)
    )
    awards = [Award(f"award {index}", D(cents) / 100) for index, cents in enumerate(share_cents)]
    rules = Rules(tuple(stages), criteria, tuple(tie_breakers), tuple(awards))

    contestants = draw(
        st.lists(st.sampled_from(["a", "b", "9", "10", "张三", "c d"]), min_size=1, unique=True)
    )
    judges = ["j1", "j2", "j3", "j4", "j5", "j6"]
    rows = []
    for contestant in contestants:
        for stage in rules.stages:
            if not draw(st.booleans()) and rows:
                continue  # this contestant skipped the stage
            for judge in draw(st.lists(st.sampled_from(judges), min_size=1, unique=True)):
                for criterion in criteria[stage.code]:
                    top = int(criterion.max / criterion.step)
                    steps = draw(st.integers(0 if levels is None else max(0, top - levels), top))
                    score = criterion.step * steps
                    rows.append((contestant, stage.code, judge, criterion.code, format(score, "f")))
    order = draw(st.permutations(range(len(rows))))
    frame = pd.DataFrame([rows[index] for index in order], columns=scoring.SCORE_COLUMNS, dtype=str)
    return rules, frame


@settings(max_examples=60, deadline=None)
@given(competitions())
def test_a_ranking_recomputed_from_its_exports_is_identical(competition):
    rules, frame = competition
    ranking = scoring.rank(frame, rules)

    scores_file = io.StringIO()
    scoring.scores_to_csv(scoring.check_scores(frame, rules), scores_file)
    rules_file = io.StringIO(json.dumps(scoring.rules_to_dict(rules)))
    again = scoring.rank(
        scoring.read_scores_csv(io.StringIO(scores_file.getvalue())),
        scoring.read_rules_json(rules_file),
    )
    pd.testing.assert_frame_equal(again, ranking)
    assert csv_text(again) == csv_text(ranking)

    # The row order of the input does not matter.
    reversed_rows = frame.iloc[::-1].reset_index(drop=True)
    assert csv_text(scoring.rank(reversed_rows, rules)) == csv_text(ranking)

    ranks, totals = ranking["rank"].tolist(), ranking["total"].tolist()
    assert ranks[0] == 1
    assert all(a <= b for a, b in zip(ranks, ranks[1:], strict=False))
    assert all(a >= b for a, b in zip(totals, totals[1:], strict=False))
    assert all(rank <= position for position, rank in enumerate(ranks, start=1))


# --------------------------------------------------------------------------- reference engine
# The engine as it was before it was vectorised (row by row, pandas groupby and Decimal
# throughout), kept as the oracle the fast engine must match exactly: same tables, same
# Decimals down to their exponents, same first error.


REFERENCE_CONTEXT = Context(prec=34, rounding=ROUND_HALF_EVEN)


def _reference(function):
    @functools.wraps(function)
    def in_context(*args, **kwargs):
        with localcontext(REFERENCE_CONTEXT):
            return function(*args, **kwargs)

    return in_context


def reference_cell(value):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    return str(value).strip()


def reference_parse_score(text, row):
    if not re.fullmatch(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", text):
        raise ScoringError("bad_number", row=row, field="the score", value=text)
    score = Decimal(text)
    return score.copy_abs() if score.is_zero() else score


def reference_read_scores_csv(text):
    rows = list(csv.reader(io.StringIO(text)))
    header = [name.strip().lower() for name in rows[0]] if rows else []
    width = len(header)
    body = []
    for number, row in enumerate(rows[1:], start=1):
        if any(cell.strip() for cell in row[width:]):
            raise ScoringError("extra_fields", row=number, found=len(row), expected=width)
        body.append((row + [""] * width)[:width])
    return pd.DataFrame(body, columns=header, dtype=str)


def reference_scores_csv(frame):
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(scoring.SCORE_COLUMNS)
    for values in zip(*(frame[column] for column in scoring.SCORE_COLUMNS), strict=True):
        writer.writerow(reference_cell(value) for value in values)
    return output.getvalue()


@_reference
def reference_check_scores(frame, rules):
    for column in scoring.SCORE_COLUMNS:
        if column not in frame.columns:
            raise ScoringError("missing_column", column=column)
    criteria = {
        stage: {item.code: item for item in items} for stage, items in rules.criteria.items()
    }
    first_rows = {}
    records = []
    columns = (frame[column] for column in scoring.SCORE_COLUMNS)
    for row, values in enumerate(zip(*columns, strict=True), start=1):
        cells = [reference_cell(value) for value in values]
        if any(cells):
            records.append(reference_checked_row(cells, row, criteria, first_rows))
    checked = pd.DataFrame(records, columns=[*scoring.SCORE_COLUMNS, "row"])
    reference_check_complete(checked, rules)
    return checked.drop(columns="row")


def reference_checked_row(cells, row, criteria, first_rows):
    for column, cell in zip(scoring.SCORE_COLUMNS, cells, strict=True):
        if not cell:
            raise ScoringError("missing_value", row=row, column=column)
    contestant, stage, judge, code, text = cells
    if stage not in criteria:
        raise ScoringError("unknown_stage", row=row, stage=stage)
    criterion = criteria[stage].get(code)
    if criterion is None:
        raise ScoringError("unknown_criterion", row=row, stage=stage, criterion=code)
    score = reference_parse_score(text, row)
    if not D(0) <= score <= criterion.max:
        raise ScoringError(
            "out_of_bounds", row=row, score=text, criterion=code, max=str(criterion.max)
        )
    if score % criterion.step:
        raise ScoringError(
            "off_step", row=row, score=text, criterion=code, step=str(criterion.step)
        )
    key = (contestant, stage, judge, code)
    if key in first_rows:
        raise ScoringError(
            "duplicate_score",
            row=row,
            first_row=first_rows[key],
            contestant=contestant,
            stage=stage,
            judge=judge,
            criterion=code,
        )
    first_rows[key] = row
    return [contestant, stage, judge, code, score, row]


def reference_check_complete(checked, rules):
    sheets = checked.groupby(["contestant", "stage", "judge"], sort=False).agg(
        first_row=("row", "min"), scored=("criterion", list)
    )
    for (contestant, stage, judge), sheet in sheets.sort_values("first_row").iterrows():
        for criterion in rules.criteria[stage]:
            if criterion.code not in sheet["scored"]:
                raise ScoringError(
                    "missing_criterion",
                    row=int(sheet["first_row"]),
                    contestant=contestant,
                    stage=stage,
                    judge=judge,
                    criterion=criterion.code,
                )


def reference_mean(values):
    values = list(values)
    return sum(values, D(0)) / len(values)


def reference_in_stage_order(frame, rules, then):
    position = {code: index for index, code in enumerate(rules.stage_codes)}
    return (
        frame.assign(_stage_position=frame["stage"].map(position))
        .sort_values(["_stage_position", *then], kind="stable")
        .drop(columns="_stage_position")
        .reset_index(drop=True)
    )


@_reference
def reference_judge_totals(frame, rules):
    scores = reference_check_scores(frame, rules)
    totals = (
        scores.groupby(["contestant", "stage", "judge"], sort=False)["score"]
        .agg(lambda values: sum(values, D(0)))
        .reset_index(name="total")
    )
    totals["adjusted"] = totals["total"]
    for stage in rules.stages:
        in_stage = totals["stage"] == stage.code
        if stage.standardise and in_stage.any():
            totals.loc[in_stage, "adjusted"] = reference_standardised(totals[in_stage])
    return reference_in_stage_order(totals, rules, ["contestant", "judge"])


def reference_standardised(stage_totals):
    centre = statistics.mean(stage_totals["total"])
    scale = statistics.pstdev(stage_totals["total"])
    adjusted = stage_totals["total"].copy()
    for _judge, totals in stage_totals.groupby("judge", sort=False)["total"]:
        if len(totals) < 2:
            continue
        judge_mean = statistics.mean(totals)
        judge_scale = statistics.pstdev(totals)
        if judge_scale == 0:
            continue
        adjusted[totals.index] = [
            centre + scale * (total - judge_mean) / judge_scale for total in totals
        ]
    return adjusted


def reference_panel_score(totals, stage):
    totals = sorted(totals)
    if stage.aggregate == "trimmed" and len(totals) >= stage.min_judges:
        totals = totals[stage.trim : len(totals) - stage.trim]
    return round_half_up(reference_mean(totals))


@_reference
def reference_stage_scores(frame, rules):
    totals = reference_judge_totals(frame, rules)
    parts = []
    for stage in rules.stages:
        in_stage = totals[totals["stage"] == stage.code]
        panel = in_stage.groupby("contestant", sort=False)["adjusted"].agg(
            score=functools.partial(reference_panel_score, stage=stage), judges="size"
        )
        parts.append(panel.reset_index().assign(stage=stage.code))
    published = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    published = published.reindex(columns=["contestant", "stage", "score", "judges"])
    return reference_in_stage_order(published, rules, ["contestant"])


def reference_competition_ranks(keys):
    ranks = []
    for position, key in enumerate(keys, start=1):
        shares_rank = position > 1 and key == keys[position - 2]
        ranks.append(ranks[-1] if shares_rank else position)
    return ranks


def reference_awards(ranks, awards):
    given = [""] * len(ranks)
    cumulative_share = D(0)
    for award in awards:
        cumulative_share += award.share
        count = int(round_half_up(len(ranks) * cumulative_share, D(1)))
        for position in range(count):
            given[position] = given[position] or award.name
        winning_ranks = {
            rank for rank, name in zip(ranks, given, strict=True) if name == award.name
        }
        for position, rank in enumerate(ranks):
            if not given[position] and rank in winning_ranks:
                given[position] = award.name
    return given


@_reference
def reference_rank(frame, rules):
    published = reference_stage_scores(frame, rules)
    codes = list(rules.stage_codes)
    table = published.pivot(index="contestant", columns="stage", values="score")
    table = table.reindex(columns=codes).astype(object)
    table = table.where(table.notna(), None)

    def negated(total, tie_breaks):
        return (-total, *(-score for score in tie_breaks))

    entries = []
    for contestant, row in table.iterrows():
        scores = {code: row[code] for code in codes}
        total = round_half_up(
            sum((stage.weight * (scores[stage.code] or D(0)) for stage in rules.stages), D(0))
        )
        tie_breaks = tuple(scores[code] or D(0) for code in rules.tie_breakers)
        entries.append((contestant, scores, total, tie_breaks))
    entries.sort(key=lambda entry: (negated(entry[2], entry[3]), str(entry[0])))
    ranks = reference_competition_ranks([negated(entry[2], entry[3]) for entry in entries])
    awards = reference_awards(ranks, rules.awards)
    records = [
        {"rank": rank_, "contestant": contestant, **scores, "total": total, "award": award}
        for rank_, (contestant, scores, total, _), award in zip(ranks, entries, awards, strict=True)
    ]
    ranking = pd.DataFrame(records, columns=["rank", "contestant", *codes, "total", "award"])
    return ranking.astype({"rank": "int64"})


# --------------------------------------------------------------------------- fast = reference


def outcome(function, *args):
    """What `function` gives: ("table", frame) or ("error", type, message, code, row, params)."""
    try:
        return ("table", function(*args))
    except (ScoringError, ArithmeticError) as error:
        details = (error.code, error.row, error.params) if isinstance(error, ScoringError) else ()
        return ("error", type(error), str(error), *details)


def assert_same_outcome(fast, reference):
    if fast[0] == "error" or reference[0] == "error":
        assert fast == reference
        return
    fast_table, reference_table = fast[1], reference[1]
    pd.testing.assert_frame_equal(fast_table, reference_table)
    # Equal Decimals may differ in exponent (8.5 and 8.50): compare what they print as too.
    for column in reference_table.columns:
        assert [(type(value), repr(value)) for value in fast_table[column]] == [
            (type(value), repr(value)) for value in reference_table[column]
        ], column


def assert_engine_matches_reference(frame, rules):
    pairs = [
        (scoring.check_scores, reference_check_scores),
        (scoring.judge_totals, reference_judge_totals),
        (scoring.stage_scores, reference_stage_scores),
        (scoring.rank, reference_rank),
    ]
    for fast, reference in pairs:
        assert_same_outcome(outcome(fast, frame, rules), outcome(reference, frame, rules))


MUTATIONS = (
    "drop_row",  # a judge's sheet lacks a criterion
    "drop_criterion",  # every sheet of the stage lacks it
    "repeat_row",
    "repeat_with_other_score",
    "empty_cell",
    "missing_cell",  # None or NaN
    "blank_row",  # skipped, keeps its number
    "unknown_stage",
    "unknown_criterion",
    "odd_number",  # not plain, or plain in an unusual spelling
    "above_max",
    "off_step",
    "padded_codes",
    "typed_score",  # a Decimal, int or float instead of text
)


@st.composite
def messy_competitions(draw):
    """A competition whose score table may have been spoilt in a few places, by hand-made
    rows, cells of other types, or rows out of order."""
    rules, frame = draw(competitions(levels=draw(st.sampled_from([None, 1, 2]))))
    rows = [list(row) for row in frame.itertuples(index=False, name=None)]
    known = {(stage, item.code): item for stage, items in rules.criteria.items() for item in items}
    typed = False
    for mutation in draw(st.lists(st.sampled_from(MUTATIONS), max_size=3)):
        at = draw(st.integers(0, len(rows) - 1))
        row = rows[at]
        criterion = known.get((row[1], row[3]), Criterion("x", D(10), D(1)))
        if mutation == "drop_row":
            del rows[at]
        elif mutation == "drop_criterion":
            rows = [other for other in rows if other[1:4:2] != row[1:4:2]] or [row]
        elif mutation == "repeat_row":
            rows.insert(draw(st.integers(at + 1, len(rows))), list(row))
        elif mutation == "repeat_with_other_score":
            rows.append([*row[:4], format(criterion.max, "f")])
        elif mutation == "empty_cell":
            row[draw(st.integers(0, 4))] = draw(st.sampled_from(["", "  "]))
        elif mutation == "missing_cell":
            row[draw(st.integers(0, 4))] = draw(st.sampled_from([None, float("nan")]))
            typed = True
        elif mutation == "blank_row":
            rows.insert(at, ["", " ", "", "", ""])
        elif mutation == "unknown_stage":
            row[1] = "zz"
        elif mutation == "unknown_criterion":
            row[3] = "kz"
        elif mutation == "odd_number":
            row[4] = draw(st.sampled_from(["abc", "1e1", "-0", "-0.0", "+1", ".5", "1.", "007"]))
        elif mutation == "above_max":
            row[4] = format(criterion.max + criterion.step, "f")
        elif mutation == "off_step":
            row[4] = format(criterion.step / 2, "f")
        elif mutation == "padded_codes":
            row[:4] = [f" {cell} " for cell in row[:4]]
        elif mutation == "typed_score":
            value = D(row[4])
            row[4] = draw(st.sampled_from([value, float(value), int(value)]))
            typed = True
        if not rows:
            rows.append(["", "", "", "", ""])
    dtype = object if typed else draw(st.sampled_from([str, object]))
    return rules, pd.DataFrame(rows, columns=scoring.SCORE_COLUMNS, dtype=dtype)


ODD_LINES = ["c1,s0\n", "c1,s0,j1,k0,1,,\n", "c1,s0,j1,k0,1, x\n", "\n", " , ,\n"]


@settings(max_examples=150, deadline=None)
@given(messy_competitions(), st.lists(st.sampled_from(ODD_LINES), max_size=2), st.randoms())
def test_the_engine_gives_exactly_what_the_reference_engine_gives(competition, odd, randomness):
    rules, frame = competition
    assert_engine_matches_reference(frame, rules)

    buffer = io.StringIO()
    scoring.scores_to_csv(frame, buffer)
    assert buffer.getvalue() == reference_scores_csv(frame)
    lines = buffer.getvalue().splitlines(keepends=True)
    for line in odd:  # short rows, extra fields (empty or not), blank rows
        lines.insert(randomness.randint(1, len(lines)), line)
    text = "".join(lines)
    assert_same_outcome(
        outcome(scoring.read_scores_csv, io.StringIO(text)),
        outcome(reference_read_scores_csv, text),
    )


@pytest.mark.parametrize("standardise", [False, True])
@pytest.mark.parametrize("aggregate", AGGREGATES)
def test_a_full_panel_contest_matches_the_reference(aggregate, standardise):
    """40 contestants × 7 judges × 8 criteria on two stages, with some judges away."""
    randomness = random.Random(2026)
    criteria = {
        stage: tuple(Criterion(f"k{n}", D(10 + 5 * (n % 3)), D("0.5")) for n in range(8))
        for stage in ("written", "practical")
    }
    stages = (
        StageRule("written", D("0.4"), aggregate, trim=1, min_judges=5, standardise=standardise),
        StageRule("practical", D("0.6"), aggregate, trim=2, min_judges=7, standardise=True),
    )
    rules = Rules(stages, criteria, ("practical", "written"), GOLD_SILVER_BRONZE)
    rows = []
    for contestant in range(40):
        for stage in ("written", "practical"):
            for judge in randomness.sample(range(7), randomness.choice([3, 6, 7])):
                rows += [
                    (f"c{contestant}", stage, f"j{judge}", item.code, str(item.max - D(n) / 2))
                    for n, item in enumerate(criteria[stage])
                    for n in [randomness.randint(0, 4)]
                ]
    frame = pd.DataFrame(rows, columns=scoring.SCORE_COLUMNS, dtype=str)
    assert_engine_matches_reference(frame, rules)


def test_empty_tables_match_the_reference():
    rules = one_criterion_rules(mean_stage("written", "0.5"), mean_stage("practical", "0.5"))
    assert_engine_matches_reference(sheet(), rules)
    assert_engine_matches_reference(sheet(("", "", "", " ")), rules)  # one blank row


def test_huge_scores_are_added_as_the_reference_adds_them():
    # Sums beyond 64-bit integers, and beyond the 34 digits of the Decimal context (where
    # adding one by one rounds): the fast engine must round exactly where the reference does.
    rules = Rules(
        (mean_stage("final"),),
        {"final": (Criterion("a", D("9E13"), D("1E-20")), Criterion("b", D("1E30"), D(1)))},
    )
    rows = [
        ("c1", "final", "j1", "a", "89999999999999.99999999999999999999"),
        ("c1", "final", "j1", "b", "999999999999999999999999999999"),
        ("c1", "final", "j2", "a", "0.00000000000000000001"),
        ("c1", "final", "j2", "b", "1"),
        ("c2", "final", "j1", "a", "5"),
        ("c2", "final", "j1", "b", "999999999999999999999999999998"),
    ]
    frame = pd.DataFrame(rows, columns=scoring.SCORE_COLUMNS)
    assert_engine_matches_reference(frame, rules)
    totals = scoring.judge_totals(frame, rules)["total"].tolist()
    # j1 gave c1 (10^30 − 1) + 89999999999999.999…9 = 1000000000000000089999999999998.999…9,
    # which 34 digits round to:
    assert repr(totals[0]) == "Decimal('1000000000000000089999999999999.000')"


def test_past_34_digits_a_total_rounds_after_each_score_as_the_reference_does():
    tiny = Criterion("a", D(1), D("1E-20"))
    rules = Rules(
        (mean_stage("final"),),
        {"final": (tiny, Criterion("b", D("1E15"), D(1)), Criterion("c", D(1), D("1E-20")))},
    )
    six = "0.00000000000000000006"
    frame = pd.DataFrame(
        [
            ("c1", "final", "j1", code, score)
            for code, score in zip("abc", [six, "999999999999999", six], strict=True)
        ],
        columns=scoring.SCORE_COLUMNS,
    )
    assert_engine_matches_reference(frame, rules)
    # 6E-20 + 999999999999999 has 35 digits and rounds up to …0000000000000000001 (34 digits);
    # adding 6E-20 again rounds up to …2, where the exact sum …00012 would round to …1.
    total = scoring.judge_totals(frame, rules)["total"][0]
    assert repr(total) == "Decimal('999999999999999.0000000000000000002')"


def test_the_first_incomplete_sheet_is_reported_whatever_comes_after():
    rows = "c1,written,j1,content,8\nc2,written,j1,content,8\nc2,written,j1,form,4\n"
    rows += "c3,written,j1,form,4\n"  # incomplete too, but later
    frame = scoring.read_scores_csv(io.StringIO(HEADER + rows))
    with pytest.raises(ScoringError) as caught:
        scoring.check_scores(frame, RULES_FOR_CHECKS)
    assert (caught.value.row, caught.value.params["contestant"]) == (1, "c1")
    assert caught.value.params["criterion"] == "form"
