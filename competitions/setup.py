"""Setting a competition up: structure rules, judges, the draw, the rubric, opening a stage.

The draw itself is the pure `draws.draw`; this module gathers its inputs from the database,
writes its result in one transaction, and re-runs it from the stored seed to verify it.
"""

import secrets
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from people import levels
from people.models import OrgUnit, Role, User, WorkerProfile
from people.scope import ancestor_paths

from . import draws
from .access import is_chief_judge, organises
from .models import (
    Appearance,
    Assignment,
    Competition,
    Conflict,
    Recusal,
    Registration,
    Round,
    RoundEntry,
    Stage,
    StageCriterion,
)

WRITTEN_CRITERION = ("written", Decimal("100"), Decimal("0.01"))


# --- The org tree -----------------------------------------------------------------------------


def path_length(level: str) -> int:
    """How many path characters identify a unit of `level` (a regular tree: one step per level)."""
    return OrgUnit.steplen * (levels.RANK[level] + 1)


def judge_candidates(unit: OrgUnit) -> QuerySet[User]:
    """People with a judge role in `unit`'s subtree or above it (a city expert judging a district)."""
    near = Q(roles__unit__path__startswith=unit.path) | Q(
        roles__unit__path__in=ancestor_paths(unit.path)
    )
    return (
        User.objects.filter(near, roles__kind=Role.Kind.JUDGE, is_active=True)
        .distinct()
        .order_by("real_name", "pk")
    )


def home_paths(user_ids) -> dict[int, tuple[str, ...]]:
    """Every unit each person belongs to: where they hold any role, and their community."""
    homes: dict[int, set[str]] = {pk: set() for pk in user_ids}
    for user_id, path in Role.objects.filter(user_id__in=homes).values_list(
        "user_id", "unit__path"
    ):
        homes[user_id].add(path)
    for user_id, path in WorkerProfile.objects.filter(user_id__in=homes).values_list(
        "user_id", "community__path"
    ):
        homes[user_id].add(path)
    return {pk: tuple(sorted(paths)) for pk, paths in homes.items()}


# --- Structure --------------------------------------------------------------------------------


def competition_started(competition: Competition) -> bool:
    return (
        Stage.objects.filter(round__competition=competition)
        .exclude(status=Stage.Status.PREPARING)
        .exists()
    )


def round_started(round_: Round) -> bool:
    return round_.stages.exclude(status=Stage.Status.PREPARING).exists()


def ensure_round_editable(round_: Round) -> None:
    if round_.pk and round_started(round_):
        raise ValidationError(
            _("A stage of “%(round)s” is already open: its structure can no longer change.")
            % {"round": round_.name}
        )


def ensure_stage_preparing(stage: Stage) -> None:
    if stage.status != Stage.Status.PREPARING:
        raise ValidationError(
            _("“%(stage)s” is already open: this can no longer change.") % {"stage": stage.name}
        )


def weights_total(round_: Round) -> Decimal:
    return sum((s.weight for s in round_.stages.all()), Decimal(0))


def check_weights(round_: Round) -> None:
    total = weights_total(round_)
    if total != 1:
        raise ValidationError(
            _(
                "The weights of the stages of “%(round)s” add up to %(total)s; they must add up to 1 before a stage opens."
            )
            % {"round": round_.name, "total": total.normalize()}
        )


def check_tie_breakers(codes: list[str], stage_codes, round_name: str) -> None:
    unknown = [code for code in codes if code not in set(stage_codes)]
    if unknown:
        raise ValidationError(
            _("Tie-breaker “%(code)s” is not the code of a stage of “%(round)s”.")
            % {"code": unknown[0], "round": round_name}
        )
    if len(set(codes)) != len(codes):
        raise ValidationError(_("Each stage can break ties only once."))


def check_awards(awards: list[dict]) -> None:
    total = Decimal(0)
    for number, award in enumerate(awards, 1):
        share = Decimal(str(award["share"]))
        if not award["name"].strip():
            raise ValidationError(_("Award %(n)s needs a name.") % {"n": number})
        if not 0 < share <= 1:
            raise ValidationError(
                _("The share of “%(name)s” must be more than 0 and at most 1.")
                % {"name": award["name"]}
            )
        total += share
    if total > 1:
        raise ValidationError(
            _("The award shares add up to %(total)s, more than 1.") % {"total": total.normalize()}
        )


# --- Entrants and the draw --------------------------------------------------------------------


