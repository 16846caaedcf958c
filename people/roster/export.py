"""Spreadsheets going out: the import template, the roster of a scope, the staffing summary and
the activation slips."""

from collections import Counter, defaultdict

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from .. import crypto
from ..cells import workbook_bytes
from ..idnumbers import mask_id_number
from ..models import OrgUnit, WorkerProfile
from ..phones import mask_phone
from ..scope import Scope
from .rules import COLUMNS, POSITIONS

# The seed's staffing standard: 18 community workers per 10,000 urban residents.
STAFF_PER_10K = 18
POSITION_NAMES = {code: name for name, code in POSITIONS.items()}
HEADER_FONT = Font(bold=True)
REQUIRED_FILL = PatternFill("solid", fgColor="FDECEA")


def _header(sheet, headers: list[str], widths: list[int]):
    sheet.append(headers)
    for cell, width in zip(sheet[1], widths, strict=True):
        cell.font = HEADER_FONT
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A2"


def template_workbook() -> bytes:
    """The file admins fill in. Required columns are shaded; ID numbers are text cells."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "花名册"
    _header(sheet, [c.header for c in COLUMNS], [10, 15, 22, 30, 18, 12, 14])
    for cell, column in zip(sheet[1], COLUMNS, strict=True):
        if column.required:
            cell.fill = REQUIRED_FILL
    sheet.append(
        [
            "张晓梅",
            "13812345678",
            "11010519491231002X",
            "东湖区/和平街道/幸福社区",
            "网格员",
            "HP-001",
            "2023-05-01",
        ]
    )
    letters = {c.key: sheet.cell(row=1, column=i + 1).column_letter for i, c in enumerate(COLUMNS)}
    # Text cells keep 18-digit ID numbers and leading zeros intact.
    for key in ("phone", "id_number", "worker_number"):
        for row in range(2, 5002):
            sheet[f"{letters[key]}{row}"].number_format = "@"
    positions = DataValidation(
        type="list", formula1='"' + ",".join(POSITIONS) + '"', allow_blank=False
    )
    positions.add(f"{letters['position']}2:{letters['position']}5001")
    sheet.add_data_validation(positions)

    notes = workbook.create_sheet(_("Instructions"))
    required, optional = _("required"), _("optional")
    explanations = {
        "name": _("As on the ID card."),
        "phone": _("Mainland mobile number, used to log in; +86, spaces and dashes are fine."),
        "id_number": _("18 characters, the last may be X; keep the cells as text."),
        "unit": _(
            "The path district/street/community, e.g. 东湖区/和平街道/幸福社区, or the community's code."
        ),
        "position": "、".join(POSITIONS),
        "worker_number": "",
        "start_date": _("e.g. 2023-05-01, 2023/5/1 or 2023年5月1日."),
    }
    notes.append([_("Column"), _("Required?"), _("Explanation")])
    for column in COLUMNS:
        notes.append(
            [column.header, required if column.required else optional, explanations[column.key]]
        )
    for cell in notes[1]:
        cell.font = HEADER_FONT
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["C"].width = 70
    return workbook_bytes(workbook)


def roster_rows(profiles, *, reveal: bool):
    """Rows in the template's column order, so an unmasked export can be imported again."""
    paths = OrgUnit.name_paths()
    for profile in profiles:
        user = profile.user
        id_number = crypto.decrypt(profile.id_number_encrypted)
        yield [
            user.real_name,
            user.phone if reveal else mask_phone(user.phone),
            id_number if reveal else (mask_id_number(id_number) if id_number else ""),
            paths[profile.community_id],
            POSITION_NAMES.get(profile.position, profile.position),
            profile.worker_number,
            profile.start_date,
        ]


