"""Results of a round: rules and scores for the engine, publishing, appeals and finalising.

The pure engine is `competitions.scoring`; this module feeds it from the database and freezes
what it returns in `RoundResult` versions.

Contestant numbers. In every score file and ranking a contestant is their registration's id,
zero-padded to five digits ("00042"): stable across the stages and rounds of a competition,
meaningless to anyone outside it, and never a blind code (blind codes differ per stage).
Judges appear as "J<user id>", a written stage's exam result as the judge "exam".

What is published is verifiable: a result keeps scores.csv, rules.json and ranking.csv as
published, and `python -m competitions.scoring scores.csv rules.json` prints ranking.csv
byte for byte. Its sha256 is that of the three texts concatenated in that order (UTF-8), i.e.
`cat scores.csv rules.json ranking.csv | sha256sum`.
"""

import hashlib
import io
import json
from datetime import timedelta
from decimal import Decimal
from typing import NamedTuple

import pandas as pd
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from people.models import OrgUnit
from training import hours
from training.models import HoursCategory

from . import audit, scoring
from .access import decides_appeals, is_chief_judge, organises
from .messages import scoring_message
from .models import (
    Appeal,
    Appearance,
    Competition,
    Registration,
    Round,
    RoundEntry,
    RoundResult,
    ScoreChange,
    ScoreSheet,
    Stage,
    StageCriterion,
)

APPEAL_MIN_LENGTH = 10  # characters: a reason, not a "?"
EXAM_JUDGE = "exam"
TEAM_LEVELS = ("street", "district")
# The published files of a result: large, read only for downloads and recomputation.
FILE_FIELDS = ("scores_csv", "rules_json", "ranking_csv")


def contestant_number(registration_id: int) -> str:
    return f"{registration_id:05d}"


def judge_label(judge_id: int | None) -> str:
    return EXAM_JUDGE if judge_id is None else f"J{judge_id}"


def scoring_problem(error: scoring.ScoringError) -> ValidationError:
    """The engine's refusal as a form error, naming the row and field."""
    return ValidationError(
        _("The scores cannot be ranked: %(problem)s") % {"problem": scoring_message(error)}
    )


# --------------------------------------------------------------------------- rules and scores


def _stage_rule(stage: Stage, weight) -> scoring.StageRule:
    return scoring.StageRule(
        code=stage.code,
        weight=weight,
        aggregate=stage.aggregate,
        trim=stage.trim,
        min_judges=stage.min_judges,
        standardise=stage.standardise,
    )


def _criteria(stages) -> dict[str, tuple[scoring.Criterion, ...]]:
    """Each stage's criteria as its sheets are scored (a written stage: the exam's score)."""
    from .judging import criteria_of

    return {
        stage.code: tuple(
            scoring.Criterion(c.code, c.max_points, c.step)
            for c in criteria_of(stage, exam=bool(stage.exam_id))
        )
        for stage in stages
    }


def _awards(round_: Round) -> list[scoring.Award]:
    return [scoring.Award(item["name"], str(item["share"])) for item in round_.awards or []]


def rules_for(round_: Round) -> scoring.Rules:
    """The round's rules: its stages with their weights, criteria, tie-breakers and awards."""
    stages = list(round_.stages.order_by("order"))
    try:
        return scoring.Rules(
            stages=tuple(_stage_rule(stage, stage.weight) for stage in stages),
            criteria=_criteria(stages),
            tie_breakers=tuple(round_.tie_breakers or ()),
            awards=tuple(_awards(round_)),
        )
    except scoring.ScoringError as error:
        raise scoring_problem(error) from error


def stage_rules(stage: Stage) -> scoring.Rules:
    """One stage ranked on its own (weight 1, no tie-breakers): to check a stage alone."""
    try:
        return scoring.Rules(
            stages=(_stage_rule(stage, 1),),
            criteria=_criteria([stage]),
            awards=tuple(_awards(stage.round)),
        )
    except scoring.ScoringError as error:
        raise scoring_problem(error) from error


def _stages_of(target: Round | Stage) -> list[Stage]:
    if isinstance(target, Stage):
        return [target]
    return list(target.stages.order_by("order"))


