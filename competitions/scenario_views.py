"""The scenario library (/competitions/scenarios/) and the extra context of a scenario card's page.

Confidential cards (not `public`) are for contest staff only; who that is,
`access.reads_confidential_scenarios` decides. The library asks it once and filters in the
query, so listing 10 cards costs what listing 3 does.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.shortcuts import render

from people.models import OrgUnit
from people.requests import typed_query

from .access import reads_confidential_scenarios
from .models import ScenarioPage, Stage


def plain(number) -> str:
    """15.00 → "15", 0.50 → "0.5": points as people write them."""
    return format(Decimal(str(number)).normalize(), "f")


def readable_cards(user, confidential: bool | None = None):
    """The live scenario cards `user` may read, as one queryset.

    `confidential` is `reads_confidential_scenarios(user)` when the caller already knows it.
    """
    if confidential is None:
        confidential = reads_confidential_scenarios(user)
    cards = ScenarioPage.objects.live()
    return cards if confidential else cards.filter(public=True)


def rubric_summary(criteria: list[dict]) -> tuple[int, Decimal]:
    """(number of criteria, max total) of a card's rubric as `ScenarioPage.criteria()` gives it."""
    return len(criteria), sum((c["max_points"] for c in criteria), Decimal(0))


def _stages_used():
    # Competition and round in the same query: the library shows "contest · round · stage".
    return Prefetch(
        "stages",
        queryset=Stage.objects.select_related("round__competition").order_by(
            "-round__competition__year", "round__competition__title", "round__order", "order"
        ),
    )


def _publishing_units(cards):
    """The units whose sections hold any of `cards`, with their section's path and depth."""
    holds_cards = cards.filter(
        path__startswith=OuterRef("section__path"), depth=OuterRef("section__depth") + 1
    )
    return (
        OrgUnit.objects.filter(Exists(holds_cards))
        .annotate(section_path=F("section__path"), section_depth=F("section__depth"))
        .order_by("path")
    )


@dataclass
class LibraryCard:
    page: ScenarioPage
    unit: OrgUnit | None
    criteria_count: int
    max_total: str
    stages: list


def scenario_library(request):
    confidential = reads_confidential_scenarios(request.user)
    readable = readable_cards(request.user, confidential)
    units = list(_publishing_units(readable))
    query = typed_query(request)
    unit_code = request.GET.get("unit", "").strip()

    cards = readable
    if query:
        cards = cards.filter(Q(title__icontains=query) | Q(task__icontains=query))
    chosen = None
    if unit_code:
        chosen = next((u for u in units if u.code == unit_code), None)
        # An unknown unit (an old link, a typo) matches no card rather than every card.
        cards = (
            cards.filter(path__startswith=chosen.section_path, depth=chosen.section_depth + 1)
            if chosen
            else cards.none()
        )
    # The rubric gives the totals; the other long fields are not shown here.
    cards = (
        cards.defer("brief", "roles", "materials")
        .prefetch_related(_stages_used())
        .order_by("title")
    )

    unit_by_path = {u.section_path: u for u in units}
    rows = []
    for card in cards:
        count, total = rubric_summary(card.criteria())
        rows.append(
            LibraryCard(
                page=card,
                unit=unit_by_path.get(card.path[: -ScenarioPage.steplen]),
                criteria_count=count,
                max_total=plain(total),
                stages=list(card.stages.all()),
            )
        )
    return render(
        request,
        "competitions/scenarios/library.html",
        {
            "cards": rows,
            "units": units,
            "query": query,
            "unit_code": unit_code,
            "chosen_unit": chosen,
            "filtered": bool(query or unit_code),
            "shows_confidential": confidential,
        },
    )


def scenario_page_context(page: ScenarioPage) -> dict:
    """What a card's page shows beyond its fields: the rubric with totals, cases, stages."""
    criteria = page.criteria()
    _count, total = rubric_summary(criteria)
    shown = [
        {
            **criterion,
            "max_points": plain(criterion["max_points"]),
            "step": plain(criterion["step"]),
            "bands": [
                {**band, "low": plain(band["low"]), "high": plain(band["high"])}
                for band in criterion["bands"]
            ],
        }
        for criterion in criteria
    ]
    return {
        "criteria": shown,
        "rubric_total": plain(total),
        "related_cases": list(page.cases.live().order_by("title")),
        "stages_used": list(
            page.stages.select_related("round__competition").order_by(
                "-round__competition__year", "round__order", "order"
            )
        ),
    }
