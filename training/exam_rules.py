"""Exam rules with no Django: drawing a paper, shuffling options, grading.

A *paper* is the list of questions one attempt shows, each with the order its options are shown
in: ``[{"question": 12, "order": [2, 0, 3, 1]}, …]``. ``order[position]`` is the original index
(into the question's stored options) of the option shown at ``position``; the stored answer
holds original indexes, so grading maps the shown positions a worker ticked back through
``order``.

- Drawing takes, for each draw rule in turn, ``count`` questions of the rule's category at
  random without replacement; a question never appears twice on one paper (two rules naming
  the same category share its questions). A category with too few questions is refused as a
  whole, before anything is drawn.
- Options are shuffled per question when the exam shuffles; true/false questions never are
  (正确 stays before 错误).
- A single-choice or true/false question is right when exactly the right option is chosen; a
  multiple-choice question only when the chosen set equals the answer set (no partial credit).
  A garbled answer (a position that is not one of the question's) counts as unanswered.
- Score: the percentage of questions right, a Decimal rounded half-up to 2 places; passed
  when the score reaches the pass mark.

Randomness comes from a ``random.Random`` the caller seeds once per attempt, so a paper can be
reproduced from its seed in tests; the service stores the paper itself, not the seed.
"""

import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

SINGLE, MULTIPLE, TRUE_FALSE = "single", "multiple", "true_false"
KINDS = (SINGLE, MULTIPLE, TRUE_FALSE)

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


class ShortBank(Exception):
    """The bank has fewer questions in `category` than the draw rules need."""

    def __init__(self, category: str, needed: int, available: int):
        super().__init__(category, needed, available)
        self.category = category
        self.needed = needed
        self.available = available


@dataclass(frozen=True)
class Key:
    """What grading needs to know about a question: its kind, its option count, its answer."""

    kind: str
    option_count: int
    answer: frozenset[int]


@dataclass(frozen=True)
class Outcome:
    right: dict[int, bool]  # question id -> answered right
    score: Decimal
    passed: bool

    @property
    def right_count(self) -> int:
        return sum(self.right.values())


# --------------------------------------------------------------------------- drawing


def draw(
    bank: Mapping[str, Sequence[int]],
    rules: Iterable[tuple[str, int]],
    rng: random.Random,
) -> list[int]:
    """Question ids for one paper: for each (category, count) rule, `count` ids of the category.

    `bank` maps a category to the ids of its questions. Raises ShortBank, naming the first
    category (in rule order) that lacks questions, when the rules together need more questions
    of a category than it holds.
    """
    rules = [(category, int(count)) for category, count in rules if int(count) > 0]
    needed = Counter()
    for category, count in rules:
        needed[category] += count
    for category in dict.fromkeys(category for category, _ in rules):
        available = len(set(bank.get(category, ())))
        if needed[category] > available:
            raise ShortBank(category, needed[category], available)
    # Sorted so that the draw depends only on the seed, not on the order the bank came in.
    remaining = {category: sorted(set(bank.get(category, ()))) for category in needed}
    paper: list[int] = []
    for category, count in rules:
        chosen = rng.sample(remaining[category], count)
        taken = set(chosen)
        remaining[category] = [q for q in remaining[category] if q not in taken]
        paper.extend(chosen)
    return paper


def option_order(kind: str, option_count: int, *, shuffle: bool, rng: random.Random) -> list[int]:
    """The original option indexes in the order they are shown."""
    order = list(range(option_count))
    if shuffle and kind != TRUE_FALSE:
        rng.shuffle(order)
    return order


def build_paper(
    question_ids: Iterable[int],
    keys: Mapping[int, Key],
    *,
    shuffle: bool,
    rng: random.Random,
) -> list[dict]:
    """The paper as stored on the attempt: [{"question": id, "order": [...]}, …]."""
    return [
        {
            "question": qid,
            "order": option_order(keys[qid].kind, keys[qid].option_count, shuffle=shuffle, rng=rng),
        }
        for qid in question_ids
    ]


# --------------------------------------------------------------------------- grading


def to_original(order: Sequence[int], positions: Iterable[object]) -> frozenset[int] | None:
    """Shown positions → original option indexes; None when any position is garbled.

    A position must be an int (not a bool) in range for the shown order. An empty choice is
    the empty set.
    """
    chosen = set()
    for position in positions:
        if isinstance(position, bool) or not isinstance(position, int):
            return None
        if not 0 <= position < len(order):
            return None
        chosen.add(order[position])
    return frozenset(chosen)


def to_shown(order: Sequence[int], originals: Iterable[int]) -> list[int]:
    """Original option indexes → the positions they were shown at (sorted); unknown ones dropped."""
    where = {original: position for position, original in enumerate(order)}
    return sorted(where[o] for o in set(originals) if o in where)


def is_right(key: Key, chosen: frozenset[int] | None) -> bool:
    """Exactly the right option (single, true/false), or exactly the right set (multiple)."""
    if not chosen or not key.answer:
        return False
    if key.kind == MULTIPLE:
        return chosen == key.answer
    return len(chosen) == 1 and chosen == key.answer


def percentage(right: int, total: int) -> Decimal:
    """right / total as a percentage, half-up to 2 places; 0 for an empty paper."""
    if total <= 0:
        return Decimal("0.00")
    return (Decimal(right) * HUNDRED / Decimal(total)).quantize(CENT, rounding=ROUND_HALF_UP)


def normalise_answers(
    paper: Sequence[Mapping], answers: Mapping[object, object]
) -> dict[int, frozenset[int] | None]:
    """What a submission chose, per question on the paper, as original indexes.

    `answers` maps a question id (str or int) to the shown positions ticked (a list). Missing
    questions are unanswered (the empty set); anything garbled (not a list, a position out of
    range) is None, which grades as unanswered too.
    """
    by_id: dict[int, object] = {}
    for key, value in answers.items():
        try:
            by_id[int(str(key))] = value
        except ValueError:
            continue
    chosen: dict[int, frozenset[int] | None] = {}
    for item in paper:
        qid = item["question"]
        value = by_id.get(qid, ())
        if isinstance(value, (list, tuple)):
            chosen[qid] = to_original(item["order"], value)
        else:
            chosen[qid] = None
    return chosen


def grade(
    paper: Sequence[Mapping],
    keys: Mapping[int, Key],
    answers: Mapping[object, object],
    *,
    pass_mark: int | Decimal,
) -> Outcome:
    """Grade a submission. Questions missing from `keys` (deleted since) are left out of the total."""
    chosen = normalise_answers(paper, answers)
    right = {
        item["question"]: is_right(keys[item["question"]], chosen[item["question"]])
        for item in paper
        if item["question"] in keys
    }
    score = percentage(sum(right.values()), len(right))
    return Outcome(right=right, score=score, passed=score >= Decimal(pass_mark))
