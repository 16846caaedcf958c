"""Competition results engine with no Django: from judges' criterion scores to a ranking.

The input is a long-form table, one row per score, with the columns ``contestant, stage, judge,
criterion, score`` (all read as strings; codes are compared after trimming spaces). ``Rules``
name the stages, their criteria, the tie-breakers and the awards. The rules, in the order they
apply:

- A judge's *total* for a contestant in a stage is the sum of their criterion scores. Each score
  lies in [0, max] on the criterion's step, and a judge who scored a contestant in a stage scored
  every criterion of that stage.
- Standardisation (``standardise``, for rotating panels): each judge's totals in the stage become
  z-scores (population standard deviation) mapped back onto the mean and population standard
  deviation of all totals in the stage. A judge with fewer than two contestants in the stage, or
  with no spread, is left as is. This happens before the panel score.
- Panel score per contestant and stage: the mean of the judges' (adjusted) totals; ``trimmed``
  first drops the ``trim`` highest and ``trim`` lowest when at least ``min_judges`` judges scored,
  and is a plain mean otherwise. It is rounded half-up to 2 decimals and published; the
  published figure is the one used from then on.
- Total: the sum of stage weight × published stage score, rounded half-up to 2 decimals. A
  contestant with no scores in a stage has an empty score there, which counts as 0 in the total
  and as a tie-breaker.
- Ranking: by total, then by each tie-breaker stage's published score in order, higher first.
  Contestants still tied share a rank (1, 2, 2, 4) and are listed by contestant code.
- Awards, in order, over the N ranked contestants: award i goes to the positions up to
  round-half-up(N × (share_1 + … + share_i)) that have no higher award, and to everyone who
  shares a rank with someone who gets it.

Every figure that reaches a published number is Decimal arithmetic, rounded half-up explicitly;
the intermediate context (34 digits) is fixed here, whatever the caller's context is. Pandas and
numpy only reshape and group: rows become integer codes, a judge's total is summed in integers
(scores × 10^k, exact) and made a Decimal once per sheet, and Python runs once per distinct score,
sheet or contestant rather than once per row, so 1,000 contestants × 7 judges × 8 criteria rank
in well under a second (``scripts/bench_scoring.py``).

Everything needed to recompute a ranking is exportable: ``scores_to_csv`` and ``rules_to_dict``
(Decimals as strings, so they round-trip exactly). ``write_ranking_csv`` writes every figure in
plain form with the two decimals it was published with, so recomputing from the exports gives a
byte-identical ranking CSV.

Problems are raised as ``ScoringError`` with a stable ``code`` (all listed in ``ERROR_CODES``),
``params`` for the message and, for score files, the 1-based data ``row``; the Django layer turns
codes into translated messages.

Command line: ``python -m competitions.scoring SCORES.csv RULES.json`` prints the ranking CSV; on
an error it prints one line to stderr and exits with status 2.
"""

import argparse
import csv
import functools
import io
import json
import os
import re
import statistics
import sys
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext

import numpy as np
import pandas as pd

from people.cells import neutralise_cell

ZERO = Decimal(0)
ONE = Decimal(1)
CENT = Decimal("0.01")
AGGREGATES = ("mean", "trimmed")
SCORE_COLUMNS = ("contestant", "stage", "judge", "criterion", "score")
# Ranking columns other than the stages; a stage may not take one of these codes.
RESERVED_CODES = ("rank", "contestant", "total", "award")

# Intermediate precision for means and standard deviations; publishing rounds half-up itself.
_CONTEXT = Context(prec=34, rounding=ROUND_HALF_EVEN)
# A score in plain decimal notation: no exponent, no thousands separators.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")

_MESSAGES = {
    # Rules
    "missing_field": "the rules lack {field}",
    "unknown_field": "the rules have an unknown field {field}",
    "bad_value": "{field} has an unusable value {value!r}",
    "bad_number": "{field} is not a number: {value!r}",
    "bad_json": "the rules are not valid JSON (line {line}, column {column}: {reason})",
    "duplicate_stage": "stage {stage!r} is defined twice",
    "reserved_code": "stage code {stage!r} is reserved for a ranking column",
    "bad_weight": "stage {stage!r} has a negative weight {weight}",
    "weights_sum": "the stage weights add up to {total}, not 1",
    "unknown_aggregate": "stage {stage!r} has an unknown aggregate {aggregate!r} (mean or trimmed)",
    "bad_trim": "stage {stage!r} trims {trim} totals from each end, fewer than 0",
    "bad_min_judges": "stage {stage!r} trims from {min_judges} judges, fewer than 1",
    "trim_too_large": (
        "stage {stage!r} trims {trim} totals from each end, so min_judges ({min_judges}) "
        "must be more than twice that"
    ),
    "stage_without_criteria": "stage {stage!r} has no criteria",
    "duplicate_criterion": "criterion {criterion!r} appears twice in stage {stage!r}",
    "bad_max": "criterion {criterion!r} has a maximum {max}, which is not above 0",
    "bad_step": "criterion {criterion!r} has a step {step}, which is not above 0",
    "max_off_step": (
        "criterion {criterion!r} has a maximum {max} that is not a multiple of its step {step}"
    ),
    "unknown_tie_breaker": "tie-breaker {stage!r} is not a stage",
    "bad_share": "award {award!r} has a share {share}, which is not above 0",
    "duplicate_award": "award {award!r} is defined twice",
    "shares_over_one": "the award shares add up to {total}, more than 1",
    # Score files
    "bad_encoding": "the file is not UTF-8 text",
    "bad_csv": "the file is not readable CSV ({reason})",
    "duplicate_column": "the column {column!r} appears twice",
    "extra_fields": "the row has {found} fields but the header has {expected}",
    "missing_column": "the scores lack the column {column!r}",
    "missing_value": "the {column} is empty",
    "unknown_stage": "stage {stage!r} is not in the rules",
    "unknown_criterion": "criterion {criterion!r} is not a criterion of stage {stage!r}",
    "out_of_bounds": "score {score} for criterion {criterion!r} is outside 0 to {max}",
    "off_step": "score {score} for criterion {criterion!r} is not a multiple of its step {step}",
    "duplicate_score": (
        "judge {judge!r} already scored contestant {contestant!r} on criterion {criterion!r} "
        "in stage {stage!r} (row {first_row})"
    ),
    "missing_criterion": (
        "judge {judge!r} scored contestant {contestant!r} in stage {stage!r} "
        "but not on criterion {criterion!r}"
    ),
    # Results
    "bad_advancement": (
        "advancement needs either top_n (1 or more) or top_share (above 0, at most 1)"
    ),
    "missing_group": "contestant {contestant!r} has no group",
}
ERROR_CODES = tuple(_MESSAGES)