def scores_frame(target: Round | Stage) -> pd.DataFrame:
    """Submitted scores of a round or a stage in long form (contestant, stage, judge,
    criterion, score: all strings), sorted by stage, contestant, judge and criterion."""
    stages = _stages_of(target)
    stage_order = {stage.pk: stage.order for stage in stages}
    criterion_order = {
        (row["stage_id"], row["code"]): row["order"]
        for row in StageCriterion.objects.filter(stage__in=stages).values(
            "stage_id", "code", "order"
        )
    }
    sheets = ScoreSheet.objects.filter(
        status=ScoreSheet.Status.SUBMITTED, appearance__stage__in=stages
    ).values_list(
        "appearance__stage_id", "appearance__stage__code", "appearance__entry__registration_id",
        "judge_id", "values",
    )  # fmt: skip
    rows = []
    for stage_id, stage_code, registration_id, judge_id, values in sheets:
        for criterion, score in (values or {}).items():
            order = criterion_order.get((stage_id, criterion), 10_000)
            sort_key = (stage_order[stage_id], registration_id, judge_id or 0, order, criterion)
            rows.append(
                (
                    sort_key,
                    contestant_number(registration_id),
                    stage_code,
                    judge_label(judge_id),
                    criterion,
                    str(score),
                )
            )
    rows.sort(key=lambda row: row[0])
    return pd.DataFrame([row[1:] for row in rows], columns=list(scoring.SCORE_COLUMNS), dtype=str)


def _rank(frame: pd.DataFrame, rules: scoring.Rules) -> pd.DataFrame:
    if frame.empty:
        raise ValidationError(_("No submitted scores to rank yet."))
    try:
        return scoring.rank(frame, rules)
    except scoring.ScoringError as error:
        raise scoring_problem(error) from error


def compute(round_: Round) -> pd.DataFrame:
    """The ranking as it stands now (rank, contestant, <stage codes>, total, award)."""
    return _rank(scores_frame(round_), rules_for(round_))


def compute_stage(stage: Stage) -> pd.DataFrame:
    return _rank(scores_frame(stage), stage_rules(stage))


# --------------------------------------------------------------------------- units


def lineage(unit_ids) -> dict[int, dict[str, OrgUnit]]:
    """Each unit's ancestors (and itself) by level, for many units in one query."""
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=set(unit_ids))}
    steplen = OrgUnit.steplen
    prefixes = {
        unit.path[:end]
        for unit in units.values()
        for end in range(steplen, len(unit.path) + 1, steplen)
    }
    by_path = {unit.path: unit for unit in OrgUnit.objects.filter(path__in=prefixes)}
    return {
        pk: {
            by_path[unit.path[:end]].level: by_path[unit.path[:end]]
            for end in range(steplen, len(unit.path) + 1, steplen)
            if unit.path[:end] in by_path
        }
        for pk, unit in units.items()
    }


def _decimal_text(value) -> str | None:
    """A published figure as written in ranking.csv ("87.50"); None for no score."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def ranking_rows(ranking: pd.DataFrame, rules: scoring.Rules) -> list[dict]:
    """The ranking as published: rank, contestant number, name and units (never phone or ID),
    stage scores, total and award."""
    ids = [int(contestant) for contestant in ranking["contestant"]]
    registrations = Registration.objects.select_related("worker", "unit").in_bulk(ids)
    lines = lineage(reg.unit_id for reg in registrations.values())
    rows = []
    for record in ranking.to_dict("records"):
        registration = registrations[int(record["contestant"])]
        units = lines.get(registration.unit_id, {})
        rows.append(
            {
                "rank": int(record["rank"]),
                "registration": registration.pk,
                "contestant": record["contestant"],
                "name": registration.worker.real_name,
                "unit": registration.unit.name,
                "street": units["street"].name if "street" in units else "",
                "district": units["district"].name if "district" in units else "",
                "stages": {code: _decimal_text(record[code]) for code in rules.stage_codes},
                "total": _decimal_text(record["total"]),
                "award": record["award"],
            }
        )
    return rows


def team_rankings(result: RoundResult) -> dict[str, list[dict]]:
    """Streets and districts ranked by their contestants' mean total, from the published rows."""
    rows = result.ranking
    ranking = pd.DataFrame(
        {"contestant": [r["contestant"] for r in rows], "total": [r["total"] for r in rows]}
    )
    teams = {}
    for level in TEAM_LEVELS:
        unit_of = {r["contestant"]: r[level] for r in rows if r.get(level)}
        table = scoring.team_ranking(ranking, unit_of)
        teams[level] = [
            {
                "rank": int(team.rank),
                "unit": team.unit,
                "members": int(team.members),
                "mean_total": _decimal_text(team.mean_total),
            }
            for team in table.itertuples(index=False)
        ]
    return teams


