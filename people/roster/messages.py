"""What each roster problem code means, in words for the person who made the file."""

from dataclasses import dataclass, field
from typing import ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MESSAGES = {
    # A row's own values
    "required": gettext_lazy("this value is required."),
    "invalid_phone": gettext_lazy(
        "“%(value)s” is not a valid mainland mobile number: it must be 11 digits starting with 1."
    ),
    "id_length": gettext_lazy("“%(value)s” is not an 18-character ID number."),
    "id_birth_date": gettext_lazy("the birth date in ID number “%(value)s” is impossible."),
    "id_check_digit": gettext_lazy(
        "the check digit of ID number “%(value)s” is wrong; please check for a typo."
    ),
    "id_as_number": gettext_lazy(
        "Excel stored the ID number as a number, which loses the last digits; format the column as text and type the numbers again."
    ),
    "unknown_position": gettext_lazy(
        "“%(value)s” is not a known position; use one of the template's positions."
    ),
    "invalid_date": gettext_lazy("“%(value)s” is not a plausible date; write it as 2023-05-01."),
    "future_date": gettext_lazy("“%(value)s” is in the future."),
    "name_too_long": gettext_lazy("the name is longer than 50 characters."),
    "worker_number_too_long": gettext_lazy("the worker number is longer than 32 characters."),
    "duplicate_in_file": gettext_lazy("the same person already appears in row %(first_row)s."),
    # Against the tree, the scope and the people already known
    "unknown_unit": gettext_lazy(
        "no community “%(value)s” was found; write its path such as 东湖区/和平街道/幸福社区, or its code."
    ),
    "unit_not_community": gettext_lazy(
        "“%(value)s” is not a community or village; workers belong to a community."
    ),
    "ambiguous_unit": gettext_lazy(
        "“%(value)s” matches several communities (%(options)s); write more of the path."
    ),
    "unit_out_of_scope": gettext_lazy("“%(value)s” is outside the units you manage."),
    "phone_belongs_to_other": gettext_lazy(
        "this mobile number belongs to another person (%(name)s)."
    ),
    "id_differs": gettext_lazy(
        "the person with this mobile number (%(name)s) has a different ID number."
    ),
    "person_outside_scope": gettext_lazy(
        "%(name)s currently belongs to %(unit)s, outside the units you manage; tick “allow transfers in” to move them here."
    ),
    # The whole file
    "empty_file": gettext_lazy("The file is empty."),
    "not_spreadsheet": gettext_lazy(
        "The file is not a spreadsheet. Upload an .xlsx, .xls or .csv file."
    ),
    "encrypted": gettext_lazy(
        "The file is protected by a password. Remove the password in Excel and upload it again."
    ),
    "corrupt": gettext_lazy(
        "The file is damaged and cannot be opened. Save it again in Excel and upload the new copy."
    ),
    "too_large": gettext_lazy(
        "The file is larger than %(max_mb)s MB. Split it into several files."
    ),
    "too_many_rows": gettext_lazy(
        "The file has more than %(max_rows)s rows. Split it into several files."
    ),
    "no_header": gettext_lazy(
        "No header row was found. The first rows must contain the template's headers, such as 姓名 and 手机号."
    ),
    "no_rows": gettext_lazy(
        "The file has the headers but no workers below them. Fill in one worker per row under the headers."
    ),
    "missing_columns": gettext_lazy("Required columns are missing: %(columns)s."),
    "duplicate_column": gettext_lazy("The column “%(column)s” appears twice."),
    "merged_header": gettext_lazy(
        "The header row (row %(row)s) contains merged cells. Unmerge them so that each column has its own header."
    ),
    "formula": gettext_lazy(
        "Row %(row)s, column “%(column)s” contains a formula. Paste the values instead (Paste Special → Values)."
    ),
    "control_character": gettext_lazy(
        "Row %(row)s, column “%(column)s” contains a control character, which cannot be stored. Delete the cell's content and type it again."
    ),
}


class _Params(dict):
    """Missing keys print as nothing rather than breaking the message."""

    def __missing__(self, key):
        return ""


def describe(code: str, params: dict | None = None) -> str:
    template = MESSAGES.get(code)
    if template is None:
        return code
    params = dict(params or {})
    if isinstance(params.get("columns"), list | tuple):
        from .rules import COLUMNS

        headers = {c.key: c.header for c in COLUMNS}
        params["columns"] = "、".join(headers.get(k, k) for k in params["columns"])
    return str(template) % _Params(params)


def row_message(row: int | None, column: str, reason: str) -> str:
    """'第 7 行，“手机号”列：…', or just the reason when it concerns no single row."""
    if row is None:
        return reason
    if column:
        return _("Row %(row)s, column “%(column)s”: %(message)s") % {
            "row": row,
            "column": column,
            "message": reason,
        }
    return _("Row %(row)s: %(message)s") % {"row": row, "message": reason}


def describe_row_error(error: dict) -> str:
    """One stored row error, in words."""
    return row_message(
        error["row"], error.get("column", ""), describe(error["code"], error.get("params"))
    )


@dataclass(frozen=True)
class SheetProblem:
    """A problem in an uploaded spreadsheet: `row` is its row number (None for the whole file),
    `column` the header as written ("" for none). Each kind of upload subclasses it with its
    own `messages`; codes it does not know are the reader's file-level ones."""

    messages: ClassVar[dict] = {}

    code: str
    row: int | None = None
    column: str = ""
    params: dict = field(default_factory=dict)

    @property
    def reason(self) -> str:
        template = self.messages.get(self.code)
        if template is None:
            return describe(self.code, self.params)
        return str(template) % _Params(self.params)

    @property
    def message(self) -> str:
        return row_message(self.row, self.column, self.reason)

    def __str__(self):
        return self.message
