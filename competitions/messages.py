"""The results engine's problems in words for organisers: `scoring.ScoringError` codes → text."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .scoring import ERROR_CODES, ScoringError

MESSAGES = {
    "missing_field": gettext_lazy("the rules lack %(field)s."),
    "unknown_field": gettext_lazy("the rules have an unknown field %(field)s."),
    "bad_value": gettext_lazy("%(field)s has an unusable value “%(value)s”."),
    "bad_number": gettext_lazy("%(field)s is not a number: “%(value)s”."),
    "bad_json": gettext_lazy(
        "the rules are not valid JSON (line %(line)s, column %(column)s: %(reason)s)."
    ),
    "duplicate_stage": gettext_lazy("stage “%(stage)s” is defined twice."),
    "reserved_code": gettext_lazy("stage code “%(stage)s” is reserved; choose another code."),
    "bad_weight": gettext_lazy("stage “%(stage)s” has a negative weight %(weight)s."),
    "weights_sum": gettext_lazy("the stage weights add up to %(total)s, not 1."),
    "unknown_aggregate": gettext_lazy(
        "stage “%(stage)s” has an unknown way of combining judges “%(aggregate)s” (mean or trimmed)."
    ),
    "bad_trim": gettext_lazy("stage “%(stage)s” drops %(trim)s scores at each end, fewer than 0."),
    "bad_min_judges": gettext_lazy(
        "stage “%(stage)s” trims from %(min_judges)s judges, fewer than 1."
    ),
    "trim_too_large": gettext_lazy(
        "stage “%(stage)s” drops %(trim)s scores at each end, so it needs more than twice as many judges (now %(min_judges)s)."
    ),
    "stage_without_criteria": gettext_lazy("stage “%(stage)s” has no criteria."),
    "duplicate_criterion": gettext_lazy(
        "criterion “%(criterion)s” appears twice in stage “%(stage)s”."
    ),
    "bad_max": gettext_lazy("criterion “%(criterion)s” has max points %(max)s, not above 0."),
    "bad_step": gettext_lazy("criterion “%(criterion)s” has a step %(step)s, not above 0."),
    "max_off_step": gettext_lazy(
        "criterion “%(criterion)s” has max points %(max)s, not a multiple of its step %(step)s."
    ),
    "unknown_tie_breaker": gettext_lazy("tie-breaker “%(stage)s” is not a stage of the round."),
    "bad_share": gettext_lazy("award “%(award)s” has a share %(share)s, not above 0."),
    "duplicate_award": gettext_lazy("award “%(award)s” is defined twice."),
    "shares_over_one": gettext_lazy("the award shares add up to %(total)s, more than 1."),
    "bad_encoding": gettext_lazy("the file is not UTF-8 text."),
    "bad_csv": gettext_lazy("the file is not readable CSV (%(reason)s)."),
    "duplicate_column": gettext_lazy("the column “%(column)s” appears twice."),
    "extra_fields": gettext_lazy("the row has %(found)s cells but the header has %(expected)s."),
    "missing_column": gettext_lazy("the scores lack the column “%(column)s”."),
    "missing_value": gettext_lazy("the %(column)s is empty."),
    "unknown_stage": gettext_lazy("stage “%(stage)s” is not in the rules."),
    "unknown_criterion": gettext_lazy("“%(criterion)s” is not a criterion of stage “%(stage)s”."),
    "out_of_bounds": gettext_lazy(
        "score %(score)s for criterion “%(criterion)s” is outside 0 to %(max)s."
    ),
    "off_step": gettext_lazy(
        "score %(score)s for criterion “%(criterion)s” is not a multiple of its step %(step)s."
    ),
    "duplicate_score": gettext_lazy(
        "judge %(judge)s already scored contestant %(contestant)s on “%(criterion)s” in stage “%(stage)s” (row %(first_row)s)."
    ),
    "missing_criterion": gettext_lazy(
        "judge %(judge)s scored contestant %(contestant)s in stage “%(stage)s” but not on “%(criterion)s”."
    ),
    "bad_advancement": gettext_lazy(
        "advancement needs either a top N (1 or more) or a top share (above 0, at most 1)."
    ),
    "missing_group": gettext_lazy("contestant %(contestant)s belongs to no unit to rank within."),
}
assert set(MESSAGES) == set(ERROR_CODES), "every scoring error code needs a message"


def scoring_message(error: ScoringError) -> str:
    """The error as a sentence for the page, with the row when it concerns one."""
    text = str(MESSAGES[error.code]) % error.params
    if error.row is None:
        return text
    return _("Row %(row)s: %(problem)s") % {"row": error.row, "problem": text}
