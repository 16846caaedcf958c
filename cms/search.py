"""The casebook's Chinese search: segmented words in the database, ranking in Python.

Wagtail's search backends do not segment Chinese, so each case and guide keeps its own
segmented text in ``search_text`` (see cms.segment), filled in when the page is published:

    " <title words> | <summary, body and tag words> | <the publishing unit's words> "

Words are separated by single spaces and the field starts and ends with one, so a word is found
with a padded ``contains`` (" 停车 "): a LIKE with parameters, the same on SQLite and
PostgreSQL, immune to query syntax. The "|" (never a word itself) separates the title's words
from the rest so ranking can weigh them without segmenting again, and the unit's name (so that
"幸福街道 停车" prefers that street's cases) from the content, which alone makes cases related.

Ranking (``_rank``), for the candidates the database returns (pages with any query word):

    score = coverage² × Σ_w idf(w) × (tf_sat(w) + TITLE_BOOST × [w in title])

- idf(w) = ln(1 + (N − df + 0.5) / (df + 0.5)), N the live pages under the same filters,
  df those containing w;
- tf_sat(w) = tf·(K1 + 1) / (tf + K1·(1 − B + B·len/avg_len)): BM25's saturating term
  frequency, normalised by length, so ten mentions beat one but not by ten times;
- coverage: the share of the query's own words the page has (a word it lacks scores the share
  of that word's bigrams it has), squared: a page with both 停车 and 充电 outranks one that
  repeats 停车 alone.

Ties go to the most recently published page.
"""

import hashlib
import html
import logging
import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Value
from django.db.models.functions import Length, StrIndex, Substr
from django.db.models.lookups import GreaterThan
from django.db.models.signals import post_delete
from django.utils.safestring import SafeString, mark_safe
from wagtail.models import PageViewRestriction
from wagtail.signals import page_published, page_unpublished, post_page_move

from people.models import OrgUnit

from . import casebook_cache, segment
from .models import CasePage, GuidePage

logger = logging.getLogger(__name__)

TITLE_SEPARATOR = "|"
TITLE_BOOST = 2.0
K1 = 1.2
B = 0.75
# At most this many candidate rows are ranked in Python (the most recently published first).
MAX_CANDIDATES = 2000
# related_cases compares a case with at most this many recent cases of its category.
MAX_RELATED_PEERS = 300
SNIPPET_CHARS = 120
# Answers are cached this long at most; a change to the casebook replaces them sooner
# (cms.casebook_cache).
CACHE_SECONDS = 600

_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_SPACES = re.compile(r"\s+")


# Text of a page


def _plain(value: str) -> str:
    """Rich text (or plain text) as plain text: tags become spaces, entities are decoded."""
    return html.unescape(_TAG.sub(" ", value or ""))


def _strings(raw):
    """Every string in a StreamField's raw JSON, skipping block ids and type names."""
    if isinstance(raw, str):
        yield raw
    elif isinstance(raw, dict):
        for key, value in raw.items():
            if key not in ("id", "type"):
                yield from _strings(value)
    elif isinstance(raw, list | tuple):
        for item in raw:
            yield from _strings(item)


def _stream_text(stream) -> list[str]:
    if not stream:
        return []
    return [_plain(s) for s in _strings(list(stream.raw_data))]


def _body_parts(page):
    """The plain-text parts of a case or guide below its title, in reading order, each worked
    out only when it is read; some may be blank."""
    if isinstance(page, CasePage):
        yield page.summary or ""
        yield _plain(page.background)
        yield from _stream_text(page.difficulties)
        yield _plain(page.measures)
        yield from _stream_text(page.results)
        yield _plain(page.lessons)
    elif isinstance(page, GuidePage):
        yield _plain(page.intro)
        yield from _stream_text(page.sections)


def body_texts(page) -> list[str]:
    """The plain-text parts of a case or guide below its title, in reading order."""
    return [p for p in _body_parts(page) if p and p.strip()]


def _tag_words(page) -> list[str]:
    found: list[str] = []
    if isinstance(page, CasePage):
        try:
            for name in page.tags.names():
                found += segment.words(name)
        except ValueError:  # an unsaved page has no tags yet
            pass
    return found


