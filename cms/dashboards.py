"""Dashboard figures for an admin's unit, one row per child unit, counted in the database.

Everything a dashboard shows adds up over communities: required course places, workers and
their hours, hours per month, contestants and awards. So the figures of a year are counted
once for the whole tree (`count_figures`: a fixed number of grouped queries, under a second
at 50,000 workers), each unit's totals over its subtree are kept by path, and a dashboard
reads those of its unit and of the unit's children (`board`). Pages serve the figures from
the cache (`cached_figures`), which a background task keeps current (training.aggregates).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Count,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Round

from cms.models import ApplicationReport, CasePage, UsefulMark
from competitions.models import Registration, RoundResult
from people.models import OrgUnit, WorkerProfile
from training import aggregates, hours, hours_rules
from training.models import Enrolment, HoursCategory, HoursEntry, HoursRequirement

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


@dataclass
class Tally:
    """What one unit path adds to a dashboard. Hours are kept in tenths, as ints."""

    places: int = 0  # required course places of plans running in the year
    completed: int = 0
    workers: int = 0
    earned: int = 0  # tenths of an hour
    behind: int = 0  # workers short of their yearly requirement
    bins: list[int] = field(default_factory=lambda: [0] * (len(HOURS_BINS) + 1))
    months: list[int] = field(default_factory=lambda: [0] * 12)  # tenths, January first
    contestants: int = 0
    awards: int = 0

    def add(self, other: "Tally") -> None:
        for name in ("places", "completed", "workers", "earned", "behind", "contestants", "awards"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.bins = [a + b for a, b in zip(self.bins, other.bins, strict=True)]
        self.months = [a + b for a, b in zip(self.months, other.months, strict=True)]

    def as_row(self) -> tuple:
        # Cached as plain tuples: a thousand dataclasses take milliseconds to unpickle.
        return (
            self.places,
            self.completed,
            self.workers,
            self.earned,
            self.behind,
            self.contestants,
            self.awards,
            tuple(self.bins),
            tuple(self.months),
        )

    @classmethod
    def from_row(cls, row: tuple | None) -> "Tally":
        if row is None:
            return cls()
        *counts, bins, months = row
        return cls(*counts[:5], list(bins), list(months), *counts[5:])


@dataclass
class Figures:
    """A year's counts for the whole tree, and every live case's uses.

    `totals` holds each unit's own totals (its subtree's) by path, so a dashboard reads its
    unit and the unit's children and adds nothing up. `cases` are most used first:
    (unit path, uses, case id, views, useful marks, application reports).
    """

    year: int
    totals: dict[str, tuple]
    cases: list[tuple]

    def tally(self, path: str) -> Tally:
        return Tally.from_row(self.totals.get(path))


# --------------------------------------------------------------------------- counting


def _tenths(value) -> int:
    return round(float(value or 0) * 10)


def _raw_rows(queryset) -> list[tuple]:
    """The rows of `queryset` as the database returns them, without Django's per-value
    converters (50,000 Decimals cost more than the query)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _count_completion(by_path, year: int) -> None:
    rows = (
        Enrolment.objects.filter(
            required=True, plan__start_date__year__lte=year, plan__end_date__year__gte=year
        )
        .values("user__worker_profile__community__path")
        .annotate(total=Count("id"), done=Count("id", filter=Q(completed_at__isnull=False)))
        .values_list("user__worker_profile__community__path", "total", "done")
    )
    for path, total, done in rows:
        if path is not None:
            by_path[path].places += total
            by_path[path].completed += done


def _requirement_tenths(year: int):
    """(position, community path) → (required, offline required), in tenths, memoised: a
    city's few requirements bind each position of each community the same way."""
    requirements = list(HoursRequirement.objects.filter(year=year).select_related("owner_unit"))
    memo = {}

    def of(position: str, path: str) -> tuple[int, int]:
        key = (position, path)
        if key not in memo:
            chosen = hours.applicable_requirement(requirements, position, path, year)
            standing = hours_rules.standing(
                {},
                chosen.hours if chosen else Decimal(0),
                chosen.min_offline_share if chosen else Decimal(0),
            )
            memo[key] = (_tenths(standing.required), _tenths(standing.offline_required))
        return memo[key]

    return of


def _bin_of(earned_tenths: int) -> int:
    for index, high in enumerate(HOURS_BINS):
        if earned_tenths < high * 10:
            return index
    return len(HOURS_BINS)


