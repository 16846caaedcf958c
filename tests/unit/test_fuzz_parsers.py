"""Hostile input for the import parsers that need no database (issue #10, part 6).

Three levels of input: random bytes under each accepted name, real spreadsheets (xlsx, xls,
CSV) whose header is right but whose cells are drawn from hostile strategies, and damaged copies
of a good file. Whatever comes in, a parser answers with its own error type, and every error
reads as a message that names its row and column (or concerns the whole file).

The strategies and the file builder here are shared with tests/db/test_fuzz_imports.py. The
roster reader's own robustness tests (random bytes, damaged files, CSV round trip) live in
test_roster_reader.py and are not repeated here.
"""

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from competitions.judging import check_value
from competitions.models import StageCriterion
from people.roster import messages, reader, rules
from people.roster.reader import ERROR_CODES, RosterFileError
from training import question_import, sign_in_sheets

from . import roster_files as rf

# --------------------------------------------------------------------------- strategies

PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR 1=1 --",
    "1; DROP TABLE people_user; --",
    '"全文" AND NOT (OR',  # full-text search syntax
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://x","y")',
    "+SUM(1,1)",
    "-2+3",
    "@SUM(A1:A2)",
    "\x00",
    "a\x00b",
    "\x01\x02\x1b[31m",
    "\u202eevil",
    "\ufeff\u200b",
    "１３８１２３４５６７８",  # full-width digits
    "１２：３０",
    "😀👨‍👩‍👧",
    "𠀀𪚥",  # CJK extensions, outside GBK
    " ",
    "\u3000",
    "\t\r\n",
    "NaN",
    "-inf",
    "1e309",
    "-0",
    "0x1F",
    "9" * 400,
    "2026-02-30",
    "0000-00-00 25:61",
    "null",
    "无",
    "%s%(x)s{0}",
    "长" * 10_000,
    "A" * 10_000,
)
HOSTILE_TEXT = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(max_size=40),  # every code point but surrogates, control characters included
    st.text(st.sampled_from("0123456789０１２３４５６７８９.:-/年月日 Xx"), max_size=20),
)
HOSTILE_CELLS = st.one_of(
    st.none(),
    HOSTILE_TEXT,
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(),
    st.booleans(),
    st.dates(min_value=date(1900, 3, 1)),
    st.datetimes(min_value=datetime(1900, 3, 1)),
    st.times(),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
)
SPREADSHEET_FORMATS = ("xlsx", "xls", "csv")
EXTENSIONS = (".xlsx", ".xls", ".csv")
# Random bytes, and random bytes behind each format's magic so the parsers get past sniffing.
JUNK = st.one_of(
    st.binary(max_size=1024),
    st.tuples(
        st.sampled_from([b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\xef\xbb\xbf"]),
        st.binary(max_size=1024),
    ).map(b"".join),
)


def _for_format(fmt: str, value: object) -> object:
    """A value as that format can hold it: what a real file of that kind could contain."""
    if fmt == "csv":
        return None if value is None else str(value)
    if isinstance(value, Decimal):
        value = float(value)
    if fmt == "xlsx" and isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)  # XML cannot carry them
    if fmt == "xls":
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**15:
            return str(value)
        if isinstance(value, str):
            return value[:32767]  # an xls string's limit
    return value


def sheet_bytes(fmt: str, rows: list[list]) -> tuple[bytes, str]:
    """A real file of `fmt` holding `rows`; a str starting with "=" is a formula in an xlsx."""
    rows = [[_for_format(fmt, value) for value in row] for row in rows]
    if fmt == "xlsx":
        return rf.xlsx_bytes(rows), "upload.xlsx"
    if fmt == "xls":
        return rf.xls_bytes(rows), "upload.xls"
    return rf.csv_bytes(rows, encoding="utf-8-sig"), "upload.csv"


def damaged(data: bytes, draw) -> bytes:
    """`data` with a few bytes changed, then cut short somewhere."""
    data = bytearray(data)
    for _ in range(draw(st.integers(0, 6))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(1, len(data)))])


