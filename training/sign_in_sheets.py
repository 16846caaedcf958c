"""The paper sign-in sheet (签到表), the fallback when phones or the network fail.

The trainer downloads a workbook listing the people signed up (name, mobile) with empty
签到时间 / 签退时间 columns, prints it, has people write their times, types them in and
uploads it. The file is read by the roster reader (`people.roster.reader.read_table`: format
detection, header search, limits). Rows are matched to people by mobile number; times are
HH:MM on the session's day or full date-times. All or nothing: any bad row and nothing is
saved, and every problem is reported with its row number.

Headers are a fixed Chinese data format (like the roster's), not UI text.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils.datetime import from_excel

from people.audit import record
from people.cells import workbook_bytes
from people.models import AuditEvent, User
from people.phones import normalise_phone, to_halfwidth
from people.roster.messages import SheetProblem
from people.roster.reader import RosterFileError, read_table
from people.roster.rules import cell_text
from people.scope import Scope

from . import sessions
from .models import Attendance, SessionSignup, TrainingSession

MAX_ROWS = 2000
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    # Column headers are a data format, like the roster's: the paper sheets people fill in
    # are Chinese whatever language the page is in, so they are matched, not translated.
    "name": ("姓名", ("名字",)),
    "phone": ("手机号", ("手机", "手机号码", "联系电话", "电话", "联系方式")),
    "checked_in": ("签到时间", ("签到", "到达时间", "签到时刻")),
    "checked_out": ("签退时间", ("签退", "离开时间", "签退时刻")),
}
HEADERS = {key: header for key, (header, _aliases) in COLUMNS.items()}
REQUIRED = ("phone", "checked_in", "checked_out")
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_TIME = re.compile(r"^(\d{1,2})[:点时](\d{1,2})(?:[:分](\d{1,2})秒?)?分?$")
_DATETIME = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?[\sT]*(\d{1,2})[:点时](\d{1,2})(?:[:分](\d{1,2}))?分?$"
)

MESSAGES = {
    "missing_phone": gettext_lazy("the mobile number is required to know who this is."),
    "unknown_person": gettext_lazy("nobody has the mobile number “%(value)s”."),
    "not_signed_up": gettext_lazy("%(name)s has not signed up for this session."),
    "bad_time": gettext_lazy(
        "“%(value)s” is not a time; write it as 08:30, or as 2026-05-01 08:30."
    ),
    "wrong_day": gettext_lazy("“%(value)s” is not on the day of the session."),
    "out_without_in": gettext_lazy("a check-out time needs a check-in time."),
    "out_before_in": gettext_lazy("the check-out time is before the check-in time."),
    "duplicate": gettext_lazy("%(name)s already appears in row %(first_row)s."),
    "no_rows": gettext_lazy("The file has no times filled in below its header row."),
    "no_header": gettext_lazy(
        "No header row was found. The first rows must contain the template's headers: 手机号, 签到时间 and 签退时间."
    ),
}


@dataclass(frozen=True)
class RowError(SheetProblem):
    messages = MESSAGES


@dataclass(frozen=True)
class SheetRow:
    row: int
    user: User
    checked_in_at: datetime | None
    checked_out_at: datetime | None


@dataclass
class ImportResult:
    imported: int = 0
    credited: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --------------------------------------------------------------------------- the template


def signed_up(session: TrainingSession):
    return (
        session.signups.filter(
            status__in=(SessionSignup.Status.CONFIRMED, SessionSignup.Status.WAITING)
        )
        .select_related("user")
        .order_by("status", "signed_up_at", "pk")
    )


def template_workbook(session: TrainingSession, by) -> bytes:
    """An .xlsx to print: the session above, then one row per person signed up.

    It holds full mobile numbers (they match the rows back to people), so making it is
    recorded as an export in the audit log.
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "签到表"
    start, end = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
    sheet["A1"] = f"{session.title} 签到表"
    sheet["A1"].font = Font(bold=True, size=14)
    place = " ".join(part for part in (session.base.name, session.place) if part)
    sheet["A2"] = f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} {place}"
    sheet.append([])
    sheet.append(
        [
            "序号",
            HEADERS["name"],
            HEADERS["phone"],
            HEADERS["checked_in"],
            HEADERS["checked_out"],
            "本人签名",
        ]
    )
    for cell in sheet[4]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    people = list(signed_up(session))
    for number, signup in enumerate(people, 1):
        sheet.append([number, signup.user.real_name, signup.user.phone, None, None, None])
        for column in "DE":
            sheet[f"{column}{sheet.max_row}"].number_format = "hh:mm"
    for column, width in zip("ABCDEF", (6, 12, 16, 12, 12, 16), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.print_title_rows = "4:4"
    content = workbook_bytes(workbook)
    record(
        by,
        AuditEvent.Action.EXPORT,
        _("Paper sign-in sheet of “%(session)s”") % {"session": session.title},
        scope=Scope(paths=(session.base.unit.path,)),
        count=len(people),
    )
    return content


# --------------------------------------------------------------------------- reading


def _header_form(text: str) -> str:
    text = re.sub(rf"[\s{_INVISIBLE}*]+", "", to_halfwidth(text or ""))
    return re.sub(r"\((必填|选填)\)$", "", text)


_HEADER_KEYS = {
    _header_form(text): key
    for key, (header, aliases) in COLUMNS.items()
    for text in (header, *aliases)
}


def match_header(text: str) -> str | None:
    return _HEADER_KEYS.get(_header_form(text))


class BadTime(ValueError):
    pass


def parse_time(value: object, day: date) -> datetime | None:
    """A cell → an aware date-time: a time of day is on `day`; None for an empty cell."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        # xls keeps a bare time as a date-time on Excel's epoch day (1899-12-31).
        moment = datetime.combine(day, value.time()) if value.year < 1901 else value
    elif isinstance(value, time):
        moment = datetime.combine(day, value)
    elif isinstance(value, bool):
        raise BadTime
    elif isinstance(value, int | float):
        if 0 <= value < 1:  # a time typed in a cell without a time format: a fraction of a day
            moment = datetime.combine(day, time()) + timedelta(seconds=round(value * 86400))
        elif value < 2958466:
            moment = from_excel(value)
        else:
            raise BadTime
    else:
        moment = _parse_text(str(value), day)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _parse_text(text: str, day: date) -> datetime:
    text = re.sub(r"\s+", " ", to_halfwidth(text).strip())
    try:
        if match := _TIME.match(text):
            hour, minute, second = (int(g or 0) for g in match.groups())
            return datetime.combine(day, time(hour, minute, second))
        if match := _DATETIME.match(text):
            year, month, dom, hour, minute, second = (int(g or 0) for g in match.groups())
            return datetime(year, month, dom, hour, minute, second)
    except ValueError:  # 25:00, 2026-02-30 …
        raise BadTime from None
    raise BadTime


def _find_person(phone_text: str) -> User | None:
    number = normalise_phone(phone_text)
    return User.objects.filter(phone=number).first() if number else None


def check_file(
    session: TrainingSession, data: bytes, filename: str
) -> tuple[list[SheetRow], list[RowError]]:
    """Read and check every row; nothing is written."""
    try:
        table = read_table(
            data, filename, match_header=match_header, required=REQUIRED, max_rows=MAX_ROWS
        )
    except RosterFileError as error:
        params = dict(error.params)
        if error.code == "missing_columns":
            params["columns"] = "、".join(HEADERS.get(k, k) for k in params.get("columns", []))
        return [], [RowError(code=error.code, params=params)]

    day = timezone.localtime(session.starts_at).date()
    days = sessions.session_days(session)
    allowed = {s.user_id for s in signed_up(session)}
    seen: dict[int, int] = {}
    rows: list[SheetRow] = []
    errors: list[RowError] = []

    def problem(code, row, key="", **params):
        column = table.headers.get(key, HEADERS.get(key, "")) if key else ""
        errors.append(RowError(code=code, row=row, column=column, params=params))

    for number, raw in table.rows:
        if cell_text(raw.get("checked_in")) == "" and cell_text(raw.get("checked_out")) == "":
            continue  # not there (or a blank row): nothing to record
        phone = cell_text(raw.get("phone"))
        person = _find_person(phone) if phone else None
        if not phone:
            problem("missing_phone", number, "phone")
        elif person is None:
            problem("unknown_person", number, "phone", value=phone)
        elif person.pk not in allowed:
            problem("not_signed_up", number, "phone", name=person.real_name or phone)
        elif person.pk in seen:
            problem("duplicate", number, "phone", name=person.real_name, first_row=seen[person.pk])
        if person is not None:
            seen.setdefault(person.pk, number)

        times = {}
        for key in ("checked_in", "checked_out"):
            value = raw.get(key)
            try:
                times[key] = parse_time(value, day)
            except (BadTime, OverflowError, ValueError):
                problem("bad_time", number, key, value=cell_text(value))
                times[key] = False
                continue
            if times[key] and timezone.localtime(times[key]).date() not in days:
                problem("wrong_day", number, key, value=cell_text(value))
                times[key] = False
        checked_in, checked_out = times["checked_in"], times["checked_out"]
        if checked_out and checked_in is None:
            problem("out_without_in", number, "checked_out")
        elif checked_in and checked_out and checked_out < checked_in:
            problem("out_before_in", number, "checked_out")
        if person is not None and checked_in is not False and checked_out is not False:
            rows.append(SheetRow(number, person, checked_in, checked_out))

    if not rows and not errors:
        errors.append(RowError(code="no_rows"))
    return rows, errors


def import_sheet(session: TrainingSession, data: bytes, filename: str, *, by) -> ImportResult:
    """Record the sheet's times (source: paper) and credit hours, or nothing if any row is
    wrong. A row replaces what was recorded for that person before. The caller checks that
    `by` manages the session."""
    rows, errors = check_file(session, data, filename)
    if errors:
        return ImportResult(errors=errors)
    note = _("Paper sign-in sheet")
    credited = 0
    with transaction.atomic():
        for row in rows:
            attendance = sessions.store_times(
                session,
                row.user,
                row.checked_in_at,
                row.checked_out_at,
                Attendance.Source.PAPER,
                note,
            )
            credited += sessions.settle_hours(attendance, by=by, reason=note)
        record(
            by,
            AuditEvent.Action.CORRECT,
            _("Imported the paper sign-in sheet of “%(session)s”") % {"session": session.title},
            scope=Scope(paths=(session.base.unit.path,)),
            count=len(rows),
        )
    return ImportResult(imported=len(rows), credited=credited)
