"""Wagtail page-tree lookups in a fixed, small number of queries, whatever the depth.

Wagtail routes a URL one level at a time (a query for each page on the way and one more for
its specific form), checks view restrictions with two more queries, and `get_ancestors` costs
another for breadcrumbs. The site's pages (training's and cms's) use these instead; each gives
the answer Wagtail's own would, and falls back to it when it cannot be sure.
"""

from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from wagtail.models import Page, PageViewRestriction


def _ancestor_paths(path: str) -> list[str]:
    step = Page.steplen
    return [path[:end] for end in range(step, len(path) + 1, step)]


def _overrides_route(page: Page) -> bool:
    model = page.specific_class
    return model is None or model.route is not Page.route


def _chain(root: Page, components: list[str]) -> tuple[list[Page], bool] | None:
    """The pages `components` name below `root`, top first, and whether no page from the tree's
    top down to the last one has a view restriction or is an alias: one query. None if the
    stored URL paths and the tree disagree (Wagtail's routing then decides)."""
    url_paths, url_path = [], root.url_path
    for slug in components:
        url_path = f"{url_path}{slug}/"
        url_paths.append(url_path)
    above = _ancestor_paths(root.path)
    rows = Page.objects.filter(
        Q(slug__in=components, url_path__in=url_paths) | Q(path__in=above)
    ).annotate(restricted=Exists(PageViewRestriction.objects.filter(page=OuterRef("pk"))))
    rows = list(rows)
    found = {p.url_path: p for p in rows if p.path not in above}
    chain, parent = [], root
    for slug, url_path in zip(components, url_paths, strict=True):
        page = found.get(url_path)
        # url_path is stored beside the tree: trust it only where the tree agrees.
        if (
            page is None
            or page.slug != slug
            or page.depth != parent.depth + 1
            or not page.path.startswith(parent.path)
        ):
            return None
        page._cached_parent_obj = parent
        chain.append(page)
        parent = page
    on_path = [p for p in rows if p.path in above] + chain
    unrestricted = len(on_path) == len(above) + len(chain) and not any(
        p.restricted or p.alias_of_id for p in on_path
    )
    return chain, unrestricted


def route(root: Page, request, components: list[str]):
    """What `root.route(request, components)` returns, in two queries instead of two per level.

    Falls back to Wagtail's routing when a page on the way routes by itself (a routable page)
    or the tree and the stored URL paths disagree. A page class may name foreign keys to load
    with the page in `route_select_related`.
    """
    found = _chain(root, components) if components else None
    if found is None or any(_overrides_route(page) for page in found[0][:-1]):
        return Page.route(root, request, components)
    chain, unrestricted = found
    target = chain[-1]
    model = target.specific_class
    if model is None:  # a page type no longer in the code
        return Page.route(root, request, components)
    pages = model._default_manager.filter(pk=target.pk)
    if related := getattr(model, "route_select_related", ()):
        pages = pages.select_related(*related)
    specific = pages.first()
    if specific is None:  # deleted meanwhile
        raise Http404
    specific._cached_parent_obj = target._cached_parent_obj
    # Known now, so the view-restriction check after routing needs no query.
    specific._no_view_restrictions = unrestricted
    return specific.route(request, [])


def trail(page: Page, from_depth: int = 2) -> list[Page]:
    """The ancestors of `page` at `from_depth` and deeper, top first (breadcrumbs).

    Routing leaves each page's parent cached on it; when that chain reaches `from_depth`, no
    query is needed.
    """
    found, current = [], page
    while current.depth > from_depth:
        parent = getattr(current, "_cached_parent_obj", None)
        if parent is None:
            return list(page.get_ancestors().filter(depth__gte=from_depth))
        found.append(parent)
        current = parent
    return found[::-1]


def view_restrictions(page: Page):
    """`page.get_view_restrictions()` in one query or none: restrictions on the page or any page
    above it, an alias's taken from its source page (aliases cannot have their own)."""
    if getattr(page, "_no_view_restrictions", False):
        return PageViewRestriction.objects.none()
    paths = _ancestor_paths(page.path)
    sources = Page.objects.filter(path__in=paths, alias_of__isnull=False).values("alias_of_id")
    return PageViewRestriction.objects.filter(
        Q(page__path__in=paths, page__alias_of__isnull=True) | Q(page_id__in=sources)
    )
