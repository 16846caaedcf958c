"""Results pages: public results and downloads, the organiser's preview and release buttons,
appeals (filing and deciding) and the venue scoreboard.

Published results are a public notice: names, units, scores and awards are shown to anyone;
phone numbers and ID numbers never are. Everything else asks `competitions.access`.
"""

import hashlib
import io
import zipfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from people.scope import scope_of

from . import results
from .access import decides_appeals
from .models import Appeal, Competition, Round, RoundResult, ScoreSheet, Stage, StageCriterion

DOWNLOADS = {
    "scores.csv": ("scores_csv", "text/csv; charset=utf-8"),
    "rules.json": ("rules_json", "application/json; charset=utf-8"),
    "ranking.csv": ("ranking_csv", "text/csv; charset=utf-8"),
}
SCOREBOARD_ROWS = 100  # a big screen shows the head of the table; the rest is on the result page
SCOREBOARD_SECONDS = 10
RESULT_TABLES_SECONDS = 24 * 3600


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _stage_columns(round_: Round) -> list[dict]:
    return list(round_.stages.order_by("order").values("code", "name"))


def _rows_with_scores(rows: list[dict], columns: list[dict]) -> list[dict]:
    """Rows with their stage scores as a list in column order (templates cannot index dicts)."""
    return [
        {**row, "scores": [row["stages"].get(column["code"]) for column in columns]} for row in rows
    ]


def _deadline(result: RoundResult) -> str:
    return date_format(timezone.localtime(result.appeal_deadline), "DATETIME_FORMAT")


# --------------------------------------------------------------------------- public results


@require_GET
def results_list(request):
    """Published results of every competition; `?competition=<id>` narrows it to one."""
    published = (
        RoundResult.objects.filter(status__in=[RoundResult.Status.NOTICE, RoundResult.Status.FINAL])
        .select_related("round__competition")
        .order_by("-round__competition__year", "round__competition__title", "round__order")
    )
    only = request.GET.get("competition", "")
    competition = Competition.objects.filter(pk=int(only)).first() if only.isdigit() else None
    if competition is not None:
        published = published.filter(round__competition=competition)
    return render(
        request,
        "competitions/results/list.html",
        {
            "published": published,
            "competition": competition,
            "managed": _managed_competitions(request.user),
        },
    )


def _managed_competitions(user) -> list[dict]:
    """Competitions whose results the user releases or whose appeals they decide."""
    if not user.is_authenticated:
        return []
    organised = scope_of(user).filter(Competition.objects.all(), via="owner_unit")
    chaired = Competition.objects.filter(chief_judge=user)
    arbitrated = Competition.objects.filter(arbiters=user)
    managed = []
    for competition in (organised | chaired | arbitrated).distinct().prefetch_related("rounds"):
        managed.append(
            {
                "competition": competition,
                "rounds": list(competition.rounds.all()),
                "releases": results.may_manage_results(user, competition),
                "decides": decides_appeals(user, competition),
            }
        )
    return managed


def _ranking_html(result: RoundResult, columns: list[dict]) -> str:
    """The ranking and team tables, drawn once per published version and language.

    A published version never changes (its fingerprint covers the files it was computed
    from), and a thousand rows take longer to draw than the rest of the page.
    """
    names = "|".join(column["name"] for column in columns)
    digest = hashlib.sha256(names.encode()).hexdigest()[:16]
    key = f"zm:result-tables:v1:{result.pk}:{result.sha256}:{get_language()}:{digest}"
    html = cache.get(key)
    if html is None:
        html = render_to_string(
            "competitions/results/ranking.html",
            {
                "columns": columns,
                "rows": _rows_with_scores(result.ranking, columns),
                "teams": results.team_rankings(result),
            },
        )
        cache.set(key, html, timeout=RESULT_TABLES_SECONDS)
    return mark_safe(html)  # noqa: S308 (rendered by our own autoescaping template)


