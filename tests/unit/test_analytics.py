"""Judge analytics without a database: the ICCs of Shrout & Fleiss's worked example, and
severity, spread, halo, missing scores and card difficulty on small stages worked out by hand
(the arithmetic is in the comments)."""

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from competitions import analytics, scoring
from competitions.analytics import HaloRule
from competitions.scoring import Criterion, Rules, ScoringError, StageRule

REPO_ROOT = Path(__file__).resolve().parents[2]
D = Decimal

# Shrout & Fleiss (1979), Table 2: 6 targets (rows) rated by 4 judges (columns).
SHROUT_FLEISS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]

# The scenario rubric: listen (10), policy (10), solve (20).
RUBRIC = (Criterion("listen", D(10), D("0.5")), Criterion("policy", D(10), D("0.5")))
RUBRIC += (Criterion("solve", D(20), D(1)),)

# (listen, policy, solve) per contestant and judge. J3 stood aside from D (a recusal).
#        J1 (every sheet flat)   J2                     J3
MARKS = {
    "A": {"J1": ("7.5", "7.5", "15"), "J2": ("9", "7", "16"), "J3": ("6", "7", "12")},
    "B": {"J1": ("5", "5", "10"), "J2": ("6", "7", "11"), "J3": ("5", "4", "10")},
    "C": {"J1": ("9", "9", "18"), "J2": ("9.5", "8.5", "17"), "J3": ("8", "7", "16")},
    "D": {"J1": ("7", "7", "14"), "J2": ("8", "6", "16")},
}
# Totals:  A 30 32 25 (mean 29) · B 20 24 19 (21) · C 36 35 31 (34) · D 28 30 – (29)


def rules_of(criteria=RUBRIC, *, code="scenario", aggregate="mean", **options) -> Rules:
    return Rules((StageRule(code, D(1), aggregate, **options),), {code: tuple(criteria)})


def scenario_frame(marks=MARKS, stage="scenario") -> pd.DataFrame:
    rows = [
        (contestant, stage, judge, criterion.code, score)
        for contestant, sheets in marks.items()
        for judge, scores in sheets.items()
        for criterion, score in zip(RUBRIC, scores, strict=True)
    ]
    return pd.DataFrame(rows, columns=scoring.SCORE_COLUMNS, dtype=str)


def points_rules(maximum=100) -> Rules:
    """One criterion "points", so a judge's total is the score they gave."""
    return rules_of((Criterion("points", D(maximum), D(1)),))


def points_frame(matrix, judges=None, stage="scenario") -> pd.DataFrame:
    """Long form from a contestants × judges matrix; None is a missing score."""
    judges = judges or [f"J{number}" for number in range(1, len(matrix[0]) + 1)]
    rows = [
        (f"C{row:02d}", stage, judge, "points", str(value))
        for row, values in enumerate(matrix, start=1)
        for judge, value in zip(judges, values, strict=True)
        if value is not None
    ]
    return pd.DataFrame(rows, columns=scoring.SCORE_COLUMNS, dtype=str)


def by_judge(stats):
    return {item.judge: item for item in stats}


# --------------------------------------------------------------------------- Shrout & Fleiss


def test_mean_squares_of_the_published_example():
    ms = analytics.mean_squares(SHROUT_FLEISS)
    assert round(ms.bms, 2) == 11.24
    assert round(ms.jms, 2) == 32.49
    assert round(ms.ems, 2) == 1.02
    assert round(ms.wms, 2) == 6.26


def test_iccs_of_the_published_example():
    result = analytics.icc(SHROUT_FLEISS)
    assert (result.n, result.k, result.problem) == (6, 4, "")
    assert result.computable
    assert round(result.icc_1_1, 2) == 0.17
    assert round(result.icc_2_1, 2) == 0.29
    assert round(result.icc_3_1, 2) == 0.71


def test_the_published_example_from_a_score_table():
    result = analytics.reliability(points_frame(SHROUT_FLEISS), points_rules(10), "scenario")
    assert (result.n, result.k) == (6, 4)
    assert result.judges == ("J1", "J2", "J3", "J4")
    assert result.judges_left_out == () and result.contestants_left_out == ()
    assert [round(value, 2) for value in (result.icc_1_1, result.icc_2_1, result.icc_3_1)] == [
        0.17,
        0.29,
        0.71,
    ]