def _place_words(page) -> list[str]:
    unit = getattr(page, "unit", None) if getattr(page, "unit_id", None) else None
    return segment.words(unit.name) if unit is not None else []


def index_text(page) -> str:
    """The value of `search_text` for `page` (see the module's docstring for its layout)."""
    title = segment.words(page.title)
    body: list[str] = []
    for part in body_texts(page):
        body += segment.words(part)
    body += _tag_words(page)
    sep = TITLE_SEPARATOR
    return f" {' '.join([*title, sep, *body, sep, *_place_words(page)])} "


def index_page(page) -> str:
    """Segment `page` and store its `search_text` with an UPDATE: no save(), no revision."""
    if not isinstance(page, CasePage | GuidePage):
        page = page.specific
        if not isinstance(page, CasePage | GuidePage):
            return ""
    text = index_text(page)
    type(page).objects.filter(pk=page.pk).update(search_text=text)
    page.search_text = text
    casebook_cache.changed()
    return text


def _on_published(sender, instance, **kwargs):
    try:
        index_page(instance)
    except Exception:  # a search index is never worth a failed publication
        logger.exception("Could not index page %s for the casebook search", instance.pk)


def connect() -> None:
    """Index cases and guides when they are published; forget cached searches when they are
    unpublished, moved or deleted. Safe to call more than once."""
    for model in (CasePage, GuidePage):
        name = model.__name__
        page_published.connect(_on_published, sender=model, dispatch_uid=f"cms.search.index.{name}")
        for signal in (page_unpublished, post_page_move, post_delete):
            signal.connect(
                casebook_cache.changed, sender=model, dispatch_uid=f"cms.search.{name}.{id(signal)}"
            )


def reindex_all() -> tuple[int, float]:
    """Index every case and guide again; returns (pages, seconds)."""
    started = time.perf_counter()
    count = 0
    for model in (CasePage, GuidePage):
        pages = model.objects.all()
        if model is CasePage:
            pages = pages.select_related("unit").prefetch_related("tagged_items__tag")
        for page in pages.iterator(chunk_size=200):
            index_page(page)
            count += 1
    return count, time.perf_counter() - started


# Searching


@dataclass
class Hit:
    page: CasePage | GuidePage
    score: float
    title: SafeString  # the title, escaped, query words in <mark>
    snippet: SafeString  # a passage, escaped, query words in <mark>
    matched: tuple[str, ...] = ()


@dataclass
class Results:
    query: segment.Query
    hits: list[Hit] = field(default_factory=list)
    total: int = 0  # pages matching, before the limit
    by_category: dict[int, int] = field(default_factory=dict)  # category pk → pages matching


def _parts(text: str | None) -> tuple[list[str], list[str], list[str]]:
    """A `search_text` split into its title, body and place words."""
    tokens = (text or "").split()
    try:
        first = tokens.index(TITLE_SEPARATOR)
    except ValueError:  # not written by index_text: all body
        return [], tokens, []
    try:
        second = tokens.index(TITLE_SEPARATOR, first + 1)
    except ValueError:
        second = len(tokens)
    place = [t for t in tokens[second + 1 :] if t != TITLE_SEPARATOR]
    return tokens[:first], tokens[first + 1 : second], place


@dataclass
class _Doc:
    """A candidate as the ranking sees it: how often each query word occurs in its title and
    in the rest, and how many words the rest has."""

    pk: int
    published: float
    title: Counter
    body: Counter
    length: int

    @classmethod
    def parse(cls, pk, text, published, query: segment.Query):
        text = text or ""
        title_end = text.find(f" {TITLE_SEPARATOR} ")
        if title_end < 0:  # not written by index_text: all body
            title_end = 0
        title, body = Counter(), Counter()
        for word in query.words:
            needle = f" {word} "
            if f" {word}{needle}" in text:
                # Neighbours share a space, which str.count does not: double the spaces.
                padded, stop = text.replace(" ", "  "), text.count(" ", 0, title_end) + title_end
                in_title, in_rest = padded.count(needle, 0, stop + 1), padded.count(needle, stop)
            else:
                in_title, in_rest = (
                    text.count(needle, 0, title_end + 1),
                    text.count(needle, title_end),
                )
            if in_title:
                title[word] = in_title
            if in_rest:
                body[word] = in_rest
        for char in query.chars:
            if n := text.count(char, 0, title_end):
                title[char] = n
            if n := text.count(char, title_end):
                body[char] = n
        length = text.count(" ", title_end) - text.count(f" {TITLE_SEPARATOR} ", title_end)
        return cls(pk, published.timestamp() if published else 0.0, title, body, length)


