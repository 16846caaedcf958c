"""Downloads for the organiser and the chief judge: results as Excel, score sheets to sign,
and the list of award certificates. Every download is written to the audit log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from people.audit import record
from people.models import AuditEvent
from people.scope import scope_of

from . import exports
from .access import is_chief_judge, organises
from .certificates import competition_certificates
from .models import Competition, Round, Stage
from .results import current_result


def may_export(user, competition: Competition) -> bool:
    return organises(user, competition) or is_chief_judge(user, competition)


def _require_exporter(request, competition: Competition):
    if not may_export(request.user, competition):
        raise PermissionDenied


def _audit(request, what: str, count: int):
    record(request.user, AuditEvent.Action.EXPORT, what, scope=scope_of(request.user), count=count)


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d")


def _stage(pk) -> Stage:
    return get_object_or_404(Stage.objects.select_related("round__competition"), pk=pk)


@login_required
@require_GET
def export_index(request, pk):
    """The competition's downloads in one place."""
    competition = get_object_or_404(Competition, pk=pk)
    _require_exporter(request, competition)
    rounds = list(competition.rounds.prefetch_related("stages").order_by("order"))
    for round_ in rounds:
        round_.current_result = current_result(round_)
    context = {
        "competition": competition,
        "rounds": rounds,
        "certificate_count": competition_certificates(competition).count(),
    }
    return render(request, "competitions/exports/index.html", context)


@login_required
@require_GET
def export_stage_xlsx(request, pk):
    stage = _stage(pk)
    competition = stage.round.competition
    _require_exporter(request, competition)
    content, count = exports.stage_workbook(stage)
    _audit(
        request,
        _("Stage scores: %(competition)s · %(stage)s")
        % {"competition": competition, "stage": stage},
        count,
    )
    filename = f"stage-{stage.pk}-{stage.code}-{_stamp()}.xlsx"
    return _download(content, exports.XLSX_TYPE, filename)


@login_required
@require_GET
def export_round_xlsx(request, pk):
    round_ = get_object_or_404(Round.objects.select_related("competition"), pk=pk)
    _require_exporter(request, round_.competition)
    result = current_result(round_)
    if result is None:
        messages.error(request, _("This round has no published result yet."))
        return redirect("competitions:export_index", pk=round_.competition_id)
    content, count = exports.round_workbook(result)
    _audit(
        request,
        _("Round result: %(round)s v%(version)s") % {"round": round_, "version": result.version},
        count,
    )
    filename = f"round-{round_.pk}-v{result.version}-{_stamp()}.xlsx"
    return _download(content, exports.XLSX_TYPE, filename)


@login_required
@require_GET
def export_score_sheets_pdf(request, pk):
    stage = _stage(pk)
    competition = stage.round.competition
    _require_exporter(request, competition)
    try:
        content, pages = exports.score_sheets_pdf(stage)
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
        return redirect("competitions:export_index", pk=competition.pk)
    _audit(
        request,
        _("Score sheets: %(competition)s · %(stage)s")
        % {"competition": competition, "stage": stage},
        pages,
    )
    filename = f"score-sheets-{stage.pk}-{stage.code}-{_stamp()}.pdf"
    return _download(content, "application/pdf", filename)


@login_required
@require_GET
def export_certificates(request, pk):
    competition = get_object_or_404(Competition, pk=pk)
    _require_exporter(request, competition)
    certificates = list(competition_certificates(competition))
    _audit(
        request,
        _("Award certificates: %(competition)s") % {"competition": competition},
        len(certificates),
    )
    return render(
        request,
        "competitions/exports/certificates.html",
        {"competition": competition, "certificates": certificates},
    )