def hostile_rows(width: int, *, valid: list | None = None, max_rows: int = 4):
    """Rows of `width` hostile cells or, when `valid` gives a good row's strategies, near-valid
    rows: good rows with none, one or two cells replaced by hostile ones."""
    if valid is None:
        hostile = st.lists(HOSTILE_CELLS, min_size=width, max_size=width)
        return st.lists(hostile, min_size=1, max_size=max_rows)

    @st.composite
    def near_valid(draw):
        row = [draw(cell) for cell in valid]
        spoiled = draw(st.sampled_from([0, 0, 1, 2]))  # a good row, as often as a spoiled one
        for index in draw(st.sets(st.integers(0, width - 1), min_size=spoiled, max_size=spoiled)):
            row[index] = draw(HOSTILE_CELLS)
        return row

    return st.lists(near_valid(), min_size=1, max_size=max_rows)


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in their English source form."""
    with translation.override("en"):
        yield


def check_sheet_problems(errors, file_codes: set[str]) -> None:
    """Every problem of a SheetProblem-based import reads as a message: a row problem names its
    row and column, a file problem neither."""
    for error in errors:
        message = str(error.message)
        assert message.strip(), error
        assert error.code in type(error).messages or error.code in messages.MESSAGES, error
        if error.code in file_codes or error.code in ERROR_CODES:
            assert error.row is None, error
        else:
            assert isinstance(error.row, int) and error.row >= 1, error
            assert error.column, error
            assert message.startswith(f"Row {error.row}, column “{error.column}”: "), message


# --------------------------------------------------------------------------- roster

ROSTER_HEADER = [column.header for column in rules.COLUMNS]
ROSTER_REQUIRED = [column.key for column in rules.COLUMNS if column.required]
ROSTER_VALID = [
    st.sampled_from(["张三", "买买提·艾力", "John Smith"]),
    st.sampled_from(["13812345678", "+86 139-1234-5678", 13712345678]),
    st.sampled_from(["11010519491231002X", "", None]),
    st.sampled_from(["东湖区/和平街道/幸福社区", "DH-001"]),
    st.sampled_from(list(rules.POSITIONS) + list(rules.POSITION_ALIASES)[:5]),
    st.sampled_from(["DH-0001", None]),
    st.sampled_from(["2023-05-01", date(2020, 1, 1), 45047, "2015年7月"]),
]


def roster_table(data: bytes, filename: str) -> reader.Table:
    return reader.read_table(
        data, filename, match_header=rules.match_header, required=ROSTER_REQUIRED
    )


def describe_file_error(error: RosterFileError) -> str:
    assert error.code in ERROR_CODES
    message = messages.describe(error.code, error.params)
    assert message.strip() and message != error.code
    return message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fmt=st.sampled_from(SPREADSHEET_FORMATS),
    rows=st.one_of(
        hostile_rows(len(ROSTER_HEADER)), hostile_rows(len(ROSTER_HEADER), valid=ROSTER_VALID)
    ),
)
def test_a_roster_with_hostile_cells_gives_problems_by_row_and_column(fmt, rows):
    data, name = sheet_bytes(fmt, [ROSTER_HEADER, *rows])
    try:
        table = roster_table(data, name)
    except RosterFileError as error:
        describe_file_error(error)
        if error.code == "formula":
            assert fmt == "xlsx" and error.params["row"] >= 2
        return
    formulas = [
        value
        for row in rows
        for value in row
        if fmt == "xlsx" and isinstance(_for_format(fmt, value), str) and value.startswith("=")
    ]
    assert not formulas, "a formula cell must be refused"
    for number, raw in table.rows:
        if rules.is_blank_row(raw):
            continue
        clean, problems = rules.clean_row(raw, today=date(2026, 6, 1))
        assert (clean is None) == bool(problems)
        for problem in problems:
            column = table.headers.get(problem.column) or problem.column
            reason = messages.describe(problem.code, problem.params)
            message = messages.row_message(number, column, reason)
            assert problem.code in messages.MESSAGES
            assert message.startswith(f"Row {number}, column “{column}”: ")
        if clean is not None:
            assert "\x00" not in clean.name + clean.unit + clean.worker_number + clean.phone


# --------------------------------------------------------------------------- question bank

QUESTION_HEADER = list(question_import.HEADERS.values())
QUESTION_FILE_CODES = {"no_header", "no_questions"}
QUESTION_VALID = [  # a multiple-choice question; the good file has the other kinds
    st.sampled_from(["多选", "多选题", "多项选择题"]),
    st.sampled_from(["网格员每月走访几次？", "居民议事会由谁召集？"]),
    *[st.sampled_from(["每周", "每月"])] * 2,
    *[st.sampled_from(["每季度", None])] * 4,
    st.sampled_from(["A", "AB", "b", "A、B"]),
    st.sampled_from(["", "见《社区工作指南》"]),
    st.sampled_from(["网格管理", "议事协商"]),
    st.sampled_from(["易", "中", "3", None]),
]
GOOD_QUESTIONS = [
    QUESTION_HEADER,
    [
        "单选",
        "网格员每月至少走访几次？",
        "1次",
        "2次",
        "4次",
        None,
        None,
        None,
        "C",
        "",
        "网格",
        "易",
    ],
    ["判断", "议事会由居委会召集。", None, None, None, None, None, None, "对", "", "议事", "中"],
]


def check_questions(data: bytes, filename: str):
    parsed, errors = question_import.check_file(data, filename)
    assert bool(parsed) or bool(errors)
    check_sheet_problems(errors, QUESTION_FILE_CODES)
    for question in parsed:
        assert question.kind and question.text and question.category
        assert all(0 <= i < len(question.options) for i in question.answer)
    return parsed, errors


@settings(max_examples=150, deadline=None)
@given(data=JUNK, extension=st.sampled_from(EXTENSIONS))
def test_question_bank_random_bytes(data, extension):
    check_questions(data, "题库" + extension)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fmt=st.sampled_from(SPREADSHEET_FORMATS),
    rows=st.one_of(
        hostile_rows(len(QUESTION_HEADER)), hostile_rows(len(QUESTION_HEADER), valid=QUESTION_VALID)
    ),
)
def test_question_bank_with_hostile_cells(fmt, rows):
    check_questions(*sheet_bytes(fmt, [QUESTION_HEADER, *rows]))


GOOD_QUESTION_FILES = {fmt: sheet_bytes(fmt, GOOD_QUESTIONS) for fmt in SPREADSHEET_FORMATS}


def test_the_good_question_file_is_good_in_every_format():
    for data, name in GOOD_QUESTION_FILES.values():
        parsed, errors = question_import.check_file(data, name)
        assert (len(parsed), errors) == (2, [])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fmt=st.sampled_from(SPREADSHEET_FORMATS), st_data=st.data())
def test_question_bank_damaged_files(fmt, st_data):
    data, name = GOOD_QUESTION_FILES[fmt]
    check_questions(damaged(data, st_data.draw), name)


@settings(max_examples=200, deadline=None)
@given(raw=st.dictionaries(st.sampled_from([*question_import.HEADERS, "extra"]), HOSTILE_CELLS))
def test_question_rows_give_a_question_or_problems_by_column(raw):
    parsed, problems = question_import.parse_row(raw)
    assert (parsed is None) == bool(problems)
    for key, code, params in problems:
        assert key in question_import.HEADERS
        reason = question_import.RowError(code=code, params=params).reason
        assert code in question_import.MESSAGES and reason.strip()


# --------------------------------------------------------------------------- sign-in sheets

DAY = date(2026, 5, 1)


@settings(max_examples=200, deadline=None)
@given(value=HOSTILE_CELLS)
def test_sign_in_times_are_a_moment_or_a_bad_time(value):
    try:
        moment = sign_in_sheets.parse_time(value, DAY)
    except sign_in_sheets.BadTime:
        return
    except (OverflowError, ValueError) as error:  # check_file reports these as bad_time too
        assert not isinstance(value, str | time), (value, error)
        return
    if moment is not None:
        assert timezone.is_aware(moment)


@settings(max_examples=200, deadline=None)
@given(text=HOSTILE_TEXT)
def test_header_matchers_take_any_text(text):
    for match in (
        question_import.match_header,
        sign_in_sheets.match_header,
        rules.match_header,
    ):
        assert match(text) is None or isinstance(match(text), str)


# --------------------------------------------------------------------------- paper score sheets

CRITERION = StageCriterion(
    code="listen", title="倾听与共情", max_points=Decimal(10), step=Decimal("0.5")
)


@settings(max_examples=200, deadline=None)
@given(raw=HOSTILE_CELLS)
def test_a_paper_score_cell_is_a_score_or_a_message_naming_the_criterion(raw):
    value, problem = check_value(CRITERION, raw)
    if problem is None:
        assert Decimal(0) <= value <= CRITERION.max_points and value % CRITERION.step == 0
    else:
        assert value is None
        assert problem.startswith("“倾听与共情”: ")
        assert len(problem) < 200  # a 10,000-character cell is not echoed back whole


@pytest.mark.parametrize(
    "raw", ["1e999999999", "-1E-999999999", "0E-999999999", "NaN", "sNaN", "-Infinity", 1e-300]
)
def test_a_short_number_with_a_huge_exponent_is_not_a_score(raw):
    # Printed in full, "1e999999999" is a billion digits: a gigabyte per cell.
    value, problem = check_value(CRITERION, raw)
    assert value is None
    assert problem == f"“倾听与共情”: “{raw}” is not a number."
