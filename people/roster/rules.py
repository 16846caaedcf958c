"""The rules of a worker roster file: its columns, and how one row becomes clean data or problems.

Pure functions, no Django: the reader hands over raw cell values (str, int, float, bool,
datetime/date or None) keyed by column; the importer resolves units and people in the database.
Problems carry a machine code and params; the Django side turns them into Chinese messages.
"""

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ..cells import restore_cell
from ..idnumbers import id_number_problem, mask_id_number, normalise_id_number
from ..phones import is_mainland_mobile, normalise_phone, to_halfwidth


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    aliases: tuple[str, ...]
    required: bool


# The headers are a fixed Chinese data format shared with the offices that send rosters, like a
# file format's field names: they are not UI text and are deliberately not translated.
COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", ("名字", "人员姓名"), True),
    # Not 联系电话/电话号码: rosters often have such a landline column beside 手机号.
    Column("phone", "手机号", ("手机", "手机号码", "移动电话"), True),
    Column(
        "id_number",
        "身份证号",
        ("身份证号码", "公民身份号码", "身份证", "居民身份证号码", "证件号码"),
        False,
    ),
    Column("unit", "所属社区", ("所属单位", "社区", "单位编码", "所属社区(村)", "社区(村)"), True),
    Column("position", "岗位", ("职务", "岗位名称"), True),
    Column("worker_number", "工号", ("编号", "人员编号", "工作证号"), False),
    Column("start_date", "入职日期", ("入职时间", "参加工作时间", "到岗时间"), False),
)

_COLUMN_ORDER = {column.key: index for index, column in enumerate(COLUMNS)}
# What people write in a cell they have nothing for; it means the same as an empty cell.
_PLACEHOLDERS = frozenset({"无", "暂无", "空", "/", "-", "--", "—", "——", "n/a", "null", "none"})
# Typed before an ID number to keep Excel from turning it into a number.
_TEXT_PREFIXES = "'‘’`"
NAME_MAX = 50
WORKER_NUMBER_MAX = 32
# An ID number kept by Excel as a number comes back as 1.10105E+17 in a CSV saved from it.
_SCIENTIFIC = re.compile(r"[0-9](\.[0-9]+)?E\+?[0-9]+", re.IGNORECASE)
# Invisible characters that copying out of Excel, web pages or a CSV with a BOM leaves behind.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_NON_ASCII = r"[^\x00-\x7f]"
# Spaces of any kind (U+3000, NBSP) and invisible characters at either end of a cell.
_EDGES = re.compile(rf"^[\s{_INVISIBLE}]+|[\s{_INVISIBLE}]+$")


# --- cells ---------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """A raw cell as the text a person sees in it: half-width, trimmed, no '.0' on whole numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"  # as Excel shows it
    if isinstance(value, float):
        if math.isnan(value):  # pandas' empty cell
            return ""
        if value.is_integer():
            return str(int(value))
        return str(value)
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    # '=… is how our exports write text starting with a formula character (people.cells).
    return restore_cell(_EDGES.sub("", to_halfwidth(str(value))))


def _without_cjk_spaces(text: str) -> str:
    """'张 三' → '张三' but 'John  Smith' → 'John Smith': spaces pad CJK, they separate Latin."""
    text = re.sub(r"\s+", " ", text)
    return re.sub(rf"(?<={_NON_ASCII}) | (?={_NON_ASCII})", "", text)


def is_blank_row(raw: dict[str, object]) -> bool:
    return all(cell_text(value) == "" for value in raw.values())


# --- headers -------------------------------------------------------------------------------

# What people put around a header: a star or a note that the column is required or optional.
_HEADER_MARKS = re.compile(r"^\*+|\*+$|\((必填|选填|非必填|可选|必填项|选填项)\)$")


def _header_form(cell: str) -> str:
    text = re.sub(rf"[\s{_INVISIBLE}]+", "", to_halfwidth(cell or ""))
    previous = None
    while text != previous:  # '*姓名(必填)*' has marks on both sides
        previous, text = text, _HEADER_MARKS.sub("", text)
    return text.lower()  # only ASCII letters change; Chinese has no case


