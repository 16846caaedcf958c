"""Import a question bank (题库) from an .xlsx, .xls or .csv file, all or nothing.

The file is read by the roster reader (`people.roster.reader.read_table`: format detection,
header search, limits); this module knows the question bank's columns and how a row becomes a
Question. Headers (a fixed Chinese data format, not UI text, so not translated):

    题型   单选 / 多选 / 判断 (also 单选题, 单项选择题, 多选题, 多项选择题, 判断题 …)
    题目   the question
    选项A … 选项F   the options; empty ones are skipped (判断 has fixed options 正确 / 错误)
    答案   letters naming options: "A", "ABD", "A,B", "A、B"; 判断 also 对/错/正确/错误/√/×
    解析   explanation shown after submission (optional)
    分类   category, used by the random draw
    难度   易/中/难 or 1/2/3 (optional; 中 when empty)

Answer letters name the option columns (C is 选项C even when 选项B is empty). Every problem
is reported with its row number, column and reason; if there is any, nothing is written.
"""

import re
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy

from people.phones import to_halfwidth
from people.roster.messages import SheetProblem
from people.roster.reader import RosterFileError, read_table
from people.roster.rules import cell_text

from .models import Question

OPTION_LETTERS = "ABCDEF"
OPTION_KEYS = tuple(f"option_{letter.lower()}" for letter in OPTION_LETTERS)
TRUE_FALSE_OPTIONS = ("正确", "错误")
CATEGORY_MAX = Question._meta.get_field("category").max_length
MAX_ROWS = 5000

# column key -> (canonical header, aliases)
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "kind": ("题型", ("题目类型", "试题类型", "类型")),
    "text": ("题目", ("题干", "试题", "题目内容", "试题内容")),
    **{
        key: (f"选项{letter}", (letter, f"{letter}选项", f"选项{letter.lower()}"))
        for key, letter in zip(OPTION_KEYS, OPTION_LETTERS, strict=True)
    },
    "answer": ("答案", ("正确答案", "参考答案", "标准答案")),
    "explanation": ("解析", ("答案解析", "试题解析", "题目解析")),
    "category": ("分类", ("类别", "题库分类", "知识点", "题目分类")),
    "difficulty": ("难度", ("难易程度", "难易度", "难度等级")),
}
HEADERS = {key: header for key, (header, _aliases) in COLUMNS.items()}
REQUIRED = ("kind", "text", "answer", "category")

KINDS = {
    **dict.fromkeys(("单选", "单选题", "单项选择", "单项选择题", "单择题"), Question.Kind.SINGLE),
    **dict.fromkeys(
        ("多选", "多选题", "多项选择", "多项选择题", "不定项", "不定项选择题"),
        Question.Kind.MULTIPLE,
    ),
    **dict.fromkeys(("判断", "判断题", "是非", "是非题", "对错题"), Question.Kind.TRUE_FALSE),
}
TRUE_WORDS = frozenset({"对", "正确", "√", "✓", "✔", "是", "A", "T", "TRUE", "Y"})
FALSE_WORDS = frozenset({"错", "错误", "×", "✗", "✘", "X", "否", "B", "F", "FALSE", "N"})
DIFFICULTIES = {
    **dict.fromkeys(("易", "简单", "容易", "1"), Question.Difficulty.EASY),
    **dict.fromkeys(("中", "中等", "一般", "适中", "2"), Question.Difficulty.MEDIUM),
    **dict.fromkeys(("难", "困难", "较难", "3"), Question.Difficulty.HARD),
}

_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_HEADER_MARKS = re.compile(r"^\*+|\*+$|\((必填|选填|非必填|可选)\)$")
_ANSWER_SEPARATORS = re.compile(rf"[\s,，、;；/|{_INVISIBLE}]+")

MESSAGES = {
    # Rows
    "missing_kind": gettext_lazy("the question type is required: 单选, 多选 or 判断."),
    "unknown_kind": gettext_lazy("“%(value)s” is not a question type; write 单选, 多选 or 判断."),
    "missing_text": gettext_lazy("the question text is required."),
    "too_few_options": gettext_lazy(
        "a choice question needs at least 2 options; this row has %(count)s."
    ),
    "missing_answer": gettext_lazy("the answer is required."),
    "invalid_answer": gettext_lazy(
        "“%(value)s” is not an answer; write the letters of the right options, such as A or ABD."
    ),
    "answer_not_an_option": gettext_lazy("the answer names option %(letter)s, which is empty."),
    "single_with_many_answers": gettext_lazy(
        "a single-choice question has exactly one answer, not “%(value)s”; use 多选 for several."
    ),
    "invalid_true_false": gettext_lazy(
        "“%(value)s” is not an answer to a true-or-false question; write 对 or 错."
    ),
    "missing_category": gettext_lazy("the category is required."),
    "category_too_long": gettext_lazy("the category is longer than %(max)s characters."),
    "unknown_difficulty": gettext_lazy("“%(value)s” is not a difficulty; write 易, 中 or 难."),
    # The file
    "no_header": gettext_lazy(
        "No header row was found. The first rows must contain the template's headers, such as 题型, 题目 and 答案."
    ),
    "no_questions": gettext_lazy("The file has no questions below its header row."),
}


@dataclass(frozen=True)
class RowError(SheetProblem):
    messages = MESSAGES


@dataclass
class ImportResult:
    created: int
    errors: list[RowError]

    @property
    def ok(self) -> bool:
        return not self.errors


# --------------------------------------------------------------------------- headers


def _header_form(text: str) -> str:
    text = re.sub(rf"[\s{_INVISIBLE}]+", "", to_halfwidth(text or ""))
    previous = None
    while text != previous:
        previous, text = text, _HEADER_MARKS.sub("", text)
    return text.upper()


