"""Results going out: a stage's scores and a round's published result as Excel, and the judges'
score sheets as a PDF to sign.

Stage workbook: one row per appearance (order, blind code, name and unit only once the stage is
decoded, room, card), then each judge's criterion scores and total (judges numbered J1, J2 … in
the stage; a second sheet names them), then the panel score as `competitions.scoring` computes
it from the submitted sheets. Round workbook: the published ranking as frozen in the
RoundResult, and every judge's total per contestant and stage recomputed from the result's own
scores.csv, so it matches what was published even if a sheet changed later.

Text cells that a spreadsheet would run as a formula (=, +, -, @ …) are written with a leading
apostrophe. Each export costs a handful of queries, whatever the number of rows.
"""

import io
from collections import defaultdict
from decimal import Decimal, InvalidOperation

import pandas as pd
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from people.cells import neutralise_cell, workbook_bytes
from people.models import OrgUnit, User
from training.certificates import html_to_pdf

from . import scoring
from .judging import criteria_of
from .messages import scoring_message
from .models import Appearance, RoundResult, ScoreSheet, Stage
from .results import contestant_number, judge_label, stage_rules

HEADER_FONT = Font(bold=True)
NOTE_FONT = Font(italic=True, color="B3261E")
SCORE_FORMAT = "0.00"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---------------------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------------------


def safe_text(value) -> str:
    """Text a spreadsheet shows as text: a leading =, +, -, @ would make it a formula."""
    return neutralise_cell("" if value is None else str(value))


def number(value) -> Decimal | None:
    """A score as a number cell (None stays empty)."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


class Column:
    """One column: its header, width, and whether its cells are scores."""

    def __init__(self, header: str, width: int = 12, score: bool = False):
        self.header, self.width, self.score = header, width, score


def _sheet(workbook: Workbook, title: str, columns: list[Column], rows, *, first=False):
    """A sheet with a bold frozen header, the given widths, numbers formatted as scores."""
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title[:31]
    sheet.append([safe_text(c.header) for c in columns])
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    count = 0
    for row in rows:
        cells = [
            number(value)
            if column.score
            else (value if isinstance(value, int) else safe_text(value))
            for column, value in zip(columns, row, strict=True)
        ]
        sheet.append(cells)
        count += 1
    for index, column in enumerate(columns, start=1):
        if column.score:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = SCORE_FORMAT
    return sheet, count


def _note(sheet, text: str):
    sheet.append([])
    sheet.append([safe_text(text)])
    sheet.cell(row=sheet.max_row, column=1).font = NOTE_FONT


# ---------------------------------------------------------------------------------------
# A stage's scores
# ---------------------------------------------------------------------------------------


def _appearances(stage: Stage) -> list[Appearance]:
    return list(
        stage.appearances.select_related(
            "entry__registration__worker", "entry__registration__unit", "room", "card"
        ).order_by("order")
    )


def _submitted_sheets(stage: Stage) -> list[ScoreSheet]:
    return list(
        ScoreSheet.objects.filter(
            appearance__stage=stage, status=ScoreSheet.Status.SUBMITTED
        ).select_related("judge")
    )


def judge_numbers(sheets) -> dict:
    """J1, J2 … per judge of a stage: by room, then as seated (account order). The exam's
    sheets (no judge) come last."""
    first_room = {}
    for sheet in sorted(sheets, key=lambda s: s.appearance.order):
        first_room.setdefault(
            sheet.judge_id, sheet.appearance.room.name if sheet.appearance.room else ""
        )
    judges = {sheet.judge_id: sheet.judge for sheet in sheets}
    ordered = sorted(
        (pk for pk in judges if pk is not None),
        key=lambda pk: (first_room[pk], pk),
    )
    numbers = {pk: f"J{n}" for n, pk in enumerate(ordered, start=1)}
    if None in judges:
        numbers[None] = _("Exam")
    return numbers


def _panel_scores(stage: Stage, sheets) -> tuple[dict[int, tuple], str]:
    """{registration id: (panel score, judges)} as the engine computes it, and a note if it
    could not (a rule or a sheet it refuses)."""
    rows = sorted(
        (
            contestant_number(sheet.appearance.entry.registration_id),
            stage.code,
            judge_label(sheet.judge_id),
            criterion,
            str(score),
        )
        for sheet in sheets
        for criterion, score in (sheet.values or {}).items()
    )
    if not rows:
        return {}, ""
    frame = pd.DataFrame(rows, columns=list(scoring.SCORE_COLUMNS), dtype=str)
    try:
        table = scoring.stage_scores(frame, stage_rules(stage))
    except scoring.ScoringError as error:
        return {}, _("Panel scores could not be computed: %(problem)s") % {
            "problem": scoring_message(error)
        }
    except ValidationError as error:
        return {}, " ".join(error.messages)
    return {
        int(row.contestant): (row.score, int(row.judges)) for row in table.itertuples(index=False)
    }, ""


def stage_rows(stage: Stage) -> dict:
    """Everything a stage export shows, in two queries for appearances and sheets."""
    appearances = _appearances(stage)
    sheets = _submitted_sheets(stage)
    by_appearance = {appearance.pk: appearance for appearance in appearances}
    for sheet in sheets:  # the appearances already loaded, with their entries and rooms
        sheet.appearance = by_appearance[sheet.appearance_id]
    numbers = judge_numbers(sheets)
    judge_ids = sorted(numbers, key=lambda pk: (pk is None, int(numbers[pk][1:]) if pk else 0))
    judged = criteria_of(stage)
    criteria = {pk: judged if pk else criteria_of(stage, exam=True) for pk in judge_ids}
    panel, problem = _panel_scores(stage, sheets)
    marks = {(sheet.appearance_id, sheet.judge_id): sheet for sheet in sheets}
    return {
        "appearances": appearances,
        "judges": [(pk, numbers[pk]) for pk in judge_ids],
        "judge_users": {sheet.judge_id: sheet.judge for sheet in sheets},
        "criteria": criteria,
        "marks": marks,
        "panel": panel,
        "problem": problem,
    }


def _unit_paths(appearances) -> dict[int, str]:
    return OrgUnit.name_paths() if appearances else {}


def stage_workbook(stage: Stage) -> tuple[bytes, int]:
    """The stage's scores as .xlsx; returns the file and the number of appearance rows."""
    data = stage_rows(stage)
    decoded = stage.decoded
    columns = [Column(_("Order"), 7), Column(_("Blind code"), 12)]
    if decoded:
        columns += [Column(_("Name"), 12), Column(_("Unit"), 30)]
    columns += [Column(_("Room"), 12), Column(_("Scenario card"), 24)]
    for pk, label in data["judges"]:
        columns += [Column(f"{label} {c.title}", 10, score=True) for c in data["criteria"][pk]]
        columns.append(Column(_("%(judge)s total") % {"judge": label}, 10, score=True))
    columns += [Column(_("Judges"), 8), Column(_("Panel score"), 11, score=True)]

    paths = _unit_paths(data["appearances"]) if decoded else {}

    def rows():
        for appearance in data["appearances"]:
            registration = appearance.entry.registration
            row = [appearance.order, appearance.blind_code]
            if decoded:
                row += [
                    registration.worker.real_name,
                    paths.get(registration.unit_id, registration.unit.name),
                ]
            row += [
                appearance.room.name if appearance.room else "",
                appearance.card.title if appearance.card else "",
            ]
            for pk, _label in data["judges"]:
                sheet = data["marks"].get((appearance.pk, pk))
                values = sheet.values if sheet else {}
                row += [values.get(c.code) for c in data["criteria"][pk]]
                row.append(sheet.total if sheet else None)
            score, judges = data["panel"].get(registration.pk, (None, 0))
            row += [judges, score]
            yield row

    workbook = Workbook()
    title = _("Scores")
    sheet, count = _sheet(workbook, title, columns, rows(), first=True)
    if not decoded:
        _note(sheet, _("Names are shown once the chief judge has decoded the stage."))
    if data["problem"]:
        _note(sheet, data["problem"])
    legend = [
        (label, data["judge_users"][pk].real_name if pk else _("Exam result"))
        for pk, label in data["judges"]
    ]
    _sheet(workbook, _("Judges"), [Column(_("Judge"), 8), Column(_("Name"), 16)], legend)
    return workbook_bytes(workbook), count


