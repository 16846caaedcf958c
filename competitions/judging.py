"""Judging: judges submit score sheets, the chief judge reopens, asks for re-marks, closes, decodes.

Every service runs in one transaction and appends a ScoreChange (who, when, old, new, why) for
each change to a sheet. Refusals are exceptions the views turn into messages or status codes:

- ``PermissionDenied``: the person may not do this (not the chief judge, not assigned) → 403;
- ``ValidationError`` with a code in ``CONFLICT_CODES``: the state forbids it now (the stage
  is not open, the sheet was already submitted) → 409;
- any other ``ValidationError``: the input is wrong (a score off the step) → 400.

Judges see blind codes only; nothing here returns a name.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .access import is_chief_judge, organises
from .models import (
    Appearance,
    Assignment,
    Recusal,
    RemarkRequest,
    Room,
    ScoreChange,
    ScoreSheet,
    Stage,
    StageCriterion,
)

#: ValidationError codes that mean "not now" rather than "wrong input" (HTTP 409).
CONFLICT_CODES = frozenset(
    {"stage_not_open", "stage_not_closed", "already_submitted", "awaiting_confirmation"}
)
#: The criterion code of a written stage's imported exam score.
EXAM_CRITERION = "written"
# A scoring sheet is short; a value longer than this is not a number anyone typed.
_MAX_VALUE_LENGTH = 20


# --------------------------------------------------------------------------- checks


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _require_chief(user, stage: Stage) -> None:
    if not is_chief_judge(user, stage.round.competition):
        raise PermissionDenied(_("Only the chief judge of this competition may do this."))


def _require_reason(reason) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise _refuse(_("Give a reason: it is kept with the score history."), "reason_required")
    return reason


def require_open(stage: Stage) -> None:
    if stage.status != Stage.Status.OPEN:
        raise _refuse(
            _("Scoring in “%(stage)s” is not open (%(status)s).")
            % {"stage": stage.name, "status": stage.get_status_display()},
            "stage_not_open",
        )


def _locked_stage(stage: Stage) -> Stage:
    return (
        Stage.objects.select_for_update(of=("self",))
        .select_related("round__competition")
        .get(pk=stage.pk)
    )


def _locked_sheet(sheet: ScoreSheet) -> ScoreSheet:
    return (
        ScoreSheet.objects.select_for_update(of=("self",))
        .select_related("appearance__stage__round__competition__owner_unit", "judge")
        .get(pk=sheet.pk)
    )


def record_change(sheet, kind, by, *, old=None, new=None, reason="", audited=True) -> ScoreChange:
    """The sheet's history row and its audit entry, unless the caller writes the entries
    itself once all its rows are written (`audited=False`; see competitions/audit.py)."""
    change = ScoreChange.objects.create(
        sheet=sheet, kind=kind, by=by, old_values=old, new_values=new, reason=reason
    )
    if audited:
        audit.score_changed([sheet], kind, by)
    return change


def codes_text(codes) -> str:
    return "、".join(codes)


# --------------------------------------------------------------------------- values


def criteria_of(stage: Stage, *, exam: bool = False) -> list[StageCriterion]:
    """The criteria a sheet of `stage` is scored on. An exam sheet has the single criterion
    "written" (0–100 on 0.01) unless the stage defines it."""
    criteria = list(stage.criteria.all())
    if not exam:
        return criteria
    written = [c for c in criteria if c.code == EXAM_CRITERION]
    return written or [
        StageCriterion(
            stage=stage,
            order=1,
            code=EXAM_CRITERION,
            title=_("Written test"),
            max_points=Decimal(100),
            step=Decimal("0.01"),
        )
    ]


def plain(value: Decimal) -> str:
    """'8.5', '10', '0' — a Decimal without exponent or trailing zeros, as sheets store it."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _as_decimal(raw) -> Decimal | None:
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, float):
        raw = repr(raw)
    text = str(raw).strip()
    if not text or len(text) > _MAX_VALUE_LENGTH:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or abs(value.as_tuple().exponent) > _MAX_VALUE_LENGTH:
        return None  # "1e999999999" is short but would print as a billion digits
    return value


