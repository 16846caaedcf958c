"""Judge analytics with no Django: how each judge marks, how far the panel agrees, and how hard
each scenario card was. Read after a stage has closed; nothing here changes a published score.

The input is the stage's long-form score table (``contestant, stage, judge, criterion, score``)
and the ``scoring.Rules`` it is checked against. Every figure is computed from the judges' RAW
totals (``scoring.judge_totals``' ``total``, never the standardised ``adjusted``): standardising
would hide exactly the severity these figures are meant to show. Figures are floats; they
describe the marking and are never ranked on.

Per judge (``JudgeStats``)
- *severity*: the mean, over the contestants the judge scored, of (the judge's total − the
  plain mean of every judge's total for that contestant, the judge's own included). Negative is
  harsher than the panel, positive more lenient. A contestant scored by one judge adds 0.
- *spread*: the population standard deviation of the judge's totals (0 with one contestant).
- *halo* (``HaloRule``): for each contestant, the judge's criterion scores as shares of each
  criterion's maximum (7.5 of 10 → 0.75). The sheet is *uniform* when the population standard
  deviation of those shares is below ``max_std`` (0.02: every criterion within about two
  points in a hundred of the others). The judge is flagged when at least ``min_share`` (80 %)
  of their sheets are uniform and they scored at least ``min_contestants`` (2) contestants: one
  sheet says too little. A stage with a single criterion cannot show a halo: nobody is flagged.

Panel reliability (``Reliability``) follows Shrout & Fleiss (1979), "Intraclass correlations:
uses in assessing rater reliability", Psychological Bulletin 86(2), from the n contestants ×
k judges matrix of totals and a two-way ANOVA without replication:
    BMS = k·Σ(row mean − grand mean)² / (n − 1)                  between contestants
    JMS = n·Σ(column mean − grand mean)² / (k − 1)               between judges
    EMS = (SS total − SS rows − SS columns) / ((n − 1)(k − 1))    residual
    WMS = (SS total − SS rows) / (n(k − 1))                       within contestants
    ICC(1,1) = (BMS − WMS) / (BMS + (k − 1)WMS)                   one-way random
    ICC(2,1) = (BMS − EMS) / (BMS + (k − 1)EMS + k(JMS − EMS)/n)   two-way random, absolute
    ICC(3,1) = (BMS − EMS) / (BMS + (k − 1)EMS)                   two-way mixed, consistency
ICC(2,1) asks whether the judges give the same totals; ICC(3,1) whether they put the
contestants in the same order, whatever each judge's severity.

Missing scores. The formulas need every judge's total for every contestant, and rotating panels
and recusals leave holes. The figures are therefore computed on the largest complete block,
found greedily: each judge in turn is a seed; judges are added one at a time, each time the one
that keeps the most contestants scored by every judge chosen so far (ties: the lower judge
code), and each step is a candidate block (the judges chosen, the contestants all of them
scored). The block kept is the one with n ≥ 2 and k ≥ 2 with the most scores n × k (ties: more
judges, then the earlier seed; seeds are taken by most contestants scored, then by code); when
no candidate has n ≥ 2 and k ≥ 2, the largest block is reported as not computable. Who was left
out is reported. An ICC whose denominator is 0 (totals that do not vary) is not computable.

Reading an ICC (Koo & Li 2016, "A guideline of selecting and reporting intraclass correlation
coefficients for reliability research", J Chiropr Med 15(2)): below 0.5 poor, 0.5 up to 0.75
moderate, 0.75 up to 0.9 good, above 0.9 excellent.

Scenario-card difficulty (``CardDifficulty``): each card's mean published panel score
(``scoring.stage_scores``, as the stage's rules combine the judges) minus the stage mean, the
mean panel score of every contestant scored in the stage. Negative means the card was harder.
Contestants without a card count in the stage mean only.
"""

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import scoring

# Koo & Li (2016): the lower bound of each reading, highest first.
READINGS = (("excellent", 0.9, False), ("good", 0.75, True), ("moderate", 0.5, True))
_TINY = 1e-12  # float noise: a denominator this small is zero

