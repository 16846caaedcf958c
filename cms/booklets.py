"""汇编成册: selected cases typeset into a printable A4 PDF, built in the background.

`render_booklet_html` turns a booklet into one HTML document with print CSS (cover, table of
contents with page numbers, one case per chapter); `build_booklet` lays it out with
WeasyPrint, stores the PDF and records progress and the outcome on the booklet. Fonts are the
system's (fontconfig finds Noto CJK); nothing is ever fetched from the network: images come
from local storage as file:// URLs, anything else is refused.
"""

import logging
import math
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from wagtail.models import PageViewRestriction

from people.models import OrgUnit, Role

from .models import Booklet, CasePage
from .numerals import ordinal

log = logging.getLogger("zhuangma.booklets")

# A booklet is for printing and carrying to a meeting, not an archive of the whole casebook.
MAX_CASES = 200
IMAGE_SPEC = "max-1400x1400"
# Progress milestones (percent) of a build. Writing the HTML is quick; WeasyPrint's layout
# takes most of the time (about 8 s of 11 s for 30 cases), then the PDF itself (fonts subset).
P_STARTED, P_HTML_DONE, P_LAID_OUT, P_WRITTEN = 5, 15, 75, 95


class BookletError(Exception):
    """A build refused for a reason the user can act on; the message is shown as is."""


def _ordinal_for_difficulty(n: int) -> str:
    # 难点一, 解法二 in Chinese; Difficulty 1, Solution 2 elsewhere (as on the case page).
    return ordinal(n, translation.get_language() or settings.LANGUAGE_CODE)


# ---------------------------------------------------------------------------------------
# Which cases
# ---------------------------------------------------------------------------------------


def visible_cases(user) -> QuerySet[CasePage]:
    """Live cases `user` may read: private pages only if their restriction lets the user in."""
    cases = CasePage.objects.live()
    if user.is_superuser:
        return cases
    group_ids = set(user.groups.values_list("pk", flat=True))
    restrictions = PageViewRestriction.objects.select_related("page").prefetch_related("groups")
    for restriction in restrictions:
        kind = restriction.restriction_type
        if kind == PageViewRestriction.NONE or (
            kind == PageViewRestriction.LOGIN and user.is_authenticated
        ):
            continue
        if kind == PageViewRestriction.GROUPS and group_ids & {
            g.pk for g in restriction.groups.all()
        }:
            continue
        cases = cases.not_descendant_of(restriction.page, inclusive=True)
    return cases


def booklet_cases(booklet: Booklet) -> list[CasePage]:
    """The booklet's cases its author may still see, in the chosen order."""
    order = [pk for pk in booklet.case_order if isinstance(pk, int)]
    if not order:
        order = list(booklet.cases.order_by("pk").values_list("pk", flat=True))
    found = {
        case.pk: case
        for case in visible_cases(booklet.created_by)
        .filter(pk__in=order)
        .select_related("category", "unit")
    }
    return [found[pk] for pk in dict.fromkeys(order) if pk in found]


def issuing_unit(user) -> OrgUnit | None:
    """The unit a booklet is issued by: the author's highest unit, an admin role first."""
    roles = Role.objects.filter(
        user=user, kind__in=[Role.Kind.ADMIN, Role.Kind.TRAINER]
    ).select_related("unit")
    best = min(
        roles,
        key=lambda role: (len(role.unit.path), role.kind != Role.Kind.ADMIN),
        default=None,
    )
    return best.unit if best else None


def _unit_full_name(unit: OrgUnit | None) -> str:
    # 西宁市城东区东关大街街道: how a unit signs a document, city included.
    if unit is None:
        return ""
    return "".join([*(a.name for a in unit.get_ancestors()), unit.name])


# ---------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------


@dataclass
class CaseChapter:
    page: CasePage
    anchor: str
    unit_path: str
    difficulties: list = field(default_factory=list)
    figures: list = field(default_factory=list)
    result_texts: list = field(default_factory=list)
    images: list = field(default_factory=list)
    attachments: list = field(default_factory=list)