def roster_workbook(profiles, *, reveal: bool) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "花名册"
    _header(sheet, [c.header for c in COLUMNS], [10, 15, 22, 30, 18, 12, 14])
    for row in roster_rows(profiles, reveal=reveal):
        sheet.append(row)
    for cell in sheet["G"][1:]:
        cell.number_format = "yyyy-mm-dd"
    return workbook_bytes(workbook)


def activation_workbook(issued, login_url: str) -> bytes:
    """One row per worker, to print and cut apart: who, the code, until when, where to go.
    `issued` as people.activation.issue returns it. Mobile numbers masked: the worker knows theirs."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Activation slips")
    headers = [
        _("Name"),
        _("Mobile number"),
        _("Community"),
        _("Activation code"),
        _("Valid until"),
        _("Activate at"),
    ]
    _header(sheet, headers, [10, 15, 30, 16, 12, 40])
    paths = OrgUnit.name_paths()
    code_font = Font(name="Consolas", size=14, bold=True)
    for user, code, expires_at in issued:
        community = getattr(getattr(user, "worker_profile", None), "community_id", None)
        sheet.append(
            [
                user.real_name,
                mask_phone(user.phone),
                paths.get(community, ""),
                code,
                timezone.localtime(expires_at).date(),
                login_url,
            ]
        )
        sheet.cell(row=sheet.max_row, column=4).font = code_font
        sheet.cell(row=sheet.max_row, column=5).number_format = "yyyy-mm-dd"
    return workbook_bytes(workbook)


def staffing_summary(scope: Scope) -> list[dict]:
    """Headcount by unit and position, with workers per 10,000 residents where known.

    One grouped query; counts roll up from communities to their streets and districts.
    """
    units = list(scope.units.order_by("path"))
    counts = (
        scope.filter(WorkerProfile.objects.all(), via="community")
        .values("community__path", "position")
        .annotate(n=Count("id"))
    )
    # Each count is added to its community and every unit above it: depth × rows, not units × rows.
    step = OrgUnit.steplen
    by_path: dict[str, Counter] = defaultdict(Counter)
    for row in counts:
        path = row["community__path"]
        for end in range(step, len(path) + 1, step):
            by_path[path[:end]][row["position"]] += row["n"]
    residents: Counter = Counter()
    for unit in units:
        if unit.level == OrgUnit.Level.COMMUNITY and unit.population:
            for end in range(step, len(unit.path) + 1, step):
                residents[unit.path[:end]] += unit.population
    summary = []
    for unit in units:
        positions = by_path[unit.path]
        total = sum(positions.values())
        # A street or district without its own figure counts the residents of its communities.
        population = unit.population or residents[unit.path]
        summary.append(
            {
                "unit": unit,
                "total": total,
                "positions": positions,
                "population": population or None,
                "per_10k": round(total * 10000 / population, 1) if population else None,
                "standard": round(population * STAFF_PER_10K / 10000) if population else None,
            }
        )
    return summary


def summary_workbook(scope: Scope) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Staffing")
    position_codes = list(POSITION_NAMES)
    headers = [
        _("Unit"),
        _("Level"),
        _("Workers"),
        *[POSITION_NAMES[c] for c in position_codes],
        _("Resident population"),
        _("Workers per 10,000 residents"),
        _("Standard (%(n)s per 10,000)") % {"n": STAFF_PER_10K},
    ]
    _header(sheet, headers, [34, 10, 8, *[12] * len(position_codes), 12, 14, 16])
    paths = OrgUnit.name_paths()
    for line in staffing_summary(scope):
        unit = line["unit"]
        sheet.append(
            [
                paths[unit.id],
                unit.get_level_display(),
                line["total"],
                *[line["positions"].get(code, 0) for code in position_codes],
                line["population"],
                line["per_10k"],
                line["standard"],
            ]
        )
    return workbook_bytes(workbook)


def profiles_in(scope: Scope):
    return (
        scope.filter(WorkerProfile.objects.all(), via="community")
        .select_related("user", "community")
        .order_by("community__path", "user__real_name")
    )
