"""The exam rules without a database: drawing, shuffling, mapping positions, grading."""

import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from training import exam_rules
from training.exam_rules import MULTIPLE, SINGLE, TRUE_FALSE, Key, ShortBank

# --------------------------------------------------------------------------- drawing


def test_draw_takes_each_rules_count_from_its_category():
    bank = {"消防": [1, 2, 3, 4], "民政": [10, 11, 12]}
    paper = exam_rules.draw(bank, [("消防", 2), ("民政", 3)], random.Random(1))
    assert len(paper) == 5
    assert set(paper[:2]) <= {1, 2, 3, 4}
    assert set(paper[2:]) == {10, 11, 12}


def test_draw_is_reproducible_from_the_seed_and_varies_between_seeds():
    bank = {"消防": list(range(100))}
    first = exam_rules.draw(bank, [("消防", 10)], random.Random(7))
    assert exam_rules.draw(bank, [("消防", 10)], random.Random(7)) == first
    # The order the bank arrives in does not change the draw.
    shuffled = {"消防": list(reversed(range(100)))}
    assert exam_rules.draw(shuffled, [("消防", 10)], random.Random(7)) == first
    draws = {tuple(exam_rules.draw(bank, [("消防", 10)], random.Random(s))) for s in range(20)}
    assert len(draws) > 1


def test_draw_refuses_a_short_category_naming_it():
    bank = {"消防": [1, 2], "民政": [3]}
    with pytest.raises(ShortBank) as caught:
        exam_rules.draw(bank, [("消防", 2), ("民政", 2)], random.Random(1))
    assert (caught.value.category, caught.value.needed, caught.value.available) == ("民政", 2, 1)
    with pytest.raises(ShortBank) as caught:
        exam_rules.draw(bank, [("安全", 1)], random.Random(1))
    assert caught.value.available == 0


def test_two_rules_for_one_category_share_its_questions():
    bank = {"消防": [1, 2, 3]}
    paper = exam_rules.draw(bank, [("消防", 2), ("消防", 1)], random.Random(3))
    assert sorted(paper) == [1, 2, 3]
    with pytest.raises(ShortBank) as caught:
        exam_rules.draw(bank, [("消防", 2), ("消防", 2)], random.Random(3))
    assert caught.value.needed == 4


@given(
    sizes=st.dictionaries(
        st.sampled_from(["甲", "乙", "丙", "丁"]), st.integers(0, 12), min_size=1
    ),
    wanted=st.lists(
        st.tuples(st.sampled_from(["甲", "乙", "丙", "丁"]), st.integers(1, 5)), max_size=6
    ),
    seed=st.integers(0, 2**32),
)
@settings(max_examples=200)
def test_drawing_never_repeats_and_respects_counts(sizes, wanted, seed):
    bank, next_id = {}, 1
    for category, size in sizes.items():
        bank[category] = list(range(next_id, next_id + size))
        next_id += size
    category_of = {q: c for c, ids in bank.items() for q in ids}
    needed = {}
    for category, count in wanted:
        needed[category] = needed.get(category, 0) + count
    short = any(n > len(bank.get(c, [])) for c, n in needed.items())
    if short:
        with pytest.raises(ShortBank):
            exam_rules.draw(bank, wanted, random.Random(seed))
        return
    paper = exam_rules.draw(bank, wanted, random.Random(seed))
    assert len(paper) == len(set(paper))
    assert len(paper) == sum(count for _, count in wanted)
    drawn = {}
    for q in paper:
        drawn[category_of[q]] = drawn.get(category_of[q], 0) + 1
    assert drawn == {c: n for c, n in needed.items() if n}


# --------------------------------------------------------------------------- shuffling


def test_true_false_options_are_never_shuffled():
    for seed in range(50):
        assert exam_rules.option_order(TRUE_FALSE, 2, shuffle=True, rng=random.Random(seed)) == [
            0,
            1,
        ]


def test_options_keep_their_order_when_the_exam_does_not_shuffle():
    assert exam_rules.option_order(SINGLE, 4, shuffle=False, rng=random.Random(1)) == [0, 1, 2, 3]


def test_shuffled_order_is_a_permutation_and_varies():
    orders = {
        tuple(exam_rules.option_order(MULTIPLE, 5, shuffle=True, rng=random.Random(s)))
        for s in range(30)
    }
    assert all(sorted(order) == [0, 1, 2, 3, 4] for order in orders)
    assert len(orders) > 1


def test_build_paper_stores_question_and_order():
    keys = {1: Key(SINGLE, 4, frozenset({2})), 2: Key(TRUE_FALSE, 2, frozenset({0}))}
    paper = exam_rules.build_paper([2, 1], keys, shuffle=True, rng=random.Random(5))
    assert [item["question"] for item in paper] == [2, 1]
    assert paper[0]["order"] == [0, 1]
    assert sorted(paper[1]["order"]) == [0, 1, 2, 3]


# --------------------------------------------------------------------------- positions


def test_positions_map_back_through_the_stored_order():
    order = [2, 0, 3, 1]  # option 2 shown first
    assert exam_rules.to_original(order, [0]) == frozenset({2})
    assert exam_rules.to_original(order, [1, 3]) == frozenset({0, 1})
    assert exam_rules.to_original(order, []) == frozenset()
    assert exam_rules.to_shown(order, [2, 1]) == [0, 3]


@pytest.mark.parametrize("positions", [[4], [-1], ["0"], [None], [True], [0, 9], [1.0]])
def test_garbled_positions_are_none(positions):
    assert exam_rules.to_original([2, 0, 3, 1], positions) is None


# --------------------------------------------------------------------------- grading

