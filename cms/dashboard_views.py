"""Dashboards for city, district and street admins: their subtree by child unit, with charts."""

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook

from people.audit import record
from people.cells import workbook_bytes
from people.downloads import xlsx_download
from people.models import AuditEvent, OrgUnit
from people.scope import scope_of
from training import aggregates

from . import charts, dashboards


def _chosen_unit(request) -> tuple[OrgUnit, object]:
    """The unit asked for (?unit=code) or the admin's own top unit; out of scope is a 404."""
    scope = scope_of(request.user)
    if scope.is_empty:
        raise PermissionDenied
    code = request.GET.get("unit", "").strip()
    if code:
        unit = OrgUnit.objects.filter(code=code).first()
        if unit is None or not scope.contains(unit):
            raise Http404(_("No such unit in your area."))
        return unit, scope
    if scope.everything:
        unit = OrgUnit.get_first_root_node()
    else:
        unit = OrgUnit.objects.filter(path=scope.paths[0]).first()
    if unit is None:
        raise Http404(_("No such unit in your area."))
    return unit, scope


def _charts(board: dashboards.Dashboard) -> dict:
    drawn = {}
    if board.children:
        names = [child.name for child in board.children]
        drawn["completion"] = charts.bar(
            _("Plan completion (%)"), names, [row["percent"] or 0 for row in board.completion]
        )
        drawn["hours"] = charts.bar(
            _("Average learning hours per worker"),
            names,
            [row["average"] or 0 for row in board.hours],
        )
    return drawn | {
        "months": charts.line(
            _("Learning hours earned per month"),
            [str(row["month"]) for row in board.months],
            [row["hours"] for row in board.months],
        ),
        "distribution": charts.bar(
            _("Workers by learning hours this year"),
            [row["label"] for row in board.distribution],
            [row["count"] for row in board.distribution],
        ),
    }


def _cached_charts(board: dashboards.Dashboard, as_of) -> dict:
    """The charts drawn once per unit, figures and language (pygal takes ~10 ms a chart)."""
    key = aggregates.cache_key(
        "dashboard-charts", board.unit.pk, board.year, get_language(), as_of.timestamp()
    )
    drawn = cache.get(key)
    if drawn is None:
        drawn = _charts(board)
        cache.set(key, drawn, timeout=int(aggregates.STALE_LIMIT.total_seconds()))
    return drawn


@login_required
def dashboard(request):
    unit, scope = _chosen_unit(request)
    # The figures come from the cache, kept current in the background (training.aggregates).
    served = dashboards.cached_figures(timezone.localdate().year)
    board = dashboards.board(unit, served.value)
    trail = [a for a in unit.get_ancestors() if scope.contains(a)]
    context = {
        "board": board,
        "unit": unit,
        "trail": trail,
        "charts": _cached_charts(board, served.as_of),
        "as_of": served.as_of,
        "refreshing": served.refreshing,
    }
    return render(request, "cms/dashboard/dashboard.html", context)


def _tables(board: dashboards.Dashboard) -> list[tuple[str, list, list]]:
    """(sheet title, header, rows) for every table on the page."""
    return [
        (
            _("Plan completion"),
            [_("Unit"), _("Completed"), _("Required course places"), _("Completion (%)")],
            [[r["unit"].name, r["done"], r["total"], r["percent"]] for r in board.completion],
        ),
        (
            _("Learning hours"),
            [_("Unit"), _("Workers"), _("Average hours"), _("Behind their requirement")],
            [
                [r["unit"].name, r["workers"], r["average"] and float(r["average"]), r["behind"]]
                for r in board.hours
            ],
        ),
        (
            _("Hours by month"),
            [_("Month"), _("Hours")],
            [[r["month"], float(r["hours"])] for r in board.months],
        ),
        (
            _("Hours distribution"),
            [_("Hours"), _("Workers")],
            [[r["label"], r["count"]] for r in board.distribution],
        ),
        (
            _("Contest results"),
            [_("Unit"), _("Contestants"), _("Awards")],
            [[r["unit"].name, r["contestants"], r["awards"]] for r in board.contests],
        ),
        (
            _("Most-used cases"),
            [_("Case"), _("Unit"), _("Views"), _("Marked useful"), _("Applied")],
            [
                [c.title, c.unit.name if c.unit else "", c.view_count, c.marks, c.reports]
                for c in board.cases
            ],
        ),
    ]


@login_required
def dashboard_export(request):
    unit, scope = _chosen_unit(request)
    board = dashboards.build(unit, timezone.localdate().year)
    workbook = Workbook()
    workbook.remove(workbook.active)
    count = 0
    for title, header, rows in _tables(board):
        sheet = workbook.create_sheet(title[:31])
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        count += len(rows)
    content = workbook_bytes(workbook)
    record(
        request.user,
        AuditEvent.Action.EXPORT,
        _("Dashboard: %(unit)s") % {"unit": unit.name},
        scope=scope.narrowed_to(unit),
        count=count,
    )
    return xlsx_download(content, f"dashboard-{unit.code}")