def check_value(criterion: StageCriterion, raw) -> tuple[Decimal | None, str | None]:
    """(the score, None) or (None, the problem) for one criterion; the message names it."""
    title = criterion.title
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, _("“%(title)s”: a score is required.") % {"title": title}
    value = _as_decimal(raw)
    if value is None:
        return None, _("“%(title)s”: “%(value)s” is not a number.") % {
            "title": title,
            "value": str(raw)[:_MAX_VALUE_LENGTH],
        }
    params = {
        "title": title,
        "value": plain(value),
        "max": plain(criterion.max_points),
        "step": plain(criterion.step),
    }
    if not Decimal(0) <= value <= criterion.max_points:
        return None, _("“%(title)s”: %(value)s is outside 0–%(max)s points.") % params
    if value % criterion.step:
        return None, _("“%(title)s”: %(value)s is not a multiple of the step %(step)s.") % params
    return value, None


def validate_values(stage: Stage, values, *, exam: bool = False) -> tuple[dict[str, str], Decimal]:
    """One score per criterion of the stage, within [0, max] and on the step.

    Returns ({code: "8.5"}, total). Raises ValidationError listing every problem, each naming
    the criterion by its title.
    """
    if not isinstance(values, dict):
        raise _refuse(_("The scores must be given per criterion."), "invalid")
    criteria = criteria_of(stage, exam=exam)
    if not criteria:
        raise _refuse(_("This stage has no criteria to score."), "invalid")
    known = {c.code for c in criteria}
    problems = [
        _("“%(code)s” is not a criterion of this stage.") % {"code": str(code)[:40]}
        for code in values
        if code not in known
    ]
    clean: dict[str, str] = {}
    total = Decimal(0)
    for criterion in criteria:
        value, problem = check_value(criterion, values.get(criterion.code))
        if problem:
            problems.append(problem)
        else:
            clean[criterion.code] = plain(value)
            total += value
    if problems:
        raise ValidationError([ValidationError(p, code="invalid") for p in problems])
    return clean, total


# --------------------------------------------------------------------------- judges


def _as_uuid(submission_id) -> uuid.UUID:
    try:
        return (
            submission_id if isinstance(submission_id, uuid.UUID) else uuid.UUID(str(submission_id))
        )
    except (TypeError, ValueError, AttributeError):
        raise _refuse(_("The submission id is not valid."), "invalid") from None


def _require_assigned(appearance: Appearance, judge) -> None:
    if Assignment.objects.filter(appearance=appearance, judge=judge).exists():
        return
    if Recusal.objects.filter(appearance=appearance, judge=judge).exists():
        raise PermissionDenied(_("You stand aside from this contestant and cannot score them."))
    raise PermissionDenied(_("You are not assigned to score this contestant."))


def submit_sheet(appearance: Appearance, judge, values, submission_id) -> tuple[ScoreSheet, bool]:
    """A judge's scores for an appearance. Returns (sheet, created).

    The same submission id again returns the sheet it made with created False (a device
    resending after a lost reply), whatever has happened since. A different submission while
    the judge's sheet is submitted is refused; a reopened sheet takes the new scores.
    """
    submission_id = _as_uuid(submission_id)
    try:
        with transaction.atomic():
            return _submit(appearance, judge, values, submission_id)
    except IntegrityError:
        # Two requests slipped past each other (a database without row locks): the other
        # one's sheet is there now; answer as if this one had come second.
        existing = ScoreSheet.objects.filter(submission_id=submission_id).first()
        if existing is not None and existing.judge_id == judge.pk:
            return existing, False
        raise _already_submitted() from None


def _already_submitted() -> ValidationError:
    return _refuse(
        _(
            "You have already submitted scores for this contestant; ask the chief judge to reopen them."
        ),
        "already_submitted",
    )


