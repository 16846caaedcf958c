"""The organiser's pages: the competitions home, structure, registration, rooms, conflicts, draws.

Every page asks `access` who may see it; anything outside the user's competitions is a 403.
"""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from people import levels
from people.models import User, WorkerProfile
from people.requests import typed_query
from people.scope import ancestor_paths, scope_of

from . import registration as reg
from . import setup
from .access import is_chief_judge, may_nominate, organises
from .models import (
    Appearance,
    Competition,
    Conflict,
    Quota,
    Recusal,
    Registration,
    Room,
    Round,
    Stage,
)
from .setup_forms import (
    CompetitionForm,
    ConflictForm,
    DrawForm,
    QuotaForm,
    RejectForm,
    RoomForm,
    RoundForm,
    StageForm,
)

PUBLIC_LIST = 20
CANDIDATES_SHOWN = 50
ORGANISING_LEVELS = (levels.CITY, levels.DISTRICT, levels.STREET)


# --- Helpers ----------------------------------------------------------------------------------


def optional_url(name: str, *args) -> str | None:
    """A link to another part of the contest pages, if that part exists yet."""
    try:
        return reverse(f"competitions:{name}", args=args)
    except NoReverseMatch:
        return None


def results_url(competition: Competition) -> str:
    return reverse("competitions:results_list") + f"?competition={competition.pk}"