@require_GET
def result_detail(request, pk):
    published = RoundResult.objects.select_related("round__competition")
    # The files and the ranking are large; the ranking is read only to draw the tables once.
    result = get_object_or_404(published.defer(*results.FILE_FIELDS, "ranking"), pk=pk)
    round_ = result.round
    competition = round_.competition
    columns = _stage_columns(round_)
    registration = results.own_registration(result, request.user)
    context = {
        "result": result,
        "round": round_,
        "competition": competition,
        "columns": columns,
        "ranking_html": _ranking_html(result, columns),
        "current": results.current_result(round_),
        "deadline": _deadline(result),
        "window_open": results.appeal_window_open(result),
        "registration": registration,
        "own_appeals": (
            Appeal.objects.filter(result__round=round_, registration=registration).order_by(
                "-filed_at"
            )
            if registration
            else []
        ),
        "min_length": results.APPEAL_MIN_LENGTH,
        "releases": results.may_manage_results(request.user, competition),
        "decides": decides_appeals(request.user, competition),
    }
    return render(request, "competitions/results/detail.html", context)


@require_GET
def result_download(request, pk, kind):
    if kind not in DOWNLOADS:
        raise Http404
    result = get_object_or_404(RoundResult, pk=pk)
    field, content_type = DOWNLOADS[kind]
    response = HttpResponse(getattr(result, field).encode("utf-8"), content_type=content_type)
    filename = f"round{result.round_id}-v{result.version}-{kind}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --------------------------------------------------------------------------- release


def _managed_round(request, pk) -> Round:
    round_ = get_object_or_404(Round.objects.select_related("competition"), pk=pk)
    if not results.may_manage_results(request.user, round_.competition):
        raise PermissionDenied
    return round_


@login_required
@require_GET
def round_preview(request, pk):
    round_ = _managed_round(request, pk)
    waiting = results.undecoded_stages(round_)
    columns = _stage_columns(round_)
    rows, error = [], None
    if columns and not waiting:
        try:
            rules = results.rules_for(round_)
            rows = _rows_with_scores(results.ranking_rows(results.compute(round_), rules), columns)
        except ValidationError as problem:
            error = _error_text(problem)
    current = results.current_result(round_)
    return render(
        request,
        "competitions/results/preview.html",
        {
            "round": round_,
            "competition": round_.competition,
            "columns": columns,
            "waiting": waiting,
            "progress": results.stage_progress(round_),
            "rows": rows,
            "error": error,
            "current": current,
            "versions": round_.results.order_by("-version"),
            "may_publish": bool(columns) and not waiting and round_.status != Round.Status.FINAL,
            "may_finalise": current is not None and current.status == RoundResult.Status.NOTICE,
            "window_open": current is not None and results.appeal_window_open(current),
            "deadline": _deadline(current) if current else "",
            "decides": decides_appeals(request.user, round_.competition),
            "pending": Appeal.objects.filter(
                result__round=round_, status=Appeal.Status.PENDING
            ).count(),
        },
    )


@login_required
@require_POST
def round_publish(request, pk):
    round_ = _managed_round(request, pk)
    try:
        result = results.publish(round_, request.user)
    except ValidationError as problem:
        messages.error(request, _error_text(problem))
        return redirect("competitions:round_preview", pk=round_.pk)
    messages.success(
        request,
        _("Version %(version)s is on public notice; appeals may be filed until %(deadline)s.")
        % {"version": result.version, "deadline": _deadline(result)},
    )
    return redirect("competitions:result_detail", pk=result.pk)


@login_required
@require_POST
def round_finalise(request, pk):
    round_ = _managed_round(request, pk)
    try:
        outcome = results.finalise(round_, request.user)
    except ValidationError as problem:
        messages.error(request, _error_text(problem))
        return redirect("competitions:round_preview", pk=round_.pk)
    if outcome.advanced:
        text = _("The result is final; %(count)d contestants go through to the next round.") % {
            "count": outcome.advanced
        }
    else:
        text = _("The result is final; %(count)d award certificates were issued.") % {
            "count": outcome.certificates
        }
    messages.success(request, text)
    return redirect("competitions:result_detail", pk=outcome.result.pk)


