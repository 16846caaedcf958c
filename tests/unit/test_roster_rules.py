import json
import subprocess
import sys
from datetime import date, datetime, time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils.datetime import from_excel

from people.idnumbers import check_char
from people.roster.rules import (
    COLUMNS,
    EARLIEST_START_DATE,
    POSITION_ALIASES,
    POSITIONS,
    CleanRow,
    Problem,
    cell_text,
    clean_row,
    find_duplicates,
    is_blank_row,
    match_header,
    parse_date,
    parse_position,
)

TODAY = date(2026, 6, 1)
ID_NUMBER = "11010519491231002X"  # the example printed in GB 11643-1999
VALID = {
    "name": "张三",
    "phone": "13812345678",
    "id_number": ID_NUMBER,
    "unit": "东湖区/和平街道/幸福社区",
    "position": "网格员",
    "worker_number": "DH-0001",
    "start_date": "2023-05-01",
}
EXPECTED = CleanRow(
    name="张三",
    phone="13812345678",
    id_number=ID_NUMBER,
    unit="东湖区/和平街道/幸福社区",
    position="grid",
    worker_number="DH-0001",
    start_date=date(2023, 5, 1),
)
REPO = Path(__file__).resolve().parents[2]


def fullwidth(text: str) -> str:
    """What a Chinese IME in full-width mode types for ASCII: ！ to ～ and U+3000."""
    return "".join(
        "\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text
    )


def clean(**overrides) -> tuple[CleanRow | None, list[Problem]]:
    raw = {**VALID, **overrides}
    return clean_row({k: v for k, v in raw.items() if v is not ...}, today=TODAY)


def codes(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.column, p.code) for p in problems]


