"""What the casebook's pages show: a case with its mutual learning, and the casebook's home.

`CasePage.get_context` calls `case_context`, `CasebookPage.get_context` calls `casebook_context`.
Both are plain functions of (page, request) so views can reuse them (the report form's error
page is the case page again, with the form as the user filled it in).

Rich text is cleaned on the way out (`clean_html`): Wagtail's `richtext` filter expands links
but passes any other stored markup through, and cases also arrive from imports and demo data,
not only from the admin's editor, which does strip it.
"""

import re
from html import escape
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django import forms
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from wagtail.models import TaskState, WorkflowState
from wagtail.rich_text import RichText, expand_db_html

from people import levels
from people.models import OrgUnit, Role, WorkerProfile
from people.scope import scope_of
from training import pagetree

from . import casebook_cache
from .models import (
    ApplicationReport,
    Bookmark,
    CasebookPage,
    CaseCategory,
    CasePage,
    GuidePage,
    UnitReviewTask,
    UsefulMark,
)
from .numerals import ordinal

# Views counted once per case per session; the session keeps this many case ids at most.
VIEWED_SESSION_KEY = "casebook_viewed"
VIEWED_KEEP = 200
# Crawlers, link previews and scripts do not count as readers.
BOT_AGENT = re.compile(
    r"bot|crawl|spider|slurp|preview|fetch|monitor|curl|wget|python-|httpclient|java/|go-http",
    re.IGNORECASE,
)
MOST_USEFUL = 10
LATEST = 10
GUIDES = 20
PER_PAGE = 20
REPORTS_SHOWN = 50
RELATED = 5
# A case's related cases, tags and unit path are kept this long at most; publishing anything in
# the casebook replaces them sooner (see case_parts).
CASE_PARTS_SECONDS = 3600
# Units one can report having applied a case in.
REPORT_LEVELS = (levels.STREET, levels.COMMUNITY)


# --------------------------------------------------------------------------------------
# Rich text: keep the editor's features (RICH in cms.blocks), drop everything else.
# --------------------------------------------------------------------------------------

_ALLOWED_TAGS = frozenset(
    {"p", "br", "h2", "h3", "h4", "b", "strong", "i", "em", "ol", "ul", "li", "a"}
)
# Elements whose content goes too, not only their tags.
_DROP_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "template", "noscript", "textarea", "svg"}
)
_SAFE_SCHEMES = frozenset({"", "http", "https", "mailto", "tel"})
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")


def _safe_href(href: str) -> bool:
    # Browsers ignore tabs, newlines and control characters inside a scheme ("java\tscript:").
    try:
        scheme = urlsplit(_URL_NOISE.sub("", href)).scheme.lower()
    except ValueError:
        return False
    return scheme in _SAFE_SCHEMES


class _Cleaner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.dropping = 0

    def handle_starttag(self, tag, attrs):
        if tag in _DROP_WITH_CONTENT:
            self.dropping += 1
            return
        if self.dropping or tag not in _ALLOWED_TAGS:
            return
        if tag == "br":
            self.out.append("<br>")
            return
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self.out.append(f'<a href="{escape(href)}">' if href and _safe_href(href) else "<a>")
        else:
            self.out.append(f"<{tag}>")
        self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag == "br" and not self.dropping:
            self.out.append("<br>")

    def handle_endtag(self, tag):
        if tag in _DROP_WITH_CONTENT:
            self.dropping = max(0, self.dropping - 1)
            return
        if self.dropping or tag not in self.open:
            return
        while self.open:
            name = self.open.pop()
            self.out.append(f"</{name}>")
            if name == tag:
                break

    def handle_data(self, data):
        if not self.dropping:
            self.out.append(escape(data, quote=False))

    def result(self) -> str:
        self.close()
        return "".join([*self.out, *(f"</{name}>" for name in reversed(self.open))])


def clean_html(value) -> SafeString:
    """Rich text (a stored string or a RichText block value) as HTML safe to show anyone."""
    if value is None:
        return mark_safe("")
    source = value.source if isinstance(value, RichText) else str(value)
    if not source.strip():
        return mark_safe("")
    cleaner = _Cleaner()
    cleaner.feed(expand_db_html(source))
    return mark_safe(cleaner.result())  # noqa: S308 (built from escaped text and fixed tags)


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


