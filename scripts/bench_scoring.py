"""How long the results engine takes to check and rank one contest.

    .venv/bin/python scripts/bench_scoring.py [--contestants 1000] [--judges 7] [--criteria 8]
                                              [--repeat 5] [--seed 2026] [--profile [N]]

It builds a reproducible random score table (every judge scores every contestant on every
criterion, as strings in the order the database hands them over) and times, for each of four
typical one-stage rule sets (plain or trimmed mean, standardisation off or on, a tie-breaker,
three awards), ``check_scores`` alone and ``rank`` (which checks too); then the exports a
published result is archived with and recomputed from (``scores_to_csv``, ``read_scores_csv``).
It prints the median and p95 in milliseconds of --repeat runs. --profile runs ``rank`` once more per rule set under
cProfile and prints the N most expensive functions (cumulative time). Figures only: nothing
here asserts a time.
"""

import argparse
import cProfile
import io
import pstats
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pandas as pd  # noqa: E402

from competitions import scoring  # noqa: E402

STAGE = "情景模拟"
# (max, step) of the criteria, cycled: rubrics mix coarse and fine steps.
CRITERION_SHAPES = [("10", "0.5"), ("15", "0.5"), ("20", "0.25"), ("5", "1")]
AWARDS = (("一等奖", "0.1"), ("二等奖", "0.2"), ("三等奖", "0.3"))


def make_rules(criteria: int, aggregate: str, standardise: bool) -> scoring.Rules:
    items = tuple(
        scoring.Criterion(f"k{index + 1}", Decimal(high), Decimal(step))
        for index, (high, step) in enumerate(
            CRITERION_SHAPES[index % len(CRITERION_SHAPES)] for index in range(criteria)
        )
    )
    stage = scoring.StageRule(
        STAGE, Decimal(1), aggregate, trim=1, min_judges=5, standardise=standardise
    )
    awards = tuple(scoring.Award(name, Decimal(share)) for name, share in AWARDS)
    return scoring.Rules((stage,), {STAGE: items}, (STAGE,), awards)


def make_frame(contestants: int, judges: int, rules: scoring.Rules, seed: int) -> pd.DataFrame:
    """Every judge scores every contestant: a contestant's skill and a judge's leniency shift
    the scores, so totals spread out but still tie now and then, as in a real contest."""
    randomness = random.Random(seed)
    criteria = rules.criteria[STAGE]
    leniency = [randomness.uniform(-0.1, 0.1) for _ in range(judges)]
    rows = []
    for contestant in range(1, contestants + 1):
        skill = randomness.uniform(0.4, 0.95)
        for judge in range(judges):
            for criterion in criteria:
                steps = int(criterion.max / criterion.step)
                share = min(1.0, max(0.0, randomness.gauss(skill + leniency[judge], 0.08)))
                score = criterion.step * round(share * steps)
                rows.append(
                    (f"C{contestant:05}", STAGE, f"J{judge + 1}", criterion.code, str(score))
                )
    return pd.DataFrame(rows, columns=list(scoring.SCORE_COLUMNS), dtype=str)


def timed(function, repeat: int) -> list[float]:
    """Wall times of `repeat` calls, in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contestants", type=int, default=1000)
    parser.add_argument("--judges", type=int, default=7)
    parser.add_argument("--criteria", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--profile", type=int, nargs="?", const=25, default=0, metavar="N")
    args = parser.parse_args(argv)

    frame = make_frame(
        args.contestants, args.judges, make_rules(args.criteria, "mean", False), args.seed
    )
    print(
        f"{args.contestants} contestants × {args.judges} judges × {args.criteria} criteria = "
        f"{len(frame):,} score rows; median and p95 of {args.repeat} runs, in ms"
    )
    print(f"{'rules':<24}{'check median':>14}{'check p95':>12}{'rank median':>14}{'rank p95':>12}")
    for aggregate in ("mean", "trimmed"):
        for standardise in (False, True):
            rules = make_rules(args.criteria, aggregate, standardise)
            label = f"{aggregate}, standardise {'on' if standardise else 'off'}"
            scoring.rank(frame, rules)  # warm up (imports, caches)
            check = timed(lambda rules=rules: scoring.check_scores(frame, rules), args.repeat)
            ranking = timed(lambda rules=rules: scoring.rank(frame, rules), args.repeat)
            print(
                f"{label:<24}{statistics.median(check):>14.1f}{p95(check):>12.1f}"
                f"{statistics.median(ranking):>14.1f}{p95(ranking):>12.1f}"
            )
            if args.profile:
                profiler = cProfile.Profile()
                profiler.runcall(scoring.rank, frame, rules)
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)

    exported = io.StringIO()
    scoring.scores_to_csv(frame, exported)
    for label, function in [
        ("scores_to_csv", lambda: scoring.scores_to_csv(frame, io.StringIO())),
        ("read_scores_csv", lambda: scoring.read_scores_csv(io.StringIO(exported.getvalue()))),
    ]:
        times = timed(function, args.repeat)
        print(f"{label:<24}{'':>26}{statistics.median(times):>14.1f}{p95(times):>12.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