# --------------------------------------------------------------------------- publishing


def may_manage_results(user, competition: Competition) -> bool:
    return organises(user, competition) or is_chief_judge(user, competition)


def undecoded_stages(round_: Round) -> list[Stage]:
    return [stage for stage in round_.stages.order_by("order") if not stage.decoded]


def current_result(round_: Round) -> RoundResult | None:
    """The version in force: on notice or final (superseded ones are history). Its files are
    read when asked for (megabytes at a thousand contestants)."""
    versions = round_.results.exclude(status=RoundResult.Status.SUPERSEDED).defer(*FILE_FIELDS)
    return versions.order_by("-version").first()


def scores_csv_text(frame: pd.DataFrame) -> str:
    output = io.StringIO()
    scoring.scores_to_csv(frame, output)
    return output.getvalue()


def rules_json_text(rules: scoring.Rules) -> str:
    return json.dumps(scoring.rules_to_dict(rules), sort_keys=True, ensure_ascii=False)


def ranking_csv_text(ranking: pd.DataFrame) -> str:
    output = io.StringIO()
    scoring.write_ranking_csv(ranking, output)
    return output.getvalue()


def fingerprint(scores_csv: str, rules_json: str, ranking_csv: str) -> str:
    return hashlib.sha256((scores_csv + rules_json + ranking_csv).encode("utf-8")).hexdigest()


def publish(round_: Round, by, *, note: str = "") -> RoundResult:
    """Put the round's ranking on public notice (a new version), opening the appeal window."""
    if not may_manage_results(by, round_.competition):
        raise PermissionDenied
    return _publish(round_, by, note=note)


@transaction.atomic
def _publish(round_: Round, by, *, deadline=None, note: str = "") -> RoundResult:
    round_ = Round.objects.select_for_update().select_related("competition").get(pk=round_.pk)
    if round_.status == Round.Status.FINAL:
        raise ValidationError(_("The results of this round are final."))
    if not round_.stages.exists():
        raise ValidationError(_("The round has no stages."))
    waiting = undecoded_stages(round_)
    if waiting:
        raise ValidationError(
            _("Every stage must be decoded first; still waiting: %(stages)s.")
            % {"stages": "、".join(stage.name for stage in waiting)}
        )
    frame = scores_frame(round_)
    rules = rules_for(round_)
    ranking = _rank(frame, rules)
    scores_csv = scores_csv_text(frame)
    rules_json = rules_json_text(rules)
    ranking_csv = ranking_csv_text(ranking)
    now = timezone.now()
    earlier = round_.results.order_by("-version").first()
    round_.results.filter(status=RoundResult.Status.NOTICE).update(
        status=RoundResult.Status.SUPERSEDED
    )
    result = RoundResult.objects.create(
        round=round_,
        version=(earlier.version + 1) if earlier else 1,
        status=RoundResult.Status.NOTICE,
        published_at=now,
        published_by=by,
        appeal_deadline=deadline or now + timedelta(hours=round_.competition.appeal_hours),
        ranking=ranking_rows(ranking, rules),
        scores_csv=scores_csv,
        rules_json=rules_json,
        ranking_csv=ranking_csv,
        sha256=fingerprint(scores_csv, rules_json, ranking_csv),
        note=note,
    )
    round_.status = Round.Status.NOTICE
    round_.save(update_fields=["status"])
    audit.result_released(result, by)
    return result


# --------------------------------------------------------------------------- appeals


def appeal_window_open(result: RoundResult, now=None) -> bool:
    return result.status == RoundResult.Status.NOTICE and (now or timezone.now()) < (
        result.appeal_deadline
    )


def own_registration(result: RoundResult, user) -> Registration | None:
    """The user's registration if they are ranked in this result."""
    if not user.is_authenticated:
        return None
    registration = Registration.objects.filter(
        competition_id=result.round.competition_id, worker=user
    ).first()
    if registration is None:
        return None
    ranked = {row["registration"] for row in result.ranking}
    return registration if registration.pk in ranked else None


