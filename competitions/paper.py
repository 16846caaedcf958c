"""Paper score sheets: typed into a spreadsheet, uploaded, then confirmed by a second person.

The file has one row per (blind code, judge): columns 编码 (code), 评委 (judge: username or
mobile number) and one column per criterion (headed by its code or its title). An upload is all
or nothing: any bad row and nothing is saved, with a message per problem naming the row. Good
rows become ENTERED sheets; someone other than the person who uploaded them confirms them, which
submits them (the Tabbycat rule: whoever enters a paper ballot cannot confirm it).
"""

import re
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from people.cells import workbook_bytes
from people.models import User
from people.phones import normalise_phone, to_halfwidth
from people.roster.messages import describe, row_message
from people.roster.reader import RosterFileError, read_table
from people.roster.rules import cell_text

from . import audit
from .judging import (
    check_value,
    codes_text,
    may_enter_paper,
    plain,
    record_change,
    require_open,
)
from .models import Assignment, Recusal, ScoreChange, ScoreSheet, Stage

# The template's headers are the file format (like the roster template's); the reader also
# takes the English forms.
CODE_HEADERS = ("编码", "盲码", "抽签编码", "code", "blind code", "blind_code")
JUDGE_HEADERS = ("评委", "评委账号", "judge", "username", "评委手机号", "mobile")
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
_CRITERION_KEY = "criterion:"


def _form(text: str) -> str:
    return re.sub(r"\s+", "", to_halfwidth(str(text or ""))).lower()


def _matcher(stage: Stage, criteria):
    keys = {_form(h): "code" for h in CODE_HEADERS}
    keys.update({_form(h): "judge" for h in JUDGE_HEADERS})
    for criterion in criteria:
        keys.setdefault(_form(criterion.title), _CRITERION_KEY + criterion.code)
        keys[_form(criterion.code)] = _CRITERION_KEY + criterion.code
    return lambda text: keys.get(_form(text))


def _row(number: int, message: str) -> str:
    return row_message(number, "", message)


# --------------------------------------------------------------------------- reading


def read_paper_file(stage: Stage, data: bytes, filename: str):
    """The file's table, or ValidationError with the problem with the file as a whole."""
    criteria = list(stage.criteria.all())
    if not criteria:
        raise ValidationError(_("This stage has no criteria to score."), code="invalid")
    required = ["code", "judge", *(_CRITERION_KEY + c.code for c in criteria)]
    try:
        return read_table(
            data,
            filename,
            match_header=_matcher(stage, criteria),
            required=required,
            max_bytes=MAX_BYTES,
            max_rows=MAX_ROWS,
        )
    except RosterFileError as error:
        params = dict(error.params)
        if error.code == "missing_columns":
            names = {"code": "编码", "judge": "评委"}
            names.update({_CRITERION_KEY + c.code: c.title for c in criteria})
            params["columns"] = "、".join(names.get(k, k) for k in params.get("columns", []))
        if error.code == "no_header":
            raise ValidationError(
                _("No header row was found: the first rows must hold 编码, 评委 and the criteria."),
                code="invalid",
            ) from None
        raise ValidationError(describe(error.code, params), code="invalid") from None


class _Judges:
    """The stage's judges, found by username or mobile number."""

    def __init__(self, stage: Stage):
        ids = set(
            Assignment.objects.filter(appearance__stage=stage).values_list("judge_id", flat=True)
        )
        ids.update(stage.rooms.values_list("judges", flat=True))
        ids.discard(None)
        users = list(User.objects.filter(pk__in=ids))
        self.by_username = {u.username.lower(): u for u in users}
        self.by_phone = {u.phone: u for u in users if u.phone}

    def find(self, text: str):
        return self.by_username.get(text.lower()) or self.by_phone.get(normalise_phone(text))


