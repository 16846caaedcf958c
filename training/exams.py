"""The exam engine: start (or resume) an attempt, submit it, review it.

Rules live in `exam_rules` (no Django); this module reads and writes the database around them.
The competitions' written round reuses these functions.

Time is the server's: an attempt's deadline is fixed when it starts (the time limit, cut short
by the exam's closing time) and a submission is accepted up to ``GRACE`` after it, to allow for
a slow network. The page's countdown is only a display.

Attempts: starting while an attempt is still live (unsubmitted, deadline + grace not passed)
resumes it; otherwise a new one is drawn, unless the submitted attempts have used up
``max_attempts``. An attempt left to expire unsubmitted does not count against the limit (it has
no score); the live one does, for the "attempts left" shown to the worker. Each attempt's paper
is drawn with a ``random.Random`` seeded from ``secrets`` once per attempt; the paper itself is
stored, so the seed is not needed afterwards.

One-time token: each attempt gets a random token when it starts, stored in its ``answers`` JSON
under the reserved key ``"_token"`` (question ids, the other keys, are digits). The paper's
form carries it and ``submit_attempt`` compares it in constant time. A submission replaces
``answers`` with the graded choices, so the token is gone once used: a replayed form is
refused (``already_submitted``), and a form for another attempt never matches.

After submission ``answers`` holds ``{"<question id>": [original option indexes chosen]}``
(original indexes, independent of the shuffled order; unanswered questions are left out).
"""

import random
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy

from . import exam_rules
from .models import Exam, ExamAttempt, Question

GRACE = timedelta(seconds=30)
TOKEN_KEY = "_token"
OPTION_LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

MESSAGES = {
    "not_open": gettext_lazy("This exam opens at %(opens_at)s."),
    "closed": gettext_lazy("This exam has closed."),
    "no_attempts_left": gettext_lazy("You have used all %(max_attempts)s attempts at this exam."),
    "no_questions": gettext_lazy(
        "This exam has no questions yet. Please tell the exam's organiser."
    ),
    "short_bank": gettext_lazy(
        "The question bank has %(available)s questions in the category “%(category)s” but the exam needs %(needed)s. Please tell the exam's organiser."
    ),
    "already_submitted": gettext_lazy("This attempt has already been submitted."),
    "over_time": gettext_lazy(
        "The time for this attempt ran out before the answers arrived, so they were not accepted."
    ),
    "bad_token": gettext_lazy(
        "This answer sheet is out of date. Open the exam again and submit from the new page."
    ),
    "not_submitted": gettext_lazy("The answers and explanations are shown after you submit."),
}


class ExamError(Exception):
    """A refusal with a machine `code` (a key of ``MESSAGES``) and a translated `message`."""

    def __init__(self, code: str, message: str | None = None, **params):
        if message is None:
            template = MESSAGES.get(code)
            message = str(template) % params if template is not None else code
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.params = params

    def __str__(self):
        return str(self.message)


# --------------------------------------------------------------------------- questions


def _clean_indexes(values) -> frozenset[int]:
    if not isinstance(values, list | tuple):
        return frozenset()
    return frozenset(v for v in values if isinstance(v, int) and not isinstance(v, bool))


def key_of(question: Question) -> exam_rules.Key:
    options = question.options if isinstance(question.options, list) else []
    return exam_rules.Key(
        kind=question.kind, option_count=len(options), answer=_clean_indexes(question.answer)
    )


def _gradable(question: Question) -> bool:
    key = key_of(question)
    return key.option_count >= 2 and bool(key.answer) and max(key.answer) < key.option_count


def bank_units(exam: Exam) -> list:
    """The units whose questions a drawn exam may use: its own unit and the units above it
    (banks cascade downwards, like plans)."""
    unit = exam.owner_unit
    return [*unit.get_ancestors(), unit]


def _draw_questions(exam: Exam, rng: random.Random) -> list[Question]:
    if exam.mode == Exam.Mode.DRAWN:
        rules = [(r.category, r.count) for r in exam.draw_rules.all()]
        if not rules:
            raise ExamError("no_questions")
        pool = [
            q
            for q in Question.objects.filter(
                owner_unit__in=bank_units(exam), category__in={c for c, _ in rules}
            )
            if _gradable(q)
        ]
        bank: dict[str, list[int]] = {}
        for question in pool:
            bank.setdefault(question.category, []).append(question.pk)
        try:
            ids = exam_rules.draw(bank, rules, rng)
        except exam_rules.ShortBank as short:
            raise ExamError(
                "short_bank",
                category=short.category,
                needed=short.needed,
                available=short.available,
            ) from None
        by_id = {q.pk: q for q in pool}
        return [by_id[i] for i in ids]
    questions = [q for q in exam.questions.all() if _gradable(q)]
    if not questions:
        raise ExamError("no_questions")
    return questions