TOO_FEW_CONTESTANTS = "too_few_contestants"
TOO_FEW_JUDGES = "too_few_judges"
ZERO_DENOMINATOR = "zero_denominator"


@dataclass(frozen=True)
class HaloRule:
    """When a judge's marks look like one impression copied onto every criterion."""

    max_std: float = 0.02  # a sheet is uniform below this std of criterion shares
    min_share: float = 0.8  # flag when at least this share of the judge's sheets is uniform
    min_contestants: int = 2  # and the judge scored at least this many contestants


@dataclass(frozen=True)
class JudgeStats:
    judge: str
    scored: int
    severity: float  # mean deviation from the panel mean; negative = harsher
    spread: float  # population standard deviation of the judge's totals
    uniform_share: float | None  # share of uniform sheets; None with a single criterion
    halo: bool


@dataclass(frozen=True)
class MeanSquares:
    bms: float  # between contestants (targets)
    jms: float  # between judges
    ems: float  # residual
    wms: float  # within contestants


@dataclass(frozen=True)
class Reliability:
    n: int  # contestants in the complete block
    k: int  # judges in the complete block
    icc_1_1: float | None
    icc_2_1: float | None
    icc_3_1: float | None
    mean_squares: MeanSquares | None
    judges: tuple[str, ...] = ()  # the block's judges
    contestants: tuple[str, ...] = ()  # the block's contestants
    judges_left_out: tuple[str, ...] = ()
    contestants_left_out: tuple[str, ...] = ()
    problem: str = ""  # "" or TOO_FEW_CONTESTANTS, TOO_FEW_JUDGES, ZERO_DENOMINATOR

    @property
    def computable(self) -> bool:
        return not self.problem


@dataclass(frozen=True)
class CardDifficulty:
    card: Hashable
    contestants: int
    mean: float  # mean panel score of the card's contestants
    difference: float  # card mean − stage mean; negative = harder


@dataclass(frozen=True)
class StageReport:
    stage: str
    judges: tuple[JudgeStats, ...]
    reliability: Reliability
    cards: tuple[CardDifficulty, ...]
    stage_mean: float | None  # mean panel score; None when nobody was scored


# --------------------------------------------------------------------------- per judge


def stage_totals(frame: pd.DataFrame, rules: scoring.Rules, stage: str) -> pd.DataFrame:
    """Each judge's raw total per contestant in `stage`: columns contestant, judge, total
    (float), sorted by contestant and judge. Raises ``scoring.ScoringError`` on bad scores."""
    rules.stage(stage)  # unknown_stage
    totals = scoring.judge_totals(frame, rules)
    in_stage = totals[totals["stage"] == stage]
    return pd.DataFrame(
        {
            "contestant": in_stage["contestant"].astype(str).to_numpy(),
            "judge": in_stage["judge"].astype(str).to_numpy(),
            "total": [float(total) for total in in_stage["total"]],
        }
    )


def severity_and_spread(totals: pd.DataFrame) -> pd.DataFrame:
    """From `stage_totals`: per judge (index) the columns scored, severity and spread."""
    if totals.empty:
        return pd.DataFrame(columns=["scored", "severity", "spread"], dtype=float)
    panel_mean = totals.groupby("contestant")["total"].transform("mean")
    deviation = totals["total"] - panel_mean
    by_judge = totals.assign(deviation=deviation).groupby("judge", sort=True)
    return pd.DataFrame(
        {
            "scored": by_judge["total"].size(),
            "severity": by_judge["deviation"].mean(),
            "spread": by_judge["total"].std(ddof=0),
        }
    )


def uniform_shares(frame: pd.DataFrame, rules: scoring.Rules, stage: str, max_std: float):
    """Per judge (index): sheets (contestants scored) and uniform (sheets whose criterion
    shares have a population std below `max_std`). Empty when the stage has one criterion."""
    criteria = rules.criteria[rules.stage(stage).code]
    if len(criteria) < 2:
        return pd.DataFrame(columns=["sheets", "uniform"], dtype=int)
    scores = scoring.check_scores(frame, rules)
    scores = scores[scores["stage"] == stage]
    maxima = {criterion.code: float(criterion.max) for criterion in criteria}
    shares = [
        float(score) / maxima[code]
        for score, code in zip(scores["score"], scores["criterion"], strict=True)
    ]
    sheets = scores.assign(share=shares).groupby(["judge", "contestant"])["share"].std(ddof=0)
    uniform = (sheets < max_std).groupby(level="judge")
    return pd.DataFrame({"sheets": uniform.size(), "uniform": uniform.sum()})