def import_paper_sheets(stage: Stage, data: bytes, filename: str, by) -> list[ScoreSheet]:
    """Type in the sheets of an uploaded file as ENTERED, all or nothing.

    Raises PermissionDenied for someone who is neither organiser nor chief judge, and
    ValidationError with one message per problem ("Row 7: …") when anything is wrong.
    """
    if not may_enter_paper(by, stage):
        raise PermissionDenied(
            _("Only the organisers or the chief judge may type in paper sheets.")
        )
    require_open(stage)
    table = read_paper_file(stage, data, filename)
    with transaction.atomic():
        stage = Stage.objects.select_for_update().get(pk=stage.pk)
        require_open(stage)
        # A judge submitting online locks their appearance, not the stage: lock the stage's
        # appearances too before reading its sheets, or a submission landing between that
        # read and these writes would be written over by the paper.
        list(stage.appearances.select_for_update().order_by("pk").values_list("pk", flat=True))
        rows, problems = _check_rows(stage, table)
        if problems:
            raise ValidationError([ValidationError(p, code="invalid") for p in problems])
        if not rows:
            raise ValidationError(_("The file has no score rows."), code="invalid")
        try:
            with transaction.atomic():
                entered = [_enter(stage, row, by) for row in rows]
                # Last, once no row can wait on a judge's sheet (competitions/audit.py).
                audit.score_changed(entered, ScoreChange.Kind.ENTERED, by)
                return entered
        except IntegrityError:
            raise ValidationError(
                _("A judge submitted a sheet while the file was read; upload it again."),
                code="already_submitted",
            ) from None


def _check_rows(stage: Stage, table) -> tuple[list[dict], list[str]]:
    criteria = list(stage.criteria.all())
    appearances = {a.blind_code.upper(): a for a in stage.appearances.all()}
    assigned = set(
        Assignment.objects.filter(appearance__stage=stage).values_list("appearance_id", "judge_id")
    )
    recused = set(
        Recusal.objects.filter(appearance__stage=stage).values_list("appearance_id", "judge_id")
    )
    sheets = {
        (s.appearance_id, s.judge_id): s
        for s in ScoreSheet.objects.filter(appearance__stage=stage, judge__isnull=False)
    }
    judges = _Judges(stage)
    seen: dict[tuple[int, int], int] = {}
    rows, problems = [], []
    for number, record in table.rows:
        if all(cell_text(v) == "" for v in record.values()):
            continue
        row_problems = []
        code = cell_text(record.get("code"))
        judge_text = cell_text(record.get("judge"))
        appearance = appearances.get(code.upper())
        judge = judges.find(judge_text) if judge_text else None
        if not code:
            row_problems.append(_("the code is missing."))
        elif appearance is None:
            row_problems.append(_("“%(code)s” is not a blind code of this stage.") % {"code": code})
        if not judge_text:
            row_problems.append(_("the judge is missing."))
        elif judge is None:
            row_problems.append(
                _("“%(judge)s” is not a judge of this stage.") % {"judge": judge_text}
            )
        values, total = {}, Decimal(0)
        for criterion in criteria:
            value, problem = check_value(criterion, record.get(_CRITERION_KEY + criterion.code))
            if problem:
                row_problems.append(problem)
            else:
                values[criterion.code] = plain(value)
                total += value
        if appearance is not None and judge is not None:
            row_problems.extend(
                _pair_problems(appearance, judge, number, seen, assigned, recused, sheets)
            )
        problems.extend(_row(number, p) for p in row_problems)
        if not row_problems:
            rows.append(
                {
                    "appearance": appearance,
                    "judge": judge,
                    "values": values,
                    "total": total,
                    "sheet": sheets.get((appearance.pk, judge.pk)),
                }
            )
    return rows, problems


def _pair_problems(appearance, judge, number, seen, assigned, recused, sheets) -> list[str]:
    key = (appearance.pk, judge.pk)
    params = {"judge": judge.username, "code": appearance.blind_code}
    if key in seen:
        return [_("the same code and judge as row %(row)s.") % {"row": seen[key]}]
    seen[key] = number
    if key in recused:
        return [_("%(judge)s stands aside from %(code)s.") % params]
    if key not in assigned:
        return [_("%(judge)s is not assigned to %(code)s.") % params]
    sheet = sheets.get(key)
    if sheet is not None and sheet.status == ScoreSheet.Status.SUBMITTED:
        return [_("%(judge)s has already submitted a sheet for %(code)s.") % params]
    if sheet is not None and sheet.status == ScoreSheet.Status.ENTERED:
        return [_("the sheet of %(judge)s for %(code)s is already typed in.") % params]
    return []