def _error(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


def _competition(pk) -> Competition:
    return get_object_or_404(Competition.objects.select_related("owner_unit", "chief_judge"), pk=pk)


def _organised(request, pk) -> Competition:
    competition = _competition(pk)
    if not organises(request.user, competition):
        raise PermissionDenied
    return competition


def _stage(competition: Competition, stage_id: int) -> Stage:
    return get_object_or_404(
        Stage.objects.select_related("round__competition__owner_unit", "exam"),
        pk=stage_id,
        round__competition=competition,
    )


def _to_detail(competition: Competition):
    return redirect("competitions:competition_detail", pk=competition.pk)


def may_create(user) -> bool:
    scope = scope_of(user)
    return scope.everything or scope.units.filter(level__in=ORGANISING_LEVELS).exists()


# --- Home -------------------------------------------------------------------------------------


def home(request):
    user = request.user
    if not user.is_authenticated:
        public = Competition.objects.exclude(status=Competition.Status.PREPARING).select_related(
            "owner_unit"
        )[:PUBLIC_LIST]
        return render(
            request,
            "competitions/setup/home.html",
            {"public": [{"competition": c, "results": results_url(c)} for c in public]},
        )
    return render(request, "competitions/setup/home.html", _my_competitions(user))


def _my_competitions(user) -> dict:
    scope = scope_of(user)
    everything = Competition.objects.select_related("owner_unit")
    organised = list(scope.filter(everything, via="owner_unit")) if not scope.is_empty else []
    organised_ids = {c.pk for c in organised}
    above = {p for path in scope.paths for p in ancestor_paths(path)}
    nominating = everything.filter(
        owner_unit__path__in=above, status=Competition.Status.REGISTRATION
    ).exclude(pk__in=organised_ids)
    chaired = everything.filter(chief_judge=user).prefetch_related(
        Prefetch("rounds__stages", queryset=Stage.objects.order_by("order"))
    )
    judging = everything.filter(rounds__stages__rooms__judges=user).distinct()
    return {
        "organised": organised,
        "nominating": list(nominating),
        "chaired": [
            {
                "competition": c,
                "appeals": optional_url("appeals_console", c.pk),
                "stages": [
                    {"stage": s, "console": optional_url("chief_console", s.pk)}
                    for r in c.rounds.all()
                    for s in r.stages.all()
                ],
            }
            for c in chaired
        ],
        "judging": list(judging),
        "judge_home": optional_url("judge_home"),
        "arbitrating": [
            {"competition": c, "appeals": optional_url("appeals_console", c.pk)}
            for c in everything.filter(arbiters=user)
        ],
        "registered": [
            {"registration": r, "results": results_url(r.competition)}
            for r in user.registrations.select_related("competition").exclude(
                status=Registration.Status.WITHDRAWN
            )
        ],
        "may_create": may_create(user),
        "is_worker": WorkerProfile.objects.filter(user=user).exists(),
    }


# --- Competition ------------------------------------------------------------------------------


@login_required
def competition_new(request):
    if not may_create(request.user):
        raise PermissionDenied
    form = CompetitionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.instance.created_by = request.user
        competition = form.save()
        messages.success(request, _("Competition created. Now add its rounds and stages."))
        return _to_detail(competition)
    return render(request, "competitions/setup/competition_form.html", {"form": form})


@login_required
def competition_edit(request, pk):
    competition = _organised(request, pk)
    form = CompetitionForm(request.POST or None, instance=competition, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return _to_detail(competition)
    return render(
        request,
        "competitions/setup/competition_form.html",
        {"form": form, "competition": competition},
    )


@login_required
def competition_detail(request, pk):
    competition = _competition(pk)
    organiser = organises(request.user, competition)
    if not (organiser or is_chief_judge(request.user, competition)):
        raise PermissionDenied
    stages = Stage.objects.select_related("exam").annotate(
        n_rooms=Count("rooms", distinct=True),
        n_criteria=Count("criteria", distinct=True),
        n_appearances=Count("appearances", distinct=True),
    )
    rounds = competition.rounds.prefetch_related(
        Prefetch("stages", queryset=stages), "stages__cards"
    )
    return render(
        request,
        "competitions/setup/detail.html",
        {
            "competition": competition,
            "organiser": organiser,
            "rounds": [_round_summary(r) for r in rounds],
            "started": setup.competition_started(competition),
            "transitions": [
                Competition.Status(s)
                for s in Competition.Status.values
                if s in reg.TRANSITIONS[competition.status]
            ],
            "counts": reg.registration_counts(competition),
            "n_conflicts": competition.conflicts.count(),
            "n_quotas": competition.quotas.count(),
            "registration_open": reg.registration_open(competition),
            "results": results_url(competition),
            "exports": optional_url("export_index", competition.pk),
            "scoreboard": optional_url("scoreboard", competition.pk),
            "appeals": optional_url("appeals_console", competition.pk),
        },
    )


def _round_summary(round_: Round) -> dict:
    stages = list(round_.stages.all())
    total = sum((s.weight for s in stages), Decimal(0))
    return {
        "round": round_,
        "weights_total": total.normalize(),
        "weights_ok": total == 1,
        "started": any(s.status != Stage.Status.PREPARING for s in stages),
        "stages": [{"stage": s, "console": optional_url("chief_console", s.pk)} for s in stages],
        "preview": optional_url("round_preview", round_.pk),
    }


@login_required
@require_POST
def competition_status(request, pk):
    competition = _organised(request, pk)
    try:
        reg.set_status(competition, request.POST.get("status", ""), request.user)
    except ValidationError as error:
        _error(request, error)
    except ValueError:
        messages.error(request, _("Unknown status."))
    return _to_detail(competition)


# --- Rounds and stages ------------------------------------------------------------------------


@login_required
def round_form(request, pk, round_id=None):
    competition = _organised(request, pk)
    round_ = get_object_or_404(Round, pk=round_id, competition=competition) if round_id else None
    form = RoundForm(request.POST or None, instance=round_, competition=competition)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Round saved."))
        return _to_detail(competition)
    return render(
        request,
        "competitions/setup/round_form.html",
        {"form": form, "competition": competition, "round": round_},
    )


@login_required
@require_POST
def round_delete(request, pk, round_id):
    competition = _organised(request, pk)
    round_ = get_object_or_404(Round, pk=round_id, competition=competition)
    try:
        setup.ensure_round_editable(round_)
        if round_.entries.exists():
            raise ValidationError(
                _("“%(round)s” already has contestants: it cannot be deleted.")
                % {"round": round_.name}
            )
    except ValidationError as error:
        _error(request, error)
    else:
        round_.delete()
        messages.success(request, _("Round deleted."))
    return _to_detail(competition)


@login_required
def stage_form(request, pk, round_id=None, stage_id=None):
    competition = _organised(request, pk)
    stage = _stage(competition, stage_id) if stage_id else None
    round_ = (
        stage.round if stage else get_object_or_404(Round, pk=round_id, competition=competition)
    )
    form = StageForm(request.POST or None, instance=stage, round=round_, user=request.user)
    if request.method == "POST" and form.is_valid():
        stage = form.save()
        _follow_rubric(request, stage)
        messages.success(request, _("Stage saved."))
        return _to_detail(competition)
    return render(
        request,
        "competitions/setup/stage_form.html",
        {"form": form, "competition": competition, "round": round_, "stage": stage},
    )


def _follow_rubric(request, stage: Stage) -> None:
    """Keep the stage's criteria in step with its cards; say what is missing if they can't be."""
    try:
        setup.adopt_rubric(stage)
    except ValidationError as error:
        stage.criteria.all().delete()
        messages.warning(request, " ".join(error.messages))


@login_required
@require_POST
def stage_delete(request, pk, stage_id):
    competition = _organised(request, pk)
    stage = _stage(competition, stage_id)
    try:
        setup.ensure_round_editable(stage.round)
    except ValidationError as error:
        _error(request, error)
    else:
        stage.delete()
        messages.success(request, _("Stage deleted."))
    return _to_detail(competition)


@login_required
@require_POST
def stage_rubric(request, pk, stage_id):
    competition = _organised(request, pk)
    stage = _stage(competition, stage_id)
    try:
        criteria = setup.adopt_rubric(stage)
    except ValidationError as error:
        _error(request, error)
    else:
        messages.success(
            request,
            _("The rubric of “%(stage)s” now has %(n)s criteria.")
            % {"stage": stage.name, "n": len(criteria)},
        )
    return _to_detail(competition)


@login_required
@require_POST
def stage_open(request, pk, stage_id):
    competition = _competition(pk)
    if not (organises(request.user, competition) or is_chief_judge(request.user, competition)):
        raise PermissionDenied
    stage = _stage(competition, stage_id)
    try:
        setup.open_stage(stage, request.user)
    except ValidationError as error:
        _error(request, error)
    else:
        messages.success(request, _("Scoring of “%(stage)s” is open.") % {"stage": stage.name})
    return _to_detail(competition)


# --- Rooms, conflicts and the draw ------------------------------------------------------------


@login_required
def stage_rooms(request, pk, stage_id, room_id=None):
    competition = _organised(request, pk)
    stage = _stage(competition, stage_id)
    room = get_object_or_404(Room, pk=room_id, stage=stage) if room_id else None
    form = RoomForm(request.POST or None, instance=room, stage=stage)
    if request.method == "POST":
        try:
            setup.ensure_stage_preparing(stage)
        except ValidationError as error:
            _error(request, error)
            return redirect("competitions:stage_rooms", pk=pk, stage_id=stage.pk)
        if form.is_valid():
            form.save()
            messages.success(request, _("Room saved."))
            if stage.drawn_at:
                messages.warning(request, _("The rooms changed since the draw: redo the draw."))
            return redirect("competitions:stage_rooms", pk=pk, stage_id=stage.pk)
    return render(
        request,
        "competitions/setup/rooms.html",
        {
            "competition": competition,
            "stage": stage,
            "rooms": stage.rooms.prefetch_related("judges"),
            "room": room,
            "form": form,
        },
    )


@login_required
@require_POST
def room_delete(request, pk, stage_id, room_id):
    competition = _organised(request, pk)
    stage = _stage(competition, stage_id)
    room = get_object_or_404(Room, pk=room_id, stage=stage)
    try:
        setup.ensure_stage_preparing(stage)
    except ValidationError as error:
        _error(request, error)
    else:
        room.delete()
        messages.success(request, _("Room deleted."))
    return redirect("competitions:stage_rooms", pk=pk, stage_id=stage.pk)


@login_required
def conflicts(request, pk):
    competition = _organised(request, pk)
    form = ConflictForm(request.POST or None, competition=competition)
    if request.method == "POST" and form.is_valid():
        form.instance.declared_by = request.user
        form.save()
        messages.success(
            request, _("Conflict recorded. Draws made from now on take it into account.")
        )
        return redirect("competitions:conflicts", pk=pk)
    return render(
        request,
        "competitions/setup/conflicts.html",
        {
            "competition": competition,
            "form": form,
            "conflicts": competition.conflicts.select_related("judge", "worker").order_by(
                "judge__real_name", "worker__real_name"
            ),
        },
    )


@login_required
@require_POST
def conflict_delete(request, pk, conflict_id):
    competition = _organised(request, pk)
    get_object_or_404(Conflict, pk=conflict_id, competition=competition).delete()
    messages.success(request, _("Conflict removed."))
    return redirect("competitions:conflicts", pk=pk)


@login_required
def stage_draw(request, pk, stage_id):
    competition = _organised(request, pk)
    stage = _stage(competition, stage_id)
    form = DrawForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "verify":
            _report_verification(request, stage)
        elif form.is_valid():
            try:
                setup.run_draw(stage, request.user, seed=form.cleaned_data["seed"])
            except ValidationError as error:
                _error(request, error)
            else:
                messages.success(request, _("The draw is made."))
        return redirect("competitions:stage_draw", pk=pk, stage_id=stage.pk)
    return render(
        request,
        "competitions/setup/draw.html",
        {"competition": competition, "stage": stage, "form": form, "rows": _draw_rows(stage)},
    )


def _report_verification(request, stage: Stage) -> None:
    if not stage.draw_seed:
        messages.error(request, _("There is no draw to verify yet."))
    elif setup.verify_draw(stage):
        messages.success(
            request,
            _("Verified: re-running the draw with seed %(seed)s gives exactly the stored result.")
            % {"seed": stage.draw_seed},
        )
    else:
        messages.error(
            request,
            _(
                "Re-running the draw with seed %(seed)s does not give the stored result: the contestants, rooms, judges or conflicts changed since, or the draw was altered."
            )
            % {"seed": stage.draw_seed},
        )


def _draw_rows(stage: Stage) -> list[dict]:
    """The draw by blind code only: no names or units of contestants on this page."""
    appearances = (
        Appearance.objects.filter(stage=stage)
        .select_related("room", "card")
        .prefetch_related(
            "assignments__judge",
            Prefetch("recusals", queryset=Recusal.objects.select_related("judge")),
        )
        .order_by("order")
    )
    return [
        {
            "order": a.order,
            "code": a.blind_code,
            "room": a.room.name if a.room else "",
            "card": a.card.title if a.card else "",
            "judges": [x.judge.real_name for x in a.assignments.all()],
            "recusals": [
                {"judge": r.judge.real_name, "reason": r.get_reason_display()}
                for r in a.recusals.all()
            ],
        }
        for a in appearances
    ]


# --- Registration -----------------------------------------------------------------------------


def _registration_pages(request, pk) -> Competition:
    competition = _competition(pk)
    if not (organises(request.user, competition) or may_nominate(request.user, competition)):
        raise PermissionDenied
    return competition


@login_required
def registrations(request, pk):
    competition = _registration_pages(request, pk)
    status = request.GET.get("status", "")
    rows = reg.visible_registrations(request.user, competition).order_by(
        "unit__path", "worker__real_name"
    )
    if status in Registration.Status.values:
        rows = rows.filter(status=status)
    query = typed_query(request)
    is_open = reg.registration_open(competition)
    candidates = None
    if is_open and may_nominate(request.user, competition):
        candidates = reg.nominable_workers(request.user, competition)
        if query:
            candidates = candidates.filter(
                Q(user__real_name__contains=query)
                | Q(user__phone__contains=query)
                | Q(community__name__contains=query)
            )
        candidates = candidates[:CANDIDATES_SHOWN]
    return render(
        request,
        "competitions/setup/registrations.html",
        {
            "competition": competition,
            "organiser": organises(request.user, competition),
            "rows": rows,
            "status": status,
            "statuses": Registration.Status.choices,
            "query": query,
            "is_open": is_open,
            "candidates": candidates,
            "quotas": reg.quota_usage(competition),
            "reject_form": RejectForm(),
        },
    )


def _back_to_registrations(competition):
    return redirect("competitions:registrations", pk=competition.pk)


@login_required
@require_POST
def registration_nominate(request, pk):
    competition = _registration_pages(request, pk)
    worker = get_object_or_404(User, pk=request.POST.get("worker") or 0)
    try:
        reg.nominate(competition, worker, request.user)
    except ValidationError as error:
        _error(request, error)
    else:
        messages.success(request, _("%(name)s is nominated.") % {"name": worker.real_name})
    return _back_to_registrations(competition)


def _visible_registration(request, competition, registration_id) -> Registration:
    return get_object_or_404(
        reg.visible_registrations(request.user, competition), pk=registration_id
    )


@login_required
@require_POST
def registration_decide(request, pk, registration_id):
    competition = _organised(request, pk)
    registration = _visible_registration(request, competition, registration_id)
    name = registration.worker.real_name
    try:
        if request.POST.get("decision") == "approve":
            reg.approve(registration, request.user)
            messages.success(request, _("%(name)s is approved.") % {"name": name})
        else:
            form = RejectForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            reg.reject(registration, request.user, reason)
            messages.success(request, _("%(name)s is rejected.") % {"name": name})
    except ValidationError as error:
        _error(request, error)
    return _back_to_registrations(competition)


@login_required
@require_POST
def registration_withdraw(request, pk, registration_id):
    competition = _registration_pages(request, pk)
    registration = _visible_registration(request, competition, registration_id)
    try:
        reg.withdraw(registration, request.user)
    except ValidationError as error:
        _error(request, error)
    else:
        messages.success(
            request, _("%(name)s is withdrawn.") % {"name": registration.worker.real_name}
        )
    return _back_to_registrations(competition)


@login_required
def quotas(request, pk):
    competition = _organised(request, pk)
    form = QuotaForm(request.POST or None, competition=competition)
    if request.method == "POST" and form.is_valid():
        try:
            reg.set_quota(
                competition, form.cleaned_data["unit"], form.cleaned_data["seats"], request.user
            )
        except ValidationError as error:
            _error(request, error)
        else:
            messages.success(request, _("Quota saved."))
        return redirect("competitions:quotas", pk=pk)
    return render(
        request,
        "competitions/setup/quotas.html",
        {"competition": competition, "form": form, "quotas": reg.quota_usage(competition)},
    )


@login_required
@require_POST
def quota_delete(request, pk, quota_id):
    competition = _organised(request, pk)
    get_object_or_404(Quota, pk=quota_id, competition=competition).delete()
    messages.success(request, _("Quota removed."))
    return redirect("competitions:quotas", pk=pk)