def judge_stats(
    frame: pd.DataFrame, rules: scoring.Rules, stage: str, halo: HaloRule = HaloRule()
) -> tuple[JudgeStats, ...]:
    """Severity, spread and halo flag of every judge who scored in `stage`, by judge code."""
    return _judge_stats(
        stage_totals(frame, rules, stage), uniform_shares(frame, rules, stage, halo.max_std), halo
    )


def _judge_stats(totals: pd.DataFrame, sheets: pd.DataFrame, halo: HaloRule):
    stats = []
    for judge, row in severity_and_spread(totals).iterrows():
        scored = int(row["scored"])
        share = None
        if judge in sheets.index:
            share = int(sheets.at[judge, "uniform"]) / int(sheets.at[judge, "sheets"])
        flagged = (
            share is not None and scored >= halo.min_contestants and share >= halo.min_share - _TINY
        )
        stats.append(
            JudgeStats(
                judge=str(judge),
                scored=scored,
                severity=float(row["severity"]),
                spread=float(row["spread"]),
                uniform_share=share,
                halo=flagged,
            )
        )
    return tuple(stats)


# --------------------------------------------------------------------------- reliability


def mean_squares(matrix) -> MeanSquares:
    """The mean squares of a complete n × k matrix (rows contestants, columns judges); needs
    n ≥ 2 and k ≥ 2."""
    x = np.asarray(matrix, dtype=float)
    n, k = x.shape
    grand = x.mean()
    ss_total = ((x - grand) ** 2).sum()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_columns = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_error = ss_total - ss_rows - ss_columns
    return MeanSquares(
        bms=float(ss_rows / (n - 1)),
        jms=float(ss_columns / (k - 1)),
        ems=float(ss_error / ((n - 1) * (k - 1))),
        wms=float((ss_total - ss_rows) / (n * (k - 1))),
    )


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if abs(denominator) < _TINY else float(numerator / denominator)


def icc(matrix) -> Reliability:
    """ICC(1,1), ICC(2,1) and ICC(3,1) of a complete n × k matrix of totals."""
    x = np.asarray(matrix, dtype=float)
    if x.ndim != 2 or np.isnan(x).any():
        raise ValueError("icc needs a complete two-dimensional matrix")
    n, k = x.shape
    if n < 2 or k < 2:
        problem = TOO_FEW_CONTESTANTS if n < 2 else TOO_FEW_JUDGES
        return Reliability(n, k, None, None, None, None, problem=problem)
    ms = mean_squares(x)
    icc_1_1 = _ratio(ms.bms - ms.wms, ms.bms + (k - 1) * ms.wms)
    icc_2_1 = _ratio(ms.bms - ms.ems, ms.bms + (k - 1) * ms.ems + k * (ms.jms - ms.ems) / n)
    icc_3_1 = _ratio(ms.bms - ms.ems, ms.bms + (k - 1) * ms.ems)
    problem = ZERO_DENOMINATOR if icc_2_1 is None or icc_3_1 is None else ""
    return Reliability(n, k, icc_1_1, icc_2_1, icc_3_1, ms, problem=problem)


def complete_block(scored: Mapping[str, set]) -> tuple[list[str], list[str]]:
    """The largest complete block by the greedy rule in the module notes: (judges,
    contestants), both sorted. `scored` maps each judge to the contestants they scored."""
    seeds = sorted(scored, key=lambda judge: (-len(scored[judge]), judge))
    best, best_key = ([], set()), None
    for seed in seeds:
        chosen, common = [seed], set(scored[seed])
        while True:
            key = (len(common) >= 2 and len(chosen) >= 2, len(common) * len(chosen), len(chosen))
            if best_key is None or key > best_key:
                best, best_key = (list(chosen), set(common)), key
            rest = [judge for judge in seeds if judge not in chosen]
            if not rest:
                break
            following = min(rest, key=lambda judge: (-len(common & scored[judge]), judge))
            chosen.append(following)
            common &= scored[following]
    judges, contestants = best
    return sorted(judges), sorted(contestants)


