"""Hostile files through every importing function, on the database (issue #10, part 6).

Each import is all or nothing: it answers with its own error type (a roster import's stored
errors, ImportResult.errors, ValidationError), each error names its row and column or concerns
the whole file, and when it reports errors the database is exactly as before. When a file is
accepted, what it wrote must go in on PostgreSQL too (which refuses NUL characters).

Hypothesis runs every example of a test inside the same test transaction, so each example runs
in its own savepoint that is rolled back (`rolled_back`).
"""

import re
from contextlib import contextmanager
from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from competitions import paper
from competitions.models import ScoreChange, ScoreSheet
from people.models import AuditEvent, Role, RosterImport, Transfer, User, WorkerProfile
from people.roster import jobs, rules
from people.roster.messages import describe_row_error
from people.roster.reader import ERROR_CODES
from tests.db.test_judging import build_contest
from tests.factories import (
    activate_totp,
    give_role,
    make_admin,
    make_training_session,
    make_tree,
    make_user,
    make_worker,
)
from tests.unit.test_fuzz_parsers import (
    EXTENSIONS,
    GOOD_QUESTIONS,
    JUNK,
    QUESTION_FILE_CODES,
    QUESTION_HEADER,
    QUESTION_VALID,
    SPREADSHEET_FORMATS,
    check_sheet_problems,
    damaged,
    hostile_rows,
    sheet_bytes,
)
from training import question_import, sign_in_sheets
from training.models import Attendance, HoursEntry, Question, SessionSignup

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ROW = re.compile(r"^Row \d+")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@contextmanager
def rolled_back():
    """One example's writes, undone before the next example."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def snapshot(*models) -> dict:
    """Every row of `models`: equal snapshots mean nothing was written."""
    return {model.__name__: list(model.objects.order_by("pk").values_list()) for model in models}


def file_input(header: list[str], valid: list, good_rows: list[list], *, max_rows: int = 3):
    """A file as it may arrive: random bytes under an accepted name, a real spreadsheet with the
    right header and hostile or near-valid cells, or a damaged copy of a good file."""

    @st.composite
    def files(draw):
        level = draw(st.sampled_from(["junk", "cells", "cells", "damaged"]))
        if level == "junk":
            return draw(JUNK), "upload" + draw(st.sampled_from(EXTENSIONS))
        fmt = draw(st.sampled_from(SPREADSHEET_FORMATS))
        if level == "cells":
            rows = draw(hostile_rows(len(header), valid=valid, max_rows=max_rows))
            return sheet_bytes(fmt, [header, *rows])
        data, name = sheet_bytes(fmt, [header, *good_rows])
        return damaged(data, draw), name

    return files()


# --------------------------------------------------------------------------- roster

ROSTER_HEADER = [column.header for column in rules.COLUMNS]
HOME = "T第1区/T1区1街道/T1-1-1社区"
# Mostly units in the street admin's scope; one outside it, one that is not a community.
ROSTER_UNITS = [HOME, HOME, "T1-1-2社区", "TD1S1C1", "T第1区/T1区2街道/T1-2-1社区", "T1区1街道"]
ROSTER_VALID = [
    st.sampled_from(["张晓梅", "李 明", "买买提•艾力"]),
    st.integers(13000000000, 19999999999),
    st.sampled_from(["11010519491231002X", None, None, None]),  # twice in a file: a duplicate
    st.sampled_from(ROSTER_UNITS),
    st.sampled_from(list(rules.POSITIONS)),
    st.sampled_from(["HP-001", None]),
    st.sampled_from(["2023-05-01", 45047, None]),
]
ROSTER_GOOD = [
    ["张晓梅", "13812345678", "11010519491231002X", HOME, "网格员", "HP-001", "2023-05-01"],
    ["李明", "13912345678", None, HOME, "书记", None, None],
]
ROSTER_WRITES = (User, WorkerProfile, Role, Transfer, AuditEvent)


@pytest.fixture
def street_admin():
    return make_admin(make_tree()["TD1S1"])


@FUZZ
@given(upload=file_input(ROSTER_HEADER, ROSTER_VALID, ROSTER_GOOD, max_rows=2))
def test_roster_import_is_all_or_nothing(street_admin, upload):
    data, name = upload
    with rolled_back():
        before = snapshot(*ROSTER_WRITES)
        job = jobs.start(street_admin, name, data)
        jobs.run_check(job.pk)  # the background task's work, run here so a crash shows
        job.refresh_from_db()
        event(f"checked: {job.status}, errors: {bool(job.errors)}")  # --hypothesis-show-statistics
        if job.status == RosterImport.Status.REJECTED:
            assert job.file_error.strip() and job.file_error not in ERROR_CODES
            assert snapshot(*ROSTER_WRITES) == before
            return
        assert job.status == RosterImport.Status.CHECKED
        for error in job.errors:
            assert error["column"], error
            assert describe_row_error(error).startswith(f"Row {error['row']}, column ")
        if job.errors:
            assert not jobs.confirm(job)
            assert snapshot(*ROSTER_WRITES) == before
            return
        assert jobs.confirm(job)
        jobs.run_apply(job.pk)
        job.refresh_from_db()
        assert job.status == RosterImport.Status.DONE, job.errors
        # A header over blank rows is a roster with nobody in it: nothing to write.
        profiles = len(before["WorkerProfile"]) + job.counts["new"]
        assert WorkerProfile.objects.count() >= profiles


# --------------------------------------------------------------------------- question bank


@FUZZ
@given(upload=file_input(QUESTION_HEADER, QUESTION_VALID, GOOD_QUESTIONS[1:]))
def test_question_bank_import_is_all_or_nothing(street_admin, upload):
    data, name = upload
    unit = street_admin.roles.get().unit
    with rolled_back():
        before = snapshot(Question)
        result = question_import.import_questions(data, name, owner_unit=unit)
        event(f"imported: {result.ok}")
        if result.errors:
            assert result.created == 0
            check_sheet_problems(result.errors, QUESTION_FILE_CODES)
            assert snapshot(Question) == before
        else:
            stored = Question.objects.filter(owner_unit=unit)
            assert result.created >= 1 and stored.count() == result.created
            for question in stored:
                assert all(0 <= i < len(question.options) for i in question.answer)


# --------------------------------------------------------------------------- paper score sheets

PAPER_HEADER = ["编码", "评委", "倾听与共情", "政策把握", "解决方案"]


@pytest.fixture
def contest():
    contest = build_contest()
    contest.organiser = make_admin(contest.units["T"])
    activate_totp(contest.organiser)
    return contest


def paper_valid(contest) -> list:
    judges = [j.username for j in contest.judges] + [int(j.phone) for j in contest.judges]
    half_points = st.integers(0, 20).map(lambda n: n / 2)
    return [
        st.sampled_from(["A001", "A002", "a001 "]),
        st.sampled_from(judges),
        half_points,
        st.one_of(half_points, half_points.map(str)),
        st.integers(0, 20),
    ]


@FUZZ
@given(st_data=st.data())
def test_paper_score_sheet_import_is_all_or_nothing(contest, st_data):
    j1, j2 = (j.username for j in contest.judges[:2])
    good = [["A001", j1, 8.5, 9, 15], ["A002", j2, 7, "8.5", 14]]
    data, name = st_data.draw(file_input(PAPER_HEADER, paper_valid(contest), good, max_rows=2))
    stage = contest.stage
    with rolled_back():
        before = snapshot(ScoreSheet, ScoreChange)
        try:
            paper.read_paper_file(stage, data, name)
        except ValidationError as error:
            [message] = error.messages  # the file as a whole (a formula names its cell)
            assert message.strip()
            assert snapshot(ScoreSheet, ScoreChange) == before
            return
        try:
            sheets = paper.import_paper_sheets(stage, data, name, contest.organiser)
        except ValidationError as error:
            event("rows refused")
            assert error.messages
            for message in error.messages:
                assert ROW.match(message) or message == "The file has no score rows.", message
            assert snapshot(ScoreSheet, ScoreChange) == before
            return
        event("imported")
        assert sheets
        for sheet in sheets:
            sheet.refresh_from_db()
            assert sheet.status == ScoreSheet.Status.ENTERED
            assert sheet.total == sum(map(type(sheet.total), sheet.values.values()))


# --------------------------------------------------------------------------- paper sign-in sheets

SIGN_IN_HEADER = ["序号", "姓名", "手机号", "签到时间", "签退时间"]
SIGN_IN_FILE_CODES = {"no_rows", "no_header"}
PHONES = ("13700000001", "13700000002", "13700000003")


@pytest.fixture
def session():
    units = make_tree()
    trainer = make_user("李讲师")
    give_role(trainer, units["TD1"], Role.Kind.TRAINER)
    day = timezone.localdate() - timedelta(days=1)
    starts_at = timezone.make_aware(datetime.combine(day, time(9, 0)))
    session = make_training_session(units["TD1S1"], trainer, starts_at=starts_at)
    for n, phone in enumerate(PHONES):
        user = make_worker(units["TD1S1C1"], real_name=f"社工{n}", phone=phone)
        SessionSignup.objects.create(
            session=session,
            user=user,
            status=SessionSignup.Status.CONFIRMED,
            signed_up_at=timezone.now(),
        )
    return session


def sign_in_valid(day) -> list:
    arrived = st.sampled_from(["09:05", "9点10分", time(9, 2), datetime.combine(day, time(9, 1))])
    left = st.sampled_from([f"{day:%Y-%m-%d} 10:55", "10:58", 0.455, None])
    phones = st.sampled_from([*PHONES, int(PHONES[0]), "137 0000 0002", "１３７０００００００３"])
    return [st.integers(1, 3), st.sampled_from(["社工0", None]), phones, arrived, left]


@FUZZ
@given(st_data=st.data())
def test_paper_sign_in_sheet_import_is_all_or_nothing(session, st_data):
    day = timezone.localtime(session.starts_at).date()
    good = [[1, "社工0", PHONES[0], "09:01", "10:59"], [2, "社工1", PHONES[1], "09:10", None]]
    # One row: two rows drawn from three people are mostly the same person twice.
    data, name = st_data.draw(file_input(SIGN_IN_HEADER, sign_in_valid(day), good, max_rows=1))
    with rolled_back():
        before = snapshot(Attendance, HoursEntry, AuditEvent)
        result = sign_in_sheets.import_sheet(session, data, name, by=session.trainer)
        event(f"imported: {result.ok}")
        if result.errors:
            assert result.imported == 0
            check_sheet_problems(result.errors, SIGN_IN_FILE_CODES)
            assert snapshot(Attendance, HoursEntry, AuditEvent) == before
        else:
            assert result.imported >= 1
            assert Attendance.objects.filter(session=session).count() == result.imported


# --------------------------------------------------------------------------- control characters

# An xls (or a CSV) can carry control characters in a cell; an xlsx cannot (XML forbids them).
# NUL would crash the write on PostgreSQL, and any of them would break every later .xlsx export
# of the value (openpyxl refuses to write them), so every import refuses such a cell by name.
CONTROL = ["\x00", "\x01", "\x1b"]


def control_message(row: int, column: str) -> str:
    return (
        f"Row {row}, column “{column}” contains a control character, which cannot be stored. "
        "Delete the cell's content and type it again."
    )


@pytest.mark.parametrize(
    ("fmt", "char"), [*(("xls", char) for char in CONTROL), ("csv", "\x01"), ("csv", "\x1b")]
)
def test_roster_cell_with_a_control_character(street_admin, fmt, char):
    row = [f"张{char}三", "13812345678", None, HOME, "网格员", None, None]
    # A note long enough that the CSV is not taken for a binary file (one in 200 characters).
    rows = [[*ROSTER_HEADER, "备注"], [*ROSTER_GOOD[0], "说明" * 200], row]
    data, name = sheet_bytes(fmt, rows)
    before = snapshot(*ROSTER_WRITES)
    job = jobs.start(street_admin, name, data)
    jobs.run_check(job.pk)
    job.refresh_from_db()
    assert (job.status, job.file_error) == ("rejected", control_message(3, "姓名"))
    assert snapshot(*ROSTER_WRITES) == before


@pytest.mark.parametrize("char", CONTROL)
def test_question_cell_with_a_control_character(street_admin, char):
    row = ["多选", f"题目{char}", "每周", "每月", None, None, None, None, "AB", "", "网格", None]
    data, name = sheet_bytes("xls", [*GOOD_QUESTIONS, row])
    result = question_import.import_questions(data, name, owner_unit=street_admin.roles.get().unit)
    assert [str(e) for e in result.errors] == [control_message(4, "题目")]
    assert not Question.objects.exists()


@pytest.mark.parametrize("char", CONTROL)
def test_sign_in_cell_with_a_control_character(session, char):
    data, name = sheet_bytes(
        "xls", [SIGN_IN_HEADER, [1, "社工0", f"1370000000{char}1", "09:01", None]]
    )
    result = sign_in_sheets.import_sheet(session, data, name, by=session.trainer)
    assert [str(e) for e in result.errors] == [control_message(2, "手机号")]
    assert not Attendance.objects.exists()


@pytest.mark.parametrize("char", CONTROL)
def test_paper_score_cell_with_a_control_character(contest, char):
    judge = contest.judges[0].username
    data, name = sheet_bytes("xls", [PAPER_HEADER, ["A001", judge + char, 8.5, 9, 15]])
    with pytest.raises(ValidationError) as refused:
        paper.import_paper_sheets(contest.stage, data, name, contest.organiser)
    assert refused.value.messages == [control_message(2, "评委")]
    assert not ScoreSheet.objects.exists()