def entrants(stage: Stage) -> QuerySet[RoundEntry]:
    """Who takes part in the stage: the round's entries whose registration is approved."""
    return RoundEntry.objects.filter(
        round_id=stage.round_id, registration__status=Registration.Status.APPROVED
    )


def draw_inputs(stage: Stage) -> dict:
    """Everything `draws.draw` needs, read from the database (the seed aside)."""
    entries = list(entrants(stage).select_related("registration__unit"))
    rooms = list(stage.rooms.prefetch_related("judges"))
    judge_ids = {judge.pk for room in rooms for judge in room.judges.all()}
    homes = home_paths(judge_ids)
    entry_of_worker = {e.registration.worker_id: e.pk for e in entries}
    conflicts = Conflict.objects.filter(
        competition_id=stage.round.competition_id,
        judge_id__in=judge_ids,
        worker_id__in=entry_of_worker,
    ).values_list("judge_id", "worker_id")
    competition = stage.round.competition
    return {
        "contestants": [draws.Contestant(e.pk, e.registration.unit.path) for e in entries],
        "rooms": [
            draws.Room(r.pk, tuple(draws.Judge(j.pk, homes[j.pk]) for j in r.judges.all()))
            for r in rooms
        ],
        "cards": []
        if stage.kind == Stage.Kind.WRITTEN
        else list(stage.cards.values_list("pk", flat=True)),
        "conflicts": [(judge, entry_of_worker[worker]) for judge, worker in conflicts],
        "recusal_length": path_length(competition.recusal_level),
        "street_length": path_length(levels.STREET),
    }


def _check_rooms(stage: Stage, inputs: dict) -> None:
    if not inputs["contestants"]:
        raise ValidationError(
            _("“%(round)s” has no approved contestants to draw.") % {"round": stage.round.name}
        )
    if stage.kind == Stage.Kind.WRITTEN:
        return
    rooms = {room.pk: room for room in stage.rooms.all()}
    if not rooms:
        raise ValidationError(_("Add at least one room with judges before the draw."))
    for room in inputs["rooms"]:
        if not room.judges:
            raise ValidationError(
                _("Room “%(room)s” has no judges.") % {"room": rooms[room.id].name}
            )


def _compute(stage: Stage, seed: str, inputs: dict) -> list[draws.Slot]:
    try:
        return draws.draw(**inputs, seed=seed)
    except draws.DrawError as error:
        if error.code == "no_judge":
            room = stage.rooms.get(pk=error.params["room"])
            raise ValidationError(
                _(
                    "Contestant %(code)s would have no judge left in room “%(room)s”: every judge there must stand aside. Seat more judges."
                )
                % {"code": error.params["blind_code"], "room": room.name}
            ) from error
        raise ValidationError(
            _("The draw cannot be made (%(code)s).") % {"code": error.code}
        ) from error


@transaction.atomic
def run_draw(stage: Stage, by, seed: str | None = None) -> Stage:
    """Draw the stage (again), replacing any earlier draw; only while the stage is preparing."""
    stage = Stage.objects.select_for_update().select_related("round__competition").get(pk=stage.pk)
    if by is not None and not organises(by, stage.round.competition):
        raise PermissionDenied
    ensure_stage_preparing(stage)
    seed = (seed or "").strip() or secrets.token_hex(8)
    inputs = draw_inputs(stage)
    _check_rooms(stage, inputs)
    slots = _compute(stage, seed, inputs)

    stage.appearances.all().delete()  # assignments and recusals go with them
    appearances = Appearance.objects.bulk_create(
        [
            Appearance(
                stage=stage,
                entry_id=slot.contestant,
                blind_code=slot.blind_code,
                order=slot.order,
                room_id=slot.room,
                card_id=slot.card,
            )
            for slot in slots
        ]
    )
    by_entry = {a.entry_id: a for a in appearances}
    Assignment.objects.bulk_create(
        Assignment(appearance=by_entry[slot.contestant], judge_id=judge)
        for slot in slots
        for judge in slot.judges
    )
    Recusal.objects.bulk_create(
        Recusal(appearance=by_entry[slot.contestant], judge_id=judge, reason=reason)
        for slot in slots
        for judge, reason in slot.recusals
    )
    stage.draw_seed = seed
    stage.draw_inputs = draws.inputs_as_data(**inputs)
    stage.drawn_at = timezone.now()
    stage.drawn_by = by
    stage.save(update_fields=["draw_seed", "draw_inputs", "drawn_at", "drawn_by"])
    return stage