def test_the_order_of_rows_and_columns_does_not_matter():
    shuffled = np.array(SHROUT_FLEISS)[[3, 0, 5, 1, 4, 2]][:, [2, 0, 3, 1]]
    original, other = analytics.icc(SHROUT_FLEISS), analytics.icc(shuffled)
    assert other.icc_2_1 == pytest.approx(original.icc_2_1)
    assert other.icc_3_1 == pytest.approx(original.icc_3_1)


def test_perfect_agreement_is_one_and_a_constant_offset_only_hurts_absolute_agreement():
    same = analytics.icc([[1, 1], [2, 2], [3, 3]])
    assert same.icc_2_1 == pytest.approx(1) and same.icc_3_1 == pytest.approx(1)
    # The second judge always gives 2 more: same order (consistency 1), different totals.
    # Rows 1,3 2,4 3,5: BMS = 2·((2−3)² + 0 + 1²)/2 = 2, JMS = 3·(1² + 1²)/1 = 6, EMS = 0,
    # ICC(2,1) = 2 / (2 + 0 + 2·6/3) = 1/3.
    offset = analytics.icc([[1, 3], [2, 4], [3, 5]])
    assert offset.icc_3_1 == pytest.approx(1)
    assert offset.icc_2_1 == pytest.approx(1 / 3)


def test_judges_who_reverse_the_order_give_a_negative_icc():
    # Rows 1,3 2,2 3,1: every row mean is 2, so BMS = 0; columns both mean 2, so JMS = 0;
    # SS total = 1 + 1 + 0 + 0 + 1 + 1 = 4 → EMS = 4 / 2 = 2; ICC(3,1) = (0 − 2) / (0 + 2) = −1.
    reversed_ = analytics.icc([[1, 3], [2, 2], [3, 1]])
    assert reversed_.icc_3_1 == pytest.approx(-1)
    assert analytics.reading(reversed_.icc_3_1) == "poor"


def test_an_incomplete_matrix_is_refused():
    with pytest.raises(ValueError):
        analytics.icc([[1.0, float("nan")], [2.0, 3.0]])


# --------------------------------------------------------------------------- not computable


def test_one_judge_is_not_computable():
    result = analytics.reliability(points_frame([[5], [7], [9]]), points_rules(), "scenario")
    assert (result.n, result.k) == (3, 1)
    assert result.problem == analytics.TOO_FEW_JUDGES and not result.computable
    assert result.icc_2_1 is None and result.icc_3_1 is None and result.mean_squares is None


def test_one_contestant_is_not_computable():
    result = analytics.reliability(points_frame([[5, 6, 7]]), points_rules(), "scenario")
    assert (result.n, result.k, result.problem) == (1, 3, analytics.TOO_FEW_CONTESTANTS)
    assert result.icc_3_1 is None


def test_totals_that_never_vary_are_not_computable():
    result = analytics.reliability(points_frame([[5, 5], [5, 5]]), points_rules(), "scenario")
    assert (result.n, result.k) == (2, 2)
    assert result.problem == analytics.ZERO_DENOMINATOR
    assert result.icc_2_1 is None and result.icc_3_1 is None


def test_no_scores_at_all():
    empty = pd.DataFrame([], columns=scoring.SCORE_COLUMNS, dtype=str)
    report = analytics.stage_report(empty, points_rules(), "scenario")
    assert report.judges == () and report.cards == () and report.stage_mean is None
    assert (report.reliability.n, report.reliability.k) == (0, 0)
    assert report.reliability.problem == analytics.TOO_FEW_CONTESTANTS


# --------------------------------------------------------------------------- missing scores