@login_required
@require_GET
def stage_files(request, level, pk):
    """scores.csv + rules.json of one stage or a whole round, zipped, to recompute it anywhere."""
    if level == "stage":
        stage = get_object_or_404(Stage.objects.select_related("round__competition"), pk=pk)
        round_, stages = stage.round, [stage]
    elif level == "round":
        round_ = get_object_or_404(Round.objects.select_related("competition"), pk=pk)
        stage, stages = None, list(round_.stages.all())
    else:
        raise Http404
    if not results.may_manage_results(request.user, round_.competition):
        raise PermissionDenied
    open_stages = [s for s in stages if s.status not in (Stage.Status.CLOSED, Stage.Status.DECODED)]
    try:
        if not stages or open_stages:
            raise ValidationError(_("Score files are ready once every stage is closed."))
        rules = results.stage_rules(stage) if stage else results.rules_for(round_)
        frame = results.scores_frame(stage or round_)
        scores_csv = results.scores_csv_text(frame)
        rules_json = results.rules_json_text(rules)
    except ValidationError as problem:
        messages.error(request, _error_text(problem))
        return redirect("competitions:round_preview", pk=round_.pk)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("scores.csv", scores_csv.encode("utf-8"))
        archive.writestr("rules.json", rules_json.encode("utf-8"))
    name = f"stage{stage.pk}-{stage.code}" if stage else f"round{round_.pk}"
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}.zip"'
    return response


# --------------------------------------------------------------------------- appeals


@login_required
@require_POST
def appeal_file(request, pk):
    result = get_object_or_404(RoundResult.objects.select_related("round"), pk=pk)
    try:
        results.file_appeal(result, request.user, request.POST.get("text", ""))
    except ValidationError as problem:
        messages.error(request, _error_text(problem))
    else:
        messages.success(
            request, _("Your appeal has been filed; the decision will appear on this page.")
        )
    return redirect("competitions:result_detail", pk=result.pk)


def _deciding(request, competition: Competition):
    if not decides_appeals(request.user, competition):
        raise PermissionDenied


@login_required
@require_GET
def appeals_console(request, pk):
    competition = get_object_or_404(Competition, pk=pk)
    _deciding(request, competition)
    pending = list(results.pending_appeals(competition))
    criteria = _criteria_by_stage(appeal.result.round_id for appeal in pending)
    for appeal in pending:
        appeal.sheets = [
            {
                "sheet": sheet,
                "judge": sheet.judge.real_name if sheet.judge else _("Exam"),
                "fields": [
                    {"criterion": c, "value": sheet.values.get(c.code, "")}
                    for c in criteria.get(sheet.appearance.stage_id, [])
                ],
            }
            for sheet in results.appellant_sheets(appeal)
        ]
        appeal.row = next(
            (r for r in appeal.result.ranking if r["registration"] == appeal.registration_id),
            None,
        )
    decided = (
        Appeal.objects.filter(result__round__competition=competition)
        .exclude(status=Appeal.Status.PENDING)
        .select_related("registration__worker", "decided_by", "result__round")
        .order_by("-decided_at")
    )
    return render(
        request,
        "competitions/results/appeals.html",
        {"competition": competition, "pending": pending, "decided": decided},
    )


def _criteria_by_stage(round_ids) -> dict[int, list[StageCriterion]]:
    by_stage: dict[int, list[StageCriterion]] = {}
    for criterion in StageCriterion.objects.filter(stage__round_id__in=set(round_ids)).order_by(
        "order"
    ):
        by_stage.setdefault(criterion.stage_id, []).append(criterion)
    return by_stage


