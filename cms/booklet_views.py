"""汇编成册 pages: choose cases, make a booklet in the background, watch it, download it.

Admins (anyone who manages part of the tree) and trainers compile booklets. A booklet is its
author's: everyone else gets a 404 for it, and the PDF is served only through this module.
"""

import logging
from datetime import timedelta
from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from people.models import OrgUnit, Role
from people.scope import scope_of

from .booklets import MAX_CASES, visible_cases
from .models import Booklet, CaseCategory

log = logging.getLogger("zhuangma.booklets")

# The chooser lists this many cases at most; a category filter or a search narrows it.
MAX_LISTED = 500
# Ids read from a link or a form at most: more than a booklet holds, less than a flood.
MAX_IDS = 1000
# A build still unfinished after this long has died with its worker; say so instead of
# showing a progress bar forever.
STALE_AFTER = timedelta(minutes=30)


def may_compile(user) -> bool:
    """Admins of any unit and trainers anywhere make booklets."""
    return not scope_of(user).is_empty or not scope_of(user, Role.Kind.TRAINER).is_empty


def compiler_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not may_compile(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def parse_ids(values) -> list[int]:
    """Case ids from '1,2,3' strings or repeated values; garbage and repeats are dropped."""
    ids = []
    for value in values:
        for part in str(value).replace("，", ",").split(","):
            part = part.strip()
            if part.isascii() and part.isdigit() and 0 < len(part) < 10:
                ids.append(int(part))
                if len(ids) >= MAX_IDS:
                    return list(dict.fromkeys(ids))
    return list(dict.fromkeys(ids))


def _running(booklet: Booklet) -> bool:
    return booklet.status in (Booklet.Status.QUEUED, Booklet.Status.BUILDING)


def _own_booklet(request, pk) -> Booklet:
    # Booklets are not public: only their author sees them, anyone else gets a 404.
    booklet = get_object_or_404(Booklet, pk=pk, created_by=request.user)
    if _running(booklet) and booklet.created_at < timezone.now() - STALE_AFTER:
        booklet.status = Booklet.Status.FAILED
        booklet.error = _("The booklet was not finished in time. Try again.")
        Booklet.objects.filter(pk=booklet.pk, status__in=["queued", "building"]).update(
            status=booklet.status, error=booklet.error
        )
    return booklet


class CaseIdsField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        return parse_ids(value or [])


class BookletForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    case = CaseIdsField(label=gettext_lazy("Cases"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.cases = []

    def clean_case(self):
        ids = self.cleaned_data["case"]
        found = {c.pk: c for c in visible_cases(self.user).filter(pk__in=ids)}
        cases = [found[pk] for pk in ids if pk in found]  # unknown ids are ignored
        if not cases:
            raise forms.ValidationError(_("Choose at least one case."))
        if len(cases) > MAX_CASES:
            raise forms.ValidationError(
                _("A booklet holds at most %(max)d cases; you chose %(count)d.")
                % {"max": MAX_CASES, "count": len(cases)}
            )
        self.cases = cases
        return [c.pk for c in cases]


def _candidates(user, ids, category):
    """The cases the chooser lists: a search's hits in their order, or all live cases."""
    cases = visible_cases(user).select_related("category", "unit")
    if ids:
        found = {c.pk: c for c in cases.filter(pk__in=ids)}
        return [found[pk] for pk in ids if pk in found], False
    if category is not None:
        cases = cases.filter(category=category)
    cases = list(
        cases.order_by("category__sort_order", "category__name", "-year", "title")[: MAX_LISTED + 1]
    )
    return cases[:MAX_LISTED], len(cases) > MAX_LISTED


def start_build(booklet: Booklet):
    """Queue the build once the booklet is committed; a queue that fails marks it failed."""
    from .tasks import build_booklet_task

    language = get_language()

    def enqueue():
        try:
            build_booklet_task.enqueue(booklet.pk, language)
        except Exception:
            log.exception("booklet %s could not be queued", booklet.pk)
            Booklet.objects.filter(pk=booklet.pk).update(
                status=Booklet.Status.FAILED,
                error=_("The booklet could not be queued. Try again later."),
            )

    transaction.on_commit(enqueue)


@compiler_required
def booklet_list(request):
    booklets = Booklet.objects.filter(created_by=request.user)
    return render(request, "cms/booklet_list.html", {"booklets": booklets[:100]})


@compiler_required
@require_http_methods(["GET", "POST"])
def booklet_new(request):
    source = request.POST if request.method == "POST" else request.GET
    ids = parse_ids(source.getlist("ids"))
    categories = list(CaseCategory.objects.all())
    category_slug = source.get("category", "")
    category = next((c for c in categories if c.slug == category_slug), None)
    candidates, truncated = _candidates(request.user, ids, category)

    if request.method == "POST":
        form = BookletForm(request.POST, user=request.user)
        if form.is_valid():
            with transaction.atomic():
                booklet = Booklet.objects.create(
                    title=form.cleaned_data["title"],
                    created_by=request.user,
                    case_order=form.cleaned_data["case"],
                )
                booklet.cases.set(form.cleaned_data["case"])
                start_build(booklet)
            return redirect("booklet_detail", pk=booklet.pk)
        chosen = set(parse_ids(request.POST.getlist("case")))
    else:
        query = request.GET.get("q", "").strip()[:50]
        initial = {"title": _("Cases on “%(query)s”") % {"query": query}} if query else {}
        form = BookletForm(initial=initial, user=request.user)
        # A search's hits come ticked; browsing starts with nothing ticked.
        chosen = {c.pk for c in candidates} if ids else set()

    paths = OrgUnit.name_paths() if candidates else {}
    rows = [
        {"case": case, "unit": paths.get(case.unit_id, ""), "checked": case.pk in chosen}
        for case in candidates
    ]
    take_all = ""
    if not ids and 0 < len(candidates) <= MAX_CASES:
        take_all = "?" + urlencode({"ids": ",".join(str(c.pk) for c in candidates)})
    return render(
        request,
        "cms/booklet_new.html",
        {
            "form": form,
            "rows": rows,
            "take_all": take_all,
            "truncated": truncated,
            "from_search": bool(ids),
            "ids": ",".join(str(pk) for pk in ids),
            "categories": categories,
            "category": category,
            "max_cases": MAX_CASES,
            "max_listed": MAX_LISTED,
            "too_many_hits": len(candidates) > MAX_CASES if ids else False,
        },
    )


@login_required
def booklet_detail(request, pk):
    booklet = _own_booklet(request, pk)
    found = {c.pk: c for c in booklet.cases.select_related("category")}
    cases = [found[pk] for pk in booklet.case_order if pk in found]
    return render(
        request,
        "cms/booklet_detail.html",
        {
            "booklet": booklet,
            "running": _running(booklet),
            "cases": cases,
            "again_url": reverse("booklet_new")
            + "?"
            + urlencode({"ids": ",".join(str(c.pk) for c in cases)}),
        },
    )


@login_required
def booklet_status(request, pk):
    booklet = _own_booklet(request, pk)
    data = {
        "status": booklet.status,
        "progress": booklet.progress,
        "running": _running(booklet),
    }
    if booklet.status == Booklet.Status.FAILED:
        data["error"] = booklet.error
    if booklet.status == Booklet.Status.DONE and booklet.pdf:
        data["download"] = reverse("booklet_download", kwargs={"pk": booklet.pk})
    return JsonResponse(data)


@login_required
def booklet_download(request, pk):
    booklet = _own_booklet(request, pk)
    if booklet.status != Booklet.Status.DONE or not booklet.pdf:
        raise Http404
    try:
        handle = booklet.pdf.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    name = "".join(ch for ch in booklet.title if ch not in '\\/:*?"<>|\r\n\t').strip() or "booklet"
    response = FileResponse(
        handle, as_attachment=True, filename=f"{name}.pdf", content_type="application/pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response