def _enter(stage: Stage, row: dict, by) -> ScoreSheet:
    sheet = row["sheet"]
    old = None
    if sheet is None:
        sheet = ScoreSheet(appearance=row["appearance"], judge=row["judge"])
    else:  # a reopened sheet: the paper replaces it, to be confirmed like any other
        old = sheet.values
    sheet.status = ScoreSheet.Status.ENTERED
    sheet.source = ScoreSheet.Source.PAPER
    sheet.values, sheet.total = row["values"], row["total"]
    sheet.submission_id = sheet.submitted_at = sheet.confirmed_by = None
    sheet.entered_by = by
    sheet.save()
    record_change(sheet, ScoreChange.Kind.ENTERED, by, old=old, new=row["values"], audited=False)
    return sheet


# --------------------------------------------------------------------------- confirming


def confirm_paper_sheets(sheets, by) -> list[ScoreSheet]:
    """A second person (organiser or chief judge, not the one who typed them in) confirms
    typed-in sheets: they become submitted. All or nothing."""
    ids = [s.pk for s in sheets]
    with transaction.atomic():
        locked = list(
            ScoreSheet.objects.select_for_update(of=("self",))
            .filter(pk__in=ids)
            .select_related("appearance__stage__round__competition__owner_unit", "judge")
            .order_by("appearance__order", "judge_id")
        )
        if not locked:
            raise ValidationError(_("Choose the sheets to confirm."), code="invalid")
        for stage in {s.appearance.stage for s in locked}:
            if not may_enter_paper(by, stage):
                raise PermissionDenied(
                    _("Only the organisers or the chief judge may confirm paper sheets.")
                )
            require_open(stage)
        not_entered = [
            s.appearance.blind_code for s in locked if s.status != ScoreSheet.Status.ENTERED
        ]
        if not_entered:
            raise ValidationError(
                _("These sheets are not waiting for confirmation: %(codes)s.")
                % {"codes": codes_text(not_entered)},
                code="already_submitted",
            )
        own = [s.appearance.blind_code for s in locked if s.entered_by_id == by.pk]
        if own:
            raise PermissionDenied(
                _("You typed in the sheets for %(codes)s: someone else must confirm them.")
                % {"codes": codes_text(own)}
            )
        now = timezone.now()
        for sheet in locked:
            sheet.status = ScoreSheet.Status.SUBMITTED
            sheet.confirmed_by, sheet.submitted_at = by, now
            sheet.save(update_fields=["status", "confirmed_by", "submitted_at"])
            record_change(sheet, ScoreChange.Kind.CONFIRMED, by, new=sheet.values)
        return locked


def awaiting_confirmation(stage: Stage):
    return (
        ScoreSheet.objects.filter(appearance__stage=stage, status=ScoreSheet.Status.ENTERED)
        .select_related("appearance", "judge", "entered_by")
        .order_by("appearance__order", "judge__username")
    )


# --------------------------------------------------------------------------- template


def criterion_headers(criteria) -> list[str]:
    """Titles when they tell the criteria apart, else the codes."""
    titles = [c.title for c in criteria]
    return titles if len({_form(t) for t in titles}) == len(titles) else [c.code for c in criteria]


def template_workbook(stage: Stage, room=None) -> bytes:
    """A sheet to type paper scores into: one row per (code, judge) of the stage or room."""
    criteria = list(stage.criteria.all())
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "评分表"
    sheet.append(["编码", "评委", "评委姓名", *criterion_headers(criteria)])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = 14
    sheet.freeze_panes = "A2"
    assignments = Assignment.objects.filter(appearance__stage=stage).select_related(
        "appearance", "judge"
    )
    if room is not None:
        assignments = assignments.filter(appearance__room=room)
    for a in assignments.order_by("appearance__order", "judge__username"):
        sheet.append([a.appearance.blind_code, a.judge.username, a.judge.real_name or ""])
    legend = workbook.create_sheet("评分项")
    legend.append(["评分项", "代码", "满分", "步长"])
    for c in criteria:
        legend.append([c.title, c.code, float(c.max_points), float(c.step)])
    return workbook_bytes(workbook)


__all__ = [
    "awaiting_confirmation",
    "confirm_paper_sheets",
    "import_paper_sheets",
    "read_paper_file",
    "template_workbook",
]