@transaction.atomic
def file_appeal(result: RoundResult, user, text: str) -> Appeal:
    """A contestant's written appeal against the result on notice, within the window."""
    registration = own_registration(result, user)
    if registration is None:
        raise PermissionDenied
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    result.refresh_from_db()
    if result.status != RoundResult.Status.NOTICE:
        raise ValidationError(_("This result is no longer open to appeals."))
    if timezone.now() >= result.appeal_deadline:
        raise ValidationError(_("The appeal window closed on %(deadline)s.") % _when(result))
    text = (text or "").strip()
    if len(text) < APPEAL_MIN_LENGTH:
        raise ValidationError(
            _("Write the grounds of your appeal in at least %(count)d characters.")
            % {"count": APPEAL_MIN_LENGTH}
        )
    if Appeal.objects.filter(
        result__round_id=result.round_id, registration=registration, status=Appeal.Status.PENDING
    ).exists():
        raise ValidationError(_("Your earlier appeal is still awaiting a decision."))
    return Appeal.objects.create(result=result, registration=registration, text=text)


def _when(result: RoundResult) -> dict:
    from django.utils.formats import date_format

    local = timezone.localtime(result.appeal_deadline)
    return {"deadline": date_format(local, "DATETIME_FORMAT")}


def appellant_sheets(appeal: Appeal):
    """The appellant's score sheets in the appealed round, stage by stage."""
    return (
        ScoreSheet.objects.filter(
            appearance__entry__registration_id=appeal.registration_id,
            appearance__stage__round_id=appeal.result.round_id,
        )
        .select_related("appearance__stage", "judge")
        .order_by("appearance__stage__order", "judge_id")
    )


@transaction.atomic
def decide_appeal(appeal: Appeal, by, upheld: bool, decision: str, changes=()) -> Appeal:
    """Record the decision on an appeal; an upheld appeal may change the appellant's scores,
    each change audited, and the round is published again with the same appeal deadline."""
    appeal = Appeal.objects.select_for_update().select_related("result__round").get(pk=appeal.pk)
    round_ = appeal.result.round
    if not decides_appeals(by, round_.competition):
        raise PermissionDenied
    if appeal.status != Appeal.Status.PENDING:
        raise ValidationError(_("This appeal has already been decided."))
    decision = (decision or "").strip()
    if not decision:
        raise ValidationError(_("Write the decision and its reasons."))
    changes = list(changes)
    if changes and not upheld:
        raise ValidationError(_("A rejected appeal changes no score."))
    own = {sheet.pk for sheet in appellant_sheets(appeal)}
    for sheet, _values in changes:
        if sheet.pk not in own:
            raise ValidationError(
                _("Score sheet %(sheet)s is not one of the appellant's.") % {"sheet": sheet.pk}
            )
    appeal.status = Appeal.Status.UPHELD if upheld else Appeal.Status.REJECTED
    appeal.decision = decision
    appeal.decided_by = by
    appeal.decided_at = timezone.now()
    appeal.save(update_fields=["status", "decision", "decided_by", "decided_at"])
    if changes:
        from .judging import amend_sheet

        for sheet, values in changes:
            amend_sheet(sheet, values, by, decision, kind=ScoreChange.Kind.APPEAL)
        current = current_result(round_)
        _publish(
            round_,
            by,
            deadline=current.appeal_deadline if current else None,
            note=_("Republished after an appeal was upheld: %(decision)s") % {"decision": decision},
        )
    audit.appeal_decided(appeal, contestant_number(appeal.registration_id), by)
    return appeal


def pending_appeals(competition: Competition):
    return (
        Appeal.objects.filter(result__round__competition=competition, status=Appeal.Status.PENDING)
        .select_related("registration__worker", "registration__unit", "result__round")
        .order_by("filed_at", "pk")
    )


# --------------------------------------------------------------------------- finalising


class Finalised(NamedTuple):
    result: RoundResult
    advanced: int
    certificates: int


def _credit_participation(round_: Round, result: RoundResult) -> None:
    """Taking part in a round earns its learning hours, once the result is final."""
    if not round_.hours:
        return
    registrations = Registration.objects.filter(
        pk__in=[row["registration"] for row in result.ranking]
    ).select_related("worker")
    for registration in registrations:
        hours.credit(
            registration.worker,
            round_.hours,
            timezone.localdate(result.finalised_at),
            HoursCategory.CONTEST,
            source=f"contest:{round_.pk}:{registration.pk}",
            note=f"{round_.competition.title} · {round_.name}",
            by=None,
        )


def next_round(round_: Round) -> Round | None:
    return (
        Round.objects.filter(competition_id=round_.competition_id, order__gt=round_.order)
        .order_by("order")
        .first()
    )


