"""Mutual learning (互学互鉴): bookmarks, "useful" marks, "we applied it here" reports.

Plain forms that work without JavaScript: each POST redirects back to the case. A client that
asks for JSON (Accept: application/json) gets the new state and count instead.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .casebook import name_paths, report_form_for
from .models import ApplicationReport, Bookmark, CasePage, UsefulMark

# A second identical report within this time is a double tap, not a second report.
DUPLICATE_WINDOW = timedelta(minutes=10)


def _live_case(pk) -> CasePage:
    return get_object_or_404(CasePage.objects.live().select_related("unit", "category"), pk=pk)


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _login_first(request, case: CasePage):
    if _wants_json(request):
        return JsonResponse({"error": _("Please log in first.")}, status=401)
    # After logging in, back to the case (the POST itself cannot be replayed).
    return redirect_to_login(case.get_url(request))


def _back_to(request, case: CasePage, anchor: str):
    return redirect(f"{case.get_url(request)}#{anchor}")


def _toggle(request, pk, model, on_message: str, off_message: str):
    case = _live_case(pk)
    if not request.user.is_authenticated:
        return _login_first(request, case)
    with transaction.atomic():
        removed, _rows = model.objects.filter(user=request.user, case=case).delete()
        if not removed:
            model.objects.get_or_create(user=request.user, case=case)
    on = not removed
    count = model.objects.filter(case=case).count()
    if _wants_json(request):
        return JsonResponse({"on": on, "count": count})
    messages.success(request, on_message if on else off_message)
    # "My bookmarks" removes in place; anything else goes back to the case.
    next_url = request.POST.get("next", "")
    # A path on this site only; redirect() would take "-1" for a view name to reverse.
    if next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(next_url)
    return _back_to(request, case, "learn")


@require_POST
def toggle_bookmark(request, pk):
    return _toggle(
        request,
        pk,
        Bookmark,
        _("Saved to your bookmarks."),
        _("Removed from your bookmarks."),
    )


@require_POST
def toggle_useful(request, pk):
    return _toggle(
        request,
        pk,
        UsefulMark,
        _("Marked as useful. Thank you."),
        _("Your “useful” mark is withdrawn."),
    )


@require_POST
def apply_case(request, pk):
    """Report having applied the case: where, what changed, what came of it."""
    case = _live_case(pk)
    if not request.user.is_authenticated:
        return _login_first(request, case)
    form = report_form_for(request.user, request.POST)
    if form is None:
        messages.error(
            request,
            _(
                "Only people who work in or manage a community or street can report applying a case."
            ),
        )
        return _back_to(request, case, "applications")
    if not form.is_valid():
        # The case page again, with what was typed and the reasons it was refused.
        context = case.get_context(request)
        context["report_form"] = form
        return TemplateResponse(request, case.get_template(request), context, status=400)
    data = form.cleaned_data
    fields = {
        "case": case,
        "user": request.user,
        "unit": data["unit"],
        "what_changed": data["what_changed"],
        "outcome": data["outcome"],
    }
    recent = timezone.now() - DUPLICATE_WINDOW
    if not ApplicationReport.objects.filter(created_at__gte=recent, **fields).exists():
        ApplicationReport.objects.create(**fields)
    messages.success(request, _("Thank you: your report now appears on the case page."))
    return _back_to(request, case, "applications")


@login_required
def my_bookmarks(request):
    bookmarks = (
        Bookmark.objects.filter(user=request.user, case__live=True)
        .select_related("case", "case__category", "case__unit")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(bookmarks, 20).get_page(request.GET.get("page"))
    paths = name_paths({b.case.unit_id: b.case.unit for b in page if b.case.unit_id}.values())
    for bookmark in page:
        bookmark.case.unit_path = paths.get(bookmark.case.unit_id, "")
    return render(request, "cms/my_bookmarks.html", {"bookmarks": page})
