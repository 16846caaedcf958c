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


def requirement_for(position: str, unit: OrgUnit, year: int) -> HoursRequirement | None:
    """The requirement set by the nearest unit above (the city): for the position, else for all."""
    candidates = HoursRequirement.objects.filter(
        year=year, owner_unit__path__in=_ancestor_paths(unit.path)
    ).filter(Q(position=position) | Q(position=""))
    # A position's own requirement wins over the everyone-requirement; nearer units over farther.
    return max(
        candidates.select_related("owner_unit"),
        key=lambda r: (r.position == position, len(r.owner_unit.path)),
        default=None,
    )


def _ancestor_paths(path: str) -> list[str]:
    step = OrgUnit.steplen
    return [path[:n] for n in range(step, len(path) + 1, step)]


def standing(user, year: int) -> hours_rules.Standing | None:
    """How a worker stands this year; None when they are not a worker."""
    profile = WorkerProfile.objects.filter(user=user).select_related("community").first()
    if profile is None:
        return None
    requirement = requirement_for(profile.position, profile.community, year)
    return hours_rules.standing(
        totals_by_category(user, year),
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
        fitting = [
            r
            for r in requirements
            if profile.community.path.startswith(r.owner_unit.path)
            and r.position in ("", profile.position)
        ]
        chosen = max(
            fitting,
            key=lambda r: (r.position == profile.position, len(r.owner_unit.path)),
            default=None,
        )
        result[profile.user_id] = hours_rules.standing(
            totals[profile.user_id],
            chosen.hours if chosen else Decimal(0),
            chosen.min_offline_share if chosen else Decimal(0),
        )
    return result
