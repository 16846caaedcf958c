"""Training rules with no Django: tiers, honest video progress, and what counts as complete.

Video: the player reports the stretches it actually played. A lesson's video counts as
watched when the union of those stretches covers 90 % of its length. Reports cannot add
more playing time than the clock allows since the previous report (at most 1.5× speed),
so a forged report cannot 'watch' an hour-long video in a minute.
"""

from collections.abc import Iterable

CITY_DEMO, DISTRICT_BACKBONE, STREET_ALL = "city_demo", "district_backbone", "street_all"
# The seed's cascade: the city demonstrates, districts train backbones, streets train everyone.
TIER_BY_LEVEL = {"city": CITY_DEMO, "district": DISTRICT_BACKBONE, "street": STREET_ALL}

WATCHED_SHARE = 0.9
# Allowance for timer jitter and a report that arrives a little late.
REPORT_SLACK_SECONDS = 5
# The player may run up to this much faster than real time (the page caps its speed to match).
MAX_PLAYBACK_RATE = 1.5

Interval = tuple[float, float]


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping stretches covering the same seconds."""
    merged: list[list[float]] = []
    for start, end in sorted((min(a, b), max(a, b)) for a, b in intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def covered_seconds(intervals: Iterable[Interval]) -> float:
    return sum(end - start for start, end in merge_intervals(intervals))


def accept_report(
    known: list[Interval],
    reported: list[Interval],
    *,
    duration: float,
    seconds_since_last_report: float | None,
) -> list[Interval]:
    """The stretches watched so far after a player's report, trusting it only as far as time allows.

    Reported stretches are clipped to the video's length; new coverage beyond the wall-clock
    time since the last report (plus slack) is refused, the report being discarded whole.
    """
    clipped = [
        (max(0.0, float(a)), min(float(duration), float(b)))
        for a, b in reported
        if float(b) > float(a) and float(a) < duration
    ]
    combined = merge_intervals([*known, *clipped])
    gained = covered_seconds(combined) - covered_seconds(known)
    allowance = (
        REPORT_SLACK_SECONDS
        if seconds_since_last_report is None
        else seconds_since_last_report * MAX_PLAYBACK_RATE + REPORT_SLACK_SECONDS
    )
    if gained > allowance:
        return merge_intervals(known)
    return combined


def video_watched(intervals: Iterable[Interval], duration: float) -> bool:
    return duration > 0 and covered_seconds(intervals) >= WATCHED_SHARE * duration


def course_complete(
    required_lessons: set[int], done_lessons: set[int], exam_passed: bool | None
) -> bool:
    """Required lessons done, and the exam passed if there is one (None: no exam)."""
    return required_lessons <= done_lessons and exam_passed is not False