def _submit(appearance, judge, values, submission_id) -> tuple[ScoreSheet, bool]:
    # One judge-and-appearance at a time: the row lock makes concurrent sends queue up.
    appearance = (
        Appearance.objects.select_for_update(of=("self",))
        .select_related("stage__round__competition__owner_unit")  # the audit entry needs them
        .get(pk=appearance.pk)
    )
    resent = ScoreSheet.objects.filter(submission_id=submission_id).first()
    if resent is not None:
        if resent.judge_id != judge.pk or resent.appearance_id != appearance.pk:
            raise _refuse(_("The submission id is not valid."), "invalid")
        return resent, False
    stage = appearance.stage
    require_open(stage)
    _require_assigned(appearance, judge)
    clean, total = validate_values(stage, values)
    sheet = ScoreSheet.objects.filter(appearance=appearance, judge=judge).first()
    now = timezone.now()
    if sheet is None:
        sheet = ScoreSheet.objects.create(
            appearance=appearance,
            judge=judge,
            status=ScoreSheet.Status.SUBMITTED,
            source=ScoreSheet.Source.ONLINE,
            values=clean,
            total=total,
            submission_id=submission_id,
            submitted_at=now,
            entered_by=judge,
        )
        record_change(sheet, ScoreChange.Kind.SUBMITTED, judge, new=clean)
        return sheet, True
    if sheet.status == ScoreSheet.Status.ENTERED:
        raise _refuse(
            _("Your paper sheet for this contestant has been typed in and awaits confirmation."),
            "awaiting_confirmation",
        )
    if sheet.status == ScoreSheet.Status.SUBMITTED:
        raise _already_submitted()
    old = sheet.values
    sheet.values, sheet.total = clean, total
    sheet.status = ScoreSheet.Status.SUBMITTED
    sheet.source = ScoreSheet.Source.ONLINE
    sheet.submission_id, sheet.submitted_at = submission_id, now
    sheet.entered_by, sheet.confirmed_by = judge, None
    sheet.appearance, sheet.judge = appearance, judge  # loaded already: none fetched again
    sheet.save()
    record_change(sheet, ScoreChange.Kind.SUBMITTED, judge, old=old, new=clean)
    return sheet, True


# --------------------------------------------------------------------------- chief judge


def reopen_sheet(sheet: ScoreSheet, by, reason: str) -> ScoreSheet:
    """The chief judge sends a submitted sheet back to its judge, with a written reason."""
    with transaction.atomic():
        sheet = _locked_sheet(sheet)
        stage = sheet.appearance.stage
        _require_chief(by, stage)
        reason = _require_reason(reason)
        require_open(stage)
        if sheet.status != ScoreSheet.Status.SUBMITTED or sheet.judge_id is None:
            raise _refuse(_("Only a submitted judge's sheet can be reopened."), "not_submitted")
        sheet.status = ScoreSheet.Status.REOPENED
        sheet.save(update_fields=["status"])
        record_change(sheet, ScoreChange.Kind.REOPENED, by, old=sheet.values, reason=reason)
        return sheet


def request_remark(appearance: Appearance, by, reason: str) -> RemarkRequest:
    """Ask the whole panel to mark a contestant again: every submitted sheet is reopened."""
    with transaction.atomic():
        appearance = (
            Appearance.objects.select_for_update(of=("self",))
            .select_related("stage__round__competition")
            .get(pk=appearance.pk)
        )
        _require_chief(by, appearance.stage)
        reason = _require_reason(reason)
        require_open(appearance.stage)
        remark = RemarkRequest.objects.create(appearance=appearance, requested_by=by, reason=reason)
        sheets = (
            appearance.sheets.select_for_update(of=("self",))
            .select_related("judge")
            .filter(status=ScoreSheet.Status.SUBMITTED, judge__isnull=False)
        )
        for sheet in sheets:
            sheet.status = ScoreSheet.Status.REOPENED
            sheet.save(update_fields=["status"])
            record_change(sheet, ScoreChange.Kind.REMARK, by, old=sheet.values, reason=reason)
        return remark