def test_a_recusal_leaves_the_contestant_out_not_the_judge():
    # 4 × 3 with D missing J3: all three judges on A–C is 9 scores; J1, J2 on A–D is 8.
    result = analytics.reliability(scenario_frame(), rules_of(), "scenario")
    assert (result.n, result.k) == (3, 3)
    assert result.judges == ("J1", "J2", "J3") and result.contestants == ("A", "B", "C")
    assert result.contestants_left_out == ("D",) and result.judges_left_out == ()
    # Block 30 32 25 / 20 24 19 / 36 35 31, grand mean 28, row means 29 21 34, column means
    # 28⅔ 30⅓ 25. SS rows = 3·(1 + 49 + 36) = 258 → BMS = 129. SS columns = 3·(4/9 + 49/9 + 9)
    # = 44⅔ → JMS = 22⅓. SS total = 29 + 161 + 122 = 312 → EMS = (312 − 258 − 44⅔)/4 = 2⅓.
    assert result.mean_squares.bms == pytest.approx(129)
    assert result.mean_squares.jms == pytest.approx(67 / 3)
    assert result.mean_squares.ems == pytest.approx(7 / 3)
    # ICC(3,1) = (129 − 7/3) / (129 + 14/3) = 380/401; ICC(2,1) = (380/3) / (401/3 + 20) = 380/461.
    assert result.icc_3_1 == pytest.approx(380 / 401)
    assert result.icc_2_1 == pytest.approx(380 / 461)


def test_a_judge_who_missed_many_contestants_is_left_out():
    # J3 scored only C01 and C02 of five: J1, J2 on all five is 10 scores; all three on
    # C01, C02 is 6.
    matrix = [[5, 6, 7], [6, 7, 8], [7, 8, None], [8, 9, None], [9, 9, None]]
    result = analytics.reliability(points_frame(matrix), points_rules(), "scenario")
    assert (result.n, result.k) == (5, 2)
    assert result.judges == ("J1", "J2") and result.judges_left_out == ("J3",)
    assert result.contestants_left_out == ()
    expected = analytics.icc([row[:2] for row in matrix])
    assert result.icc_2_1 == pytest.approx(expected.icc_2_1)


def test_a_rotating_panel_keeps_the_larger_room():
    # Room 1: J1, J2 score C01–C03; room 2: J3, J4, J5 score C04–C07 (3 × 2 = 6 < 4 × 3 = 12).
    matrix = [
        [5, 6, None, None, None],
        [6, 7, None, None, None],
        [7, 9, None, None, None],
        [None, None, 4, 5, 6],
        [None, None, 6, 6, 7],
        [None, None, 8, 7, 9],
        [None, None, 9, 9, 9],
    ]
    result = analytics.reliability(points_frame(matrix), points_rules(), "scenario")
    assert (result.n, result.k) == (4, 3)
    assert result.judges == ("J3", "J4", "J5")
    assert result.judges_left_out == ("J1", "J2")
    assert result.contestants_left_out == ("C01", "C02", "C03")


def test_the_block_is_found_from_any_judge_not_only_the_busiest():
    # J1 scored the most (six), but shares at most two with anyone (C05, C06 with J4: 4
    # scores); J2 and J3 scored C07–C10 together (8 scores).
    scored = {
        "J1": {"C01", "C02", "C03", "C04", "C05", "C06"},
        "J2": {"C07", "C08", "C09", "C10"},
        "J3": {"C07", "C08", "C09", "C10"},
        "J4": {"C05", "C06"},
    }
    judges, contestants = analytics.complete_block(scored)
    assert judges == ["J2", "J3"] and contestants == ["C07", "C08", "C09", "C10"]


def test_the_block_prefers_more_judges_when_the_scores_are_as_many():
    # J1, J2 on C01–C04 (8 scores) or J1, J2, J3, J4 on C01, C02 (8 scores): more judges.
    scored = {
        "J1": {"C01", "C02", "C03", "C04"},
        "J2": {"C01", "C02", "C03", "C04"},
        "J3": {"C01", "C02"},
        "J4": {"C01", "C02"},
    }
    assert analytics.complete_block(scored) == (["J1", "J2", "J3", "J4"], ["C01", "C02"])


def test_judges_with_nothing_in_common_are_not_computable():
    # Every judge scored different contestants: the best block is a single judge.
    matrix = [[5, None], [6, None], [7, None], [None, 8]]
    result = analytics.reliability(points_frame(matrix), points_rules(), "scenario")
    assert (result.n, result.k, result.problem) == (3, 1, analytics.TOO_FEW_JUDGES)
    assert result.judges == ("J1",) and result.judges_left_out == ("J2",)
    assert result.contestants_left_out == ("C04",)


# --------------------------------------------------------------------------- judges