# The keys themselves are accepted too (Phone, ID_NUMBER), for files written by programs.
_HEADER_KEYS: dict[str, str] = {
    _header_form(text): column.key
    for column in COLUMNS
    for text in (column.header, *column.aliases, column.key)
}


def match_header(cell: str) -> str | None:
    """A header cell → the column key, or None for a column the roster does not use (序号, 备注)."""
    return _HEADER_KEYS.get(_header_form(cell))


# --- positions -----------------------------------------------------------------------------

# Canonical name (as in the template's drop-down) → WorkerProfile.Position value.
POSITIONS: dict[str, str] = {
    "社区党组织书记": "secretary",
    "居委会主任": "director",
    "副书记/副主任": "deputy",
    "两委委员": "member",
    "专职社区工作者": "full_time",
    "网格员": "grid",
}
# What people write instead. 书记、主任 "一肩挑" (one person holding both posts, the norm since
# the 2018 reform) is recorded as secretary, the post that leads.
POSITION_ALIASES: dict[str, str] = {
    "书记": "secretary",
    "党组织书记": "secretary",
    "社区书记": "secretary",
    "社区党委书记": "secretary",
    "社区党总支书记": "secretary",
    "社区党支部书记": "secretary",
    "党委书记": "secretary",
    "党总支书记": "secretary",
    "党支部书记": "secretary",
    "村党组织书记": "secretary",
    "书记/主任": "secretary",
    "书记兼主任": "secretary",
    "书记、主任一肩挑": "secretary",
    "一肩挑": "secretary",
    "主任": "director",
    "社区主任": "director",
    "居委会主任": "director",
    "居民委员会主任": "director",
    "村委会主任": "director",
    "村民委员会主任": "director",
    "副书记": "deputy",
    "副主任": "deputy",
    "社区副书记": "deputy",
    "社区副主任": "deputy",
    "居委会副主任": "deputy",
    "村委会副主任": "deputy",
    "委员": "member",
    "两委成员": "member",
    "社区两委委员": "member",
    "社区两委成员": "member",
    "居委会委员": "member",
    "村委会委员": "member",
    "社区工作者": "full_time",
    "专职工作者": "full_time",
    "专职社工": "full_time",
    "专职社区工作人员": "full_time",
    "网格管理员": "grid",
    "专职网格员": "grid",
    "社区网格员": "grid",
}
POSITION_CODES = frozenset(POSITIONS.values())


def _position_form(text: str) -> str:
    text = re.sub(rf"[\s{_INVISIBLE}]+", "", to_halfwidth(text or ""))
    # 副书记、副主任 / 副书记,副主任 / 副书记\副主任 all mean the canonical 副书记/副主任.
    text = re.sub(r"[、,，;；\\|]", "/", text)
    return text.lower()


_POSITION_KEYS: dict[str, str] = {
    _position_form(name): code
    for table in (POSITIONS, POSITION_ALIASES)
    for name, code in table.items()
} | {code: code for code in POSITION_CODES}  # a file exported by this system


def parse_position(text: str) -> str | None:
    """'专职网格员' → 'grid'; None when the text names no known position."""
    return _POSITION_KEYS.get(_position_form(text))


# --- dates ---------------------------------------------------------------------------------