def amend_sheet(
    sheet: ScoreSheet, values, by, reason: str, kind=ScoreChange.Kind.APPEAL
) -> ScoreSheet:
    """Change a sheet after its stage closed (an upheld appeal). The caller checks that `by`
    may decide it; here the values are validated and the change is recorded."""
    with transaction.atomic():
        sheet = _locked_sheet(sheet)
        stage = sheet.appearance.stage
        reason = _require_reason(reason)
        if stage.status not in (Stage.Status.CLOSED, Stage.Status.DECODED):
            raise _refuse(
                _("Scores are changed this way only after the stage is closed."),
                "stage_not_closed",
            )
        if sheet.status != ScoreSheet.Status.SUBMITTED:
            raise _refuse(_("Only a submitted sheet can be changed."), "not_submitted")
        clean, total = validate_values(stage, values, exam=sheet.judge_id is None)
        old = sheet.values
        sheet.values, sheet.total = clean, total
        sheet.save(update_fields=["values", "total"])
        record_change(sheet, kind, by, old=old, new=clean, reason=reason)
        return sheet


def excuse_judge(stage: Stage, judge, by, reason: str) -> list[str]:
    """Take a judge (taken ill) off the appearances they have not scored yet in `stage`.

    Appearances with a sheet of theirs (submitted, typed in or reopened) keep the assignment.
    Returns the blind codes they were taken off; the removal is kept in the stage's log.
    """
    with transaction.atomic():
        stage = _locked_stage(stage)
        _require_chief(by, stage)
        reason = _require_reason(reason)
        if stage.status not in (Stage.Status.PREPARING, Stage.Status.OPEN):
            raise _refuse(
                _("The stage is closed: its panels can no longer change."), "stage_not_open"
            )
        scored = ScoreSheet.objects.filter(appearance__stage=stage, judge=judge).values(
            "appearance_id"
        )
        remaining = Assignment.objects.filter(appearance__stage=stage, judge=judge).exclude(
            appearance_id__in=scored
        )
        codes = list(
            remaining.order_by("appearance__order").values_list("appearance__blind_code", flat=True)
        )
        remaining.delete()
        _log(
            stage,
            EXCUSE_ACTION,
            by,
            {"judge": judge.pk, "judge_name": str(judge), "codes": codes, "reason": reason},
        )
        return codes


EXCUSE_ACTION = "competitions.excuse_judge"


def _log(instance, action: str, by, data: dict) -> None:
    # Wagtail's model log keeps who, when and the details (the action is registered in
    # wagtail_hooks); no model of our own needed.
    from wagtail.log_actions import log

    log(instance, action, user=by, data=data)


def close_stage(stage: Stage, by) -> Stage:
    """OPEN → CLOSED once every assigned judge's sheet is submitted. A written stage first
    takes each contestant's best submitted exam score as an exam sheet."""
    with transaction.atomic():
        stage = _locked_stage(stage)
        _require_chief(by, stage)
        require_open(stage)
        missing = unfinished_codes(stage)
        if missing:
            raise _refuse(
                _("Scoring is not complete for: %(codes)s.") % {"codes": codes_text(missing)},
                "incomplete",
            )
        if stage.exam_id:
            _import_exam_scores(stage, by)
        stage.status = Stage.Status.CLOSED
        stage.closed_at, stage.closed_by = timezone.now(), by
        stage.save(update_fields=["status", "closed_at", "closed_by"])
        return stage