_HEADER_KEYS = {
    _header_form(text): key
    for key, (header, aliases) in COLUMNS.items()
    for text in (header, *aliases)
}


def match_header(text: str) -> str | None:
    """A header cell → the column key, or None (序号, 备注 … are ignored)."""
    return _HEADER_KEYS.get(_header_form(text))


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class Parsed:
    kind: str
    text: str
    options: list[str]
    answer: list[int]
    explanation: str
    category: str
    difficulty: int


def _text(raw: dict, key: str) -> str:
    return cell_text(raw.get(key))


def parse_kind(text: str) -> str | None:
    return KINDS.get(_header_form(text))


def parse_row(raw: dict[str, object]) -> tuple[Parsed | None, list[tuple[str, str, dict]]]:
    """One row's cells → a question, or its problems as (column key, code, params)."""
    problems: list[tuple[str, str, dict]] = []

    kind_text = _text(raw, "kind")
    kind = parse_kind(kind_text) if kind_text else None
    if not kind_text:
        problems.append(("kind", "missing_kind", {}))
    elif kind is None:
        problems.append(("kind", "unknown_kind", {"value": kind_text}))

    text = _text(raw, "text")
    if not text:
        problems.append(("text", "missing_text", {}))

    options: list[str] = []
    index_of_letter: dict[str, int] = {}
    if kind == Question.Kind.TRUE_FALSE:
        options = list(TRUE_FALSE_OPTIONS)
    elif kind is not None:
        for key, letter in zip(OPTION_KEYS, OPTION_LETTERS, strict=True):
            option = _text(raw, key)
            if option:
                index_of_letter[letter] = len(options)
                options.append(option)
        if len(options) < 2:
            problems.append((OPTION_KEYS[0], "too_few_options", {"count": len(options)}))

    answer_text = _text(raw, "answer")
    answer: list[int] = []
    if not answer_text:
        problems.append(("answer", "missing_answer", {}))
    elif kind == Question.Kind.TRUE_FALSE:
        word = _header_form(answer_text)
        if word in TRUE_WORDS:
            answer = [0]
        elif word in FALSE_WORDS:
            answer = [1]
        else:
            problems.append(("answer", "invalid_true_false", {"value": answer_text}))
    elif kind is not None:
        letters = _ANSWER_SEPARATORS.sub("", to_halfwidth(answer_text)).upper()
        if not letters or not re.fullmatch(r"[A-Z]+", letters):
            problems.append(("answer", "invalid_answer", {"value": answer_text}))
        else:
            chosen = list(dict.fromkeys(letters))
            missing = [letter for letter in chosen if letter not in index_of_letter]
            if missing and len(options) >= 2:
                problems.append(("answer", "answer_not_an_option", {"letter": missing[0]}))
            if kind == Question.Kind.SINGLE and len(chosen) > 1:
                problems.append(("answer", "single_with_many_answers", {"value": answer_text}))
            answer = sorted(
                index_of_letter[letter] for letter in chosen if letter in index_of_letter
            )

    category = _text(raw, "category")
    if not category:
        problems.append(("category", "missing_category", {}))
    elif len(category) > CATEGORY_MAX:
        problems.append(("category", "category_too_long", {"max": CATEGORY_MAX}))

    difficulty_text = _text(raw, "difficulty")
    difficulty = Question.Difficulty.MEDIUM
    if difficulty_text:
        found = DIFFICULTIES.get(_header_form(difficulty_text))
        if found is None:
            problems.append(("difficulty", "unknown_difficulty", {"value": difficulty_text}))
        else:
            difficulty = found

    if problems:
        return None, problems
    return (
        Parsed(
            kind=kind,
            text=text,
            options=options,
            answer=answer,
            explanation=_text(raw, "explanation"),
            category=category,
            difficulty=int(difficulty),
        ),
        [],
    )


# --------------------------------------------------------------------------- import


def _file_error(error: RosterFileError) -> RowError:
    params = dict(error.params)
    if error.code == "missing_columns":
        params["columns"] = [HEADERS.get(key, key) for key in params.get("columns", [])]
    return RowError(code=error.code, params=params)


def check_file(data: bytes, filename: str) -> tuple[list[Parsed], list[RowError]]:
    """Read and check every row; nothing touches the database."""
    try:
        table = read_table(
            data, filename, match_header=match_header, required=REQUIRED, max_rows=MAX_ROWS
        )
    except RosterFileError as error:
        return [], [_file_error(error)]
    parsed: list[Parsed] = []
    errors: list[RowError] = []
    for row_number, raw in table.rows:
        if all(cell_text(value) == "" for value in raw.values()):
            continue
        question, problems = parse_row(raw)
        for key, code, params in problems:
            column = table.headers.get(key, HEADERS.get(key, ""))
            errors.append(RowError(code=code, row=row_number, column=column, params=params))
        if question is not None:
            parsed.append(question)
    if not parsed and not errors:
        errors.append(RowError(code="no_questions"))
    return parsed, errors


def import_questions(data: bytes, filename: str, *, owner_unit) -> ImportResult:
    """Create the file's questions in `owner_unit`'s bank, or none if any row is wrong.

    The caller checks that the user may add questions to `owner_unit` (scope).
    """
    parsed, errors = check_file(data, filename)
    if errors:
        return ImportResult(created=0, errors=errors)
    with transaction.atomic():
        created = Question.objects.bulk_create(
            Question(
                owner_unit=owner_unit,
                kind=q.kind,
                text=q.text,
                options=q.options,
                answer=q.answer,
                explanation=q.explanation,
                category=q.category,
                difficulty=q.difficulty,
            )
            for q in parsed
        )
    return ImportResult(created=len(created), errors=[])