def advancing_registrations(round_: Round, result: RoundResult) -> list[int]:
    """Registrations (ids) that go through to the next round, by the round's rule per group."""
    rows = result.ranking
    registrations = Registration.objects.in_bulk([row["registration"] for row in rows])
    lines = lineage(reg.unit_id for reg in registrations.values())
    group_of = {}
    for row in rows:
        unit_id = registrations[row["registration"]].unit_id
        group = lines.get(unit_id, {}).get(round_.group_level)
        if group is not None:
            group_of[row["contestant"]] = group.pk
    ranking = pd.DataFrame(
        {"rank": [row["rank"] for row in rows], "contestant": [row["contestant"] for row in rows]}
    )
    try:
        chosen = scoring.advancing(
            ranking,
            group_of,
            top_n=round_.advance_top_n,
            top_share=round_.advance_share,
        )
    except scoring.ScoringError as error:
        if error.code == "bad_advancement":
            raise ValidationError(
                _("Set how many advance to the next round (top N or a top share).")
            ) from error
        raise scoring_problem(error) from error
    return [int(contestant) for contestant in chosen]


@transaction.atomic
def finalise(round_: Round, by) -> Finalised:
    """Close the appeal window for good: the result becomes final and the winners move on
    (or, after the last round, the competition ends and award certificates are issued)."""
    round_ = Round.objects.select_for_update().select_related("competition").get(pk=round_.pk)
    competition = round_.competition
    if not may_manage_results(by, competition):
        raise PermissionDenied
    result = round_.results.filter(status=RoundResult.Status.NOTICE).order_by("-version").first()
    if result is None:
        raise ValidationError(_("There is no result on public notice to make final."))
    if timezone.now() < result.appeal_deadline:
        raise ValidationError(
            _("Appeals may be filed until %(deadline)s; finalise after that.") % _when(result)
        )
    if Appeal.objects.filter(result__round=round_, status=Appeal.Status.PENDING).exists():
        raise ValidationError(_("Decide every pending appeal first."))
    result.status = RoundResult.Status.FINAL
    result.finalised_at = timezone.now()
    result.save(update_fields=["status", "finalised_at"])
    round_.status = Round.Status.FINAL
    round_.save(update_fields=["status"])
    _credit_participation(round_, result)
    following = next_round(round_)
    if following is not None:
        chosen = advancing_registrations(round_, result)
        RoundEntry.objects.bulk_create(
            [RoundEntry(round=following, registration_id=pk) for pk in chosen],
            ignore_conflicts=True,
        )
        outcome = Finalised(result, len(chosen), 0)
    else:
        competition.status = Competition.Status.FINISHED
        competition.save(update_fields=["status"])
        from .certificates import issue_award_certificates

        outcome = Finalised(result, 0, issue_award_certificates(result))
    audit.result_released(result, by)
    return outcome


# --------------------------------------------------------------------------- progress


def stage_progress(round_: Round) -> list[dict]:
    """Per stage and room: score sheets in / expected. No names, no scores."""
    from django.db.models import Count, Q

    stages = list(round_.stages.order_by("order"))
    expected = {
        (row["stage_id"], row["room_id"]): row
        for row in Appearance.objects.filter(stage__in=stages)
        .values("stage_id", "room_id", "room__name")
        .annotate(appearances=Count("pk", distinct=True), judges=Count("assignments"))
    }
    submitted = {
        (row["appearance__stage_id"], row["appearance__room_id"]): row
        for row in ScoreSheet.objects.filter(
            appearance__stage__in=stages, status=ScoreSheet.Status.SUBMITTED
        )
        .values("appearance__stage_id", "appearance__room_id")
        .annotate(
            judged=Count("pk", filter=Q(judge__isnull=False)),
            exam=Count("pk", filter=Q(judge__isnull=True)),
        )
    }
    progress = []
    for stage in stages:
        rooms = []
        for (stage_id, room_id), row in sorted(
            expected.items(), key=lambda item: item[1]["room__name"] or ""
        ):
            if stage_id != stage.pk:
                continue
            done = submitted.get((stage_id, room_id), {})
            if stage.exam_id:
                want, got = row["appearances"], done.get("exam", 0)
            else:
                want, got = row["judges"], done.get("judged", 0)
            rooms.append({"room": row["room__name"] or "—", "done": got, "expected": want})
        progress.append(
            {
                "stage": stage,
                "rooms": rooms,
                "done": sum(r["done"] for r in rooms),
                "expected": sum(r["expected"] for r in rooms),
            }
        )
    return progress