def unfinished_codes(stage: Stage) -> list[str]:
    """Blind codes with an assigned judge whose sheet is missing, typed in or reopened."""
    submitted = ScoreSheet.objects.filter(
        appearance__stage=stage, status=ScoreSheet.Status.SUBMITTED, judge__isnull=False
    ).values_list("appearance_id", "judge_id")
    done = set(submitted)
    codes = set()
    for appearance_id, judge_id, code in Assignment.objects.filter(
        appearance__stage=stage
    ).values_list("appearance_id", "judge_id", "appearance__blind_code"):
        if (appearance_id, judge_id) not in done:
            codes.add(code)
    pending = ScoreSheet.objects.filter(appearance__stage=stage).exclude(
        status=ScoreSheet.Status.SUBMITTED
    )
    codes.update(pending.values_list("appearance__blind_code", flat=True))
    order = dict(stage.appearances.values_list("blind_code", "order"))
    return sorted(codes, key=lambda code: (order.get(code, 0), code))


def _import_exam_scores(stage: Stage, by) -> int:
    appearances = {
        a.entry.registration.worker_id: a
        for a in stage.appearances.select_related("entry__registration")
    }
    from training.models import ExamAttempt

    best = (
        ExamAttempt.objects.filter(
            exam_id=stage.exam_id,
            user_id__in=list(appearances),
            submitted_at__isnull=False,
            score__isnull=False,
        )
        .values("user_id")
        .annotate(best=Max("score"))
    )
    have = set(
        ScoreSheet.objects.filter(appearance__stage=stage, judge__isnull=True).values_list(
            "appearance_id", flat=True
        )
    )
    now = timezone.now()
    made = 0
    for row in best:
        appearance = appearances[row["user_id"]]
        if appearance.pk in have:
            continue
        values = {EXAM_CRITERION: plain(row["best"])}
        sheet = ScoreSheet.objects.create(
            appearance=appearance,
            judge=None,
            status=ScoreSheet.Status.SUBMITTED,
            source=ScoreSheet.Source.EXAM,
            values=values,
            total=row["best"],
            submitted_at=now,
            entered_by=by,
        )
        record_change(sheet, ScoreChange.Kind.EXAM, by, new=values)
        made += 1
    return made


def decode_stage(stage: Stage, by) -> Stage:
    """CLOSED → DECODED: from now on the stage's pages may show names beside blind codes."""
    with transaction.atomic():
        stage = _locked_stage(stage)
        _require_chief(by, stage)
        if stage.status != Stage.Status.CLOSED:
            raise _refuse(_("Only a closed stage can be decoded."), "stage_not_closed")
        stage.status = Stage.Status.DECODED
        stage.decoded_at, stage.decoded_by = timezone.now(), by
        stage.save(update_fields=["status", "decoded_at", "decoded_by"])
        return stage


# --------------------------------------------------------------------------- overview


def disagreements(stage: Stage) -> list[Appearance]:
    """Appearances whose judges' submitted totals lie more than the stage's threshold apart,
    widest first. Each carries `.spread` and `.judge_totals` [(judge, total)]."""
    sheets = list(
        ScoreSheet.objects.filter(
            appearance__stage=stage, status=ScoreSheet.Status.SUBMITTED, judge__isnull=False
        ).select_related("judge")
    )
    if not sheets:
        return []
    spreads = _spreads(stage, sheets)
    wide = {pk: gap for pk, gap in spreads.items() if gap > stage.spread_threshold}
    totals = defaultdict(list)
    for sheet in sheets:
        if sheet.appearance_id in wide:
            totals[sheet.appearance_id].append((sheet.judge, sheet.total))
    appearances = list(Appearance.objects.filter(pk__in=wide).select_related("room"))
    for appearance in appearances:
        appearance.spread = wide[appearance.pk]
        appearance.judge_totals = sorted(totals[appearance.pk], key=lambda item: item[1])
    appearances.sort(key=lambda a: (-a.spread, a.order))
    return appearances