def _numeral(n: int) -> str:
    return ordinal(n, get_language() or "")


def name_paths(units) -> dict[int, str]:
    """'东城区/和平街道/幸福社区' for each of a few units, in one query (as OrgUnit.name_path)."""
    units = [u for u in units if u is not None]
    if not units:
        return {}
    step = OrgUnit.steplen
    prefixes = {u.path[:i] for u in units for i in range(step, len(u.path) + 1, step)}
    rows = {
        path: (name, level)
        for path, name, level in OrgUnit.objects.filter(path__in=prefixes).values_list(
            "path", "name", "level"
        )
    }
    paths = {}
    for unit in units:
        names = []
        for i in range(step, len(unit.path) + 1, step):
            name, level = rows.get(unit.path[:i], ("", ""))
            if name and (level != levels.CITY or i == len(unit.path)):
                names.append(name)
        paths[unit.pk] = "/".join(names)
    return paths


def _with_unit_paths(cases):
    """The cases, each with `.unit_path` set; one query for all of them."""
    cases = list(cases)
    paths = name_paths({c.unit_id: c.unit for c in cases if c.unit_id}.values())
    for case in cases:
        case.unit_path = paths.get(case.unit_id, "")
    return cases


def search_url() -> str:
    """The casebook search page, once it exists (cms.search), else ''."""
    try:
        return reverse("case_search")
    except NoReverseMatch:
        return ""


def _person(user) -> str:
    if user is None:
        return ""
    return getattr(user, "real_name", "") or user.get_username()


# --------------------------------------------------------------------------------------
# Views counted, once per session, never for bots, HEAD or previews
# --------------------------------------------------------------------------------------


def count_view(page: CasePage, request) -> bool:
    """Add one to the case's view count if this request is a reader's first look this session."""
    if request.method != "GET" or getattr(request, "is_preview", False) or not page.pk:
        return False
    if BOT_AGENT.search(request.headers.get("User-Agent", "")):
        return False
    session = getattr(request, "session", None)
    if session is not None:
        seen = list(session.get(VIEWED_SESSION_KEY, []))
        if page.pk in seen:
            return False
        session[VIEWED_SESSION_KEY] = [*seen[-(VIEWED_KEEP - 1) :], page.pk]
    CasePage.objects.filter(pk=page.pk).update(view_count=F("view_count") + 1)
    return True


# --------------------------------------------------------------------------------------
# The report form: "we applied it here"
# --------------------------------------------------------------------------------------


def report_units(user) -> list[OrgUnit]:
    """Streets and communities `user` works in (any role, or as a worker) or manages."""
    if not user.is_authenticated:
        return []
    # Subqueries rather than joins: each can use its index, and no row comes twice.
    belongs = Q(pk__in=Role.objects.filter(user=user).values("unit_id")) | Q(
        pk__in=WorkerProfile.objects.filter(user=user).values("community_id")
    )
    scope = scope_of(user)
    manages = Q(pk__in=scope.units.values("pk")) if not scope.is_empty else Q(pk__in=[])
    return list(
        OrgUnit.objects.filter(level__in=REPORT_LEVELS).filter(belongs | manages).order_by("path")
    )


class _ReportText(forms.CharField):
    """Browsers send line breaks as CRLF but count them as one character against maxlength."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if value else value


class ApplicationReportForm(forms.Form):
    unit = forms.TypedChoiceField(
        label=_("Where did you apply it?"),
        coerce=int,
        error_messages={
            "required": _("Choose the community or street where you applied this case."),
            "invalid_choice": _(
                "You can report only for a community or street you work in or manage."
            ),
        },
    )
    what_changed = _ReportText(
        label=_("What we changed"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 2000}),
        error_messages={
            "required": _("Say what you changed when you applied the case."),
            "max_length": _(
                "“What we changed” may be at most %(limit_value)d characters; it has %(show_value)d."
            ),
        },
    )
    outcome = _ReportText(
        label=_("Outcome"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 2000}),
        error_messages={
            "required": _("Say what came of it, even if it did not work out."),
            "max_length": _(
                "“Outcome” may be at most %(limit_value)d characters; it has %(show_value)d."
            ),
        },
    )

    def __init__(self, *args, units=(), paths=None, **kwargs):
        """`paths`: the units' name paths (name_paths), when the caller has them already."""
        super().__init__(*args, **kwargs)
        self.units = {unit.pk: unit for unit in units}
        paths = name_paths(self.units.values()) if paths is None else paths
        self.fields["unit"].choices = [
            ("", _("Choose a community or street")),
            *((pk, paths[pk]) for pk in self.units),
        ]
        if len(self.units) == 1:
            self.fields["unit"].initial = next(iter(self.units))

    def clean_unit(self) -> OrgUnit:
        return self.units[self.cleaned_data["unit"]]