# Excel's 1900 date system: serial 1 is 1900-01-01, and Excel counts a 29 February 1900 that
# never was (serial 60), so from serial 61 on the epoch is 1899-12-30.
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31
_EXCEL_FAKE_LEAP_DAY = 60
_TIME = r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
_YYYYMMDD = re.compile(r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})")
_DATE_PATTERNS = (
    # 2023-05-01, 2023/5/1, 2023.5.1 (one separator, used twice), with the time a CSV saved
    # from Excel may add.
    re.compile(
        rf"(?P<y>[0-9]{{4}})\s*(?P<sep>[-/.])\s*(?P<m>[0-9]{{1,2}})\s*(?P=sep)\s*(?P<d>[0-9]{{1,2}}){_TIME}"
    ),
    re.compile(r"(?P<y>[0-9]{4})\s*年\s*(?P<m>[0-9]{1,2})\s*月\s*(?P<d>[0-9]{1,2})\s*[日号]?"),
    _YYYYMMDD,
)
# Year and month only (2015.07, 2015年7月): how HR forms give 参加工作时间. Read as the 1st.
# With a dot the month must have two digits: "2015.1" may be Excel's display of the number
# 2015.10, so it is left to be read as a serial number (and refused as a start date).
_MONTH_PATTERNS = (
    re.compile(r"(?P<y>[0-9]{4})\s*[-/]\s*(?P<m>[0-9]{1,2})"),
    re.compile(r"(?P<y>[0-9]{4})\.(?P<m>[0-9]{2})"),
    re.compile(r"(?P<y>[0-9]{4})\s*年\s*(?P<m>[0-9]{1,2})\s*月?"),
)
_SERIAL = re.compile(r"[0-9]+(\.[0-9]+)?")


def excel_serial_date(serial: float) -> date:
    """An Excel serial number (1900 date system) → its date; the time of day is ignored."""
    if not 1 <= serial <= _EXCEL_MAX_SERIAL or math.isnan(serial):
        raise ValueError(f"{serial} is not an Excel date serial number")
    days = int(serial)
    if days == _EXCEL_FAKE_LEAP_DAY:
        raise ValueError("serial 60 is Excel's 1900-02-29, which does not exist")
    if days < _EXCEL_FAKE_LEAP_DAY:
        days += 1
    return _EXCEL_EPOCH + timedelta(days=days)