# ---------------------------------------------------------------------------------------
# A round's published result
# ---------------------------------------------------------------------------------------


def _result_judge_totals(result: RoundResult) -> tuple[pd.DataFrame | None, str]:
    """Every judge's total per contestant and stage, from the scores frozen in the result."""
    try:
        rules = scoring.read_rules_json(io.StringIO(result.rules_json))
        frame = scoring.read_scores_csv(io.StringIO(result.scores_csv))
        return scoring.judge_totals(frame, rules), ""
    except scoring.ScoringError as error:
        return None, _("Judges' totals could not be computed: %(problem)s") % {
            "problem": scoring_message(error)
        }


def round_workbook(result: RoundResult) -> tuple[bytes, int]:
    """The published ranking with stage scores, total and award, and every judge's totals."""
    round_ = result.round
    stages = list(round_.stages.order_by("order"))
    names = {stage.code: stage.name for stage in stages}
    codes = [stage.code for stage in stages]
    for row in result.ranking:  # a stage deleted since publishing still shows
        codes += [code for code in row.get("stages", {}) if code not in codes]
    has_street = any(row.get("street") for row in result.ranking)
    has_district = any(row.get("district") for row in result.ranking)

    columns = [Column(_("Rank"), 7), Column(_("Contestant number"), 12), Column(_("Name"), 12)]
    columns += [Column(_("District"), 14)] if has_district else []
    columns += [Column(_("Street"), 16)] if has_street else []
    columns += [Column(_("Unit"), 18)]
    columns += [Column(names.get(code, code), 11, score=True) for code in codes]
    columns += [Column(_("Total"), 10, score=True), Column(_("Award"), 10)]

    def ranking_rows():
        for row in result.ranking:
            line = [row.get("rank"), row.get("contestant"), row.get("name")]
            line += [row.get("district", "")] if has_district else []
            line += [row.get("street", "")] if has_street else []
            line += [row.get("unit", "")]
            line += [row.get("stages", {}).get(code) for code in codes]
            line += [row.get("total"), row.get("award", "")]
            yield line

    workbook = Workbook()
    sheet, count = _sheet(workbook, _("Ranking"), columns, ranking_rows(), first=True)
    _note(
        sheet,
        _("Version %(version)s, published %(when)s (%(status)s). SHA-256: %(sha)s")
        % {
            "version": result.version,
            "when": timezone.localtime(result.published_at).strftime("%Y-%m-%d %H:%M"),
            "status": result.get_status_display(),
            "sha": result.sha256,
        },
    )
    _judges_sheet(workbook, result, stages, names)
    return workbook_bytes(workbook), count