class ScoringError(ValueError):
    """Bad rules or scores. ``code`` is stable, ``params`` fill its message, ``row`` is the
    1-based data row of the score file it concerns (None when it concerns no single row)."""

    def __init__(self, code: str, *, row: int | None = None, **params):
        self.code = code
        self.row = row
        self.params = params
        message = _MESSAGES[code].format(**params)
        super().__init__(message if row is None else f"row {row}: {message}")


def _exact(function):
    """Run `function` in the module's own Decimal context, whatever the caller's is."""

    @functools.wraps(function)
    def in_context(*args, **kwargs):
        with localcontext(_CONTEXT):
            return function(*args, **kwargs)

    return in_context


def round_half_up(value: Decimal, places: Decimal = CENT) -> Decimal:
    """Round half-up to `places` (2 decimals unless told): 2.345 → 2.35, 2.3449 → 2.34."""
    return value.quantize(places, rounding=ROUND_HALF_UP)


def _round_count(value: Decimal) -> int:
    return int(round_half_up(value, ONE))


# --------------------------------------------------------------------------- rules


def _set(instance, name: str, value) -> None:
    object.__setattr__(instance, name, value)  # the dataclasses are frozen


def _decimal(value, field: str) -> Decimal:
    """A finite Decimal from a string, int or Decimal; a float by its shortest repr (0.1)."""
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str):
        value = value.strip()
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise ScoringError("bad_number", field=field, value=str(value))
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ScoringError("bad_number", field=field, value=value) from None
    if not number.is_finite():
        raise ScoringError("bad_number", field=field, value=str(value))
    return number