def _tenths_sum(condition: Q | None = None):
    """SUM of the year's hours in tenths, as an int (exact, and cheap to read back)."""
    total = Sum(F("year_hours__hours") * Value(Decimal(10)), filter=condition)
    return Cast(Round(total), IntegerField())


def _month_sums(year: int) -> dict:
    # Twelve filtered sums rather than GROUP BY month: SQLite extracts a month through a
    # Python function, once per entry (250,000 of them at city scale).
    return {
        f"m{month}": _tenths_sum(
            Q(
                year_hours__earned_on__gte=date(year, month, 1),
                year_hours__earned_on__lt=_next_month(year, month),
            )
        )
        for month in range(1, 13)
    }


def _count_workers(by_path, year: int) -> None:
    """Each worker's hours of the year, by month and against their requirement, in one
    pass: one row per worker."""
    months = _month_sums(year)
    workers = (
        WorkerProfile.objects.annotate(
            year_hours=FilteredRelation("user__hours", condition=Q(user__hours__year=year))
        )
        .values("user_id")
        .annotate(
            earned=_tenths_sum(),
            offline=_tenths_sum(Q(year_hours__category=HoursCategory.OFFLINE)),
            **months,
        )
        .values_list("community__path", "position", "earned", "offline", *months)
    )
    requirement_of = _requirement_tenths(year)
    for path, position, earned, offline_earned, *per_month in _raw_rows(workers):
        tally = by_path[path]
        earned, offline_earned = earned or 0, offline_earned or 0
        required, offline_required = requirement_of(position, path)
        tally.workers += 1
        tally.earned += earned
        tally.behind += earned < required or offline_earned < offline_required
        tally.bins[_bin_of(earned)] += 1
        for month, tenths in enumerate(per_month):
            if tenths:
                tally.months[month] += tenths


def _next_month(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1)


def _count_contests(by_path, year: int) -> None:
    """Contestants and awards in the published results of `year`'s contests, by the unit of
    each registration. Per round only the latest result on notice or final counts."""
    results = RoundResult.objects.filter(
        status__in=(RoundResult.Status.NOTICE, RoundResult.Status.FINAL),
        round__competition__year=year,
    ).order_by("round_id", "-version")
    latest = {}
    for result in results.only("round_id", "version", "ranking"):
        latest.setdefault(result.round_id, result)
    rows = [row for result in latest.values() for row in result.ranking]
    paths = dict(
        Registration.objects.filter(pk__in={row["registration"] for row in rows}).values_list(
            "pk", "unit__path"
        )
    )
    contestants = defaultdict(set)
    for row in rows:
        path = paths.get(row["registration"])
        if path is None:
            continue
        contestants[path].add(row["registration"])
        if row.get("award"):
            by_path[path].awards += 1
    for path, registrations in contestants.items():
        by_path[path].contestants += len(registrations)


def _count_of(model, **extra):
    rows = model.objects.filter(case=OuterRef("pk"), **extra).values("case")
    return Coalesce(
        Subquery(rows.annotate(n=Count("id")).values("n"), output_field=IntegerField()),
        Value(0),
    )


def _count_cases() -> list[tuple]:
    """Every live case with a unit and how much it is used (views + useful marks + reports),
    most used first, then by title."""
    cases = (
        CasePage.objects.live()
        .filter(unit__isnull=False)
        .annotate(marks=_count_of(UsefulMark), reports=_count_of(ApplicationReport))
        .annotate(uses=F("view_count") + F("marks") + F("reports"))
        .values_list("unit__path", "uses", "title", "pk", "view_count", "marks", "reports")
    )
    ranked = sorted(cases, key=lambda case: (-case[1], case[2]))
    return [(path, uses, *rest) for path, uses, _title, *rest in ranked]


def _with_ancestors(by_path: dict[str, Tally]) -> dict[str, tuple]:
    """Each unit's totals over its subtree: every path's counts added to each of its
    ancestors' (and its own)."""
    step = OrgUnit.steplen
    totals: dict[str, Tally] = defaultdict(Tally)
    for path, tally in by_path.items():
        for end in range(step, len(path) + 1, step):
            totals[path[:end]].add(tally)
    return {path: tally.as_row() for path, tally in totals.items()}


