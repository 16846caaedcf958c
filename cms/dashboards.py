"""Dashboard figures for an admin's unit, one row per child unit, counted in the database.

Every function runs a fixed number of queries however many workers are in the unit: rows are
grouped by the first len(child path) characters of the worker's community path, as
training/rollup.py does for one plan.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, ExtractMonth, Substr

from cms.models import ApplicationReport, CasePage, UsefulMark
from competitions.models import Registration, RoundResult
from people.models import OrgUnit, WorkerProfile
from training import hours
from training.models import Enrolment, HoursEntry

# Upper bounds of the hours-distribution bins; the last bin is "this much or more".
HOURS_BINS = (10, 20, 30, 40, 50, 60)
TOP_CASES = 10


@dataclass
class Dashboard:
    unit: OrgUnit
    year: int
    children: list[OrgUnit]
    completion: list[dict]
    hours: list[dict]
    months: list[dict]
    distribution: list[dict]
    contests: list[dict]
    cases: list[dict]


def build(unit: OrgUnit, year: int) -> Dashboard:
    children = list(unit.get_children())
    standings = worker_standings(unit, year)
    return Dashboard(
        unit=unit,
        year=year,
        children=children,
        completion=plan_completion(unit, children, year),
        hours=hours_by_child(children, standings),
        months=hours_by_month(unit, year),
        distribution=hours_distribution(standings),
        contests=contest_results(unit, children, year),
        cases=top_cases(unit),
    )


def _percent(part, whole) -> int | None:
    return round(100 * part / whole) if whole else None


def _child_of(children: list[OrgUnit], path: str) -> OrgUnit | None:
    for child in children:
        if path.startswith(child.path):
            return child
    return None


def plan_completion(unit: OrgUnit, children: list[OrgUnit], year: int) -> list[dict]:
    """Required course places (from plans running in `year`) completed / total per child unit."""
    if not children:
        return []
    community_path = "user__worker_profile__community__path"
    counts = (
        Enrolment.objects.filter(
            required=True,
            plan__start_date__year__lte=year,
            plan__end_date__year__gte=year,
            **{f"{community_path}__startswith": unit.path},
        )
        .annotate(prefix=Substr(community_path, 1, len(children[0].path)))
        .values("prefix")
        .annotate(total=Count("id"), done=Count("id", filter=Q(completed_at__isnull=False)))
    )
    by_prefix = {row["prefix"]: row for row in counts}
    rows = []
    for child in children:
        row = by_prefix.get(child.path, {"total": 0, "done": 0})
        rows.append(
            {
                "unit": child,
                "total": row["total"],
                "done": row["done"],
                "percent": _percent(row["done"], row["total"]),
            }
        )
    return rows


def worker_standings(unit: OrgUnit, year: int) -> list[tuple[WorkerProfile, object]]:
    """Every worker under `unit` with their hours standing for `year` (three queries)."""
    profiles = list(
        WorkerProfile.objects.filter(community__path__startswith=unit.path).select_related(
            "community"
        )
    )
    if not profiles:
        return []
    standings = hours.standings(profiles, year)
    return [(profile, standings[profile.user_id]) for profile in profiles]


def hours_by_child(children: list[OrgUnit], standings) -> list[dict]:
    """Workers, average hours earned and workers behind their requirement per child unit."""
    grouped = defaultdict(list)
    for profile, standing in standings:
        child = _child_of(children, profile.community.path)
        if child is not None:
            grouped[child.pk].append(standing)
    rows = []
    for child in children:
        members = grouped[child.pk]
        earned = sum((s.earned for s in members), Decimal(0))
        rows.append(
            {
                "unit": child,
                "workers": len(members),
                "average": (earned / len(members)).quantize(Decimal("0.1")) if members else None,
                "behind": sum(1 for s in members if not s.met),
            }
        )
    return rows


def hours_by_month(unit: OrgUnit, year: int) -> list[dict]:
    """Hours earned in each month of `year` by the workers under `unit` (one grouped query)."""
    totals = dict(
        HoursEntry.objects.filter(
            year=year, user__worker_profile__community__path__startswith=unit.path
        )
        .annotate(month=ExtractMonth("earned_on"))
        .values("month")
        .annotate(total=Sum("hours"))
        .values_list("month", "total")
    )
    return [{"month": m, "hours": totals.get(m) or Decimal(0)} for m in range(1, 13)]


def hours_distribution(standings) -> list[dict]:
    """How many workers earned 0–10, 10–20, … hours this year."""
    counts = Counter()
    for _profile, standing in standings:
        counts[_bin_of(standing.earned)] += 1
    rows = []
    low = 0
    for index, high in enumerate(HOURS_BINS):
        rows.append({"label": f"{low}–{high}", "low": low, "high": high, "count": counts[index]})
        low = high
    rows.append({"label": f"≥{low}", "low": low, "high": None, "count": counts[len(HOURS_BINS)]})
    return rows


def _bin_of(earned: Decimal) -> int:
    for index, high in enumerate(HOURS_BINS):
        if earned < high:
            return index
    return len(HOURS_BINS)


def contest_results(unit: OrgUnit, children: list[OrgUnit], year: int) -> list[dict]:
    """Contestants and awards per child unit in the published results of `year`'s contests.

    Per round only the latest result on notice or final counts; a registration's unit places it.
    """
    if not children:
        return []
    results = RoundResult.objects.filter(
        status__in=(RoundResult.Status.NOTICE, RoundResult.Status.FINAL),
        round__competition__year=year,
    ).order_by("round_id", "-version")
    latest = {}
    for result in results.only("round_id", "version", "ranking"):
        latest.setdefault(result.round_id, result)
    rows = [row for result in latest.values() for row in result.ranking]
    paths = dict(
        Registration.objects.filter(
            pk__in={row["registration"] for row in rows}, unit__path__startswith=unit.path
        ).values_list("pk", "unit__path")
    )
    contestants = defaultdict(set)
    awards = Counter()
    for row in rows:
        child = _child_of(children, paths.get(row["registration"], ""))
        if child is None:
            continue
        contestants[child.pk].add(row["registration"])
        if row.get("award"):
            awards[child.pk] += 1
    return [
        {"unit": child, "contestants": len(contestants[child.pk]), "awards": awards[child.pk]}
        for child in children
    ]


def _count_of(model, **extra):
    rows = model.objects.filter(case=OuterRef("pk"), **extra).values("case")
    return Coalesce(
        Subquery(rows.annotate(n=Count("id")).values("n"), output_field=IntegerField()),
        Value(0),
    )


def top_cases(unit: OrgUnit, limit: int = TOP_CASES) -> list[CasePage]:
    """The live cases under `unit` used most: views + useful marks + application reports."""
    return list(
        CasePage.objects.live()
        .filter(unit__path__startswith=unit.path)
        .annotate(marks=_count_of(UsefulMark), reports=_count_of(ApplicationReport))
        .annotate(uses=F("view_count") + F("marks") + F("reports"))
        .select_related("unit")
        .order_by("-uses", "title")[:limit]
    )