def _local_image_uri(image) -> str | None:
    """A file:// URL of a rendition in local storage, or None (then the image is left out)."""
    if image is None:
        return None
    try:
        rendition = image.get_rendition(IMAGE_SPEC)
        path = Path(rendition.file.path)
    except Exception:  # a missing or odd image must not stop the book
        log.warning("booklet: image %s skipped", getattr(image, "pk", None), exc_info=True)
        return None
    return path.as_uri() if path.is_file() else None


def _chapter(case: CasePage, unit_paths: dict[int, str]) -> CaseChapter:
    chapter = CaseChapter(
        page=case,
        anchor=f"case-{case.pk}",
        unit_path=unit_paths.get(case.unit_id, "") if case.unit_id else "",
    )
    solution_number = 0
    for number, block in enumerate(
        (b for b in case.difficulties if b.block_type == "difficulty"), start=1
    ):
        solutions = []
        for solution in block.value["solutions"]:
            solution_number += 1
            solutions.append(
                {
                    "label": _("Solution %(number)s")
                    % {"number": _ordinal_for_difficulty(solution_number)},
                    "title": solution["title"],
                    "detail": solution["detail"],
                }
            )
        chapter.difficulties.append(
            {
                "label": _("Difficulty %(number)s") % {"number": _ordinal_for_difficulty(number)},
                "title": block.value["title"],
                "description": block.value["description"],
                "solutions": solutions,
            }
        )
    for block in case.results:
        if block.block_type == "figure":
            chapter.figures.append(block.value)
        elif block.block_type == "text":
            chapter.result_texts.append(block.value)
    for block in case.media:
        if block.block_type == "image" and block.value is not None:
            uri = _local_image_uri(block.value)
            if uri:
                chapter.images.append({"uri": uri, "title": block.value.title})
        elif block.block_type == "attachment" and block.value is not None:
            chapter.attachments.append(block.value.title)
    return chapter


def render_booklet_html(booklet: Booklet, *, progress=None, cases=None) -> str:
    """The whole booklet as one HTML document for WeasyPrint (print CSS inline).

    `progress(fraction)` is called after each case; `cases` defaults to `booklet_cases`.
    """
    if cases is None:
        cases = booklet_cases(booklet)
    unit_paths = OrgUnit.name_paths()
    chapters = []
    for index, case in enumerate(cases, start=1):
        chapters.append(_chapter(case, unit_paths))
        if progress is not None:
            progress(index / len(cases))
    created = timezone.localtime(booklet.created_at) if booklet.created_at else timezone.now()
    return render_to_string(
        "cms/booklet/booklet.html",
        {
            "booklet": booklet,
            "chapters": chapters,
            "unit_name": _unit_full_name(issuing_unit(booklet.created_by)),
            "date": formats.date_format(created.date(), "DATE_FORMAT"),
            "site_name": getattr(settings, "WAGTAIL_SITE_NAME", ""),
        },
    )


# ---------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------


@cache
def _local_fetcher_class():
    # WeasyPrint loads in a second; only the worker that builds booklets pays for it.
    from weasyprint.urls import URLFetcher

    class LocalFilesOnly(URLFetcher):
        """Fetches file:// URLs under a folder and data: URLs; refuses the network."""

        def __init__(self, root):
            super().__init__(timeout=5, allowed_protocols=("file", "data"), allow_redirects=False)
            self.root = Path(root).resolve()

        def fetch(self, url, headers=None):
            if url.lower().startswith("file:"):
                path = Path(url2pathname(urlsplit(url).path)).resolve()
                if not path.is_relative_to(self.root):
                    raise ValueError(f"outside the media folder: {url}")
            return super().fetch(url, headers)

    return LocalFilesOnly


def local_files_only(root=None):
    """A WeasyPrint URL fetcher that reads files under `root` (MEDIA_ROOT) and nothing else."""
    return _local_fetcher_class()(root or settings.MEDIA_ROOT)


def _base_url() -> str:
    # Relative links (rich text's page links) point at the site; nothing is fetched from it.
    return getattr(settings, "WAGTAILADMIN_BASE_URL", "") or Path(settings.MEDIA_ROOT).as_uri()


def _reporter(booklet_id: int, start: int, end: int):
    last = [-1]

    def report(fraction: float):
        # Only forwards: WeasyPrint may lay the pages out twice (page numbers in the contents).
        value = start + int((end - start) * min(max(fraction, 0.0), 1.0))
        if value > last[0]:
            last[0] = value
            Booklet.objects.filter(pk=booklet_id).update(progress=value)

    return report