def test_severity_and_spread_by_hand():
    stats = by_judge(analytics.judge_stats(scenario_frame(), rules_of(), "scenario"))
    assert list(stats) == ["J1", "J2", "J3"]
    assert [stats[judge].scored for judge in stats] == [4, 4, 3]
    # Deviations from the panel means (29, 21, 34, 29):
    # J1 +1 −1 +2 −1 → +0.25; J2 +3 +3 +1 +1 → +2; J3 −4 −2 −3 → −3.
    assert stats["J1"].severity == pytest.approx(0.25)
    assert stats["J2"].severity == pytest.approx(2)
    assert stats["J3"].severity == pytest.approx(-3)
    # J1: 30 20 36 28, mean 28.5, squares 2.25 + 72.25 + 56.25 + 0.25 = 131 → √(131/4).
    assert stats["J1"].spread == pytest.approx((131 / 4) ** 0.5)
    # J2: 32 24 35 30, mean 30.25 → √(64.75/4); J3: 25 19 31, mean 25 → √(72/3).
    assert stats["J2"].spread == pytest.approx((64.75 / 4) ** 0.5)
    assert stats["J3"].spread == pytest.approx(24**0.5)


def test_severity_uses_raw_totals_even_when_the_stage_standardises():
    plain = analytics.judge_stats(scenario_frame(), rules_of(), "scenario")
    standardised = analytics.judge_stats(scenario_frame(), rules_of(standardise=True), "scenario")
    assert standardised == plain


def test_a_judge_alone_on_a_contestant_deviates_by_nothing():
    stats = analytics.judge_stats(points_frame([[5, None]]), points_rules(), "scenario")
    assert by_judge(stats)["J1"].severity == 0 and by_judge(stats)["J1"].spread == 0


def test_halo_flags_the_judge_with_flat_sheets():
    stats = by_judge(analytics.judge_stats(scenario_frame(), rules_of(), "scenario"))
    # J1 gave every criterion the same share on every sheet: 0.75, 0.5, 0.9, 0.7.
    assert stats["J1"].uniform_share == 1 and stats["J1"].halo
    # J2's shares on A are 0.9, 0.7, 0.8 (std 0.08) and never flat.
    assert stats["J2"].uniform_share == 0 and not stats["J2"].halo
    # J3's sheet on C is 0.8, 0.7, 0.8: std √(2/900) ≈ 0.047, not flat.
    assert stats["J3"].uniform_share == 0 and not stats["J3"].halo


def test_halo_thresholds_are_parameters():
    # Below a std of 0.05, J3's sheets (0.6 0.7 0.6, 0.5 0.4 0.5, 0.8 0.7 0.8: each ≈ 0.047)
    # all count as flat, and J2's on C (0.95 0.85 0.85, ≈ 0.047) does: 1 of 4.
    loose = HaloRule(max_std=0.05)
    stats = by_judge(analytics.judge_stats(scenario_frame(), rules_of(), "scenario", loose))
    assert stats["J3"].uniform_share == 1 and stats["J3"].halo
    assert stats["J2"].uniform_share == pytest.approx(0.25) and not stats["J2"].halo
    quarter = HaloRule(max_std=0.05, min_share=0.25)
    stats = by_judge(analytics.judge_stats(scenario_frame(), rules_of(), "scenario", quarter))
    assert stats["J2"].halo
    strict = HaloRule(min_contestants=5)  # J1 scored only four
    stats = by_judge(analytics.judge_stats(scenario_frame(), rules_of(), "scenario", strict))
    assert not stats["J1"].halo


def test_halo_needs_at_least_the_share_of_flat_sheets():
    flat, uneven = ("6", "6", "12"), ("9", "5", "12")
    four_of_five = {f"C{n}": {"J1": flat if n < 5 else uneven} for n in range(1, 6)}
    three_of_four = {f"C{n}": {"J1": flat if n < 4 else uneven} for n in range(1, 5)}
    (judge,) = analytics.judge_stats(scenario_frame(four_of_five), rules_of(), "scenario")
    assert judge.uniform_share == pytest.approx(0.8) and judge.halo  # at least 80 %
    (judge,) = analytics.judge_stats(scenario_frame(three_of_four), rules_of(), "scenario")
    assert judge.uniform_share == pytest.approx(0.75) and not judge.halo


def test_one_flat_sheet_is_not_a_halo():
    (judge,) = analytics.judge_stats(
        scenario_frame({"A": {"J1": ("6", "6", "12")}}), rules_of(), "scenario"
    )
    assert judge.uniform_share == 1 and not judge.halo