def reliability_of_totals(totals: pd.DataFrame) -> Reliability:
    """ICCs from `stage_totals` (contestant, judge, total), on the largest complete block."""
    scored: dict[str, set] = {}
    for contestant, judge in zip(totals["contestant"], totals["judge"], strict=True):
        scored.setdefault(judge, set()).add(contestant)
    judges, contestants = complete_block(scored)
    left_out = {
        "judges": tuple(sorted(set(scored) - set(judges))),
        "contestants": tuple(sorted(set(totals["contestant"]) - set(contestants))),
    }
    if judges and contestants:
        matrix = totals.pivot(index="contestant", columns="judge", values="total")
        result = icc(matrix.loc[contestants, judges].to_numpy())
    else:
        result = icc(np.zeros((len(contestants), len(judges))))
    return Reliability(
        n=result.n,
        k=result.k,
        icc_1_1=result.icc_1_1,
        icc_2_1=result.icc_2_1,
        icc_3_1=result.icc_3_1,
        mean_squares=result.mean_squares,
        judges=tuple(judges),
        contestants=tuple(contestants),
        judges_left_out=left_out["judges"],
        contestants_left_out=left_out["contestants"],
        problem=result.problem,
    )


def reliability(frame: pd.DataFrame, rules: scoring.Rules, stage: str) -> Reliability:
    """The panel's ICCs in `stage`, with missing scores handled as the module notes say."""
    return reliability_of_totals(stage_totals(frame, rules, stage))


def reading(value: float | None) -> str:
    """Koo & Li (2016): "poor", "moderate", "good" or "excellent"; "" when not computable."""
    if value is None:
        return ""
    for name, bound, inclusive in READINGS:
        if value > bound or (inclusive and value >= bound):
            return name
    return "poor"


# --------------------------------------------------------------------------- cards


def card_difficulty(
    frame: pd.DataFrame,
    rules: scoring.Rules,
    stage: str,
    card_of: Mapping[str, Hashable],
) -> tuple[tuple[CardDifficulty, ...], float | None]:
    """Each card's mean panel score against the stage mean, hardest card first (ties by
    str(card)), and the stage mean. `card_of` maps contestant codes to their card."""
    rules.stage(stage)
    published = scoring.stage_scores(frame, rules)
    published = published[published["stage"] == stage]
    if published.empty:
        return (), None
    scores = pd.DataFrame(
        {
            "contestant": published["contestant"].astype(str).to_numpy(),
            "score": [float(score) for score in published["score"]],
        }
    )
    stage_mean = float(scores["score"].mean())
    with_card = scores[scores["contestant"].isin(list(card_of))]
    cards = [
        CardDifficulty(
            card=card,
            contestants=len(group),
            mean=float(group["score"].mean()),
            difference=float(group["score"].mean()) - stage_mean,
        )
        for card, group in with_card.groupby(
            with_card["contestant"].map(lambda contestant: card_of[contestant]), sort=False
        )
    ]
    cards.sort(key=lambda item: (item.difference, str(item.card)))
    return tuple(cards), stage_mean


# --------------------------------------------------------------------------- all at once


def stage_report(
    frame: pd.DataFrame,
    rules: scoring.Rules,
    stage: str,
    card_of: Mapping[str, Hashable] | None = None,
    halo: HaloRule = HaloRule(),
) -> StageReport:
    """Judges, panel reliability and card difficulty of one stage. Raises
    ``scoring.ScoringError`` when the scores do not fit the rules."""
    totals = stage_totals(frame, rules, stage)  # checks the scores once for the totals
    cards, stage_mean = card_difficulty(frame, rules, stage, card_of or {})
    return StageReport(
        stage=stage,
        judges=_judge_stats(totals, uniform_shares(frame, rules, stage, halo.max_std), halo),
        reliability=reliability_of_totals(totals),
        cards=cards,
        stage_mean=stage_mean,
    )
