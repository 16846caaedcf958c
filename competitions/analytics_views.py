"""Judge analytics for the organiser and the chief judge, once a stage is closed.

Figures while a stage is still open could sway the marking (a judge told they are harsh marks
the next contestant differently), so the page waits for the stage to close. Until the stage is
decoded, contestants appear by their blind code only. The statistics are `analytics` (pure);
this module only fetches the stage's scores in bulk and puts names on judges and cards.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from people.models import User

from . import analytics, results, scoring
from .models import Appearance, Stage

ANALYSABLE = (Stage.Status.CLOSED, Stage.Status.DECODED)


def _readings() -> dict[str, str]:
    return {
        "poor": _("poor (below 0.5)"),
        "moderate": _("moderate (0.5 to 0.75)"),
        "good": _("good (0.75 to 0.9)"),
        "excellent": _("excellent (above 0.9)"),
    }


def _problems() -> dict[str, str]:
    return {
        analytics.TOO_FEW_CONTESTANTS: _(
            "Not computable: fewer than two contestants were scored by the same judges."
        ),
        analytics.TOO_FEW_JUDGES: _(
            "Not computable: fewer than two judges scored the same contestants."
        ),
        analytics.ZERO_DENOMINATOR: _(
            "Not computable: the totals do not vary enough to measure agreement."
        ),
    }


def _judge_id(label: str) -> int | None:
    return int(label[1:]) if label.startswith("J") and label[1:].isdigit() else None


def _judge_names(labels) -> dict[str, str]:
    """ "J12" → the judge's name; the exam of a written stage by its own word."""
    ids = [_judge_id(label) for label in labels if _judge_id(label) is not None]
    names = dict(User.objects.filter(pk__in=ids).values_list("pk", "real_name"))
    return {
        label: _("Exam result")
        if label == results.EXAM_JUDGE
        else names.get(_judge_id(label)) or label
        for label in labels
    }


def _appearances(stage: Stage) -> dict[str, dict]:
    """Per contestant number: blind code, name (once decoded) and card, in one query."""
    rows = Appearance.objects.filter(stage=stage).values_list(
        "entry__registration_id", "blind_code", "entry__registration__worker__real_name",
        "card_id", "card__title",
    )  # fmt: skip
    return {
        results.contestant_number(registration): {
            "code": blind_code,
            "name": name if stage.decoded else "",
            "card": card_id,
            "card_title": card_title,
        }
        for registration, blind_code, name, card_id, card_title in rows
    }


def _number(value: float | None, places: int = 2, sign: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.{places}f}" if sign else f"{value:.{places}f}"


def _judge_rows(report: analytics.StageReport, names: dict[str, str]) -> list[dict]:
    rows = [
        {
            "name": names[judge.judge],
            "scored": judge.scored,
            "severity": _number(judge.severity, sign=True),
            "spread": _number(judge.spread),
            "uniform": "—" if judge.uniform_share is None else f"{judge.uniform_share:.0%}",
            "halo": judge.halo,
        }
        for judge in report.judges
    ]
    return sorted(rows, key=lambda row: row["name"])


def _icc_rows(reliability: analytics.Reliability) -> list[dict]:
    readings = _readings()
    return [
        {
            "label": "ICC(2,1)",
            "meaning": _("Do the judges give the same totals? (absolute agreement)"),
            "value": _number(reliability.icc_2_1),
            "reading": readings.get(analytics.reading(reliability.icc_2_1), ""),
        },
        {
            "label": "ICC(3,1)",
            "meaning": _(
                "Do the judges put the contestants in the same order, whatever their severity? "
                "(consistency)"
            ),
            "value": _number(reliability.icc_3_1),
            "reading": readings.get(analytics.reading(reliability.icc_3_1), ""),
        },
    ]


def _contestant_label(number: str, appearances: dict[str, dict]) -> str:
    seen = appearances.get(number)
    if seen is None:
        return number
    return f"{seen['code']} {seen['name']}".strip()


def _report_context(stage: Stage) -> dict:
    rules = results.stage_rules(stage)
    frame = results.scores_frame(stage)
    appearances = _appearances(stage)
    card_of = {number: seen["card"] for number, seen in appearances.items() if seen["card"]}
    titles = {seen["card"]: seen["card_title"] for seen in appearances.values() if seen["card"]}
    try:
        report = analytics.stage_report(frame, rules, stage.code, card_of)
    except scoring.ScoringError as error:
        raise results.scoring_problem(error) from error
    reliability = report.reliability
    names = _judge_names(
        [judge.judge for judge in report.judges] + list(reliability.judges_left_out)
    )
    return {
        "judges": _judge_rows(report, names),
        "reliability": reliability,
        "iccs": _icc_rows(reliability),
        "problem": _problems().get(reliability.problem, ""),
        "judges_left_out": [names[judge] for judge in reliability.judges_left_out],
        "contestants_left_out": [
            _contestant_label(number, appearances) for number in reliability.contestants_left_out
        ],
        "cards": [
            {
                "title": titles[card.card],
                "contestants": card.contestants,
                "mean": _number(card.mean),
                "difference": _number(card.difference, sign=True),
            }
            for card in report.cards
        ],
        "stage_mean": _number(report.stage_mean),
    }


@login_required
@require_GET
def stage_analytics(request, pk):
    stage = get_object_or_404(Stage.objects.select_related("round__competition"), pk=pk)
    competition = stage.round.competition
    if not results.may_manage_results(request.user, competition):
        raise PermissionDenied
    context = {
        "stage": stage,
        "round": stage.round,
        "competition": competition,
        "ready": stage.status in ANALYSABLE,
    }
    if context["ready"]:
        try:
            context.update(_report_context(stage))
        except ValidationError as problem:
            context["error"] = " ".join(problem.messages)
    return render(request, "competitions/analytics/stage.html", context)