def count_figures(year: int) -> Figures:
    """The year's figures for every unit path, from scratch."""
    by_path: dict[str, Tally] = defaultdict(Tally)
    _count_completion(by_path, year)
    _count_workers(by_path, year)
    _count_contests(by_path, year)
    return Figures(year=year, totals=_with_ancestors(by_path), cases=_count_cases())


# --------------------------------------------------------------------------- one unit's board


def _percent(part, whole) -> int | None:
    return round(100 * part / whole) if whole else None


def _hours(tenths: int) -> Decimal:
    return Decimal(tenths).scaleb(-1)


def _top_cases(figures: Figures, unit: OrgUnit, limit: int = TOP_CASES) -> list[CasePage]:
    chosen = []
    for row in figures.cases:  # most used first
        if row[0].startswith(unit.path):
            chosen.append(row)
            if len(chosen) == limit:
                break
    # Only what the table and the link need: a case's texts and streams are large.
    pages = (
        CasePage.objects.select_related("unit")
        .only("title", "url_path", "unit__name", "unit__code")
        .in_bulk([row[2] for row in chosen])
    )
    cases = []
    for _path, uses, pk, views, marks, reports in chosen:
        case = pages.get(pk)
        if case is None:  # deleted since the figures were counted
            continue
        case.uses, case.view_count, case.marks, case.reports = uses, views, marks, reports
        cases.append(case)
    return cases


def board(unit: OrgUnit, figures: Figures, children: list[OrgUnit] | None = None) -> Dashboard:
    """The dashboard of `unit` read from the year's figures (two queries: the unit's children
    and its most-used cases)."""
    children = list(unit.get_children()) if children is None else children
    total = figures.tally(unit.path)
    completion, hours_rows, contests = [], [], []
    for child in children:
        tally = figures.tally(child.path)
        completion.append(
            {
                "unit": child,
                "total": tally.places,
                "done": tally.completed,
                "percent": _percent(tally.completed, tally.places),
            }
        )
        average = None
        if tally.workers:
            average = (_hours(tally.earned) / tally.workers).quantize(Decimal("0.1"))
        hours_rows.append(
            {"unit": child, "workers": tally.workers, "average": average, "behind": tally.behind}
        )
        contests.append({"unit": child, "contestants": tally.contestants, "awards": tally.awards})
    return Dashboard(
        unit=unit,
        year=figures.year,
        children=children,
        completion=completion,
        hours=hours_rows,
        months=[
            {"month": month, "hours": _hours(tenths) if tenths else Decimal(0)}
            for month, tenths in enumerate(total.months, 1)
        ],
        distribution=_distribution(total.bins),
        contests=contests,
        cases=_top_cases(figures, unit),
    )


def _distribution(bins: list[int]) -> list[dict]:
    """How many workers earned 0–10, 10–20, … hours this year."""
    rows = []
    low = 0
    for index, high in enumerate(HOURS_BINS):
        rows.append({"label": f"{low}–{high}", "low": low, "high": high, "count": bins[index]})
        low = high
    rows.append({"label": f"≥{low}", "low": low, "high": None, "count": bins[-1]})
    return rows


def build(unit: OrgUnit, year: int) -> Dashboard:
    """The dashboard of `unit` counted from scratch (exports; tests)."""
    return board(unit, count_figures(year))


# --------------------------------------------------------------------------- cached


def _key(year: int) -> str:
    return aggregates.cache_key("dashboard", year)


def figures_mark() -> tuple:
    """Changes when hours are credited, an enrolment is made or completed, a worker, a
    requirement, a published result, a useful mark or an application report is added."""
    return aggregates.data_mark(
        (HoursEntry, "id"),
        (Enrolment, "id"),
        (Enrolment, "completed_at"),
        (WorkerProfile, "id"),
        (HoursRequirement, "id"),
        (RoundResult, "id"),
        (UsefulMark, "id"),
        (ApplicationReport, "id"),
    )


def cached_figures(year: int) -> aggregates.Served:
    def enqueue():
        from .tasks import refresh_dashboard_figures

        refresh_dashboard_figures.enqueue(year)

    return aggregates.serve(_key(year), figures_mark(), lambda: count_figures(year), enqueue)


def refresh_figures(year: int) -> None:
    """Count a year's figures again and cache them (the background task's work)."""
    mark = figures_mark()
    aggregates.refreshed(_key(year), mark, count_figures(year))
