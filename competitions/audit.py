"""Competition actions into the one audit log (people.audit): score changes, result releases and
appeal decisions, each naming who acted, in the scope of the competition's organising unit.

Contestants appear by blind code or contestant number only: no contestant's name goes into the
log. Callers write an entry as the last step of the action's transaction, after its other row
locks: the audit chain's lock is then held only while committing, and two actions never wait
on each other through it (no deadlock).
"""

from django.utils.translation import gettext as _

from people.audit import record
from people.models import AuditEvent

from .models import Competition, ScoreChange

Action = AuditEvent.Action
SEP = " · "


def organiser_scope(competition: Competition) -> str:
    """'东湖区': the organising unit as the log's scope (no query for a city's contest when
    `owner_unit` came with the competition)."""
    return competition.owner_unit.name_path()


def score_changed(sheets, kind: str, by) -> None:
    """One SCORE_CHANGE entry per sheet: 'Contest · stage · A007 · judge3 · Reopened'.

    Give sheets with appearance__stage__round__competition__owner_unit and judge loaded: on the
    judging hot path the entry then costs its INSERT and the chain's lock, nothing more. Each
    stage is looked up once however many sheets share it (a paper file of 5,000 rows).
    """
    label = str(ScoreChange.Kind(kind).label)
    stages = {}  # stage id → (stage, competition, scope)
    for sheet in sheets:
        appearance = sheet.appearance
        if appearance.stage_id not in stages:
            stage = appearance.stage
            competition = stage.round.competition
            stages[appearance.stage_id] = (stage, competition, organiser_scope(competition))
        stage, competition, scope = stages[appearance.stage_id]
        judge = sheet.judge.get_username() if sheet.judge_id else _("exam")
        parts = (competition.title, stage.name, appearance.blind_code, judge, label)
        record(by, Action.SCORE_CHANGE, SEP.join(parts), scope=scope)


def result_released(result, by) -> None:
    """A round's ranking put on public notice (version n), or made final."""
    round_ = result.round
    competition = round_.competition
    parts = (competition.title, round_.name, f"v{result.version}", result.get_status_display())
    record(
        by,
        Action.RESULT_RELEASE,
        SEP.join(str(part) for part in parts),
        scope=organiser_scope(competition),
        count=len(result.ranking),
    )


def appeal_decided(appeal, contestant: str, by) -> None:
    """'Contest · round · contestant 00042 · Upheld · the decision' (cut to the entry's length)."""
    round_ = appeal.result.round
    competition = round_.competition
    parts = (
        competition.title,
        round_.name,
        _("contestant %(number)s") % {"number": contestant},
        appeal.get_status_display(),
        appeal.decision,
    )
    record(
        by,
        Action.APPEAL_DECISION,
        SEP.join(str(part) for part in parts),
        scope=organiser_scope(competition),
    )