def report_form_for(user, data=None) -> ApplicationReportForm | None:
    """The form for `user`, or None if they have nowhere to report for."""
    units = report_units(user)
    return ApplicationReportForm(data, units=units) if units else None


# --------------------------------------------------------------------------------------
# A case page
# --------------------------------------------------------------------------------------


def _difficulties(page: CasePage) -> tuple[list[dict], int]:
    """难点一… with 解法一… numbered through the whole case, so 4难8解 reads as such."""
    rows, solution_number = [], 0
    for n, block in enumerate(page.difficulties, start=1):
        value = block.value
        solutions = []
        for solution in value.get("solutions") or []:
            solution_number += 1
            solutions.append(
                {
                    "label": gettext("Solution %(number)s") % {"number": _numeral(solution_number)},
                    "title": solution.get("title", ""),
                    "detail": clean_html(solution.get("detail")),
                }
            )
        rows.append(
            {
                "label": gettext("Difficulty %(number)s") % {"number": _numeral(n)},
                "title": value.get("title", ""),
                "description": value.get("description", ""),
                "solutions": solutions,
            }
        )
    return rows, solution_number


def _results(page: CasePage) -> list[dict]:
    """Figures side by side as big numbers, text between them; in the editor's order."""
    groups: list[dict] = []
    for block in page.results:
        if block.block_type == "figure":
            figure = {key: block.value.get(key, "") for key in ("label", "value", "unit")}
            if groups and "figures" in groups[-1]:
                groups[-1]["figures"].append(figure)
            else:
                groups.append({"figures": [figure]})
        else:
            groups.append({"html": clean_html(block.value)})
    return groups


def review_trail(page) -> list[dict]:
    """Each finished review step of the page, oldest first: step, unit, reviewer, time, comment."""
    if not page.pk:
        return []
    states = (
        TaskState.objects.filter(
            workflow_state__in=WorkflowState.objects.for_instance(page),
            status__in=(TaskState.STATUS_APPROVED, TaskState.STATUS_REJECTED),
            finished_at__isnull=False,
        )
        .select_related("task", "finished_by")
        .order_by("finished_at", "pk")
    )
    states = list(states)
    unit_tasks = UnitReviewTask.objects.in_bulk({s.task_id for s in states}) if states else {}
    reviewing = {}  # task id → unit: the same for every state of one task
    trail, seen = [], set()
    for state in states:
        # Editing during review copies approved steps onto the new revision: show them once.
        key = (state.workflow_state_id, state.task_id, state.status, state.finished_at)
        if key in seen:
            continue
        seen.add(key)
        if state.task_id not in reviewing:
            task = unit_tasks.get(state.task_id)
            reviewing[state.task_id] = task.reviewing_unit(page) if task is not None else None
        unit = reviewing[state.task_id]
        approved = state.status == TaskState.STATUS_APPROVED
        trail.append(
            {
                "step": state.task.name,
                "unit": unit.name if unit else "",
                "approved": approved,
                "status": gettext("Approved") if approved else gettext("Changes requested"),
                "reviewer": _person(state.finished_by),
                "at": state.finished_at,
                "comment": state.comment,
            }
        )
    return trail


def _case_parts(page: CasePage, request) -> dict:
    """What a case page shows that costs queries but changes only when something is published:
    the tags, the casebook's link and the related cases (ranked in Python).

    The units whose name paths are needed are left in (`unit`): `case_context` finds their
    paths together with the reports' and the form's, in one query.
    """
    cases = []
    try:
        from .search import related_cases
    except ImportError:
        pass
    else:
        cases = related_cases(page, limit=RELATED)
    casebook = CasebookPage.objects.live().first()
    return {
        "unit": page.unit,
        "tags": [{"name": tag.name} for tag in page.tags.all()],
        "casebook": _link(casebook, request),
        "related_cases": [
            {
                "title": case.title,
                "url": case.get_url(request),
                "category": case.category.name,
                "unit": case.unit,
                "year": case.year,
            }
            for case in cases
        ],
    }