def _spreads(stage: Stage, sheets: list[ScoreSheet]) -> dict[int, Decimal]:
    """{appearance id: max − min of the judges' totals}, as the results engine computes it."""
    from . import scoring

    criteria = tuple(
        scoring.Criterion(code=c.code, max=c.max_points, step=c.step) for c in criteria_of(stage)
    )
    rules = scoring.Rules(
        stages=(scoring.StageRule(code=stage.code, weight=Decimal(1), aggregate="mean"),),
        criteria={stage.code: criteria},
    )
    rows = [
        (str(sheet.appearance_id), stage.code, str(sheet.judge_id), code, value)
        for sheet in sheets
        for code, value in sheet.values.items()
    ]
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(scoring.SCORE_COLUMNS), dtype=str)
    result = scoring.spread(frame, rules, stage.code)
    return {int(row.contestant): Decimal(row.spread) for row in result.itertuples()}


@dataclass
class JudgeProgress:
    judge: object
    assigned: int = 0
    submitted: int = 0
    entered: int = 0
    reopened: int = 0

    @property
    def done(self) -> bool:
        return self.submitted >= self.assigned


@dataclass
class RoomProgress:
    room: Room | None
    judges: list[JudgeProgress] = field(default_factory=list)

    @property
    def assigned(self) -> int:
        return sum(j.assigned for j in self.judges)

    @property
    def submitted(self) -> int:
        return sum(j.submitted for j in self.judges)


@dataclass
class StageProgress:
    rooms: list[RoomProgress]
    appearances: int
    complete: int  # appearances whose every assigned judge has submitted

    @property
    def assigned(self) -> int:
        return sum(r.assigned for r in self.rooms)

    @property
    def submitted(self) -> int:
        return sum(r.submitted for r in self.rooms)

    @property
    def percent(self) -> int:
        return int(100 * self.submitted / self.assigned) if self.assigned else 0


def progress(stage: Stage) -> StageProgress:
    """Sheets submitted against sheets assigned, per room and judge, and for the whole stage."""
    from people.models import User

    assigned = Assignment.objects.filter(appearance__stage=stage)
    counts = assigned.values("appearance__room_id", "judge_id").annotate(n=Count("pk"))
    by_status = (
        ScoreSheet.objects.filter(appearance__stage=stage, judge__isnull=False)
        .values("appearance__room_id", "judge_id", "status")
        .annotate(n=Count("pk"))
    )
    judges = User.objects.in_bulk({row["judge_id"] for row in counts})
    rooms = Room.objects.in_bulk({row["appearance__room_id"] for row in counts} - {None})
    table: dict[tuple, JudgeProgress] = {}
    for row in counts:
        key = (row["appearance__room_id"], row["judge_id"])
        table[key] = JudgeProgress(judges[row["judge_id"]], assigned=row["n"])
    for row in by_status:
        entry = table.get((row["appearance__room_id"], row["judge_id"]))
        if entry is None:  # a sheet left by an excused judge: not part of the panel any more
            continue
        setattr(entry, row["status"], getattr(entry, row["status"]) + row["n"])
    grouped: dict = defaultdict(list)
    for (room_id, _judge_id), entry in table.items():
        grouped[room_id].append(entry)
    result = []
    for room_id, entries in grouped.items():
        entries.sort(key=lambda e: (str(e.judge), e.judge.pk))
        result.append(RoomProgress(rooms.get(room_id), entries))
    result.sort(key=lambda r: r.room.name if r.room else "")
    unfinished = set(unfinished_codes(stage))
    total = stage.appearances.count()
    with_panel = stage.appearances.filter(assignments__isnull=False).distinct().count()
    return StageProgress(result, appearances=total, complete=max(0, with_panel - len(unfinished)))


# --------------------------------------------------------------------------- who may see


def may_view_console(user, stage: Stage) -> bool:
    """The chief judge runs the console; organisers may look at it."""
    competition = stage.round.competition
    return is_chief_judge(user, competition) or organises(user, competition)


def may_enter_paper(user, stage: Stage) -> bool:
    competition = stage.round.competition
    return is_chief_judge(user, competition) or organises(user, competition)
