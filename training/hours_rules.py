"""Yearly learning-hours rules with no Django: how far a worker is from what they owe.

A worker owes `required` hours a year, of which at least `min_offline_share` must be earned in
offline sessions. Corrections are ordinary (often negative) amounts in their category, so a
category's total is simply the sum of its entries.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

OFFLINE = "offline"
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Standing:
    earned: Decimal
    required: Decimal
    offline_earned: Decimal
    offline_required: Decimal
    by_category: Mapping[str, Decimal]

    @property
    def remaining(self) -> Decimal:
        return max(Decimal(0), self.required - self.earned)

    @property
    def offline_remaining(self) -> Decimal:
        return max(Decimal(0), self.offline_required - self.offline_earned)

    @property
    def met(self) -> bool:
        return self.remaining == 0 and self.offline_remaining == 0

    @property
    def percent(self) -> int:
        """Progress towards the total, capped at 100 (0 required counts as done)."""
        if self.required <= 0:
            return 100
        return max(0, min(100, int(self.earned * 100 / self.required)))


def standing(
    by_category: Mapping[str, Decimal], required: Decimal, min_offline_share: Decimal
) -> Standing:
    earned = sum(by_category.values(), Decimal(0))
    offline_required = (required * min_offline_share).quantize(TENTH, rounding=ROUND_HALF_UP)
    return Standing(
        earned=earned,
        required=required,
        offline_earned=by_category.get(OFFLINE, Decimal(0)),
        offline_required=offline_required,
        by_category=dict(by_category),
    )


def presence_enough(
    present_seconds: float, session_seconds: float, min_share: Decimal | float
) -> bool:
    """Whether a worker was there long enough to earn a session's hours."""
    if session_seconds <= 0:
        return False
    return Decimal(str(present_seconds)) >= Decimal(str(session_seconds)) * Decimal(str(min_share))