def _link(page, request) -> dict | None:
    return {"title": page.title, "url": page.get_url(request)} if page is not None else None


def _parts_units(parts: dict) -> list:
    return [parts["unit"], *(case["unit"] for case in parts["related_cases"])]


def _with_paths(parts: dict, paths: dict[int, str]) -> dict:
    """`parts` as the page shows and the cache keeps them: units replaced by their paths."""
    unit = parts.pop("unit")
    parts["unit_path"] = paths.get(unit.pk, "") if unit is not None else ""
    for case in parts["related_cases"]:
        unit = case.pop("unit")
        case["unit_path"] = paths.get(unit.pk, "") if unit is not None else ""
    return parts


def _case_parts_key(page: CasePage) -> str:
    published = page.last_published_at.timestamp() if page.last_published_at else ""
    # The generation moves on whenever anything in the casebook is published, moved or deleted,
    # or a unit is renamed (cms.casebook_cache).
    generation = casebook_cache.generation()
    parts = (page.pk, page.live_revision_id, published, get_language(), generation)
    return "cms.casebook.case:" + ":".join(str(part) for part in parts)


def _learning_counts(page: CasePage, user) -> dict:
    """Useful marks, bookmarks and reports of the case, the user's own marks, and whether it
    has ever been through a review workflow: one query."""

    def count(model):
        rows = model.objects.filter(case=OuterRef("pk")).order_by().values("case")
        return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), 0)

    def mine(model):
        return Exists(model.objects.filter(case=OuterRef("pk"), user=user))

    fields = {
        "useful_count": count(UsefulMark),
        "bookmark_count": count(Bookmark),
        "reports_total": count(ApplicationReport),
        "reviewed": Exists(WorkflowState.objects.for_instance(page)),
    }
    if user.is_authenticated:
        fields.update(bookmarked=mine(Bookmark), marked_useful=mine(UsefulMark))
    return CasePage.objects.filter(pk=page.pk).values(**fields).get()


def case_context(page: CasePage, request) -> dict:
    user = request.user
    counted = count_view(page, request)
    difficulties, solution_count = _difficulties(page)
    context = {
        "unit_path": "",
        "tags": [],
        "background_html": clean_html(page.background),
        "measures_html": clean_html(page.measures),
        "lessons_html": clean_html(page.lessons),
        "difficulties": difficulties,
        "shape": (
            gettext("Difficulties: %(difficulties)s · Solutions: %(solutions)s")
            % {"difficulties": len(difficulties), "solutions": solution_count}
            if difficulties
            else ""
        ),
        "result_groups": _results(page),
        "view_count": page.view_count + (1 if counted else 0),
        "search_url": search_url(),
        "casebook": None,
        "breadcrumbs": [],
        "bookmarked": False,
        "marked_useful": False,
        "useful_count": 0,
        "bookmark_count": 0,
        "reports": [],
        "reports_total": 0,
        "report_form": None,
        "review_trail": [],
        "related_cases": [],
    }
    if not page.pk:  # a preview of a case not yet saved
        context.update(
            unit_path=name_paths([page.unit]).get(page.unit_id, "") if page.unit_id else "",
            casebook=_link(CasebookPage.objects.live().first(), request),
        )
        return context
    # A preview shows the draft: never the cached parts of the live page, never cached.
    preview = getattr(request, "is_preview", False)
    key = None if preview else _case_parts_key(page)
    parts = cache.get(key) if key else None
    fresh = parts is None
    if fresh:
        parts = _case_parts(page, request)
    counts = _learning_counts(page, user)
    reviewed = counts.pop("reviewed")
    reports = (
        list(page.applications.select_related("unit", "user")[:REPORTS_SHOWN])
        if counts["reports_total"]
        else []
    )
    units = report_units(user)
    # Every unit path the page shows, in one query.
    shown = [*(r.unit for r in reports), *units, *(_parts_units(parts) if fresh else ())]
    paths = name_paths({u.pk: u for u in shown if u is not None}.values())
    if fresh:
        parts = _with_paths(parts, paths)
        if key:
            cache.set(key, parts, CASE_PARTS_SECONDS)
    for report in reports:
        report.unit_path = paths.get(report.unit_id, report.unit.name)
        report.author = _person(report.user)
    context.update(parts)
    context.update(counts)
    context.update(
        # Breadcrumbs below the home page: the sections the case is published in.
        breadcrumbs=pagetree.trail(page, from_depth=3),
        reports=reports,
        review_trail=review_trail(page) if reviewed else [],
    )
    if units:
        context["report_form"] = ApplicationReportForm(units=units, paths=paths)
    return context