def test_the_pure_modules_import_no_django():
    # A fresh interpreter: in this one pytest-django has already imported Django.
    script = (
        "import sys, people.idnumbers, people.roster.rules;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- columns and headers -------------------------------------------------------------------


def test_columns_in_template_order_with_the_required_ones():
    assert [(c.key, c.header, c.required) for c in COLUMNS] == [
        ("name", "姓名", True),
        ("phone", "手机号", True),
        ("id_number", "身份证号", False),
        ("unit", "所属社区", True),
        ("position", "岗位", True),
        ("worker_number", "工号", False),
        ("start_date", "入职日期", False),
    ]


def test_no_header_text_belongs_to_two_columns():
    texts = [text for c in COLUMNS for text in (c.header, *c.aliases)]
    assert len(texts) == len(set(texts))


@pytest.mark.parametrize(
    "alias, key",
    [
        ("手机", "phone"),
        ("手机号码", "phone"),
        ("身份证号码", "id_number"),
        ("公民身份号码", "id_number"),
        ("身份证", "id_number"),
        ("所属单位", "unit"),
        ("社区", "unit"),
        ("单位编码", "unit"),
        ("职务", "position"),
        ("编号", "worker_number"),
        ("人员编号", "worker_number"),
        ("入职时间", "start_date"),
        ("参加工作时间", "start_date"),
        ("名字", "name"),
    ],
)
def test_the_agreed_aliases(alias, key):
    assert match_header(alias) == key


@pytest.mark.parametrize("landline", ["联系电话", "电话号码", "办公电话"])
def test_landline_columns_are_not_taken_for_the_mobile_number(landline):
    # Rosters often carry a landline column beside 手机号; reading it as the phone would
    # refuse the file for a duplicate column.
    assert match_header(landline) is None


@pytest.mark.parametrize(
    "cell, key",
    [
        ("姓名", "name"),
        (" 姓 名 ", "name"),
        ("\u3000姓名\u3000", "name"),
        ("姓名*", "name"),
        ("*姓名", "name"),
        ("姓名＊", "name"),
        ("姓名（必填）", "name"),
        ("姓名(必填)", "name"),
        ("*姓名（必填）", "name"),
        ("身份证号（选填）", "id_number"),
        ("身份证号\n(选填)", "id_number"),
        ("所属社区（村）", "unit"),
        ("\ufeff姓名", "name"),  # the first cell of a UTF-8 CSV with a BOM
        ("身份\n证号", "id_number"),  # a wrapped header cell
        ("phone", "phone"),  # the keys, for files written by programs
        ("ID_Number", "id_number"),
        ("ＷＯＲＫＥＲ＿ＮＵＭＢＥＲ", "worker_number"),
        ("Start_Date*", "start_date"),
    ],
)
def test_match_header_tolerates_decoration(cell, key):
    assert match_header(cell) == key


@pytest.mark.parametrize(
    "cell", ["", "序号", "备注", "姓名备注", "手机号2", "(必填)", "*", "性别", "姓名（必填)x"]
)
def test_match_header_ignores_other_columns(cell):
    assert match_header(cell) is None


_SPACES = st.text(alphabet=" \u3000\u00a0\t", max_size=3)


@given(
    st.sampled_from([(text, c.key) for c in COLUMNS for text in (c.header, *c.aliases)]),
    _SPACES,
    _SPACES,
    st.sampled_from(["", "*", "（必填）", "(必填)", "（选填）", " * "]),
    st.booleans(),
)
def test_match_header_accepts_every_alias_however_decorated(item, before, after, mark, wide):
    text, key = item
    cell = before + text + mark + after
    assert match_header(fullwidth(cell) if wide else cell) == key


# --- positions -----------------------------------------------------------------------------


def test_position_codes_are_the_models_choices():
    from people.models import WorkerProfile  # Django is available here; no database is used

    assert set(POSITIONS.values()) == set(WorkerProfile.Position.values)
    assert set(POSITION_ALIASES.values()) <= set(WorkerProfile.Position.values)


@pytest.mark.parametrize(
    "text, code",
    [
        ("社区党组织书记", "secretary"),
        ("居委会主任", "director"),
        ("副书记/副主任", "deputy"),
        ("两委委员", "member"),
        ("专职社区工作者", "full_time"),
        ("网格员", "grid"),
        ("书记", "secretary"),
        ("党组织书记", "secretary"),
        ("社区书记", "secretary"),
        ("主任", "director"),
        ("村委会主任", "director"),
        ("副书记", "deputy"),
        ("副主任", "deputy"),
        ("副书记、副主任", "deputy"),
        ("副书记／副主任", "deputy"),
        ("委员", "member"),
        ("两委成员", "member"),
        ("社区工作者", "full_time"),
        ("专职工作者", "full_time"),
        ("专职社工", "full_time"),
        ("网格管理员", "grid"),
        ("专职网格员", "grid"),
        (" 网 格 员 ", "grid"),
        ("\u3000网格员\u3000", "grid"),
        ("书记、主任", "secretary"),  # 一肩挑: the leading post
        ("grid", "grid"),
        ("ＧＲＩＤ", "grid"),
    ],
)
def test_parse_position(text, code):
    assert parse_position(text) == code


@pytest.mark.parametrize("text", ["", "厨师", "书记员", "网格", "副", "主任医师", "secretary2"])
def test_parse_position_unknown(text):
    assert parse_position(text) is None


@given(st.sampled_from(sorted({**POSITIONS, **POSITION_ALIASES}.items())), _SPACES, _SPACES)
def test_every_listed_position_is_recognised_with_spaces(item, before, after):
    text, code = item
    assert parse_position(before + text + after) == code


# --- cells ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, text",
    [
        (None, ""),
        ("", ""),
        ("  张三  ", "张三"),
        ("\u3000张三\u00a0", "张三"),
        ("\ufeff张三\u200b", "张三"),
        ("１３８", "138"),
        (13812345678, "13812345678"),
        (13812345678.0, "13812345678"),
        (2015.07, "2015.07"),
        (0, "0"),
        (float("nan"), ""),  # how pandas hands over an empty cell
        (True, "TRUE"),
        (date(2023, 5, 1), "2023-05-01"),
        (datetime(2023, 5, 1), "2023-05-01"),
        (datetime(2023, 5, 1, 8, 30), "2023-05-01 08:30:00"),
        ("张 三", "张 三"),  # inner spaces are each column's business
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


_CELLS = st.one_of(
    st.none(),
    st.text(),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.dates(),
    st.datetimes(),
)


@given(_CELLS)
def test_cell_text_is_idempotent(value):
    once = cell_text(value)
    assert cell_text(once) == once


@pytest.mark.parametrize(
    "raw, blank",
    [
        ({}, True),
        ({"name": None, "phone": "  ", "unit": "\u3000", "position": float("nan")}, True),
        ({"name": None, "phone": 0}, False),
        ({"name": None, "start_date": date(2023, 5, 1)}, False),
        ({"name": "\u200b", "phone": "x"}, False),
    ],
)
def test_is_blank_row(raw, blank):
    assert is_blank_row(raw) is blank


# --- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        date(2023, 5, 1),
        datetime(2023, 5, 1, 17, 45),
        45047,
        45047.0,
        45047.75,  # the time of day is dropped
        "45047",
        "45047.75",
        "2023/5/1",
        "2023/05/01",
        "2023-05-01",
        "2023-5-1",
        "2023.5.1",
        "2023.05.01",
        "2023年5月1日",
        "2023年05月01日",
        "2023 年 5 月 1 日",
        "2023年5月1号",
        "2023年5月1",
        "20230501",
        20230501,
        20230501.0,
        "２０２３年５月１日",
        "２０２３－０５－０１",
        "２０２３／５／１",
        "2023/5/1 0:00",
        "2023-05-01 00:00:00",
        "2023-05-01T08:30:00",
        " 2023-05-01 ",
    ],
)
def test_parse_date_accepts(value):
    assert parse_date(value, today=TODAY) == date(2023, 5, 1)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2015.07", date(2015, 7, 1)),  # year and month only: 参加工作时间 on HR forms
        ("2015.10", date(2015, 10, 1)),
        ("2015-7", date(2015, 7, 1)),
        ("2015/07", date(2015, 7, 1)),
        ("2015年7月", date(2015, 7, 1)),
        (1, date(1900, 1, 1)),
        (59, date(1900, 2, 28)),
        (61, date(1900, 3, 1)),
        (2958465, date(9999, 12, 31)),
    ],
)
def test_parse_date_other_forms(value, expected):
    assert parse_date(value, today=TODAY) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "abc",
        True,
        0,
        -5,
        0.5,
        60,  # Excel's 1900-02-29, a day that never was
        2958466,
        float("nan"),
        float("inf"),
        "2023-02-30",
        "2023-13-01",
        "20230230",
        "2023-05/01",  # two different separators
        "5/1/2023",
        "01.05.2023",
        "23.5.1",
        "2023年",
        "2015.13",
        "2023-05-01 25:99:99x",
        time(8, 30),
        "一月一日",
    ],
)
def test_parse_date_refuses(value):
    with pytest.raises(ValueError):
        parse_date(value, today=TODAY)


_DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(9999, 12, 31))
_FORMATS = [
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{d:%Y/%m/%d}",
    lambda d: d.isoformat(),
    lambda d: f"{d.year}-{d.month}-{d.day}",
    lambda d: f"{d.year}.{d.month}.{d.day}",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d:%Y年%m月%d日}",
    lambda d: f"{d:%Y%m%d}",
    lambda d: int(f"{d:%Y%m%d}"),
    lambda d: datetime.combine(d, time(12)),
]


@given(_DATES, st.sampled_from(range(len(_FORMATS))), st.booleans())
def test_parse_date_round_trips_every_accepted_format(day, which, wide):
    value = _FORMATS[which](day)
    if wide and isinstance(value, str):
        value = fullwidth(value)
    assert parse_date(value, today=TODAY) == day


def excel_serial(day: date) -> int:
    return (day - date(1899, 12, 30)).days


@given(
    st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)),
    st.floats(min_value=0, max_value=0.999),
    st.sampled_from([int, float, str]),
)
def test_excel_serials_round_trip(day, fraction, kind):
    serial = excel_serial(day)
    value = serial if kind is int else serial + fraction
    if kind is str:
        # As text, four digits, a dot and two digits read as year and month (2015.07); serials
        # of four digits are dates before 1927-05-18, which no roster holds.
        value = str(value) if serial >= 10000 else str(serial)
    assert parse_date(value, today=TODAY) == day


def test_four_digit_text_with_a_two_digit_fraction_is_a_year_and_month():
    assert parse_date("2015.07", today=TODAY) == date(2015, 7, 1)
    assert parse_date("2015.7", today=TODAY) == date(1905, 7, 7)  # a serial: see clean_row