def _match_q(query: segment.Query) -> Q:
    """Pages whose `search_text` has any query word (or character). A plain substring search
    (INSTR, STRPOS) rather than LIKE: the same answer here, where all text is lower-cased, and
    on PostgreSQL about three times faster over Chinese text."""
    condition = Q(pk__in=[])
    for needle in [f" {word} " for word in query.words] + list(query.chars):
        condition |= Q(GreaterThan(StrIndex("search_text", Value(needle)), 0))
    return condition


def _coverage(present: set[str], query: segment.Query) -> float:
    if not query.groups:
        return 1.0
    total = 0.0
    for word, bigrams in query.groups:
        if word in present:
            total += 1
        elif bigrams:
            total += sum(1 for b in bigrams if b in present) / len(bigrams)
    return total / len(query.groups)


def _rank(docs: list[_Doc], query: segment.Query, population: int):
    """Score each candidate (formula in the module's docstring): (score, doc, words found),
    best first."""
    if not docs:
        return []
    df = Counter()
    for doc in docs:
        df.update(doc.title.keys() | doc.body.keys())
    population = max(population, len(docs))
    idf = {w: math.log(1 + (population - n + 0.5) / (n + 0.5)) for w, n in df.items()}
    avg_len = sum(d.length for d in docs) / len(docs) or 1.0
    ranked = []
    for doc in docs:
        body, title = doc.body, doc.title
        norm = K1 * (1 - B + B * doc.length / avg_len)
        relevance = 0.0
        found = set(body) | set(title)
        for word in found:
            tf = body[word]
            saturated = tf * (K1 + 1) / (tf + norm) if tf else 0.0
            relevance += idf[word] * (saturated + (TITLE_BOOST if title[word] else 0.0))
        coverage = _coverage(found, query)
        ranked.append((relevance * coverage * coverage, doc, found))
    ranked.sort(key=lambda item: (-item[0], -item[1].published, item[1].pk))
    return ranked


def _highlighted(text: str, query: segment.Query, max_len: int | None = None) -> SafeString:
    # segment.highlight_html escapes every fragment; only its <mark> tags are markup.
    return mark_safe(segment.highlight_html(text, query.marks, max_len))


def _snippet(page, query: segment.Query) -> SafeString:
    """A passage of about SNIPPET_CHARS characters around the first match, the summary first."""
    marks, first, chosen = query.marks, None, None
    for part in _body_parts(page):  # most snippets come from the summary: read no further
        if not (part and part.strip()):
            continue
        first = part if first is None else first
        if segment.has_match(part, marks):
            chosen = part
            break
    chosen = chosen if chosen is not None else first or ""
    return _highlighted(_SPACES.sub(" ", chosen).strip(), query, SNIPPET_CHARS)


def _public(pages):
    """`pages.public()` without the query Wagtail runs first to list the restrictions: pages at
    or below a restricted page are left out by a subquery instead."""
    restricted = PageViewRestriction.objects.filter(
        page__path=Substr(OuterRef("path"), 1, Length("page__path"))
    )
    return pages.exclude(Exists(restricted))


def _cases(*, category=None, unit=None, year=None):
    pages = _public(CasePage.objects.live())
    if category is not None:
        pages = pages.filter(category=category)
    if unit is not None:
        if not isinstance(unit, OrgUnit):
            unit = OrgUnit.objects.filter(pk=unit).first()
        if unit is None:
            return pages.none()
        # A unit's cases include those of the units below it.
        pages = pages.filter(unit__path__startswith=unit.path)
    if year is not None:
        pages = pages.filter(year=year)
    return pages