def _stored(stage: Stage) -> set[tuple]:
    appearances = stage.appearances.prefetch_related("assignments", "recusals")
    return {
        (
            a.entry_id,
            a.order,
            a.blind_code,
            a.room_id,
            a.card_id,
            frozenset(x.judge_id for x in a.assignments.all()),
            frozenset((r.judge_id, r.reason) for r in a.recusals.all()),
        )
        for a in appearances
    }


def verify_draw(stage: Stage) -> bool:
    """Re-run the draw from the stored seed and inputs: does it give what the database holds?"""
    if not stage.draw_seed or not stage.draw_inputs:
        return False
    try:
        slots = draws.draw(**draws.inputs_from_data(stage.draw_inputs), seed=stage.draw_seed)
    except (draws.DrawError, KeyError, TypeError, ValueError):
        return False
    expected = {
        (
            s.contestant,
            s.order,
            s.blind_code,
            s.room,
            s.card,
            frozenset(s.judges),
            frozenset(s.recusals),
        )
        for s in slots
    }
    return expected == _stored(stage)


# --- Rubric and opening -----------------------------------------------------------------------


def _signature(criteria: list[dict]) -> list[tuple]:
    return [(c["code"], Decimal(c["max_points"]), Decimal(c["step"])) for c in criteria]


@transaction.atomic
def adopt_rubric(stage: Stage) -> list[StageCriterion]:
    """Copy the criteria the stage is scored on: from its cards, or one `written` criterion."""
    ensure_stage_preparing(stage)
    if stage.kind == Stage.Kind.WRITTEN:
        if not stage.exam_id:
            raise ValidationError(
                _("The written stage “%(stage)s” needs an exam.") % {"stage": stage.name}
            )
        code, max_points, step = WRITTEN_CRITERION
        rows = [
            {
                "code": code,
                "title": _("Written test"),
                "max_points": max_points,
                "step": step,
                "bands": [],
            }
        ]
    else:
        rows = _card_criteria(stage)
    stage.criteria.all().delete()
    return StageCriterion.objects.bulk_create(
        StageCriterion(
            stage=stage,
            order=order,
            code=row["code"],
            title=row["title"],
            max_points=row["max_points"],
            step=row["step"],
            bands=row["bands"],
        )
        for order, row in enumerate(rows, 1)
    )


def _card_criteria(stage: Stage) -> list[dict]:
    cards = [card.specific for card in stage.cards.order_by("pk")]
    if not cards:
        raise ValidationError(
            _("Choose at least one scenario card for “%(stage)s”.") % {"stage": stage.name}
        )
    first = cards[0].criteria()
    if not first:
        raise ValidationError(
            _("Card “%(card)s” has no rubric criteria.") % {"card": cards[0].title}
        )
    for card in cards[1:]:
        if _signature(card.criteria()) != _signature(first):
            raise ValidationError(
                _(
                    "The rubric of card “%(card)s” differs from that of “%(first)s”: all cards of a stage need the same criteria (code, max points and step, in the same order)."
                )
                % {"card": card.title, "first": cards[0].title}
            )
    return first


@transaction.atomic
def open_stage(stage: Stage, by) -> Stage:
    """Start scoring: needs a verified draw, criteria, and the round's weights adding up to 1."""
    stage = Stage.objects.select_for_update().select_related("round__competition").get(pk=stage.pk)
    competition = stage.round.competition
    if by is not None and not (organises(by, competition) or is_chief_judge(by, competition)):
        raise PermissionDenied
    ensure_stage_preparing(stage)
    if not stage.drawn_at or not stage.appearances.exists():
        raise ValidationError(_("Make the draw of “%(stage)s” first.") % {"stage": stage.name})
    if draws.inputs_as_data(**draw_inputs(stage)) != stage.draw_inputs or not verify_draw(stage):
        raise ValidationError(
            _(
                "The contestants, rooms or judges of “%(stage)s” changed since the draw: redo the draw."
            )
            % {"stage": stage.name}
        )
    if not stage.criteria.exists():
        raise ValidationError(
            _("Take the rubric of “%(stage)s” from its cards first.") % {"stage": stage.name}
        )
    if stage.kind == Stage.Kind.WRITTEN and not stage.exam_id:
        raise ValidationError(
            _("The written stage “%(stage)s” needs an exam.") % {"stage": stage.name}
        )
    check_weights(stage.round)
    stage.status = Stage.Status.OPEN
    stage.opened_at = timezone.now()
    stage.save(update_fields=["status", "opened_at"])
    Round.objects.filter(pk=stage.round_id, status=Round.Status.PENDING).update(
        status=Round.Status.RUNNING
    )
    return stage