def _code(value, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ScoringError("bad_value", field=field, value=str(value))
    return value.strip()


def _integer(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScoringError("bad_value", field=field, value=str(value))
    return value


@dataclass(frozen=True)
class Criterion:
    code: str
    max: Decimal
    step: Decimal

    @_exact
    def __post_init__(self):
        code = _code(self.code, "a criterion code")
        _set(self, "code", code)
        _set(self, "max", _decimal(self.max, f"the maximum of criterion {code!r}"))
        _set(self, "step", _decimal(self.step, f"the step of criterion {code!r}"))
        if self.max <= 0:
            raise ScoringError("bad_max", criterion=code, max=str(self.max))
        if self.step <= 0:
            raise ScoringError("bad_step", criterion=code, step=str(self.step))
        if self.max % self.step:
            raise ScoringError(
                "max_off_step", criterion=code, max=str(self.max), step=str(self.step)
            )


@dataclass(frozen=True)
class StageRule:
    code: str
    weight: Decimal
    aggregate: str  # "mean" or "trimmed"
    trim: int = 1
    min_judges: int = 5
    standardise: bool = False

    def __post_init__(self):
        code = _code(self.code, "a stage code")
        _set(self, "code", code)
        if code in RESERVED_CODES:
            raise ScoringError("reserved_code", stage=code)
        _set(self, "weight", _decimal(self.weight, f"the weight of stage {code!r}"))
        if self.weight < 0:
            raise ScoringError("bad_weight", stage=code, weight=str(self.weight))
        if self.aggregate not in AGGREGATES:
            raise ScoringError("unknown_aggregate", stage=code, aggregate=str(self.aggregate))
        if _integer(self.trim, f"the trim of stage {code!r}") < 0:
            raise ScoringError("bad_trim", stage=code, trim=self.trim)
        if _integer(self.min_judges, f"min_judges of stage {code!r}") < 1:
            raise ScoringError("bad_min_judges", stage=code, min_judges=self.min_judges)
        if self.aggregate == "trimmed" and self.min_judges <= 2 * self.trim:
            raise ScoringError(
                "trim_too_large", stage=code, trim=self.trim, min_judges=self.min_judges
            )
        if not isinstance(self.standardise, bool):
            raise ScoringError(
                "bad_value", field=f"standardise of stage {code!r}", value=str(self.standardise)
            )


@dataclass(frozen=True)
class Award:
    name: str
    share: Decimal

    def __post_init__(self):
        name = _code(self.name, "an award name")
        _set(self, "name", name)
        _set(self, "share", _decimal(self.share, f"the share of award {name!r}"))
        if self.share <= 0:
            raise ScoringError("bad_share", award=name, share=str(self.share))


@dataclass(frozen=True)
class Rules:
    stages: tuple[StageRule, ...]
    criteria: dict[str, tuple[Criterion, ...]]  # stage code -> its criteria
    tie_breakers: tuple[str, ...] = ()  # stage codes, applied in order
    awards: tuple[Award, ...] = ()  # highest first

    def __post_init__(self):
        _set(self, "stages", tuple(self.stages))
        _set(self, "criteria", {stage: tuple(items) for stage, items in self.criteria.items()})
        _set(self, "tie_breakers", tuple(self.tie_breakers))
        _set(self, "awards", tuple(self.awards))
        self._check_stages()
        self._check_criteria()
        self._check_awards()

    @property
    def stage_codes(self) -> tuple[str, ...]:
        return tuple(stage.code for stage in self.stages)

    def stage(self, code: str) -> StageRule:
        for stage in self.stages:
            if stage.code == code:
                return stage
        raise ScoringError("unknown_stage", stage=code)

    def _check_stages(self):
        codes = self.stage_codes
        for code in codes:
            if codes.count(code) > 1:
                raise ScoringError("duplicate_stage", stage=code)
        total = sum((stage.weight for stage in self.stages), ZERO)
        if total != ONE:  # exactly: 0.3 + 0.7 is 1, 0.33 + 0.33 + 0.33 is not
            raise ScoringError("weights_sum", total=str(total))
        for code in self.tie_breakers:
            if code not in codes:
                raise ScoringError("unknown_tie_breaker", stage=str(code))

    def _check_criteria(self):
        for stage in self.criteria:
            if stage not in self.stage_codes:
                raise ScoringError("unknown_stage", stage=str(stage))
        for stage in self.stage_codes:
            items = self.criteria.get(stage, ())
            if not items:
                raise ScoringError("stage_without_criteria", stage=stage)
            codes = [item.code for item in items]
            for code in codes:
                if codes.count(code) > 1:
                    raise ScoringError("duplicate_criterion", stage=stage, criterion=code)

    def _check_awards(self):
        names = [award.name for award in self.awards]
        for name in names:
            if names.count(name) > 1:
                raise ScoringError("duplicate_award", award=name)
        total = sum((award.share for award in self.awards), ZERO)
        if total > ONE:
            raise ScoringError("shares_over_one", total=str(total))


_STAGE_FIELDS = ("code", "weight", "aggregate", "trim", "min_judges", "standardise")
_CRITERION_FIELDS = ("code", "max", "step")
_AWARD_FIELDS = ("name", "share")
_RULES_FIELDS = ("stages", "criteria", "tie_breakers", "awards")


def _fields(data, field: str, known: Sequence[str], required: Sequence[str]) -> dict:
    """`data` as a dict, refusing unknown keys (a misspelt "standardize" must not pass silently)."""
    if not isinstance(data, Mapping):
        raise ScoringError("bad_value", field=field, value=str(data))
    for key in data:
        if key not in known:
            raise ScoringError("unknown_field", field=f"{field}.{key}")
    for key in required:
        if key not in data:
            raise ScoringError("missing_field", field=f"{field}.{key}")
    return dict(data)


def _items(data, field: str) -> list:
    if not isinstance(data, list | tuple):
        raise ScoringError("bad_value", field=field, value=str(data))
    return list(data)


def rules_from_dict(data: Mapping) -> Rules:
    """Rules from their JSON form (see ``rules_to_dict``), validated.

    Decimals may be strings ("0.4"), ints or Decimals (``read_rules_json`` parses JSON numbers
    as Decimal); a float is taken by its shortest repr. ``trim``, ``min_judges``,
    ``standardise``, ``tie_breakers`` and ``awards`` may be left out (1, 5, false, none, none).
    """
    data = _fields(data, "rules", _RULES_FIELDS, required=("stages", "criteria"))
    stages = []
    for index, item in enumerate(_items(data["stages"], "stages")):
        item = _fields(item, f"stages[{index}]", _STAGE_FIELDS, ("code", "weight", "aggregate"))
        stages.append(StageRule(**item))
    if not isinstance(data["criteria"], Mapping):
        raise ScoringError("bad_value", field="criteria", value=str(data["criteria"]))
    criteria = {}
    for stage, items in data["criteria"].items():
        field = f"criteria.{stage}"
        criteria[stage] = tuple(
            Criterion(**_fields(item, f"{field}[{index}]", _CRITERION_FIELDS, _CRITERION_FIELDS))
            for index, item in enumerate(_items(items, field))
        )
    awards = [
        Award(**_fields(item, f"awards[{index}]", _AWARD_FIELDS, _AWARD_FIELDS))
        for index, item in enumerate(_items(data.get("awards", []), "awards"))
    ]
    tie_breakers = _items(data.get("tie_breakers", []), "tie_breakers")
    return Rules(tuple(stages), criteria, tuple(tie_breakers), tuple(awards))


def rules_to_dict(rules: Rules) -> dict:
    """The JSON-ready form of `rules`: Decimals as strings (str(Decimal), exact), the rest as is.

    ``rules_from_dict(rules_to_dict(rules)) == rules`` always holds.
    """
    return {
        "stages": [
            {
                "code": stage.code,
                "weight": str(stage.weight),
                "aggregate": stage.aggregate,
                "trim": stage.trim,
                "min_judges": stage.min_judges,
                "standardise": stage.standardise,
            }
            for stage in rules.stages
        ],
        "criteria": {
            stage: [
                {"code": item.code, "max": str(item.max), "step": str(item.step)}
                for item in rules.criteria[stage]
            ]
            for stage in rules.stage_codes
        },
        "tie_breakers": list(rules.tie_breakers),
        "awards": [{"name": award.name, "share": str(award.share)} for award in rules.awards],
    }


def _read_text(source) -> str:
    """The text of a path or a text/binary file object, decoded as UTF-8 (a BOM is dropped)."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as file:
            data = file.read()
    else:
        data = source.read()
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ScoringError("bad_encoding") from None
    return data.removeprefix("\ufeff")


def read_rules_json(source) -> Rules:
    """Rules from a JSON file (path or file object); JSON numbers are read as Decimals."""
    try:
        data = json.loads(_read_text(source), parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise ScoringError(
            "bad_json", line=error.lineno, column=error.colno, reason=error.msg
        ) from None
    return rules_from_dict(data)


# --------------------------------------------------------------------------- scores


def _cell(value) -> str:
    """A table cell as trimmed text: Decimals in plain notation, missing values empty."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    return str(value).strip()


def read_scores_csv(source) -> pd.DataFrame:
    """The score table of a UTF-8 CSV file (path or file object), every cell a string.

    Header names are trimmed and lower-cased; extra columns are kept (``check_scores`` drops
    them). A short row is padded with empty cells; a blank row stays, so that row numbers keep
    matching the file (``check_scores`` skips it).
    """
    try:
        rows = list(csv.reader(io.StringIO(_read_text(source))))
    except csv.Error as error:
        raise ScoringError("bad_csv", reason=str(error)) from None
    header = [name.strip().lower() for name in rows[0]] if rows else []
    for name in header:
        if name and header.count(name) > 1:
            raise ScoringError("duplicate_column", column=name)
    width = len(header)
    body = rows[1:]
    for number, row in enumerate(body, start=1):
        if len(row) == width:
            continue  # the usual case, checked at C speed by the reader
        if any(cell.strip() for cell in row[width:]):
            raise ScoringError("extra_fields", row=number, found=len(row), expected=width)
        body[number - 1] = (row + [""] * width)[:width]
    return pd.DataFrame(body, columns=header, dtype=str)


def scores_to_csv(frame: pd.DataFrame, target) -> None:
    """Write the five score columns of `frame` as UTF-8 CSV (scores in plain decimal notation),
    to a path or a text file object. ``read_scores_csv`` reads it back unchanged."""
    _require_columns(frame)
    columns = [_texts(frame[column])[0] for column in SCORE_COLUMNS]
    with _text_output(target) as output:
        writer = csv.writer(output, lineterminator="\n")
        writer.writerow(SCORE_COLUMNS)
        writer.writerows(zip(*columns, strict=True))


@contextmanager
def _text_output(target):
    if isinstance(target, str | os.PathLike):
        with open(target, "w", encoding="utf-8", newline="") as file:
            yield file
    else:
        yield target


def _require_columns(frame: pd.DataFrame) -> None:
    for column in SCORE_COLUMNS:
        if column not in frame.columns:
            raise ScoringError("missing_column", column=column)


def _parse_score(text: str, row: int) -> Decimal:
    if not _PLAIN_NUMBER.fullmatch(text):
        raise ScoringError("bad_number", row=row, field="the score", value=text)
    score = Decimal(text)
    return score.copy_abs() if score.is_zero() else score  # "-0" is 0


# The table is checked and computed column-wise: work per row is numpy on integer codes, and
# Python (with Decimal) only runs once per distinct value, judge's sheet or contestant.


def _texts(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The column's cells as ``_cell`` gives them (trimmed text, "" when missing) in an
    object array, and an integer per cell that is equal where the texts are. A column of
    strings is trimmed once per distinct value."""
    if pd.api.types.infer_dtype(column, skipna=True) not in ("string", "empty"):
        texts = np.array([_cell(value) for value in column], dtype=object)
        return texts, pd.factorize(texts)[0]
    codes, distinct = pd.factorize(column.to_numpy(dtype=object))  # missing: code -1 …
    texts = np.array([*(value.strip() for value in distinct), ""], dtype=object)
    same_text = pd.factorize(texts)[0]  # " c1" and "c1" are one code
    return texts[codes], same_text[codes]  # … which picks the last text, ""


def _codes(*columns: np.ndarray) -> np.ndarray:
    """One integer per row for the combination of the columns' values, numbered in order of
    first appearance (0, 1, 2, …). Integer columns are much faster than strings."""
    codes = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        column_codes, distinct = pd.factorize(column)
        codes = pd.factorize(codes * len(distinct) + column_codes)[0]
    return codes


def _first_positions(codes: np.ndarray) -> np.ndarray:
    """Where each code of `_codes` first appears, in code order."""
    seen_before = np.maximum.accumulate(np.concatenate(([-1], codes[:-1])))
    return np.flatnonzero(codes > seen_before)


def _sorted_codes(values: np.ndarray) -> np.ndarray:
    """Codes that sort like the strings they stand for."""
    return pd.factorize(values, sort=True)[0]


@dataclass(frozen=True)
class _Scores:
    """A checked score table: one entry per non-blank row, in input order."""

    contestant: np.ndarray  # object arrays of trimmed codes
    stage: np.ndarray
    judge: np.ndarray
    criterion: np.ndarray
    score_codes: np.ndarray  # which of distinct_scores each row holds
    distinct_scores: list[Decimal]  # as parsed, so 8.5 and 8.50 stay apart
    sheet: np.ndarray  # one code per contestant, stage and judge (see _codes)

    @property
    def score(self) -> np.ndarray:
        return np.array(self.distinct_scores, dtype=object)[self.score_codes]

    def frame(self) -> pd.DataFrame:
        columns = (self.contestant, self.stage, self.judge, self.criterion, self.score)
        if not len(self.score):
            return pd.DataFrame([], columns=list(SCORE_COLUMNS))
        return pd.DataFrame(dict(zip(SCORE_COLUMNS, columns, strict=True)))


@_exact
def check_scores(frame: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Validate the long-form score table and return a normalised copy.

    The copy has the five columns only, codes trimmed, ``score`` as Decimal, fully blank rows
    dropped and the input order kept. The first problem, in row order, raises a
    ``ScoringError`` with its 1-based row number (the position in `frame`, i.e. the data row
    of the CSV): an empty cell, an unknown stage or criterion, a score that is not a plain
    number, out of [0, max] or off the step, a second score for the same contestant, stage,
    judge and criterion; then a judge who scored a contestant in a stage but not every
    criterion of it (reported at the first row of that judge's scores).
    """
    return _checked(frame, rules).frame()


def _checked(frame: pd.DataFrame, rules: Rules) -> _Scores:
    _require_columns(frame)
    criteria = {
        stage: {item.code: item for item in items} for stage, items in rules.criteria.items()
    }
    cells, ids = zip(*(_texts(frame[column]) for column in SCORE_COLUMNS), strict=True)
    filled = [cell != "" for cell in cells]
    kept = np.logical_or.reduce(filled)  # a fully blank row is skipped but keeps its number
    rows = np.flatnonzero(kept) + 1
    cells = [cell[kept] for cell in cells]
    contestant, stage, judge, code, text = cells
    contestant_id, stage_id, judge_id, code_id, text_id = (column[kept] for column in ids)

    # A score is checked once per distinct stage, criterion and text.
    scoring_codes = _codes(stage_id, code_id, text_id)
    firsts = _first_positions(scoring_codes)
    distinct = [_valid_score(stage[i], code[i], text[i], criteria) for i in firsts]
    valid = np.array([score is not None for score in distinct], dtype=bool)[scoring_codes]
    complete = np.logical_and.reduce([cell[kept] for cell in filled])
    sheet = _codes(contestant_id, stage_id, judge_id)
    key = _codes(sheet, code_id)
    repeated = np.ones(len(key), dtype=bool)
    repeated[_first_positions(key)] = False
    wrong = ~(complete & valid) | repeated
    if wrong.any():
        _raise_row_problem(int(np.argmax(wrong)), cells, rows, key, criteria)
    scores = _Scores(contestant, stage, judge, code, scoring_codes, distinct, sheet)
    _check_complete(scores, rows, rules)
    return scores


def _raise_row_problem(at: int, cells: list, rows: np.ndarray, key: np.ndarray, criteria) -> None:
    """Every row before `at` is fine, `at` is not: the row-by-row check names its problem."""
    first_rows = {}
    first = int(np.argmax(key == key[at]))
    if first < at:  # the same score was given before
        first_rows[tuple(cell[at] for cell in cells[:4])] = int(rows[first])
    _checked_row([cell[at] for cell in cells], int(rows[at]), criteria, first_rows)
    raise AssertionError(f"row {rows[at]} passed its check")  # pragma: no cover


def _valid_score(stage: str, code: str, text: str, criteria: dict) -> Decimal | None:
    """The score `text` stands for when it is a valid one for the criterion, else None."""
    criterion = criteria.get(stage, {}).get(code)
    if criterion is None or not _PLAIN_NUMBER.fullmatch(text):
        return None
    score = _parse_score(text, 0)
    try:
        if ZERO <= score <= criterion.max and not score % criterion.step:
            return score
    except ArithmeticError:
        pass  # the row-by-row check raises it again, in its place
    return None


def _checked_row(cells: list[str], row: int, criteria: dict, first_rows: dict) -> list:
    for column, cell in zip(SCORE_COLUMNS, cells, strict=True):
        if not cell:
            raise ScoringError("missing_value", row=row, column=column)
    contestant, stage, judge, code, text = cells
    if stage not in criteria:
        raise ScoringError("unknown_stage", row=row, stage=stage)
    criterion = criteria[stage].get(code)
    if criterion is None:
        raise ScoringError("unknown_criterion", row=row, stage=stage, criterion=code)
    score = _parse_score(text, row)
    if not ZERO <= score <= criterion.max:
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


def _check_complete(scores: _Scores, rows: np.ndarray, rules: Rules) -> None:
    # Rows are valid and unique by now, so a sheet is complete when it has as many rows as
    # the stage has criteria. Sheets are numbered in order of their first row, so the lowest
    # incomplete one is the one to report.
    sheet = scores.sheet
    firsts = _first_positions(sheet)
    needed = np.array([len(rules.criteria[stage]) for stage in scores.stage[firsts]], dtype=int)
    incomplete = np.flatnonzero(np.bincount(sheet, minlength=len(firsts)) < needed)
    if not len(incomplete):
        return
    first = firsts[incomplete[0]]
    stage = scores.stage[first]
    scored = set(scores.criterion[sheet == incomplete[0]])
    missing = next(item.code for item in rules.criteria[stage] if item.code not in scored)
    raise ScoringError(
        "missing_criterion",
        row=int(rows[first]),
        contestant=scores.contestant[first],
        stage=stage,
        judge=scores.judge[first],
        criterion=missing,
    )


# --------------------------------------------------------------------------- computing


def _mean(values: Iterable[Decimal]) -> Decimal:
    values = list(values)
    return sum(values, ZERO) / len(values)


@dataclass(frozen=True)
class _Totals:
    """Each judge's total per contestant and stage, in stage order, then by contestant and
    judge: one entry per judge's sheet."""

    contestant: np.ndarray  # object arrays
    stage: np.ndarray
    judge: np.ndarray
    total: np.ndarray  # object arrays of Decimal
    adjusted: np.ndarray

    def frame(self) -> pd.DataFrame:
        columns = {
            "contestant": self.contestant,
            "stage": self.stage,
            "judge": self.judge,
            "total": self.total,
            "adjusted": self.adjusted,
        }
        if not len(self.total):
            return pd.DataFrame(columns=list(columns))
        return pd.DataFrame(columns)

    def groups(self, *columns: np.ndarray) -> Iterable[tuple[int, int]]:
        """(start, end) of each run of entries sharing the values of `columns`."""
        if not len(self.total):
            return []
        starts = np.zeros(len(self.total), dtype=bool)
        starts[0] = True
        for column in columns:
            starts[1:] |= column[1:] != column[:-1]
        starts = np.flatnonzero(starts).tolist()
        return zip(starts, [*starts[1:], len(self.total)], strict=True)


def _totals(scores: _Scores, rules: Rules) -> _Totals:
    """Sum each sheet in integers (scores × 10^places), then build its Decimal."""
    sheet = scores.sheet
    firsts = _first_positions(sheet)
    position = {code: index for index, code in enumerate(rules.stage_codes)}
    stage_position = np.array([position[code] for code in scores.stage[firsts]], dtype=np.int64)
    order = np.lexsort(
        (
            _sorted_codes(scores.judge[firsts]),
            _sorted_codes(scores.contestant[firsts]),
            stage_position,
        )
    )
    units, exponents, places = _scaled_scores(scores, rules)
    sums = np.zeros(len(firsts), dtype=units.dtype)
    np.add.at(sums, sheet, units)
    # A Decimal sum keeps the finest exponent of its terms (8.5 + 4.00 is 12.50), and of 0.
    smallest = np.zeros(len(firsts), dtype=np.int64)
    np.minimum.at(smallest, sheet, exponents)
    totals = [
        _decimal_of(int(units_sum), places, int(exponent))
        for units_sum, exponent in zip(sums[order], smallest[order], strict=True)
    ]
    for index in [index for index, total in enumerate(totals) if total is None]:
        in_sheet = sheet == order[index]  # beyond 34 digits: add as Decimals, in row order
        totals[index] = sum(scores.score[in_sheet], ZERO)
    total = np.array(totals, dtype=object)
    result = _Totals(
        scores.contestant[firsts][order],
        scores.stage[firsts][order],
        scores.judge[firsts][order],
        total,
        total.copy(),
    )
    for stage in rules.stages:
        if stage.standardise:
            _standardise(result, stage.code)
    return result


def _scaled_scores(scores: _Scores, rules: Rules) -> tuple[np.ndarray, np.ndarray, int]:
    """Each score as an integer number of 10^-places (places: the most decimals any score
    has), its Decimal exponent, and places. int64 when no sheet can overflow it."""
    parts = [score.as_tuple() for score in scores.distinct_scores]
    exponents = [int(exponent) for _sign, _digits, exponent in parts]
    places = max([0, *(-exponent for exponent in exponents)])
    units = [
        int("".join(map(str, digits))) * 10 ** (places + exponent)
        for _sign, digits, exponent in parts  # scores are never negative
    ]
    widest = max(len(items) for items in rules.criteria.values())  # a sheet's most rows
    fits = max(units, default=0) * widest < 2**62
    codes = scores.score_codes
    units_array = np.array(units, dtype=np.int64 if fits else object)
    return units_array[codes], np.array(exponents, dtype=np.int64)[codes], places


def _decimal_of(units: int, places: int, exponent: int) -> Decimal | None:
    """units × 10^-places as a Decimal with `exponent`, None beyond the context's 34 digits
    (where adding Decimals one by one would round)."""
    coefficient = units // 10 ** (places + exponent)
    if coefficient >= 10**34:
        return None
    return Decimal(coefficient).scaleb(exponent)


def _standardise(totals: _Totals, stage: str) -> None:
    """Map each judge's totals in `stage` onto the stage's mean and population standard
    deviation (``statistics`` on Decimals: exact sums, correctly rounded results)."""
    in_stage = np.flatnonzero(totals.stage == stage)
    if not len(in_stage):
        return
    stage_totals = totals.total[in_stage]
    centre = statistics.mean(stage_totals)
    scale = statistics.pstdev(stage_totals)
    judge_of = _codes(totals.judge[in_stage])
    for judge in range(judge_of.max() + 1):
        group = in_stage[judge_of == judge]
        if len(group) < 2:
            continue  # one contestant says nothing about how the judge scores (spread 0)
        given = totals.total[group]
        judge_mean = statistics.mean(given)
        judge_scale = statistics.pstdev(given)
        if judge_scale == 0:
            continue  # no spread to map
        totals.adjusted[group] = [
            centre + scale * (total - judge_mean) / judge_scale for total in given
        ]


@_exact
def judge_totals(frame: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Each judge's total per contestant and stage: columns contestant, stage, judge, total
    (the raw sum) and adjusted (standardised where the stage says so, else the total).
    Rows in stage order, then by contestant and judge."""
    return _totals(_checked(frame, rules), rules).frame()


def _panel_score(totals: Iterable[Decimal], stage: StageRule) -> Decimal:
    totals = sorted(totals)
    if stage.aggregate == "trimmed" and len(totals) >= stage.min_judges:
        totals = totals[stage.trim : len(totals) - stage.trim]
    return round_half_up(_mean(totals))


def _published(totals: _Totals, rules: Rules) -> list[tuple[str, str, Decimal, int]]:
    """(contestant, stage, published score, judges) in stage order, then by contestant."""
    stage_rules = {stage.code: stage for stage in rules.stages}
    adjusted = totals.adjusted.tolist()
    return [
        (
            totals.contestant[start],
            totals.stage[start],
            _panel_score(adjusted[start:end], stage_rules[totals.stage[start]]),
            end - start,
        )
        for start, end in totals.groups(totals.stage, totals.contestant)
    ]


@_exact
def stage_scores(frame: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """The published panel score per contestant and stage: columns contestant, stage, score
    (Decimal, 2 decimals) and judges (how many judges scored). A contestant with no scores in a
    stage has no row for it. Rows in stage order, then by contestant."""
    published = _published(_totals(_checked(frame, rules), rules), rules)
    table = pd.DataFrame(published, columns=["contestant", "stage", "score", "judges"])
    return table.astype({"stage": "str", "judges": "int64"})  # even when empty


def _competition_ranks(keys: Sequence) -> list[int]:
    """Ranks of sorted keys: equal keys share a rank and the next rank skips (1, 2, 2, 4)."""
    ranks: list[int] = []
    for position, key in enumerate(keys, start=1):
        shares_rank = position > 1 and key == keys[position - 2]
        ranks.append(ranks[-1] if shares_rank else position)
    return ranks


def _awards(ranks: Sequence[int], awards: Sequence[Award]) -> list[str]:
    given = [""] * len(ranks)
    cumulative_share = ZERO
    for award in awards:
        cumulative_share += award.share
        count = _round_count(len(ranks) * cumulative_share)
        for position in range(count):
            given[position] = given[position] or award.name
        # Whoever shares a rank with a winner wins the same, even past the count.
        winning_ranks = {
            rank for rank, name in zip(ranks, given, strict=True) if name == award.name
        }
        for position, rank in enumerate(ranks):
            if not given[position] and rank in winning_ranks:
                given[position] = award.name
    return given


@_exact
def rank(frame: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """The published ranking: columns rank, contestant, one per stage code (the published stage
    score, None when the contestant has no scores there), total and award ("" when none).
    Sorted by rank, then by contestant code."""
    codes = list(rules.stage_codes)
    table: dict[str, dict[str, Decimal | None]] = {}
    for contestant, stage, score, _judges in _published(
        _totals(_checked(frame, rules), rules), rules
    ):
        table.setdefault(contestant, dict.fromkeys(codes))[stage] = score

    entries = []
    for contestant, scores in table.items():
        total = round_half_up(
            sum((stage.weight * (scores[stage.code] or ZERO) for stage in rules.stages), ZERO)
        )
        tie_breaks = tuple(scores[code] or ZERO for code in rules.tie_breakers)
        entries.append((contestant, scores, total, tie_breaks))

    # Higher total first, then higher tie-breaker scores; equal keys are listed by code.
    entries.sort(key=lambda entry: (_negated(entry[2], entry[3]), str(entry[0])))
    ranks = _competition_ranks([_negated(entry[2], entry[3]) for entry in entries])
    awards = _awards(ranks, rules.awards)
    records = [
        {"rank": rank_, "contestant": contestant, **scores, "total": total, "award": award}
        for rank_, (contestant, scores, total, _), award in zip(ranks, entries, awards, strict=True)
    ]
    ranking = pd.DataFrame(records, columns=["rank", "contestant", *codes, "total", "award"])
    return ranking.astype({"rank": "int64"})


def _negated(total: Decimal, tie_breaks: tuple[Decimal, ...]) -> tuple[Decimal, ...]:
    return (-total, *(-score for score in tie_breaks))


def write_ranking_csv(ranking: pd.DataFrame, target) -> None:
    """Write `ranking` as UTF-8 CSV with "\\n" line ends to a path or a text file object.
    Decimals are written in plain notation as published ("87.50"), missing scores empty; text
    a spreadsheet would run as a formula (an award named "=…") gets a leading apostrophe."""
    with _text_output(target) as output:
        writer = csv.writer(output, lineterminator="\n")
        writer.writerow(ranking.columns)
        for values in ranking.itertuples(index=False, name=None):
            writer.writerow(
                neutralise_cell(_cell(value)) if isinstance(value, str) else _cell(value)
                for value in values
            )


# --------------------------------------------------------------------------- using a ranking


@_exact
def team_ranking(
    ranking: pd.DataFrame, unit_of: Mapping[str, object], min_members: int = 1
) -> pd.DataFrame:
    """Units ranked by the mean total of their ranked members: columns rank, unit, members and
    mean_total (rounded half-up to 2 decimals). Contestants without a unit are left out, and so
    are units with fewer than `min_members` members. Equal means share a rank; units in a
    shared rank are listed by str(unit)."""
    if isinstance(min_members, bool) or not isinstance(min_members, int) or min_members < 1:
        raise ScoringError("bad_value", field="min_members", value=str(min_members))
    members = ranking[ranking["contestant"].isin(list(unit_of))]
    units = pd.DataFrame(
        {
            "unit": [unit_of[contestant] for contestant in members["contestant"]],
            "total": [_decimal(total, "a total") for total in members["total"]],
        }
    )
    teams = (
        units.groupby("unit", sort=False, dropna=False)["total"]
        .agg(members="size", mean_total=lambda totals: round_half_up(_mean(totals)))
        .reset_index()
    )
    teams = teams[teams["members"] >= min_members]
    order = sorted(
        teams.itertuples(index=False), key=lambda team: (-team.mean_total, str(team.unit))
    )
    ranks = _competition_ranks([team.mean_total for team in order])
    return pd.DataFrame(
        [
            {
                "rank": rank_,
                "unit": team.unit,
                "members": team.members,
                "mean_total": team.mean_total,
            }
            for rank_, team in zip(ranks, order, strict=True)
        ],
        columns=["rank", "unit", "members", "mean_total"],
    )


@_exact
def advancing(
    ranking: pd.DataFrame,
    group_of: Mapping[str, object],
    top_n: int | None = None,
    top_share: Decimal | None = None,
) -> list[str]:
    """The contestants who advance, in ranking order: in each group (e.g. district) the top
    `top_n`, or the top `top_share` of the group (round-half-up(size × share), at least 1);
    give exactly one of the two. Everyone tied (same rank) with the last one in advances too.
    Every ranked contestant must have a group ("missing_group")."""
    quota = _quota_rule(top_n, top_share)
    ordered = ranking.sort_values(["rank", "contestant"], kind="stable")
    for contestant in ordered["contestant"]:
        if contestant not in group_of:
            raise ScoringError("missing_group", contestant=str(contestant))
    ordered = ordered.assign(group=[group_of[contestant] for contestant in ordered["contestant"]])
    chosen = set()
    for _group, members in ordered.groupby("group", sort=False, dropna=False):
        count = min(quota(len(members)), len(members))
        last_rank = members["rank"].iloc[count - 1]
        chosen.update(members.loc[members["rank"] <= last_rank, "contestant"])
    return [contestant for contestant in ordered["contestant"] if contestant in chosen]


def _quota_rule(top_n, top_share):
    """The number of places a group of a given size gets."""
    if (top_n is None) == (top_share is None):
        raise ScoringError("bad_advancement")
    if top_n is not None:
        if isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1:
            raise ScoringError("bad_advancement")
        return lambda size: top_n
    share = _decimal(top_share, "top_share")
    if not ZERO < share <= ONE:
        raise ScoringError("bad_advancement")
    return lambda size: max(1, _round_count(size * share))


@_exact
def spread(frame: pd.DataFrame, rules: Rules, stage: str) -> pd.DataFrame:
    """How far the judges' raw totals lie apart, per contestant in `stage`: columns contestant,
    judges, min_total, max_total and spread (max - min). Widest spread first, then by
    contestant."""
    rules.stage(stage)  # unknown_stage
    totals = judge_totals(frame, rules)
    in_stage = totals[totals["stage"] == stage]
    result = (
        in_stage.groupby("contestant", sort=False)["total"]
        .agg(judges="size", min_total="min", max_total="max")
        .reset_index()
    )
    result["spread"] = result["max_total"] - result["min_total"]
    return result.sort_values(
        ["spread", "contestant"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


# --------------------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None, stdout=None, stderr=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m competitions.scoring",
        description="Print the ranking CSV computed from a score CSV and a rules JSON file.",
    )
    parser.add_argument("scores", help="CSV with columns contestant,stage,judge,criterion,score")
    parser.add_argument("rules", help="JSON rules (stages, criteria, tie_breakers, awards)")
    args = parser.parse_args(argv)
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        rules = _load(read_rules_json, args.rules)
        ranking = _load(lambda path: rank(read_scores_csv(path), rules), args.scores)
    except _LoadError as error:
        print(f"{parser.prog}: {error}", file=stderr)
        return 2
    write_ranking_csv(ranking, stdout)
    return 0


class _LoadError(Exception):
    pass


def _load(reader, path: str):
    """Run `reader` on `path`, turning its errors into one line that names the file."""
    try:
        return reader(path)
    except ScoringError as error:
        raise _LoadError(f"{path}: {error}") from error
    except OSError as error:
        raise _LoadError(f"{path}: {error.strerror or error}") from error


if __name__ == "__main__":
    sys.stdout.reconfigure(encoding="utf-8")
    sys.stderr.reconfigure(encoding="utf-8", errors="backslashreplace")
    sys.exit(main())
