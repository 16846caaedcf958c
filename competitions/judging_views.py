"""Judging pages: the judge's scoring page and its JSON endpoint, the chief judge's console,
paper sheets (upload, confirm, template) and a contestant's score history.

Judges see blind codes, order numbers and card titles, never names. The console shows names
only once the stage is decoded. Services in `judging` and `paper` decide; these views ask them
and turn their refusals into messages (pages) or status codes (the API).
"""

import hashlib
import json
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Prefetch, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from people.models import User
from people.uploads import SPREADSHEETS, check_upload

from . import judging, paper
from .access import is_chief_judge
from .judging import CONFLICT_CODES, plain
from .models import (
    Appearance,
    Assignment,
    Room,
    ScenarioPage,
    ScoreChange,
    ScoreSheet,
    Stage,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _stage(pk) -> Stage:
    return get_object_or_404(Stage.objects.select_related("round__competition"), pk=pk)


def _id(value) -> int:
    """A posted id; anything else is 0, which matches nothing (a 404, not a 500)."""
    value = str(value or "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else 0


def _messages_of(error: ValidationError | PermissionDenied) -> list[str]:
    if isinstance(error, ValidationError):
        return [str(m) for m in error.messages]
    return [str(error) or _("You may not do this.")]


def _flash_error(request, error) -> None:
    for message in _messages_of(error):
        messages.error(request, message)


# --------------------------------------------------------------------------- judges


@login_required
@require_GET
def judge_home(request):
    """The open stages where the user is seated, with how far they have got; and the stages
    they chair as chief judge."""
    user = request.user
    seated = (
        Stage.objects.filter(status=Stage.Status.OPEN, rooms__judges=user)
        .distinct()
        .select_related("round__competition")
    )
    stages = []
    for stage in seated:
        assigned = Assignment.objects.filter(appearance__stage=stage, judge=user).count()
        submitted = ScoreSheet.objects.filter(
            appearance__stage=stage, judge=user, status=ScoreSheet.Status.SUBMITTED
        ).count()
        stages.append({"stage": stage, "assigned": assigned, "submitted": submitted})
    chaired = (
        Stage.objects.filter(round__competition__chief_judge=user)
        .exclude(status=Stage.Status.PREPARING)
        .select_related("round__competition")
        .order_by("-round__competition__year", "round__order", "order")
    )
    return render(
        request,
        "competitions/judging/home.html",
        {"stages": stages, "chaired": chaired},
    )


def _criteria_data(stage: Stage) -> list[dict]:
    return [
        {
            "code": c.code,
            "title": c.title,
            "max": plain(c.max_points),
            "step": plain(c.step),
            "bands": c.bands or [],
        }
        for c in stage.criteria.all()
    ]


def _last_reasons(sheets) -> dict[int, str]:
    """For each reopened sheet, the chief judge's reason for reopening it."""
    reopened = [s.pk for s in sheets if s.status == ScoreSheet.Status.REOPENED]
    reasons = {}
    changes = ScoreChange.objects.filter(
        sheet_id__in=reopened, kind__in=[ScoreChange.Kind.REOPENED, ScoreChange.Kind.REMARK]
    ).order_by("at", "pk")
    for change in changes:
        reasons[change.sheet_id] = change.reason
    return reasons


# Stand-ins in a criterion drawn once, replaced per contestant (see _criterion_fields).
_PK, _VALUE = "__appearance_pk__", "__criterion_value__"
DRAWN_CRITERIA_SECONDS = 24 * 3600


def _drawn_criteria(criteria: list[dict], readonly: bool) -> list[tuple[str, str]]:
    """[(criterion code, its inputs as HTML with stand-ins)], drawn once per rubric, state and
    language and then kept in the cache (the key is the rubric's content)."""
    digest = hashlib.sha256(repr(criteria).encode()).hexdigest()[:24]
    key = f"zm:judge-criteria:v1:{get_language()}:{int(readonly)}:{digest}"
    drawn = cache.get(key)
    if drawn is None:
        drawn = [
            (
                c["code"],
                render_to_string(
                    "competitions/judging/criterion.html",
                    {"f": c, "pk": _PK, "value": _VALUE, "readonly": readonly},
                ),
            )
            for c in criteria
        ]
        cache.set(key, drawn, timeout=DRAWN_CRITERIA_SECONDS)
    return drawn


def _criterion_fields(criteria: list[dict], is_open: bool):
    """A function (appearance id, values, locked) → the inputs of every criterion, as HTML.

    A judge may have 30 contestants and 8 criteria: drawing 240 inputs with the template
    costs over 100 ms. Each criterion is drawn once per state (open or read-only) with
    stand-ins for the contestant's id and score, which are then put in per contestant.
    """

    drawn = {}

    def fields(appearance_id: int, values: dict, locked: bool) -> str:
        readonly = locked or not is_open
        if readonly not in drawn:
            drawn[readonly] = _drawn_criteria(criteria, readonly)
        pk = str(appearance_id)
        return mark_safe(  # noqa: S308 (drawn by the template; the score is escaped here)
            "".join(
                html.replace(_PK, pk).replace(_VALUE, escape(values.get(code, "")))
                for code, html in drawn[readonly]
            )
        )

    return fields


def _card_urls(appearances: list[dict]) -> dict[int, str]:
    """The live scenario cards' links, worked out once per card and language and cached (the
    key holds the card's place in the page tree, so a card that moves gets a new one)."""
    language = get_language()
    keys = {
        f"zm:card-url:v1:{language}:{a['card_id']}:{a['card_path']}": a["card_id"]
        for a in appearances
        if a["card_id"] and a["card_live"]
    }
    urls = {keys[key]: url for key, url in cache.get_many(keys).items()}
    missing = set(keys.values()) - set(urls)
    if missing:
        for card in ScenarioPage.objects.filter(pk__in=missing).only("url_path"):
            urls[card.pk] = card.url
        cache.set_many({key: urls[pk] for key, pk in keys.items() if pk in missing})
    return urls


def _judge_items(stage: Stage, judge, criteria: list[dict], is_open: bool) -> list[dict]:
    # Plain rows, not models: a card is a whole page (brief, task, rubric) and a judge has
    # dozens of contestants; the page shows codes, the card's title and the room.
    appearances = list(
        Assignment.objects.filter(appearance__stage=stage, judge=judge)
        .order_by("appearance__order")
        .values(
            pk=F("appearance_id"),
            order=F("appearance__order"),
            blind_code=F("appearance__blind_code"),
            card_id=F("appearance__card_id"),
            card_title=F("appearance__card__title"),
            card_path=F("appearance__card__url_path"),
            card_live=F("appearance__card__live"),
            room_name=F("appearance__room__name"),
        )
    )
    sheets = {
        s.appearance_id: s for s in ScoreSheet.objects.filter(appearance__stage=stage, judge=judge)
    }
    reasons = _last_reasons(sheets.values())
    fields = _criterion_fields(criteria, is_open)
    card_urls = _card_urls(appearances)
    items = []
    for appearance in appearances:
        sheet = sheets.get(appearance["pk"])
        state = sheet.status if sheet else "new"
        locked = state in (ScoreSheet.Status.SUBMITTED, ScoreSheet.Status.ENTERED)
        items.append(
            {
                "appearance": appearance,
                "card_url": card_urls.get(appearance["card_id"]),
                "sheet": sheet,
                "state": state,
                "locked": locked,
                "reason": reasons.get(sheet.pk, "") if sheet else "",
                "total_text": plain(sheet.total) if sheet else "0",
                # For the form without JavaScript: a double post is recognised as one.
                "fallback_id": uuid.uuid4(),
                "fields_html": fields(appearance["pk"], sheet.values if sheet else {}, locked),
            }
        )
    return items


def _on_panel(stage: Stage, user) -> bool:
    """Seated in one of the stage's rooms, or assigned a contestant in it."""
    return (
        stage.rooms.filter(judges=user).exists()
        or Assignment.objects.filter(appearance__stage=stage, judge=user).exists()
    )


@login_required
@require_http_methods(["GET", "POST"])
def judge_stage(request, pk):
    """The scoring page: the judge's contestants in order, one input per criterion."""
    stage = _stage(pk)
    user = request.user
    if request.method == "POST":
        if not _on_panel(stage, user):
            raise Http404
        return _submit_form(request, stage)
    criteria = _criteria_data(stage)
    is_open = stage.status == Stage.Status.OPEN
    items = _judge_items(stage, user, criteria, is_open)
    # Someone with contestants is on the panel; without, only if seated in a room.
    if not items and not stage.rooms.filter(judges=user).exists():
        raise Http404
    return render(
        request,
        "competitions/judging/stage.html",
        {
            "stage": stage,
            "competition": stage.round.competition,
            "items": items,
            "criteria": criteria,
            "is_open": is_open,
            "done": sum(1 for i in items if i["state"] == ScoreSheet.Status.SUBMITTED),
        },
    )


def _submit_form(request, stage: Stage):
    """The same submission without JavaScript: a plain form post, answered by a redirect."""
    appearance = Appearance.objects.filter(
        pk=_id(request.POST.get("appearance")), stage=stage
    ).first()
    if appearance is None:
        raise Http404
    values = {c.code: request.POST.get(f"c_{c.code}", "") for c in stage.criteria.all()}
    try:
        sheet, created = judging.submit_sheet(
            appearance, request.user, values, request.POST.get("submission_id")
        )
    except (ValidationError, PermissionDenied) as error:
        _flash_error(request, error)
    else:
        messages.success(
            request,
            _("Scores for %(code)s submitted: %(total)s points.")
            % {"code": appearance.blind_code, "total": plain(sheet.total)},
        )
    return redirect(reverse("competitions:judge_stage", args=[stage.pk]) + f"#a{appearance.pk}")


def _json_error(message, status, **extra):
    return JsonResponse({"error": message, **extra}, status=status)


@require_POST
def api_submit_score(request):
    """POST {appearance, values, submission_id} → {"status": "accepted"|"duplicate", "total"}.

    400 bad input, 401 logged out (the device keeps the score and resends after a login),
    403 not assigned or recused, 409 already submitted or the stage is not open.
    """
    if not request.user.is_authenticated:
        return _json_error(_("You are logged out: log in again to send your scores."), 401)
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: nested too deep
        return _json_error(_("The request is not valid JSON."), 400)
    if not isinstance(data, dict):
        return _json_error(_("The request is not valid JSON."), 400)
    appearance_id = data.get("appearance")
    if isinstance(appearance_id, bool) or not isinstance(appearance_id, int | str):
        return _json_error(_("The contestant is missing."), 400)
    try:
        appearance = Appearance.objects.filter(pk=int(appearance_id)).first()
    except (TypeError, ValueError):
        return _json_error(_("The contestant is missing."), 400)
    if appearance is None:
        return _json_error(_("You are not assigned to score this contestant."), 403)
    try:
        sheet, created = judging.submit_sheet(
            appearance, request.user, data.get("values"), data.get("submission_id")
        )
    except PermissionDenied as error:
        return _json_error(_messages_of(error)[0], 403)
    except ValidationError as error:
        status = 409 if getattr(error, "code", None) in CONFLICT_CODES else 400
        texts = _messages_of(error)
        return _json_error(" ".join(texts), status, errors=texts)
    return JsonResponse(
        {
            "status": "accepted" if created else "duplicate",
            "total": plain(sheet.total),
            "values": sheet.values,
        }
    )


# --------------------------------------------------------------------------- chief judge


def _console_stage(request, pk) -> Stage:
    stage = _stage(pk)
    if not judging.may_view_console(request.user, stage):
        raise PermissionDenied
    return stage


def _appearance_rows(stage: Stage) -> list[dict]:
    """Each appearance with a line per assigned judge (their sheet or none) and any other sheet
    (an exam score, a sheet of an excused judge)."""
    sheets = ScoreSheet.objects.select_related("judge").order_by("judge__username")
    related = ["room", "card"]
    if stage.decoded:
        related.append("entry__registration__worker")
    appearances = (
        stage.appearances.select_related(*related)
        .prefetch_related(
            Prefetch("sheets", queryset=sheets),
            Prefetch("assignments", queryset=Assignment.objects.select_related("judge")),
        )
        .order_by("order")
    )
    rows = []
    for appearance in appearances:
        by_judge = {s.judge_id: s for s in appearance.sheets.all()}
        lines = [
            {"judge": a.judge, "sheet": by_judge.pop(a.judge_id, None)}
            for a in sorted(appearance.assignments.all(), key=lambda a: a.judge.username)
        ]
        lines += [{"judge": s.judge, "sheet": s} for s in by_judge.values()]
        rows.append(
            {
                "appearance": appearance,
                "name": appearance.entry.registration.worker if stage.decoded else None,
                "lines": lines,
                "done": all(
                    line["sheet"] and line["sheet"].status == ScoreSheet.Status.SUBMITTED
                    for line in lines
                ),
            }
        )
    return rows


@login_required
@require_GET
def chief_console(request, pk):
    stage = _console_stage(request, pk)
    competition = stage.round.competition
    report = judging.progress(stage)
    return render(
        request,
        "competitions/judging/console.html",
        {
            "stage": stage,
            "competition": competition,
            "is_chief": is_chief_judge(request.user, competition),
            "may_paper": judging.may_enter_paper(request.user, stage),
            "progress": report,
            "disagreements": judging.disagreements(stage),
            "appearances": _appearance_rows(stage),
            "unfinished": judging.unfinished_codes(stage),
            "awaiting": paper.awaiting_confirmation(stage).count(),
            "judges": list({j.judge.pk: j.judge for r in report.rooms for j in r.judges}.values()),
            "is_open": stage.status == Stage.Status.OPEN,
        },
    )


def _back(stage: Stage, anchor: str = ""):
    return redirect(reverse("competitions:chief_console", args=[stage.pk]) + anchor)


def _chief_action(request, stage: Stage, action, success: str, anchor: str = ""):
    try:
        action()
    except (ValidationError, PermissionDenied) as error:
        _flash_error(request, error)
    else:
        messages.success(request, success)
    return _back(stage, anchor)


@login_required
@require_POST
def chief_reopen(request, pk):
    stage = _console_stage(request, pk)
    sheet = get_object_or_404(
        ScoreSheet.objects.select_related("appearance"),
        pk=_id(request.POST.get("sheet")),
        appearance__stage=stage,
    )
    return _chief_action(
        request,
        stage,
        lambda: judging.reopen_sheet(sheet, request.user, request.POST.get("reason", "")),
        _("The sheet for %(code)s is reopened; its judge can score again.")
        % {"code": sheet.appearance.blind_code},
        f"#a{sheet.appearance_id}",
    )


@login_required
@require_POST
def chief_remark(request, pk):
    stage = _console_stage(request, pk)
    appearance = get_object_or_404(Appearance, pk=_id(request.POST.get("appearance")), stage=stage)
    return _chief_action(
        request,
        stage,
        lambda: judging.request_remark(appearance, request.user, request.POST.get("reason", "")),
        _("Re-mark of %(code)s requested: its judges' sheets are reopened.")
        % {"code": appearance.blind_code},
        f"#a{appearance.pk}",
    )


@login_required
@require_POST
def chief_excuse(request, pk):
    stage = _console_stage(request, pk)
    seated = User.objects.filter(
        Q(assignments__appearance__stage=stage) | Q(judging_rooms__stage=stage)
    ).distinct()
    judge = get_object_or_404(seated, pk=_id(request.POST.get("judge")))
    result = {}

    def excuse():
        result["codes"] = judging.excuse_judge(
            stage, judge, request.user, request.POST.get("reason", "")
        )

    response = _chief_action(request, stage, excuse, _("The judge is excused."))
    if "codes" in result:
        messages.info(
            request,
            _("%(judge)s no longer scores: %(codes)s.")
            % {"judge": judge, "codes": judging.codes_text(result["codes"]) or "—"},
        )
    return response


@login_required
@require_POST
def chief_close(request, pk):
    stage = _console_stage(request, pk)
    return _chief_action(
        request,
        stage,
        lambda: judging.close_stage(stage, request.user),
        _("The stage is closed. Decode it to show the names."),
    )


@login_required
@require_POST
def chief_decode(request, pk):
    stage = _console_stage(request, pk)
    return _chief_action(
        request,
        stage,
        lambda: judging.decode_stage(stage, request.user),
        _("The stage is decoded: names now appear beside the blind codes."),
    )


@login_required
@require_GET
def sheet_history(request, pk):
    """Every sheet of an appearance and every change to it: who, when, old, new, why."""
    appearance = get_object_or_404(
        Appearance.objects.select_related("stage__round__competition", "room", "card"), pk=pk
    )
    stage = appearance.stage
    if not judging.may_view_console(request.user, stage):
        raise PermissionDenied
    titles = {c.code: c.title for c in judging.criteria_of(stage)}
    titles.setdefault(judging.EXAM_CRITERION, _("Written test"))
    sheets = list(
        appearance.sheets.select_related("judge", "entered_by", "confirmed_by")
        .prefetch_related(Prefetch("changes", queryset=ScoreChange.objects.select_related("by")))
        .order_by("judge__username")
    )
    for sheet in sheets:
        sheet.history = [
            {
                "change": change,
                "old": _values_text(change.old_values, titles),
                "new": _values_text(change.new_values, titles),
            }
            for change in sheet.changes.all()
        ]
    return render(
        request,
        "competitions/judging/history.html",
        {
            "appearance": appearance,
            "stage": stage,
            "sheets": sheets,
            "name": appearance.entry.registration.worker if stage.decoded else None,
            "remarks": appearance.remarks.select_related("requested_by"),
        },
    )


def _values_text(values, titles: dict[str, str]) -> str:
    """{"listen": "8.5", …} → "倾听与共情 8.5 · …", in the stage's criterion order."""
    if not values:
        return ""
    order = list(titles)
    codes = sorted(values, key=lambda c: (order.index(c) if c in order else len(order), c))
    return " · ".join(f"{titles.get(code, code)} {values[code]}" for code in codes)


# --------------------------------------------------------------------------- paper sheets


def _paper_stage(request, pk) -> Stage:
    stage = _stage(pk)
    if not judging.may_enter_paper(request.user, stage):
        raise PermissionDenied
    return stage


@login_required
@require_http_methods(["GET", "POST"])
def paper_upload(request, pk):
    stage = _paper_stage(request, pk)
    criteria = list(stage.criteria.all())
    problems = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            problems = [_("Choose the file to upload.")]
        elif upload.size > paper.MAX_BYTES:
            problems = [_("The file is larger than 2 MB.")]
        else:
            try:
                check_upload(upload, allowed=SPREADSHEETS)
                sheets = paper.import_paper_sheets(stage, upload.read(), upload.name, request.user)
            except (ValidationError, PermissionDenied) as error:
                problems = _messages_of(error)
            else:
                messages.success(
                    request,
                    _(
                        "%(count)s sheets typed in. Someone else must now check them against the paper and confirm them."
                    )
                    % {"count": len(sheets)},
                )
                return redirect("competitions:paper_upload", pk=stage.pk)
    return render(
        request,
        "competitions/judging/paper.html",
        {
            "stage": stage,
            "competition": stage.round.competition,
            "problems": problems,
            "awaiting": [
                {"sheet": sheet, "cells": [sheet.values.get(c.code, "") for c in criteria]}
                for sheet in paper.awaiting_confirmation(stage)
            ],
            "criteria": criteria,
            "rooms": Room.objects.filter(stage=stage).order_by("name"),
            "is_open": stage.status == Stage.Status.OPEN,
        },
    )


@login_required
@require_POST
def paper_confirm(request, pk):
    stage = _paper_stage(request, pk)
    ids = [_id(i) for i in request.POST.getlist("sheet")]
    sheets = list(ScoreSheet.objects.filter(pk__in=ids, appearance__stage=stage))
    try:
        confirmed = paper.confirm_paper_sheets(sheets, request.user)
    except (ValidationError, PermissionDenied) as error:
        _flash_error(request, error)
    else:
        messages.success(
            request, _("%(count)s sheets confirmed and submitted.") % {"count": len(confirmed)}
        )
    return redirect("competitions:paper_upload", pk=stage.pk)


@login_required
@require_GET
def paper_template(request, pk):
    stage = _paper_stage(request, pk)
    room = None
    if request.GET.get("room"):
        room = get_object_or_404(Room, pk=_id(request.GET["room"]), stage=stage)
    content = paper.template_workbook(stage, room)
    name = f"{stage.round.competition.title}-{stage.name}{'-' + room.name if room else ''}.xlsx"
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