@given(st.integers(min_value=1, max_value=2958465).filter(lambda n: n != 60))
def test_excel_serials_agree_with_openpyxl(serial):
    assert parse_date(serial, today=TODAY) == from_excel(serial).date()


def test_a_known_excel_serial():
    assert parse_date(45047, today=TODAY) == date(2023, 5, 1)  # =DATE(2023,5,1) in Excel


# --- rows ----------------------------------------------------------------------------------


def test_a_valid_row():
    assert clean() == (EXPECTED, [])


def test_optional_columns_may_be_absent_or_empty():
    absent = {k: v for k, v in VALID.items() if k in ("name", "phone", "unit", "position")}
    row, problems = clean_row(absent, today=TODAY)
    assert problems == []
    assert (row.id_number, row.worker_number, row.start_date) == ("", "", None)
    assert clean(id_number=None, worker_number="", start_date="\u3000")[0] == row


def test_the_row_as_excel_gives_it():
    row, problems = clean(
        phone=13812345678.0,
        start_date=datetime(2023, 5, 1),
        worker_number=1024.0,
        position="专职网格员",
    )
    assert problems == []
    assert (row.phone, row.start_date, row.worker_number) == (
        "13812345678",
        date(2023, 5, 1),
        "1024",
    )


@pytest.mark.parametrize(
    "raw, name",
    [
        ("张 三", "张三"),
        ("张　三", "张三"),
        (" 张  三 ", "张三"),
        ("欧阳 娜娜", "欧阳娜娜"),
        ("买买提•艾力", "买买提·艾力"),
        ("买买提.艾力", "买买提·艾力"),
        ("买买提 · 艾力", "买买提·艾力"),
        ("买买提・艾力", "买买提·艾力"),
        ("John  Smith", "John Smith"),
        ("J. Smith", "J. Smith"),
    ],
)
def test_names(raw, name):
    assert clean(name=raw)[0].name == name