# --------------------------------------------------------------------------------------
# The casebook's home
# --------------------------------------------------------------------------------------


def _filters(params) -> dict:
    """The category, unit and year asked for in the query string; unknown values are dropped."""
    chosen = {"category": None, "unit": None, "year": None}
    slug = (params.get("category") or "").strip()
    if slug:
        chosen["category"] = CaseCategory.objects.filter(slug=slug).first()
    code = (params.get("unit") or "").strip()
    if code:
        chosen["unit"] = OrgUnit.objects.filter(code=code).first()
    year = (params.get("year") or "").strip()
    if year.isdigit() and len(year) == 4:
        chosen["year"] = int(year)
    return chosen


def filter_cases(queryset, chosen: dict):
    if chosen["category"] is not None:
        queryset = queryset.filter(category=chosen["category"])
    if chosen["unit"] is not None:
        queryset = queryset.filter(unit__path__startswith=chosen["unit"].path)
    if chosen["year"] is not None:
        queryset = queryset.filter(year=chosen["year"])
    return queryset


def _unit_options(live) -> list[dict]:
    """Districts and streets with cases, for the unit filter, in tree order."""
    case_units = OrgUnit.objects.filter(pk__in=live.values("unit_id"))
    step = OrgUnit.steplen
    prefixes = {u.path[:i] for u in case_units for i in range(step, len(u.path) + 1, step)}
    units = list(
        OrgUnit.objects.filter(
            path__in=prefixes, level__in=(levels.DISTRICT, levels.STREET)
        ).order_by("path")
    )
    paths = name_paths(units)
    return [{"code": u.code, "label": paths[u.pk], "level": u.level} for u in units]


def casebook_context(page: CasebookPage, request) -> dict:
    live = CasePage.objects.live()
    chosen = _filters(request.GET)
    filtering = any(value is not None for value in chosen.values())
    cards = live.select_related("category", "unit").annotate(
        useful_count=Count("useful_marks", distinct=True)
    )
    most_useful = _with_unit_paths(
        cards.filter(useful_count__gt=0).order_by("-useful_count", "-first_published_at", "pk")[
            :MOST_USEFUL
        ]
    )
    context = {
        "intro_html": clean_html(page.intro),
        "categories": CaseCategory.objects.annotate(
            case_count=Count("cases", filter=Q(cases__live=True))
        ),
        "most_useful": most_useful,
        "latest_cases": _with_unit_paths(cards.order_by("-first_published_at", "-pk")[:LATEST]),
        "guides": GuidePage.objects.live().order_by("-first_published_at")[:GUIDES],
        "filters": chosen,
        "filtering": filtering,
        "years": list(live.order_by("-year").values_list("year", flat=True).distinct()),
        "unit_options": _unit_options(live),
        "search_url": search_url(),
        "results": None,
    }
    if filtering:
        matching = filter_cases(cards, chosen).order_by(
            "-useful_count", "-first_published_at", "pk"
        )
        results = Paginator(matching, PER_PAGE).get_page(request.GET.get("page"))
        results.object_list = _with_unit_paths(results.object_list)
        query = request.GET.copy()
        query.pop("page", None)
        context.update(results=results, query=query.urlencode())
    return context


# --------------------------------------------------------------------------------------
# A guide (ready for GuidePage.get_context; the template falls back to include_block)
# --------------------------------------------------------------------------------------


def guide_context(page: GuidePage, request) -> dict:
    qa = []
    for n, block in enumerate(page.sections, start=1):
        value = block.value
        qa.append(
            {
                "anchor": f"q{n}",
                "question": value.get("question", ""),
                "answer": clean_html(value.get("answer")),
                "cases": [c for c in (value.get("cases") or []) if c is not None and c.live],
            }
        )
    return {"qa": qa, "intro_html": clean_html(page.intro)}