# --------------------------------------------------------------------------- starting


def _is_live(attempt: ExamAttempt, now) -> bool:
    """Unsubmitted and still accepting answers (the grace included)."""
    return attempt.submitted_at is None and now <= attempt.deadline + GRACE


def check_window(exam: Exam, now) -> None:
    if exam.opens_at and now < exam.opens_at:
        raise ExamError(
            "not_open",
            opens_at=formats.date_format(timezone.localtime(exam.opens_at), "DATETIME_FORMAT"),
        )
    if exam.closes_at and now >= exam.closes_at:
        raise ExamError("closed")


@dataclass
class Standing:
    """A user's attempts at an exam, for the start page."""

    attempts: list[ExamAttempt]
    live: ExamAttempt | None
    used: int
    left: int
    submitted: list[ExamAttempt] = field(default_factory=list)


def standing(user, exam: Exam, *, now=None) -> Standing:
    """Every attempt started counts, submitted or not: opening papers and letting them expire
    must not become a way to read the question bank."""
    now = now or timezone.now()
    attempts = list(ExamAttempt.objects.filter(exam=exam, user=user).order_by("-started_at"))
    submitted = [a for a in attempts if a.submitted_at is not None]
    live = next((a for a in attempts if _is_live(a, now)), None)
    used = len(attempts)
    return Standing(
        attempts=attempts,
        live=live,
        used=used,
        left=max(0, exam.max_attempts - used),
        submitted=submitted,
    )


def start_attempt(user, exam: Exam, *, now=None) -> ExamAttempt:
    """A new attempt for `user`, or the one they have in progress. Raises ExamError."""
    now = now or timezone.now()
    check_window(exam, now)
    with transaction.atomic():
        # One start at a time per person: two taps on "start" must not make two attempts.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        attempts = ExamAttempt.objects.filter(exam=exam, user=user)
        for attempt in attempts.filter(submitted_at__isnull=True).order_by("-started_at"):
            if _is_live(attempt, now):
                return attempt
        if attempts.count() >= exam.max_attempts:
            raise ExamError("no_attempts_left", max_attempts=exam.max_attempts)
        rng = random.Random(secrets.randbits(64))
        questions = _draw_questions(exam, rng)
        paper = exam_rules.build_paper(
            [q.pk for q in questions],
            {q.pk: key_of(q) for q in questions},
            shuffle=exam.shuffle_options,
            rng=rng,
        )
        deadline = now + timedelta(minutes=exam.time_limit_minutes)
        if exam.closes_at and exam.closes_at < deadline:
            deadline = exam.closes_at
        return ExamAttempt.objects.create(
            exam=exam,
            user=user,
            started_at=now,
            deadline=deadline,
            paper=paper,
            answers={TOKEN_KEY: secrets.token_urlsafe(24)},
        )


def token_of(attempt: ExamAttempt) -> str:
    """The token the paper's form must carry; empty once the attempt is submitted."""
    answers = attempt.answers if isinstance(attempt.answers, dict) else {}
    token = answers.get(TOKEN_KEY, "")
    return token if isinstance(token, str) else ""


def seconds_left(attempt: ExamAttempt, *, now=None) -> int:
    now = now or timezone.now()
    return max(0, int((attempt.deadline - now).total_seconds()))


def is_expired(attempt: ExamAttempt, *, now=None) -> bool:
    """Unsubmitted and past the deadline and its grace: no answers are accepted any more."""
    now = now or timezone.now()
    return attempt.submitted_at is None and now > attempt.deadline + GRACE


# --------------------------------------------------------------------------- the paper


@dataclass
class Option:
    position: int  # as shown, 0-based: what the form sends back
    label: str  # A, B, C … as shown
    text: str
    chosen: bool = False
    correct: bool = False


@dataclass
class Item:
    number: int  # 1-based
    question_id: int
    kind: str
    text: str
    options: list[Option]
    chosen: list[int] = field(default_factory=list)  # shown positions
    correct: list[int] = field(default_factory=list)  # shown positions
    right: bool | None = None
    explanation: str = ""

    @property
    def multiple(self) -> bool:
        return self.kind == Question.Kind.MULTIPLE

    @property
    def kind_label(self) -> str:
        return str(Question.Kind(self.kind).label) if self.kind in Question.Kind.values else ""