def _changes_from(post, appeal: Appeal) -> list:
    """The sheets ticked for a change, each with its new criterion values."""
    try:
        ids = [int(value) for value in post.getlist("change")]
    except ValueError:
        raise ValidationError(_("Choose score sheets from the list.")) from None
    sheets = ScoreSheet.objects.filter(pk__in=ids).select_related("appearance__stage")
    criteria = _criteria_by_stage([appeal.result.round_id])
    changes = []
    for sheet in sheets:
        values = {
            c.code: post.get(f"sheet-{sheet.pk}-{c.code}", "").strip()
            for c in criteria.get(sheet.appearance.stage_id, [])
        }
        changes.append((sheet, values))
    if len(changes) != len(set(ids)):
        raise ValidationError(_("Choose score sheets from the list."))
    return changes


@login_required
@require_POST
def appeal_decide(request, pk):
    appeal = get_object_or_404(Appeal.objects.select_related("result__round__competition"), pk=pk)
    competition = appeal.result.round.competition
    _deciding(request, competition)
    outcome = request.POST.get("outcome")
    try:
        if outcome not in ("uphold", "reject"):
            raise ValidationError(_("Choose whether the appeal is upheld or rejected."))
        changes = _changes_from(request.POST, appeal) if outcome == "uphold" else []
        results.decide_appeal(
            appeal, request.user, outcome == "uphold", request.POST.get("decision", ""), changes
        )
    except ValidationError as problem:
        messages.error(request, _error_text(problem))
    else:
        messages.success(request, _("The decision has been recorded."))
    return redirect("competitions:appeals_console", pk=competition.pk)


# --------------------------------------------------------------------------- scoreboard


def _scoreboard_round(competition: Competition) -> Round | None:
    """The round the venue is interested in: the latest one that has started."""
    rounds = list(competition.rounds.order_by("order"))
    started = [r for r in rounds if r.status != Round.Status.PENDING]
    if started:
        return started[-1]
    return rounds[0] if rounds else None


def scoreboard_payload(competition: Competition) -> dict:
    """What the big screen shows: progress (no names, no scores) until a result is published,
    then the ranking."""
    round_ = _scoreboard_round(competition)
    payload = {
        "competition": competition.title,
        "round": round_.name if round_ else "",
        "phase": "progress",
        "status": _("Scoring under way"),
        "stages": [],
        "ranking": [],
        "more": 0,
        "updated": date_format(timezone.localtime(), "H:i:s"),
    }
    if round_ is None:
        return payload
    result = results.current_result(round_)
    if result is not None:
        payload["phase"] = "ranking"
        if result.status == RoundResult.Status.FINAL:
            payload["status"] = _("Final results")
        else:
            payload["status"] = _("On public notice until %(deadline)s") % {
                "deadline": _deadline(result)
            }
        payload["ranking"] = [
            {
                "rank": row["rank"],
                "name": row["name"],
                "unit": row["unit"],
                "total": row["total"],
                "award": row["award"],
            }
            for row in result.ranking[:SCOREBOARD_ROWS]
        ]
        payload["more"] = max(0, len(result.ranking) - SCOREBOARD_ROWS)
        return payload
    payload["stages"] = [
        {
            "name": item["stage"].name,
            "status": item["stage"].get_status_display(),
            "done": item["done"],
            "expected": item["expected"],
            "rooms": item["rooms"],
        }
        for item in results.stage_progress(round_)
    ]
    return payload


@require_GET
def scoreboard(request, pk):
    competition = get_object_or_404(Competition, pk=pk)
    return render(
        request,
        "competitions/results/scoreboard.html",
        {
            "competition": competition,
            "board": scoreboard_payload(competition),
            "data_url": reverse("competitions:scoreboard_data", args=[competition.pk]),
            "seconds": SCOREBOARD_SECONDS,
            "labels": {
                "rank": _("Rank"),
                "name": _("Real name"),
                "unit": _("Unit"),
                "total": _("Total"),
                "award": _("Award"),
                "sheets": _("Score sheets in"),
                "more": _("…and %(count)s more on the results page"),
                "updated": _("Updated"),
            },
        },
    )


@require_GET
def scoreboard_data(request, pk):
    competition = get_object_or_404(Competition, pk=pk)
    response = JsonResponse(
        scoreboard_payload(competition), json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = "no-store"
    return response