def _candidates(pages, query: segment.Query) -> list[tuple]:
    """(pk, search_text, first_published_at, category id or None) of the pages with any query
    word, the most recently published first, at most MAX_CANDIDATES."""
    category = "category_id" if pages.model is CasePage else Value(None, IntegerField())
    return list(
        pages.filter(_match_q(query))
        .order_by("-first_published_at", "-pk")
        .values_list("pk", "search_text", "first_published_at", category)[:MAX_CANDIDATES]
    )


def _search(pages, query: segment.Query, limit: int, rows=None) -> tuple[list[Hit], int]:
    rows = _candidates(pages, query) if rows is None else rows
    docs = [_Doc.parse(pk, text, published, query) for pk, text, published, _ in rows]
    ranked = _rank(docs, query, pages.count())[:limit]
    loaded = pages.model.objects.filter(pk__in=[doc.pk for _, doc, _ in ranked])
    if pages.model is CasePage:
        loaded = loaded.select_related("category", "unit")
    by_pk = {page.pk: page for page in loaded}
    hits = []
    for score, doc, found in ranked:
        page = by_pk.get(doc.pk)
        if page is None:  # deleted meanwhile
            continue
        matched = tuple(w for w in query.all if w in found)
        hits.append(
            Hit(
                page=page,
                score=round(score, 4),
                title=_highlighted(page.title, query),
                snippet=_snippet(page, query),
                matched=matched,
            )
        )
    return hits, len(docs)


def _browse(pages, limit: int) -> tuple[list[Hit], int]:
    """No words but a filter: the filtered cases, newest first."""
    empty = segment.Query()
    hits = [
        Hit(
            page=page,
            score=0.0,
            title=_highlighted(page.title, empty),
            snippet=_snippet(page, empty),
        )
        for page in pages.select_related("category", "unit").order_by("-first_published_at", "-pk")[
            :limit
        ]
    ]
    return hits, pages.count()


def _key(kind: str, *parts) -> str:
    digest = hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()
    return f"cms.search.{kind}:{casebook_cache.generation()}:{digest}"


def _stored(hits: list[Hit]) -> list[tuple]:
    """Hits as the cache keeps them: without their pages (reloaded, in one query)."""
    return [(hit.page.pk, hit.score, hit.title, hit.snippet, hit.matched) for hit in hits]


# What a page of hits does not show (the snippet comes with the cached hit): not loaded.
_NOT_SHOWN = {
    CasePage: (
        "search_text",
        "background",
        "difficulties",
        "measures",
        "results",
        "lessons",
        "media",
    ),
    GuidePage: ("search_text", "intro", "sections"),
}


def _reloaded(model, stored: list[tuple]) -> list[Hit]:
    pages = model.objects.filter(pk__in=[row[0] for row in stored]).defer(*_NOT_SHOWN[model])
    if model is CasePage:
        pages = pages.select_related("category", "unit")
    by_pk = {page.pk: page for page in pages}
    return [
        Hit(by_pk[pk], score, title, snippet, matched)
        for pk, score, title, snippet, matched in stored
        if pk in by_pk  # deleted meanwhile
    ]


def search(query, *, category=None, unit=None, year=None, limit=50, facets=False) -> Results:
    """Live cases matching `query` (a string), best first, with the filters applied in SQL.

    `category` is a CaseCategory (or its pk), `unit` an OrgUnit or its pk (its cases and
    those of the units below it), `year` an int. A query without words (empty, punctuation only) lists the
    filtered cases newest first when a filter is given, and nothing otherwise. With `facets`,
    `by_category` counts the matching cases per category, ignoring the category filter.

    Answers are cached until the casebook changes (see `generation`): the same search again
    costs one query, for the pages of the hits.
    """
    parsed = query if isinstance(query, segment.Query) else segment.parse_query(query or "")
    if not parsed and category is None and unit is None and year is None:
        return Results(query=parsed)
    pks = (getattr(category, "pk", category), getattr(unit, "pk", unit))
    key = _key("cases", parsed, *pks, year, limit, facets)
    stored = cache.get(key)
    if stored is not None:
        hits, total, by_category = stored
        return Results(parsed, _reloaded(CasePage, hits), total, by_category)
    results = _search_now(
        parsed, category=category, unit=unit, year=year, limit=limit, facets=facets
    )
    cache.set(key, (_stored(results.hits), results.total, results.by_category), CACHE_SECONDS)
    return results


