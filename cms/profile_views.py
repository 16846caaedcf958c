"""成长档案 pages and exports: the worker's own, and a worker's as an admin above them sees it.

Who may see a profile: the worker, and admins whose scope holds the worker's community;
anyone else gets a 404 (not a 403: whether a worker exists is itself not theirs to know).
An admin's export of someone else's profile is audited.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from people.audit import record
from people.cells import workbook_bytes
from people.models import AuditEvent, WorkerProfile
from people.scope import scope_of
from training.certificates import html_to_pdf

from .profile import build_profile

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _subject(request, user_id: int):
    """The person whose profile is asked for, and the viewer's admin scope when it is not their own.

    Raises Http404 when the viewer may not see it.
    """
    if user_id == request.user.pk:
        return request.user, None
    profile = (
        WorkerProfile.objects.filter(user_id=user_id).select_related("user", "community").first()
    )
    scope = scope_of(request.user)
    if profile is None or not scope.contains(profile.community):
        raise Http404
    return profile.user, scope


def _render_page(request, subject, scope):
    data = build_profile(subject)
    return render(
        request,
        "cms/profile/profile.html",
        {"profile": data, "own": scope is None, "subject": subject},
    )


@login_required
def profile_mine(request):
    return _render_page(request, request.user, None)


@login_required
def profile_worker(request, user_id):
    subject, scope = _subject(request, user_id)
    return _render_page(request, subject, scope)


def _audit_export(request, subject, scope, kind: str) -> None:
    if scope is None:  # one's own record: nothing to log
        return
    record(
        request.user,
        AuditEvent.Action.EXPORT,
        _("Growth profile of %(name)s (%(format)s)")
        % {"name": subject.real_name or subject.username, "format": kind},
        scope=scope,
        count=1,
    )


def _filename(subject, extension: str) -> str:
    stamp = timezone.localdate().strftime("%Y%m%d")
    return f"growth-profile-{subject.pk}-{stamp}.{extension}"


# --- PDF ------------------------------------------------------------------------------------


def render_profile_html(data: dict) -> str:
    """The profile as one self-contained print document (A4, numbered pages)."""
    return render_to_string(
        "cms/profile/print.html",
        {
            "profile": data,
            "printed_on": formats.date_format(timezone.localdate(), "DATE_FORMAT"),
        },
    )


def render_profile_pdf(data: dict) -> bytes:
    """In the active language (Chinese at /profile/…, English at /en/profile/…)."""
    return html_to_pdf(render_profile_html(data))


@login_required
def profile_pdf(request, user_id):
    subject, scope = _subject(request, user_id)
    content = render_profile_pdf(build_profile(subject))
    _audit_export(request, subject, scope, "PDF")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(subject, "pdf")}"'
    return response


# --- Spreadsheet ----------------------------------------------------------------------------


def _number(value):
    return float(value) if value is not None else None


def _yes_no(value) -> str:
    if value is None:
        return ""
    return _("Yes") if value else _("No")


def _stage_scores(contest: dict) -> str:
    return "；".join(
        f"{stage['name']} {stage['score'] if stage['score'] is not None else '—'}"
        for stage in contest["stages"]
    )


def _sheet(workbook, title: str, header: list[str], rows: list[list]) -> None:
    sheet = workbook.create_sheet(title[:31])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    for index, label in enumerate(header, 1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, len(label) * 2 + 2)


def profile_workbook(data: dict) -> Workbook:
    """A sheet per section, one row per item, figures as numbers."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    worker, summary = data["worker"], data["summary"]
    best = summary["best_contest"]
    _sheet(
        workbook,
        _("Summary"),
        [_("Item"), _("Value")],
        [
            [_("Real name"), worker["name"]],
            [_("Community"), worker["community"]],
            [_("Position"), worker["position"]],
            [_("Years active"), summary["years_active"]],
            [_("First year"), summary["first_year"]],
            [_("Latest year"), summary["last_year"]],
            [_("Total learning hours"), _number(summary["total_hours"])],
            [_("Courses completed"), summary["courses_completed"]],
            [_("Valid certificates"), summary["certificates"]],
            [_("Best contest result"), _best_text(best) if best else ""],
            [_("Cases authored"), summary["cases"]],
        ],
    )
    categories = [c["label"] for c in data["hours"][0]["categories"]] if data["hours"] else []
    _sheet(
        workbook,
        _("Learning hours"),
        [
            _("Year"),
            *categories,
            _("Hours earned"),
            _("Hours required"),
            _("Offline hours earned"),
            _("Offline hours required"),
            _("Requirement met"),
        ],
        [
            [
                row["year"],
                *(_number(c["hours"]) for c in row["categories"]),
                _number(row["earned"]),
                _number(row["required"]) if row["has_requirement"] else None,
                _number(row["offline_earned"]),
                _number(row["offline_required"]) if row["has_requirement"] else None,
                _yes_no(row["met"]),
            ]
            for row in data["hours"]
        ],
    )
    _sheet(
        workbook,
        _("Courses"),
        [
            _("Year"),
            _("Course"),
            _("Tier"),
            _("Required"),
            _("Enrolled on"),
            _("Completed on"),
            _("Hours credited"),
            _("Final exam"),
            _("Best exam score"),
        ],
        [
            [
                c["year"],
                c["title"],
                c["tier"],
                _yes_no(c["required"]),
                c["enrolled_on"],
                c["completed_on"],
                _number(c["hours_credited"]),
                c["exam"],
                _number(c["exam_score"]),
            ]
            for c in data["courses"]
        ],
    )
    _sheet(
        workbook,
        _("Exams"),
        [_("Year"), _("Exam"), _("Date"), _("Score"), _("Pass mark (%)"), _("Passed")],
        [
            [
                e["year"],
                e["title"],
                e["date"],
                _number(e["score"]),
                e["pass_mark"],
                _yes_no(e["passed"]),
            ]
            for e in data["exams"]
        ],
    )
    _sheet(
        workbook,
        _("Offline sessions"),
        [_("Year"), _("Session"), _("Date"), _("Base"), _("Hours credited")],
        [
            [s["year"], s["title"], s["date"], s["base"], _number(s["hours_credited"])]
            for s in data["sessions"]
        ],
    )
    _sheet(
        workbook,
        _("Certificates"),
        [
            _("Year"),
            _("Certificate"),
            _("Kind"),
            _("Issued by"),
            _("Issued on"),
            _("Verification code"),
            _("Revoked"),
            _("Verification page"),
        ],
        [
            [
                c["year"],
                c["title"],
                c["kind"],
                c["issuer"],
                c["issued_on"],
                c["code"],
                _yes_no(c["revoked"]),
                c["verify_url"],
            ]
            for c in data["certificates"]
        ],
    )
    _sheet(
        workbook,
        _("Competitions"),
        [
            _("Year"),
            _("Competition"),
            _("Round"),
            _("Rank"),
            _("Contestants"),
            _("Total"),
            _("Award"),
            _("Stage scores"),
            _("Final"),
        ],
        [
            [
                c["year"],
                c["competition"],
                c["round"],
                c["rank"],
                c["contestants"],
                _number(c["total"]),
                c["award"],
                _stage_scores(c),
                _yes_no(c["final"]) if c["published"] else "",
            ]
            for c in data["contests"]
        ],
    )
    _sheet(
        workbook,
        _("Cases"),
        [_("Year"), _("Case"), _("Category"), _("Published on"), _("Applied elsewhere")],
        [
            [c["year"], c["title"], c["category"], c["published_on"], c["applications"]]
            for c in data["cases"]
        ],
    )
    _sheet(
        workbook,
        _("Application reports"),
        [_("Date"), _("Case"), _("Where"), _("What we changed"), _("Outcome")],
        [
            [a["date"], a["case"], a["unit"], a["what_changed"], a["outcome"]]
            for a in data["applications"]
        ],
    )
    return workbook


def _best_text(best: dict) -> str:
    where = f"{best['competition']} · {best['round']}"
    if best["award"]:
        return f"{best['award']} · {where}"
    return _("Rank %(rank)s of %(n)s") % {"rank": best["rank"], "n": best["contestants"]} + (
        f" · {where}"
    )


@login_required
def profile_xlsx(request, user_id):
    subject, scope = _subject(request, user_id)
    content = workbook_bytes(profile_workbook(build_profile(subject)))
    _audit_export(request, subject, scope, "xlsx")
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{_filename(subject, "xlsx")}"'
    return response