def _judges_sheet(workbook, result: RoundResult, stages, names):
    totals, problem = _result_judge_totals(result)
    decoded = {stage.code for stage in stages if stage.decoded}
    name_of = {row["contestant"]: row.get("name", "") for row in result.ranking}
    blind = {
        (code, contestant_number(registration_id)): blind_code
        for code, registration_id, blind_code in Appearance.objects.filter(
            stage__in=stages
        ).values_list("stage__code", "entry__registration_id", "blind_code")
    }
    rows = [] if totals is None else list(totals.itertuples(index=False))
    judge_ids = {
        int(row.judge[1:]) for row in rows if row.judge.startswith("J") and row.judge[1:].isdigit()
    }
    judge_names = dict(User.objects.filter(pk__in=judge_ids).values_list("pk", "real_name"))
    # J1, J2 … within each stage, in the order the engine lists them.
    numbers: dict[str, dict[str, str]] = defaultdict(dict)
    for row in rows:
        if row.judge != "exam":
            numbers[row.stage].setdefault(row.judge, f"J{len(numbers[row.stage]) + 1}")

    def judge_name(label: str) -> str:
        if label == "exam":
            return _("Exam result")
        return judge_names.get(int(label[1:]), label) if label[1:].isdigit() else label

    columns = [
        Column(_("Stage"), 14),
        Column(_("Contestant number"), 12),
        Column(_("Blind code"), 12),
        Column(_("Name"), 12),
        Column(_("Judge"), 8),
        Column(_("Judge's name"), 12),
        Column(_("Judge's total"), 11, score=True),
        Column(_("Standardised total"), 12, score=True),
    ]

    def lines():
        for row in rows:
            yield [
                names.get(row.stage, row.stage),
                row.contestant,
                blind.get((row.stage, row.contestant), ""),
                name_of.get(row.contestant, "") if row.stage in decoded else "",
                numbers[row.stage].get(row.judge, _("Exam")),
                judge_name(row.judge),
                row.total,
                row.adjusted if row.adjusted != row.total else None,
            ]

    sheet, _count = _sheet(workbook, _("Judges' totals"), columns, lines())
    if problem:
        _note(sheet, problem)


# ---------------------------------------------------------------------------------------
# Score sheets to sign
# ---------------------------------------------------------------------------------------


def _sheet_line(sheet: ScoreSheet, criteria, decoded: bool) -> dict:
    appearance = sheet.appearance
    return {
        "appearance": appearance,
        "name": appearance.entry.registration.worker.real_name if decoded else "",
        "scores": [sheet.values.get(c.code, "") for c in criteria],
        "total": sheet.total,
        "submitted_at": timezone.localtime(sheet.submitted_at) if sheet.submitted_at else None,
        "paper": sheet.source == ScoreSheet.Source.PAPER,
    }


def score_sheet_pages(stage: Stage) -> list[dict]:
    """One page per judge who submitted sheets in the stage: their appearances in order."""
    data = stage_rows(stage)
    by_judge = defaultdict(list)
    for sheet in data["marks"].values():
        if sheet.judge_id is not None:
            by_judge[sheet.judge_id].append(sheet)
    pages = []
    for pk, label in data["judges"]:
        if pk is None:
            continue  # the exam's results are not a judge's to sign
        sheets = sorted(by_judge[pk], key=lambda s: s.appearance.order)
        rooms = dict.fromkeys(s.appearance.room.name for s in sheets if s.appearance.room)
        pages.append(
            {
                "label": label,
                "judge": data["judge_users"][pk],
                "rooms": "、".join(rooms),
                "criteria": data["criteria"][pk],
                "lines": [_sheet_line(s, data["criteria"][pk], stage.decoded) for s in sheets],
            }
        )
    return pages


def score_sheets_pdf(stage: Stage) -> tuple[bytes, int]:
    """The judges' submitted sheets of a stage, a page each with signature lines."""
    pages = score_sheet_pages(stage)
    if not pages:
        raise ValidationError(_("No judge has submitted a score sheet in this stage yet."))
    html = render_to_string(
        "competitions/exports/score_sheets.html",
        {
            "stage": stage,
            "round": stage.round,
            "competition": stage.round.competition,
            "pages": pages,
            "decoded": stage.decoded,
            "printed_at": timezone.localtime(),
        },
    )
    return html_to_pdf(html), len(pages)