class _LayoutProgress(logging.Handler):
    """Passes WeasyPrint's "laying out page N" to the build running in the same thread."""

    watchers: dict[int, object] = {}

    def emit(self, record):
        watcher = self.watchers.get(record.thread)
        if watcher is not None and "Creating layout - Page" in str(record.msg) and record.args:
            watcher(record.args[0])


_layout_handler = _LayoutProgress()
_layout_lock = threading.Lock()


@contextmanager
def _watch_layout(callback):
    """Call `callback(page_number)` as WeasyPrint lays out pages in this thread."""
    logger = logging.getLogger("weasyprint.progress")
    with _layout_lock:
        if _layout_handler not in logger.handlers:
            # Its INFO lines are only progress chatter: they go to us and nowhere else.
            logger.addHandler(_layout_handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False
    ident = threading.get_ident()
    _LayoutProgress.watchers[ident] = callback
    try:
        yield
    finally:
        _LayoutProgress.watchers.pop(ident, None)


def _expected_pages(case_count: int) -> int:
    # Cover, contents (about 25 entries a page), and about two pages a case.
    return 1 + math.ceil(case_count / 25) + 2 * case_count


def _fail(booklet_id: int, message: str):
    Booklet.objects.filter(pk=booklet_id).update(
        status=Booklet.Status.FAILED, error=message[:2000], progress=100
    )


def build_booklet(booklet_id: int, language: str | None = None) -> str:
    """Build the booklet's PDF; returns the final status. Never leaves it 'building'."""
    booklet = Booklet.objects.select_related("created_by").filter(pk=booklet_id).first()
    if booklet is None:
        return "missing"
    if booklet.status == Booklet.Status.DONE and booklet.pdf:
        return booklet.status  # a retried task: the work is done
    Booklet.objects.filter(pk=booklet_id).update(
        status=Booklet.Status.BUILDING, progress=P_STARTED, error=""
    )
    language = language or settings.LANGUAGE_CODE
    try:
        import weasyprint

        with translation.override(language):
            cases = booklet_cases(booklet)
            if not cases:
                raise BookletError(_("None of the chosen cases is published any more."))
            if len(cases) > MAX_CASES:
                raise BookletError(_("A booklet holds at most %(max)d cases.") % {"max": MAX_CASES})
            html = render_booklet_html(
                booklet, cases=cases, progress=_reporter(booklet_id, P_STARTED, P_HTML_DONE)
            )
            layout_progress = _reporter(booklet_id, P_HTML_DONE, P_LAID_OUT)
            expected = _expected_pages(len(cases))
            with _watch_layout(lambda page: layout_progress(page / expected)):
                document = weasyprint.HTML(
                    string=html, base_url=_base_url(), url_fetcher=local_files_only()
                ).render()
            Booklet.objects.filter(pk=booklet_id).update(progress=P_LAID_OUT)
            content = document.write_pdf()
        Booklet.objects.filter(pk=booklet_id).update(progress=P_WRITTEN)
        old_name = booklet.pdf.name
        booklet.pdf.save(f"booklet-{booklet.pk}.pdf", ContentFile(content), save=False)
        booklet.status = Booklet.Status.DONE
        booklet.progress = 100
        booklet.error = ""
        booklet.save(update_fields=["pdf", "status", "progress", "error"])
        if old_name and old_name != booklet.pdf.name:
            booklet.pdf.storage.delete(old_name)
    except BookletError as refusal:
        _fail(booklet_id, str(refusal))
        return Booklet.Status.FAILED
    except Exception as error:  # recorded on the booklet for its author
        log.exception("booklet %s failed", booklet_id)
        with translation.override(language):
            message = _(
                "The PDF could not be made (%(reason)s). Try again; if it fails again, "
                "tell the site's administrators."
            ) % {"reason": f"{type(error).__name__}: {error}"[:300]}
        _fail(booklet_id, message)
        return Booklet.Status.FAILED
    log.info("booklet %s built: %d cases, %d bytes", booklet_id, len(cases), len(content))
    return Booklet.Status.DONE