def test_a_single_criterion_cannot_show_a_halo():
    stats = analytics.judge_stats(points_frame([[5, 6], [7, 8]]), points_rules(), "scenario")
    assert [(item.uniform_share, item.halo) for item in stats] == [(None, False), (None, False)]


# --------------------------------------------------------------------------- cards


def test_card_difficulty_by_hand():
    card_of = {"A": "noise", "B": "noise", "C": "parking", "D": "parking"}
    cards, stage_mean = analytics.card_difficulty(scenario_frame(), rules_of(), "scenario", card_of)
    # Panel scores 29, 21, 34, 29 → stage mean 113/4 = 28.25; noise 25, parking 31.5.
    assert stage_mean == pytest.approx(28.25)
    assert [(card.card, card.contestants) for card in cards] == [("noise", 2), ("parking", 2)]
    assert cards[0].mean == pytest.approx(25) and cards[0].difference == pytest.approx(-3.25)
    assert cards[1].mean == pytest.approx(31.5) and cards[1].difference == pytest.approx(3.25)


def test_contestants_without_a_card_count_in_the_stage_mean_only():
    cards, stage_mean = analytics.card_difficulty(
        scenario_frame(), rules_of(), "scenario", {"C": 7, "X": 7}
    )
    assert stage_mean == pytest.approx(28.25)
    (card,) = cards
    assert (card.card, card.contestants) == (7, 1)  # X has no scores: not counted
    assert card.difference == pytest.approx(34 - 28.25)


def test_card_difficulty_uses_the_published_panel_score():
    # Trimmed from 3 judges: A 30 32 25 → 30, B 20 24 19 → 20, C 36 35 31 → 35, D (two
    # judges, below min_judges) 29. Stage mean 114/4 = 28.5; card of C: 35 − 28.5.
    rules = rules_of(aggregate="trimmed", trim=1, min_judges=3)
    cards, stage_mean = analytics.card_difficulty(scenario_frame(), rules, "scenario", {"C": "x"})
    assert stage_mean == pytest.approx(28.5)
    assert cards[0].difference == pytest.approx(6.5)


# --------------------------------------------------------------------------- together


def test_stage_report_bundles_everything():
    report = analytics.stage_report(
        scenario_frame(), rules_of(), "scenario", {"A": "noise", "B": "noise"}
    )
    assert report.stage == "scenario"
    assert [judge.judge for judge in report.judges] == ["J1", "J2", "J3"]
    assert report.reliability.contestants_left_out == ("D",)
    assert report.stage_mean == pytest.approx(28.25)
    assert [card.card for card in report.cards] == ["noise"]


def test_readings_follow_koo_and_li():
    assert [
        analytics.reading(value) for value in (-0.2, 0.49, 0.5, 0.74, 0.75, 0.9, 0.91, 1.0)
    ] == ["poor", "poor", "moderate", "moderate", "good", "good", "excellent", "excellent"]
    assert analytics.reading(None) == ""


def test_bad_scores_and_unknown_stages_are_scoring_errors():
    frame = scenario_frame()
    frame.loc[0, "score"] = "11"  # listen is out of 10
    with pytest.raises(ScoringError) as error:
        analytics.stage_report(frame, rules_of(), "scenario")
    assert error.value.code == "out_of_bounds" and error.value.row == 1
    with pytest.raises(ScoringError) as error:
        analytics.reliability(scenario_frame(), rules_of(), "written")
    assert error.value.code == "unknown_stage"


def test_other_stages_in_the_frame_are_ignored():
    written = points_frame([[50], [60]], judges=["exam"], stage="written")
    frame = pd.concat([scenario_frame(), written], ignore_index=True)
    rules = Rules(
        (StageRule("scenario", D("0.5"), "mean"), StageRule("written", D("0.5"), "mean")),
        {"scenario": RUBRIC, "written": (Criterion("points", D(100), D(1)),)},
    )
    report = analytics.stage_report(frame, rules, "scenario")
    assert [judge.judge for judge in report.judges] == ["J1", "J2", "J3"]
    assert report.stage_mean == pytest.approx(28.25)


def test_the_module_imports_no_django():
    code = (
        "import sys, competitions.analytics; "
        "sys.exit(any(name.split('.')[0] == 'django' for name in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT).returncode == 0
