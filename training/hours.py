"""The learning-hours ledger: credit once per source, correct by new entries, stand against the
year's requirement. Every other part of the platform credits hours through `credit`."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from people.models import OrgUnit, WorkerProfile
from people.scope import ancestor_paths

from . import hours_rules
from .models import HoursEntry, HoursRequirement


def credit(
    user,
    hours,
    earned_on: date,
    category: str,
    *,
    source: str,
    tier: str = "",
    course=None,
    note: str = "",
    by=None,
) -> tuple[HoursEntry, bool]:
    """Credit hours once for `source` ("attendance:12"): again returns the first entry."""
    existing = HoursEntry.objects.filter(source=source).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            entry = HoursEntry.objects.create(
                user=user,
                hours=Decimal(hours),
                earned_on=earned_on,
                category=category,
                source=source,
                tier=tier,
                course=course,
                note=note[:200],
                created_by=by,
            )
    except IntegrityError:  # the same source credited at the same moment elsewhere
        return HoursEntry.objects.get(source=source), False
    return entry, True


def correct(entry: HoursEntry, hours, reason: str, by, *, earned_on: date | None = None):
    """Put an entry right with a new one of `hours` (negative to take hours away), with why."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for the correction."))
    hours = Decimal(hours)
    if hours == 0:
        raise ValidationError(_("A correction must change the hours."))
    net = entry.hours + sum(c.hours for c in entry.corrections.all())
    if net + hours < 0:
        raise ValidationError(
            _("The correction would leave %(net)s hours below zero.") % {"net": net}
        )
    return HoursEntry.objects.create(
        user=entry.user,
        hours=hours,
        earned_on=earned_on or entry.earned_on,
        category=entry.category,
        tier=entry.tier,
        course=entry.course,
        corrects=entry,
        note=reason[:200],
        created_by=by,
    )


def totals_by_category(user, year: int) -> dict[str, Decimal]:
    rows = (
        HoursEntry.objects.filter(user=user, year=year)
        .values("category")
        .annotate(total=Sum("hours"))
    )
    return {row["category"]: row["total"] for row in rows}


def applicable_requirement(requirements, position: str, unit_path: str, year: int):
    """Of `requirements` (with owner_unit loaded), the one that binds a worker: set for that
    year by a unit above them; a position's own rule wins over the everyone-rule, a nearer
    unit over a farther one."""
    fitting = [
        r
        for r in requirements
        if r.year == year
        and unit_path.startswith(r.owner_unit.path)
        and r.position in ("", position)
    ]
    return max(
        fitting, key=lambda r: (r.position == position, len(r.owner_unit.path)), default=None
    )


def requirements_above(unit: OrgUnit, position: str | None = None):
    """Every requirement that could bind workers in `unit` (any year), owner units loaded."""
    requirements = HoursRequirement.objects.filter(owner_unit__path__in=ancestor_paths(unit.path))
    if position is not None:
        requirements = requirements.filter(Q(position=position) | Q(position=""))
    return requirements.select_related("owner_unit")


def requirement_for(position: str, unit: OrgUnit, year: int) -> HoursRequirement | None:
    return applicable_requirement(
        requirements_above(unit, position).filter(year=year), position, unit.path, year
    )


def standing(user, year: int, *, profile=None, totals=None) -> hours_rules.Standing | None:
    """How a worker stands this year; None when they are not a worker.

    `profile` (with its community) and `totals` (totals_by_category): when the caller has them.
    """
    if profile is None:
        profile = WorkerProfile.objects.filter(user=user).select_related("community").first()
    if profile is None:
        return None
    requirement = requirement_for(profile.position, profile.community, year)
    return hours_rules.standing(
        totals_by_category(user, year) if totals is None else totals,
        requirement.hours if requirement else Decimal(0),
        requirement.min_offline_share if requirement else Decimal(0),
    )


def standings(profiles, year: int) -> dict[int, hours_rules.Standing]:
    """Standings of many workers (WorkerProfiles with community) in two queries."""
    profiles = list(profiles)
    totals: dict[int, dict[str, Decimal]] = defaultdict(dict)
    rows = (
        HoursEntry.objects.filter(user_id__in=[p.user_id for p in profiles], year=year)
        .values("user_id", "category")
        .annotate(total=Sum("hours"))
    )
    for row in rows:
        totals[row["user_id"]][row["category"]] = row["total"]
    requirements = list(HoursRequirement.objects.filter(year=year).select_related("owner_unit"))
    result = {}
    for profile in profiles:
        chosen = applicable_requirement(
            requirements, profile.position, profile.community.path, year
        )
        result[profile.user_id] = hours_rules.standing(
            totals[profile.user_id],
            chosen.hours if chosen else Decimal(0),
            chosen.min_offline_share if chosen else Decimal(0),
        )
    return result
