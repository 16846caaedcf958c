"""CSV/Excel formula injection: every spreadsheet and CSV the site hands out, downloaded through
its view with hostile names in the data, holds no text a spreadsheet would run.

Names, unit names, course, session, base, room, criterion and award titles start with =, +, -
or @; each export is opened with openpyxl (or csv, inside zips too) and no text cell may start
with a formula character, no cell may be a formula, and each export must show at least one of
the hostile names neutralised (so the check cannot pass on an export that left them out).
"""

import csv
import io
import zipfile
from datetime import datetime, time, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from cms.models import CasePage
from competitions.models import Room, ScoreSheet
from people import duties
from people.audit import record
from people.cells import FORMULA_STARTS, PREFIX
from people.models import AuditEvent, OrgUnit
from people.roster.rules import cell_text
from tests.db.test_casebook import make_case
from tests.db.test_competition_exports import publish_directly
from tests.factories import (
    activate_totp,
    make_admin,
    make_appearance,
    make_competition,
    make_course,
    make_entry,
    make_plan,
    make_sections,
    make_stage,
    make_tree,
    make_user,
    make_worker,
)
from training import plans
from training.models import HoursRequirement, SessionSignup, TrainingBase, TrainingSession

pytestmark = pytest.mark.django_db

PAYLOADS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"]
HYPERLINK, PLUS, MINUS, AT = PAYLOADS


@pytest.fixture
def world():
    units = make_tree()
    # Unit names lead every path ("@SUM(A1)/-2+3/+1+1") and fill the per-unit sheets.
    for code, name in (("TD1", AT), ("TD1S1", MINUS), ("TD1S1C1", PLUS)):
        OrgUnit.objects.filter(code=code).update(name=name)
    units = {code: OrgUnit.objects.get(pk=unit.pk) for code, unit in units.items()}
    sections = make_sections(units)
    community = units["TD1S1C1"]
    workers = [make_worker(community, real_name=name) for name in PAYLOADS]
    year = timezone.localdate().year
    HoursRequirement.objects.create(owner_unit=units["T"], year=year, hours=40)

    course = make_course(sections["T"], HYPERLINK, lessons=1)
    plan = make_plan(units["T"], [course])
    plans.sync_plan(plan)

    case = make_case(sections["TD1S1"], HYPERLINK)
    CasePage.objects.filter(pk=case.pk).update(view_count=9)

    base = TrainingBase.objects.create(
        unit=units["TD1S1"], name=AT, address=MINUS, capacity=30, contact_name=PLUS
    )
    starts = timezone.make_aware(datetime.combine(timezone.localdate(), time(9)))
    session = TrainingSession.objects.create(
        base=base,
        trainer=make_user("讲师"),
        title=HYPERLINK,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        capacity=10,
        hours=Decimal("2"),
    )
    for worker in workers:
        SessionSignup.objects.create(
            session=session,
            user=worker,
            status=SessionSignup.Status.CONFIRMED,
            signed_up_at=timezone.now(),
        )

    admin = make_admin(units["T"])
    activate_totp(admin)
    auditor = make_user("审计管理员")
    duties.grant(auditor, duties.AUDIT)
    activate_totp(auditor)
    record(workers[1], AuditEvent.Action.EXPORT, HYPERLINK, scope=AT)
    contest = _contest(units, workers, admin)
    return {
        "units": units,
        "workers": workers,
        "plan": plan,
        "session": session,
        "admin": admin,
        "auditor": auditor,
        **contest,
    }


def _contest(units, workers, organiser):
    """A decoded stage scored by judges with hostile names, published with hostile awards."""
    competition = make_competition(units["T"], chief_judge=make_user("裁判长"))
    round_ = competition.rounds.get()
    round_.awards = [{"name": HYPERLINK, "share": "0.5"}, {"name": AT, "share": "0.5"}]
    round_.save()
    stage = make_stage(round_, criteria=[("listen", MINUS, "10", "0.5")])
    judges = [make_user(PLUS), make_user(AT)]
    room = Room.objects.create(stage=stage, name=MINUS)
    for n, worker in enumerate(workers):
        appearance = make_appearance(
            stage, make_entry(competition, worker), room=room, judges=judges
        )
        for judge in judges:
            ScoreSheet.objects.create(
                appearance=appearance,
                judge=judge,
                status=ScoreSheet.Status.SUBMITTED,
                values={"listen": str(5 + n)},
                total=Decimal(5 + n),
                submitted_at=timezone.now(),
            )
    result = publish_directly({"stage": stage, "round": round_, "organiser": organiser})
    return {"stage": stage, "round": round_, "result": result}