SINGLE_KEY = Key(SINGLE, 4, frozenset({1}))
MULTI_KEY = Key(MULTIPLE, 4, frozenset({0, 2}))
TF_KEY = Key(TRUE_FALSE, 2, frozenset({1}))


@pytest.mark.parametrize(
    ("key", "chosen", "right"),
    [
        (SINGLE_KEY, {1}, True),
        (SINGLE_KEY, {0}, False),
        (SINGLE_KEY, {1, 0}, False),  # two ticks on a single-choice question
        (SINGLE_KEY, set(), False),
        (SINGLE_KEY, None, False),
        (TF_KEY, {1}, True),
        (TF_KEY, {0}, False),
        (TF_KEY, {0, 1}, False),
        (MULTI_KEY, {0, 2}, True),
        (MULTI_KEY, {0}, False),  # no partial credit
        (MULTI_KEY, {0, 2, 3}, False),
        (MULTI_KEY, set(), False),
        (Key(SINGLE, 4, frozenset()), {0}, False),  # a question without an answer
    ],
)
def test_is_right(key, chosen, right):
    assert exam_rules.is_right(key, None if chosen is None else frozenset(chosen)) is right


@pytest.mark.parametrize(
    ("right", "total", "score"),
    [
        (0, 3, "0.00"),
        (1, 3, "33.33"),
        (2, 3, "66.67"),
        (3, 3, "100.00"),
        (1, 8, "12.50"),
        (1, 16, "6.25"),
        (1, 32, "3.13"),  # 3.125 rounds half-up
        (5, 0, "0.00"),
    ],
)
def test_percentage_is_half_up_to_two_places(right, total, score):
    assert exam_rules.percentage(right, total) == Decimal(score)


def _paper():
    return [
        {"question": 1, "order": [3, 1, 0, 2]},  # single, answer 1 shown at position 1
        {"question": 2, "order": [2, 3, 0, 1]},  # multiple, answers 0, 2 at positions 2, 0
        {"question": 3, "order": [0, 1]},  # true/false, answer 1 (错)
    ]


KEYS = {1: SINGLE_KEY, 2: MULTI_KEY, 3: TF_KEY}


def test_grade_maps_positions_and_scores():
    outcome = exam_rules.grade(_paper(), KEYS, {"1": [1], "2": [0, 2], "3": [1]}, pass_mark=60)
    assert outcome.right == {1: True, 2: True, 3: True}
    assert outcome.score == Decimal("100.00") and outcome.passed

    outcome = exam_rules.grade(_paper(), KEYS, {"1": [1], "2": [0], "3": [1]}, pass_mark=60)
    assert outcome.right == {1: True, 2: False, 3: True}
    assert outcome.score == Decimal("66.67") and outcome.passed

    outcome = exam_rules.grade(_paper(), KEYS, {"1": [0]}, pass_mark=60)
    assert outcome.score == Decimal("0.00") and not outcome.passed


def test_pass_mark_is_inclusive():
    paper = [{"question": q, "order": [0, 1]} for q in range(1, 6)]
    keys = {q: Key(TRUE_FALSE, 2, frozenset({0})) for q in range(1, 6)}
    answers = {str(q): [0] for q in range(1, 4)}  # 3 of 5 = 60.00
    assert exam_rules.grade(paper, keys, answers, pass_mark=60).passed
    assert not exam_rules.grade(paper, keys, answers, pass_mark=61).passed


@pytest.mark.parametrize(
    "answers",
    [
        {"1": "1"},  # not a list
        {"1": [7]},
        {"1": ["x"]},
        {"1": None},
        {"not-a-question": [0], "99": [0]},
        {},
    ],
)
def test_garbled_answers_are_unanswered(answers):
    outcome = exam_rules.grade(_paper(), KEYS, answers, pass_mark=0)
    assert outcome.right[1] is False


def test_deleted_questions_leave_the_total():
    outcome = exam_rules.grade(_paper(), {1: SINGLE_KEY}, {"1": [1]}, pass_mark=60)
    assert outcome.right == {1: True}
    assert outcome.score == Decimal("100.00")


@st.composite
def papers(draw):
    """A paper of random questions with random shown orders, and the answer key."""
    count = draw(st.integers(1, 12))
    paper, keys = [], {}
    for qid in range(1, count + 1):
        kind = draw(st.sampled_from([SINGLE, MULTIPLE, TRUE_FALSE]))
        n = 2 if kind == TRUE_FALSE else draw(st.integers(2, 6))
        if kind == MULTIPLE:
            answer = draw(st.sets(st.integers(0, n - 1), min_size=1))
        else:
            answer = {draw(st.integers(0, n - 1))}
        keys[qid] = Key(kind, n, frozenset(answer))
        paper.append({"question": qid, "order": list(range(n))})
    seed = draw(st.integers(0, 2**32))
    return paper, keys, seed


@given(papers())
@settings(max_examples=300)
def test_answering_the_shown_positions_of_the_right_options_scores_100(case):
    paper, keys, seed = case
    rng = random.Random(seed)
    for item in paper:
        key = keys[item["question"]]
        item["order"] = exam_rules.option_order(key.kind, key.option_count, shuffle=True, rng=rng)
    answers = {
        str(item["question"]): exam_rules.to_shown(item["order"], keys[item["question"]].answer)
        for item in paper
    }
    outcome = exam_rules.grade(paper, keys, answers, pass_mark=100)
    assert outcome.score == Decimal("100.00")
    assert outcome.passed
    # And the same answers without mapping (positions as if unshuffled) never score more.
    naive = {str(q): sorted(keys[q].answer) for q in keys}
    assert exam_rules.grade(paper, keys, naive, pass_mark=0).score <= outcome.score