def _search_now(parsed: segment.Query, *, category, unit, year, limit, facets) -> Results:
    results = Results(query=parsed)
    pages = _cases(category=category, unit=unit, year=year)
    if parsed:
        candidates = _candidates(pages, parsed)
        results.hits, results.total = _search(pages, parsed, limit, candidates)
        if facets and category is None and len(candidates) < MAX_CANDIDATES:
            # The candidates are all the matching cases: count their categories here.
            results.by_category = dict(Counter(row[3] for row in candidates))
        elif facets:
            rows = (
                _cases(unit=unit, year=year)
                .filter(_match_q(parsed))
                .order_by()
                .values("category")
                .annotate(n=Count("pk"))
            )
            results.by_category = {row["category"]: row["n"] for row in rows}
    elif category is not None or unit is not None or year is not None:
        results.hits, results.total = _browse(pages, limit)
        if facets:
            rows = (
                _cases(unit=unit, year=year).order_by().values("category").annotate(n=Count("pk"))
            )
            results.by_category = {row["category"]: row["n"] for row in rows}
    return results


def search_cases(query, *, category=None, unit=None, year=None, limit=50) -> list[Hit]:
    """Live cases matching `query`, best first (see `search` for the arguments)."""
    return search(query, category=category, unit=unit, year=year, limit=limit).hits


def search_guides(query, *, limit=5) -> list[Hit]:
    """Live guides matching `query`, best first."""
    parsed = query if isinstance(query, segment.Query) else segment.parse_query(query or "")
    if not parsed:
        return []
    key = _key("guides", parsed, limit)
    stored = cache.get(key)
    if stored is not None:
        return _reloaded(GuidePage, stored)
    hits = _search(_public(GuidePage.objects.live()), parsed, limit)[0]
    cache.set(key, _stored(hits), CACHE_SECONDS)
    return hits


# Related cases


def _content_words(text: str) -> set[str]:
    """The distinct words of a `search_text` but the unit's, and but single characters."""
    title, body, _place = _parts(text)
    return {w for w in title + body if len(w) > 1}


# What related cases are loaded with: their words, and what a list of cases shows and links to.
_RELATED_FIELDS = (
    *("search_text", "title", "slug", "url_path", "path", "depth", "live", "year"),
    *("first_published_at", "category", "unit", "category__name", "category__slug"),
    *("unit__name", "unit__code", "unit__path", "unit__depth", "unit__level"),
)


def related_cases(case, limit=5) -> list[CasePage]:
    """Live cases of the same category sharing the most distinctive words with `case`.

    A peer scores Σ idf(w) over the distinct words it shares with `case`, idf taken over the
    category (its MAX_RELATED_PEERS most recent cases), divided by √(its number of distinct
    words) so that long cases do not win by length alone. Cases sharing no word are left out.
    They come with their category and unit and the fields a list of cases shows; any other
    field loads when first read.
    """
    if not getattr(case, "category_id", None) or limit <= 0:
        return []
    mine = _content_words(case.search_text or index_text(case))
    if not mine:
        return []
    # The peers come with what a list of them shows, so the chosen few need no second query.
    rows = (
        _public(CasePage.objects.live())
        .filter(category_id=case.category_id)
        .exclude(pk=case.pk)
        .order_by("-first_published_at", "-pk")
        .select_related("category", "unit")
        .only(*_RELATED_FIELDS)[:MAX_RELATED_PEERS]
    )
    by_pk = {row.pk: row for row in rows}
    peers = [(pk, _content_words(row.search_text)) for pk, row in by_pk.items()]
    if not peers:
        return []
    df = Counter()
    for _, words in peers:
        df.update(words & mine)
    population = len(peers) + 1  # the case counts too: a shared word is in n + 1 pages
    idf = {w: math.log(1 + (population - n - 0.5) / (n + 1.5)) for w, n in df.items()}
    scored = []
    for order, (pk, words) in enumerate(peers):
        shared = words & mine
        if shared:
            scored.append((sum(idf[w] for w in shared) / math.sqrt(len(words)), order, pk))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [by_pk[pk] for _, _, pk in scored[:limit]]