@pytest.mark.parametrize(
    "raw, phone",
    [
        ("+86 138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        (13812345678, "13812345678"),
        (13812345678.0, "13812345678"),
    ],
)
def test_phones(raw, phone):
    assert clean(phone=raw)[0].phone == phone


@given(
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.sampled_from(["", "+86", "+86 ", "0086", "86", "+86-"]),
    st.lists(st.sampled_from(["", " ", "-", "\u3000", "  "]), min_size=2, max_size=2),
    st.booleans(),
)
def test_phone_forms_normalise_to_the_same_number(number, prefix, separators, wide):
    typed = f"{prefix}{number[:3]}{separators[0]}{number[3:7]}{separators[1]}{number[7:]}"
    if wide:
        typed = fullwidth(typed)
    row, problems = clean(phone=typed)
    assert problems == []
    assert row.phone == number


@pytest.mark.parametrize(
    "raw, id_number",
    [
        ("11010519491231002x", ID_NUMBER),
        ("１１０１０５１９４９１２３１００２Ｘ", ID_NUMBER),
        (" 110105 19491231 002X ", ID_NUMBER),
    ],
)
def test_id_numbers(raw, id_number):
    assert clean(id_number=raw)[0].id_number == id_number


@pytest.mark.parametrize(
    "raw, unit",
    [
        ("东湖区/和平街道/幸福社区", "东湖区/和平街道/幸福社区"),
        ("东湖区／和平街道／幸福社区", "东湖区/和平街道/幸福社区"),
        ("东湖区\\和平街道\\幸福社区", "东湖区/和平街道/幸福社区"),
        ("东湖区＼和平街道＼幸福社区", "东湖区/和平街道/幸福社区"),
        ("东湖区>和平街道>幸福社区", "东湖区/和平街道/幸福社区"),
        ("东湖区 / 和平街道 / 幸福社区", "东湖区/和平街道/幸福社区"),
        ("/东湖区//幸福社区/", "东湖区/幸福社区"),
        ("幸福 社区", "幸福社区"),
        ("幸福社区", "幸福社区"),
        ("T1-2-3社区", "T1-2-3社区"),  # a dash is part of a name, not a separator
        ("dh-s01.c02", "DH-S01.C02"),  # a unit code
        (110105001001, "110105001001"),
        (110105001001.0, "110105001001"),
    ],
)
def test_units(raw, unit):
    assert clean(unit=raw)[0].unit == unit


@pytest.mark.parametrize("placeholder", ["无", "暂无", "/", "-", "—", "N/A", "null", " 无 "])
def test_a_placeholder_means_not_given(placeholder):
    row, problems = clean(id_number=placeholder, worker_number=placeholder, start_date=placeholder)
    assert problems == []
    assert (row.id_number, row.worker_number, row.start_date) == ("", "", None)
    assert codes(clean(name=placeholder, unit=placeholder)[1]) == [
        ("name", "required"),
        ("unit", "required"),
    ]


@pytest.mark.parametrize(
    "raw", ["'11010519491231002X", "‘11010519491231002x", "`11010519491231002X"]
)
def test_an_id_number_may_carry_the_apostrophe_that_keeps_excel_from_reading_a_number(raw):
    assert clean(id_number=raw)[0].id_number == ID_NUMBER


@pytest.mark.parametrize("raw", ["  DH-0001 ", "DH-0001"])
def test_worker_numbers(raw):
    assert clean(worker_number=raw)[0].worker_number == "DH-0001"


@pytest.mark.parametrize(
    "overrides, column, code, params",
    [
        ({"name": ""}, "name", "required", {}),
        ({"name": ...}, "name", "required", {}),
        ({"phone": None}, "phone", "required", {}),
        ({"unit": "\u3000"}, "unit", "required", {}),
        ({"position": ""}, "position", "required", {}),
        ({"phone": "1381234567"}, "phone", "invalid_phone", {"value": "1381234567"}),
        ({"phone": "12812345678"}, "phone", "invalid_phone", {"value": "12812345678"}),
        ({"phone": "010-12345678"}, "phone", "invalid_phone", {"value": "010-12345678"}),
        (
            {"id_number": "11010519491231002"},
            "id_number",
            "id_length",
            {"value": "*" * 17, "length": 17},
        ),
        (
            {"id_number": "110105199902300021"},
            "id_number",
            "id_birth_date",
            {"value": "110105********0021"},
        ),
        (
            {"id_number": "110105194912310021"},
            "id_number",
            "id_check_digit",
            {"value": "110105********0021"},
        ),
        ({"id_number": 110105194912310021}, "id_number", "id_as_number", {}),
        ({"id_number": 1.10105194912310e17}, "id_number", "id_as_number", {}),
        ({"id_number": "1.10105E+17"}, "id_number", "id_as_number", {}),
        ({"position": "厨师"}, "position", "unknown_position", {"value": "厨师"}),
        ({"start_date": "2023-02-30"}, "start_date", "invalid_date", {"value": "2023-02-30"}),
        ({"start_date": "明年"}, "start_date", "invalid_date", {"value": "明年"}),
        # 2015.07 typed into a number cell is Excel serial 2015, i.e. 1905-07-07.
        ({"start_date": 2015.07}, "start_date", "invalid_date", {"value": "2015.07"}),
        ({"start_date": 2015.1}, "start_date", "invalid_date", {"value": "2015.1"}),
        ({"start_date": "2015.1"}, "start_date", "invalid_date", {"value": "2015.1"}),
        ({"start_date": "1949-12-31"}, "start_date", "invalid_date", {"value": "1949-12-31"}),
        ({"start_date": "2026-06-02"}, "start_date", "future_date", {"value": "2026-06-02"}),
        ({"name": "张" * 51}, "name", "name_too_long", {"max": 50, "length": 51}),
        (
            {"worker_number": "A" * 33},
            "worker_number",
            "worker_number_too_long",
            {"max": 32, "length": 33},
        ),
    ],
)
def test_every_problem_code(overrides, column, code, params):
    row, problems = clean(**overrides)
    assert row is None
    assert problems == [Problem(column, code, params)]


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": "张" * 50},
        {"worker_number": "A" * 32},
        {"start_date": TODAY},
        {"start_date": EARLIEST_START_DATE},
        {"id_number": ""},
    ],
)
def test_limits_are_inclusive(overrides):
    assert clean(**overrides)[1] == []