def _questions_of(attempt: ExamAttempt) -> dict[int, Question]:
    ids = [item.get("question") for item in attempt.paper if isinstance(item, dict)]
    return Question.objects.in_bulk([i for i in ids if isinstance(i, int)])


def _shown_options(question: Question, order) -> list[Option]:
    options = question.options if isinstance(question.options, list) else []
    shown = []
    for position, original in enumerate(order):
        if isinstance(original, int) and 0 <= original < len(options):
            shown.append(
                Option(
                    position=position,
                    label=OPTION_LABELS[position % 26],
                    text=str(options[original]),
                )
            )
    return shown


def paper_items(attempt: ExamAttempt) -> list[Item]:
    """The questions of an attempt as shown, without answers (for the answer sheet)."""
    questions = _questions_of(attempt)
    items = []
    for item in attempt.paper:
        question = questions.get(item.get("question"))
        if question is None:  # deleted since the attempt started
            continue
        items.append(
            Item(
                number=len(items) + 1,
                question_id=question.pk,
                kind=question.kind,
                text=question.text,
                options=_shown_options(question, item.get("order", [])),
            )
        )
    return items


# --------------------------------------------------------------------------- submitting


def _token_matches(attempt: ExamAttempt, token) -> bool:
    expected = token_of(attempt)
    return bool(expected) and isinstance(token, str) and secrets.compare_digest(expected, token)


def submit_attempt(attempt: ExamAttempt, answers, *, token, now=None) -> ExamAttempt:
    """Grade and record `answers` ({question id: [shown positions]}). Raises ExamError.

    Refused, in this order: already submitted, wrong token, over time (deadline + grace),
    exam closed (closing time + grace). Two concurrent submissions: the row is locked
    (PostgreSQL) and the update only applies to an unsubmitted attempt, so one wins and
    the other is refused as already submitted.
    """
    now = now or timezone.now()
    if not isinstance(answers, dict):
        answers = {}
    with transaction.atomic():
        locked = ExamAttempt.objects.select_for_update().get(pk=attempt.pk)
        exam = Exam.objects.get(pk=locked.exam_id)
        if locked.submitted_at is not None:
            raise ExamError("already_submitted")
        if not _token_matches(locked, token):
            raise ExamError("bad_token")
        if now > locked.deadline + GRACE:
            raise ExamError("over_time")
        if exam.closes_at and now > exam.closes_at + GRACE:
            raise ExamError("closed")
        questions = _questions_of(locked)
        keys = {qid: key_of(q) for qid, q in questions.items()}
        outcome = exam_rules.grade(locked.paper, keys, answers, pass_mark=exam.pass_mark)
        chosen = exam_rules.normalise_answers(locked.paper, answers)
        stored = {str(qid): sorted(c) for qid, c in chosen.items() if c}
        updated = ExamAttempt.objects.filter(pk=locked.pk, submitted_at__isnull=True).update(
            submitted_at=now, score=outcome.score, passed=outcome.passed, answers=stored
        )
        if not updated:
            raise ExamError("already_submitted")
    attempt.refresh_from_db()
    if outcome.passed:
        from .progress import exam_passed

        exam_passed(attempt.user, exam)
    return attempt


# --------------------------------------------------------------------------- review


def review(attempt: ExamAttempt) -> list[Item]:
    """Per question, in the order shown: text, options, chosen, correct, explanation.

    Only after submission (ExamError "not_submitted" before: the answers must not leak).
    """
    if attempt.submitted_at is None:
        raise ExamError("not_submitted")
    questions = _questions_of(attempt)
    answers = attempt.answers if isinstance(attempt.answers, dict) else {}
    items = []
    for entry in attempt.paper:
        question = questions.get(entry.get("question"))
        if question is None:
            continue
        order = entry.get("order", [])
        key = key_of(question)
        chosen_original = _clean_indexes(answers.get(str(question.pk), []))
        chosen = exam_rules.to_shown(order, chosen_original)
        correct = exam_rules.to_shown(order, key.answer)
        options = _shown_options(question, order)
        for option in options:
            option.chosen = option.position in chosen
            option.correct = option.position in correct
        items.append(
            Item(
                number=len(items) + 1,
                question_id=question.pk,
                kind=question.kind,
                text=question.text,
                options=options,
                chosen=chosen,
                correct=correct,
                right=exam_rules.is_right(key, chosen_original),
                explanation=question.explanation,
            )
        )
    return items
