import pytest
from hypothesis import given
from hypothesis import strategies as st

from training import rules

stretch = st.tuples(st.floats(0, 600), st.floats(0, 600))


@given(st.lists(stretch, max_size=20))
def test_merging_keeps_the_covered_seconds_and_never_overlaps(intervals):
    merged = rules.merge_intervals(intervals)
    assert all(a <= b for a, b in merged)
    assert all(merged[i][1] < merged[i + 1][0] for i in range(len(merged) - 1))
    assert rules.merge_intervals(merged) == merged
    # Every second of an input lies inside some merged stretch.
    for a, b in intervals:
        lo, hi = min(a, b), max(a, b)
        assert any(m0 <= lo and hi <= m1 for m0, m1 in merged)


def test_covered_seconds_counts_overlaps_once():
    assert rules.covered_seconds([(0, 30), (20, 50), (60, 70)]) == 60


def test_a_report_faster_than_real_time_is_refused_whole():
    known = [(0.0, 10.0)]
    assert (
        rules.accept_report(known, [(10, 100)], duration=100, seconds_since_last_report=20) == known
    )


def test_a_report_within_real_time_is_accepted_and_clipped_to_the_video():
    got = rules.accept_report(
        [(0.0, 10.0)], [(10, 30), (95, 130)], duration=100, seconds_since_last_report=30
    )
    assert got == [(0.0, 30.0), (95.0, 100.0)]


def test_replaying_what_was_seen_gains_nothing_and_is_harmless():
    known = [(0.0, 50.0)]
    assert rules.accept_report(known, [(0, 50)], duration=100, seconds_since_last_report=1) == known


@given(st.lists(st.tuples(st.integers(0, 100), st.integers(1, 30)), max_size=30))
def test_watched_time_never_exceeds_elapsed_time_plus_slack(reports):
    """However the reports are forged, coverage grows no faster than the clock allows."""
    known: list = []
    elapsed = 0
    for since, length in reports:
        elapsed += since
        start = len(known) and known[-1][1]
        known = rules.accept_report(
            known, [(start, start + length)], duration=3600, seconds_since_last_report=since
        )
        bound = elapsed * rules.MAX_PLAYBACK_RATE + rules.REPORT_SLACK_SECONDS * len(reports)
        assert rules.covered_seconds(known) <= bound


@pytest.mark.parametrize("seconds, watched", [(89.9, False), (90, True), (100, True)])
def test_ninety_percent_rule(seconds, watched):
    assert rules.video_watched([(0, seconds)], 100) is watched


def test_a_video_without_length_is_never_watched():
    assert not rules.video_watched([(0, 10)], 0)


@pytest.mark.parametrize(
    "required, done, exam, complete",
    [
        ({1, 2}, {1, 2}, None, True),
        ({1, 2}, {1}, None, False),
        ({1, 2}, {1, 2, 3}, False, False),
        ({1, 2}, {1, 2}, True, True),
        (set(), set(), None, True),
    ],
)
def test_course_completion(required, done, exam, complete):
    assert rules.course_complete(required, done, exam) is complete


def test_tiers_follow_levels():
    assert rules.TIER_BY_LEVEL == {
        "city": "city_demo",
        "district": "district_backbone",
        "street": "street_all",
    }


def test_playing_a_little_faster_is_credited_but_not_more_than_the_cap():
    known = [(0.0, 10.0)]
    # 15 s of video in 10 s of clock: 1.5x, allowed.
    assert rules.accept_report(known, [(10, 25)], duration=100, seconds_since_last_report=10) == [
        (0.0, 25.0)
    ]
    # 30 s of video in 10 s: 3x, refused.
    assert (
        rules.accept_report(known, [(10, 40)], duration=100, seconds_since_last_report=10) == known
    )