def parse_date(value: object, *, today: date) -> date:
    """A date cell however it arrives → a date; ValueError when it cannot be read as one.

    `today` is part of the agreed signature; no accepted form needs it yet (there are no
    two-digit years to place in a century).
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{value!r} is not a date")
    if isinstance(value, int | float):
        # A date typed as 20230501 into a number cell is a date, not serial 20,230,501.
        if isinstance(value, int) or value.is_integer():
            match = _YYYYMMDD.fullmatch(str(int(value)))
            if match:
                return _ymd(match)
        return excel_serial_date(value)
    text = cell_text(value)
    for pattern in (*_DATE_PATTERNS, *_MONTH_PATTERNS):
        match = pattern.fullmatch(text)
        if match:
            return _ymd(match)
    if _SERIAL.fullmatch(text):
        return excel_serial_date(float(text))
    raise ValueError(f"{text!r} is not a date")


def _ymd(match: re.Match) -> date:
    parts = match.groupdict()
    # ValueError for 2023-02-30; a year and month alone mean the 1st.
    return date(int(parts["y"]), int(parts["m"]), int(parts.get("d") or 1))


# --- rows ----------------------------------------------------------------------------------

# A start date earlier than this is a misread cell, most often 2015.07 typed into a number
# cell, which Excel then holds as serial 2015.07, i.e. 1905-07-07.
EARLIEST_START_DATE = date(1950, 1, 1)
# Separators people use in a unit path: 东湖区/和平街道/幸福社区, 东湖区\和平街道, 东湖区>和平街道.
_UNIT_SEPARATORS = re.compile(r"\s*[/\\>]\s*")
_UNIT_CODE = re.compile(r"[A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Problem:
    column: str  # column key, or "" for the whole row
    code: str
    params: dict = field(default_factory=dict)  # JSON-safe; ID numbers only masked


@dataclass(frozen=True)
class CleanRow:
    name: str
    phone: str
    id_number: str  # "" when not given
    unit: str  # a name path joined with "/" or an upper-cased unit code, resolved by the importer
    position: str  # a WorkerProfile.Position value
    worker_number: str
    start_date: date | None


def clean_name(text: str) -> str:
    """'张 三' → '张三'; '买买提•艾力' → '买买提·艾力' (the middle dot of minority names)."""
    text = _without_cjk_spaces(text)
    # People type the dot of 买买提·艾力 with whatever their keyboard has; the register uses U+00B7.
    return re.sub(r"\s*[.·•・‧∙⋅]\s*", "·", text) if re.search(_NON_ASCII, text) else text


def clean_unit(text: str) -> str:
    """'东湖区 / 和平街道＼幸福社区' → '东湖区/和平街道/幸福社区'; 'dh-001' → 'DH-001'."""
    if _UNIT_CODE.fullmatch(text):
        return text.upper()
    parts = (_without_cjk_spaces(part).strip() for part in _UNIT_SEPARATORS.split(text))
    return "/".join(part for part in parts if part)


def clean_row(raw: dict[str, object], *, today: date) -> tuple[CleanRow | None, list[Problem]]:
    """One row's raw cells → (clean data, []) or (None, every problem found in the row)."""
    problems: list[Problem] = []

    def problem(column: str, code: str, **params: object) -> None:
        problems.append(Problem(column, code, params))

    text = {column.key: _given(raw.get(column.key)) for column in COLUMNS}
    for column in COLUMNS:
        if column.required and not text[column.key]:
            problem(column.key, "required")

    name = clean_name(text["name"])
    if len(name) > NAME_MAX:
        problem("name", "name_too_long", max=NAME_MAX, length=len(name))

    phone = normalise_phone(text["phone"])
    if text["phone"] and not is_mainland_mobile(phone):
        problem("phone", "invalid_phone", value=text["phone"])

    id_number = _id_number(raw.get("id_number"), text["id_number"], today, problem)

    unit = clean_unit(text["unit"])

    position = parse_position(text["position"]) or ""
    if text["position"] and not position:
        problem("position", "unknown_position", value=text["position"])

    worker_number = text["worker_number"]
    if len(worker_number) > WORKER_NUMBER_MAX:
        problem(
            "worker_number",
            "worker_number_too_long",
            max=WORKER_NUMBER_MAX,
            length=len(worker_number),
        )

    start_date = None
    if text["start_date"]:
        try:
            start_date = parse_date(raw["start_date"], today=today)
        except ValueError:
            problem("start_date", "invalid_date", value=text["start_date"])
        else:
            if start_date > today:
                problem("start_date", "future_date", value=start_date.isoformat())
            elif start_date < EARLIEST_START_DATE:
                problem("start_date", "invalid_date", value=text["start_date"])

    if problems:
        # In the file's column order, so the preview reads left to right.
        problems.sort(key=lambda p: _COLUMN_ORDER[p.column])
        return None, problems
    return CleanRow(name, phone, id_number, unit, position, worker_number, start_date), []


def _given(value: object) -> str:
    text = cell_text(value)
    return "" if text.lower() in _PLACEHOLDERS else text


def _id_number(value: object, text: str, today: date, problem) -> str:
    text = text.lstrip(_TEXT_PREFIXES)
    if not text:
        return ""
    # Excel keeps 15 significant digits: an ID number stored as a number has lost its last
    # digits (and an X cannot be a number at all), so nothing can be recovered from it.
    number_cell = isinstance(value, int | float) and not isinstance(value, bool)
    if number_cell or _SCIENTIFIC.fullmatch(text):
        problem("id_number", "id_as_number")
        return ""
    number = normalise_id_number(text)
    code = id_number_problem(number, today=today)
    if code == "id_length":
        problem("id_number", code, value=mask_id_number(number), length=len(number))
    elif code:
        problem("id_number", code, value=mask_id_number(number))
    return number


def find_duplicates(rows: list[tuple[int, CleanRow]]) -> list[tuple[int, Problem]]:
    """Later rows naming a person already in the file (same phone, or same ID number)."""
    first_rows: dict[tuple[str, str], int] = {}
    found: list[tuple[int, Problem]] = []
    for row, data in rows:
        for column, value in (("phone", data.phone), ("id_number", data.id_number)):
            if not value:
                continue
            first = first_rows.setdefault((column, value), row)
            if first != row:
                found.append((row, Problem(column, "duplicate_in_file", {"first_row": first})))
    return found