def test_all_problems_of_a_row_are_reported_in_column_order():
    row, problems = clean(
        name="",
        phone="123",
        id_number="110105194912310021",
        unit=None,
        position="厨师",
        worker_number="A" * 40,
        start_date="2030-01-01",
    )
    assert row is None
    assert codes(problems) == [
        ("name", "required"),
        ("phone", "invalid_phone"),
        ("id_number", "id_check_digit"),
        ("unit", "required"),
        ("position", "unknown_position"),
        ("worker_number", "worker_number_too_long"),
        ("start_date", "future_date"),
    ]


_ID_NUMBERS = st.builds(
    lambda body: body + check_char(body),
    st.from_regex(
        r"[1-9][0-9]{5}(19[5-9][0-9]|200[0-5])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}",
        fullmatch=True,
    ),
)


@given(_ID_NUMBERS, st.sampled_from("0123456789X"), st.integers(min_value=0, max_value=16))
def test_problem_params_never_hold_the_full_id_number(number, other, drop):
    wrong_check = number[:17] + other
    too_short = number[:drop] + number[drop + 1 :]
    for typed in (wrong_check, too_short, number + "1"):
        row, problems = clean(id_number=typed)
        shown = json.dumps([p.params for p in problems], ensure_ascii=False)
        assert number[6:14] not in shown  # the birth date, the part the mask hides
        assert typed not in shown


@given(st.dictionaries(st.sampled_from([c.key for c in COLUMNS] + ["extra"]), _CELLS))
def test_clean_row_never_fails_and_returns_data_or_problems(raw):
    row, problems = clean_row(raw, today=TODAY)
    assert (row is None) == bool(problems)
    json.dumps([p.params for p in problems])  # errors are stored in a JSON field
    for problem in problems:
        assert problem.column in {c.key for c in COLUMNS}


# --- duplicates ----------------------------------------------------------------------------


def person(phone: str, id_number: str = "") -> CleanRow:
    return CleanRow("张三", phone, id_number, "幸福社区", "grid", "", None)


def test_no_duplicates():
    rows = [(2, person("13812345678")), (3, person("13912345678")), (4, person("13712345678"))]
    assert find_duplicates(rows) == []


def test_empty_id_numbers_are_not_duplicates():
    assert find_duplicates([(2, person("13812345678", "")), (3, person("13912345678", ""))]) == []


def test_the_same_phone_again_points_at_the_first_row():
    rows = [(2, person("13812345678")), (5, person("13912345678")), (9, person("13812345678"))]
    rows.append((12, person("13812345678")))
    assert find_duplicates(rows) == [
        (9, Problem("phone", "duplicate_in_file", {"first_row": 2})),
        (12, Problem("phone", "duplicate_in_file", {"first_row": 2})),
    ]


def test_the_same_id_number_with_another_phone():
    rows = [(3, person("13812345678", ID_NUMBER)), (4, person("13912345678", ID_NUMBER))]
    assert find_duplicates(rows) == [
        (4, Problem("id_number", "duplicate_in_file", {"first_row": 3})),
    ]


def test_a_row_repeating_two_different_earlier_rows():
    rows = [
        (2, person("13812345678")),
        (3, person("13912345678", ID_NUMBER)),
        (4, person("13812345678", ID_NUMBER)),
    ]
    assert find_duplicates(rows) == [
        (4, Problem("phone", "duplicate_in_file", {"first_row": 2})),
        (4, Problem("id_number", "duplicate_in_file", {"first_row": 3})),
    ]


def test_the_same_phone_and_id_number_gives_both_problems():
    rows = [(3, person("13812345678", ID_NUMBER)), (7, person("13812345678", ID_NUMBER))]
    assert find_duplicates(rows) == [
        (7, Problem("phone", "duplicate_in_file", {"first_row": 3})),
        (7, Problem("id_number", "duplicate_in_file", {"first_row": 3})),
    ]


def test_every_file_error_code_has_a_message():
    # messages.py imports Django's translation machinery, but needs no database.
    from people.roster.messages import MESSAGES
    from people.roster.reader import ERROR_CODES

    assert set(ERROR_CODES) <= set(MESSAGES)
