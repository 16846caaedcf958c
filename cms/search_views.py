"""The casebook search page: /cases/search/?q=&category=<slug>&unit=<code>&year=<year>.

The filters are named as on the casebook page (category slug, unit code), so a filtered
casebook list and a search can link to each other.
"""

import re
from html import escape
from urllib.parse import urlencode

from django.core.cache import cache
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from people.models import OrgUnit

from . import casebook_cache, search, segment
from .booklet_views import may_compile
from .models import CaseCategory, CasePage

MAX_RESULTS = 50
# The filters' options are kept this long at most (publishing anything replaces them sooner).
OPTIONS_SECONDS = 3600
MAX_GUIDES = 3
# Tapped from the empty state: the problems most cases are about.
SUGGESTIONS = ("停车", "充电", "加装电梯", "物业", "业委会", "网格员")

_SLUG = re.compile(r"[-\w]{1,50}")
_CODE = re.compile(r"[-\w.]{1,32}")


def _int(value: str, low: int, high: int) -> int | None:
    value = (value or "").strip()
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if low <= number <= high else None


def _category(value: str) -> CaseCategory | None:
    value = (value or "").strip()
    if not _SLUG.fullmatch(value):
        return None
    return CaseCategory.objects.filter(slug=value).first()


def _unit(value: str) -> OrgUnit | None:
    """The unit by its code, as the casebook page's filter gives it."""
    value = (value or "").strip()
    if not _CODE.fullmatch(value):
        return None
    return OrgUnit.objects.filter(code=value).first()


def _unit_choices() -> list[tuple[OrgUnit, str]]:
    """Units with live cases and the units above them, in tree order, indented by level."""
    paths = set(
        CasePage.objects.live()
        .exclude(unit=None)
        .order_by()
        .values_list("unit__path", flat=True)
        .distinct()
    )
    prefixes = {
        path[:end]
        for path in paths
        for end in range(OrgUnit.steplen, len(path) + 1, OrgUnit.steplen)
    }
    units = list(OrgUnit.objects.filter(path__in=prefixes).order_by("path"))
    top = min((u.depth for u in units), default=1)
    return [(u, "— " * (u.depth - top) + u.name) for u in units]


def _filter_options() -> dict:
    """What the filters offer: categories, units with cases (a city has about a thousand), years.

    The same for every search until something in the casebook is published or a unit renamed,
    which moves the casebook's generation on (cms.casebook_cache): cached until then.
    """
    key = f"cms.search.options:{casebook_cache.generation()}"
    options = cache.get(key)
    if options is None:
        options = {
            "categories": list(CaseCategory.objects.order_by("sort_order", "name")),
            "units": [(unit.pk, unit.code, label) for unit, label in _unit_choices()],
            "years": list(
                CasePage.objects.live().order_by("-year").values_list("year", flat=True).distinct()
            ),
        }
        cache.set(key, options, OPTIONS_SECONDS)
    return options


def _unit_options(units, chosen: OrgUnit | None) -> SafeString:
    """The unit <option>s as HTML, built here: the template language would take ~50 µs for each
    of a city's thousand units."""
    return mark_safe(  # noqa: S308 (codes and names escaped)
        "".join(
            f'<option value="{escape(code)}"{" selected" if chosen and pk == chosen.pk else ""}>'
            f"{escape(label)}</option>"
            for pk, code, label in units
        )
    )


def case_search(request):
    raw_query = request.GET.get("q", "")
    query_text = " ".join(raw_query.split())[: segment.MAX_QUERY_CHARS]
    category = _category(request.GET.get("category", ""))
    unit = _unit(request.GET.get("unit", ""))
    year = _int(request.GET.get("year", ""), 1900, 2100)
    filtered = category is not None or unit is not None or year is not None

    results = search.search(
        query_text, category=category, unit=unit, year=year, limit=MAX_RESULTS, facets=True
    )
    guides = (
        search.search_guides(results.query, limit=MAX_GUIDES)
        if results.query and not filtered
        else []
    )
    options = _filter_options()
    categories = [(c, results.by_category.get(c.pk, 0)) for c in options["categories"]]
    context = {
        "q": query_text,
        "results": results,
        "hits": results.hits,
        "guides": guides,
        "searched": bool(results.query) or filtered,
        "no_words": bool(query_text) and not results.query,
        "categories": categories,
        "show_category_counts": bool(results.query) or filtered,
        "category": category,
        "unit_options": _unit_options(options["units"], unit),
        "unit": unit,
        "years": options["years"],
        "year": year,
        "filtered": filtered,
        "suggestions": SUGGESTIONS,
    }
    if results.hits and may_compile(request.user):
        # 汇编成册 straight from a search result.
        ids = ",".join(str(hit.page.pk) for hit in results.hits)
        context["compile_url"] = (
            f"{reverse('booklet_new')}?{urlencode({'ids': ids, 'q': query_text})}"
        )
    return render(request, "cms/case_search.html", context)