def export_urls(world) -> dict[str, str]:
    """Every spreadsheet or CSV download, by what it is (the audit log's is the auditor's)."""
    stage, round_, result = world["stage"], world["round"], world["result"]
    profile = world["workers"][0].pk
    return {
        "roster template": "/roster/template.xlsx",
        "roster (masked)": "/roster/export.xlsx",
        "roster (full)": "/roster/export.xlsx?reveal=1",
        "staffing summary": "/roster/staffing.xlsx",
        "plan progress": f"/training/plans/{world['plan'].pk}/export.xlsx?unit=TD1S1C1",
        "plan progress (city)": f"/training/plans/{world['plan'].pk}/export.xlsx",
        "hours behind": "/training/hours/behind/export.xlsx",
        "dashboard": "/dashboard/export.xlsx?unit=TD1",
        "growth profile": f"/profile/{profile}.xlsx",
        "paper sign-in sheet": f"/training/sessions/{world['session'].pk}/paper/template.xlsx",
        "paper score sheet": f"/competitions/chief/{stage.pk}/paper/template/",
        "stage scores": f"/competitions/exports/stages/{stage.pk}/scores.xlsx",
        "round result": f"/competitions/exports/rounds/{round_.pk}/result.xlsx",
        "ranking.csv": f"/competitions/results/{result.pk}/ranking.csv",
        "scores.csv": f"/competitions/results/{result.pk}/scores.csv",
        "stage files": f"/competitions/results/files/stage/{stage.pk}.zip",
        "round files": f"/competitions/results/files/round/{round_.pk}.zip",
        "audit log": "/admin/audit/export/",
    }


# The score files are codes and numbers only (the data format that recomputes a result);
# the template is fixed text. Every other export must carry a neutralised hostile name.
WITHOUT_NAMES = {"roster template", "scores.csv", "stage files", "round files"}


def cells(content: bytes, name: str):
    """(where, value, is a formula) for every non-empty cell of an .xlsx, .csv or .zip."""
    if content[:2] == b"PK" and not name.endswith(".xlsx") and _is_zip_of_files(content):
        archive = zipfile.ZipFile(io.BytesIO(content))
        for member in archive.namelist():
            yield from cells(archive.read(member), f"{name}/{member}")
    elif content[:2] == b"PK":
        workbook = openpyxl.load_workbook(io.BytesIO(content))
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.value is not None:
                        yield (
                            f"{name}!{sheet.title}!{cell.coordinate}",
                            cell.value,
                            (cell.data_type == "f"),
                        )
    elif name.endswith(".csv"):
        for number, row in enumerate(csv.reader(io.StringIO(content.decode("utf-8"))), 1):
            for column, value in enumerate(row, 1):
                yield f"{name}:{number}:{column}", value, False


def _is_zip_of_files(content: bytes) -> bool:
    return "[Content_Types].xml" not in zipfile.ZipFile(io.BytesIO(content)).namelist()


def test_every_export_neutralises_formula_text(client, world):
    problems = []
    for what, url in export_urls(world).items():
        client.force_login(world["auditor" if what == "audit log" else "admin"])
        response = client.get(url)
        if response.status_code != 200:
            problems.append(f"{what}: {url} gave {response.status_code}")
            continue
        name = url.split("?")[0]
        found = list(cells(response.content, name if "." in name else name + ".xlsx"))
        if not found:
            problems.append(f"{what}: nothing read from {url}")
        for where, value, formula in found:
            if formula:
                problems.append(f"{what}: {where} is a formula: {value!r}")
            elif isinstance(value, str) and value.startswith(FORMULA_STARTS):
                problems.append(f"{what}: {where} starts with a formula character: {value!r}")
        neutralised = {PREFIX + payload for payload in PAYLOADS}
        if what not in WITHOUT_NAMES and not any(
            isinstance(value, str) and value in neutralised for _where, value, _f in found
        ):
            problems.append(f"{what}: no hostile name reached the export")
    assert not problems, "\n".join(problems)


def test_numbers_stay_numbers(client, world):
    """Neutralising is for text: scores and hours are still number cells."""
    client.force_login(world["admin"])
    response = client.get(f"/competitions/exports/stages/{world['stage'].pk}/scores.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    scores = [row[-1] for row in sheet.iter_rows(min_row=2, values_only=True) if row[-1]]
    assert scores and all(isinstance(score, int | float) for score in scores)


def test_an_exported_roster_reads_back_to_the_names_as_typed(client, world):
    """The apostrophe the export adds is dropped when the roster is read back in."""
    client.force_login(world["admin"])
    response = client.get("/roster/export.xlsx?reveal=1")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    names = {cell_text(row[0]) for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(PAYLOADS) <= names
