"""The audit log in the Wagtail admin, for the audit administrator (people.view_auditevent):
entries newest first, 50 a page, searched by action, account, text, address and dates (days in
Asia/Shanghai), the search kept in the query string; and the export of what was found to .xlsx
(people.export_auditevent), itself an EXPORT entry. Nothing else is written: GET only.

Fast on a million entries: pages follow the primary key backwards; the whole log's size comes
from the chain's head (no COUNT(*)), and a search counts at most COUNT_LIMIT matches. Checking
the chain reads every entry, so the page only shows the head; the check is
`manage.py verify_audit_log`.
"""

from zoneinfo import ZoneInfo

import django_filters
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import BaseListingView
from wagtail.admin.widgets.button import HeaderButton

from . import xlsx_writer
from .audit import record
from .downloads import xlsx_download
from .models import AuditChain, AuditEvent

VIEW_PERMISSION = "people.view_auditevent"
EXPORT_PERMISSION = "people.export_auditevent"
PER_PAGE = 50
# A search counts its matches up to here; beyond, the page says "more than" and asks for dates.
COUNT_LIMIT = 10_000
# An export beyond this many entries is refused: narrow the dates. The plain writer takes
# about a second per 100,000 rows; beyond, a request would be better as a background task.
EXPORT_LIMIT = 100_000
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def may_view(user) -> bool:
    return user.is_active and user.has_perm(VIEW_PERMISSION)


def may_export(user) -> bool:
    return user.is_active and user.has_perm(EXPORT_PERMISSION)


def local_time(event: AuditEvent) -> str:
    return shown_time(event.at)


def shown_time(moment) -> str:
    # The site's zone, whatever time zone the admin user chose in their Wagtail profile.
    return timezone.localtime(moment, ZoneInfo(settings.TIME_ZONE)).strftime(TIME_FORMAT)


def chain_head() -> AuditChain:
    return AuditChain.objects.filter(pk=1).first() or AuditChain()


ADDRESS_CHARACTERS = frozenset("0123456789abcdef.:")


class AuditFilterForm(forms.Form):
    """Checks the address here, so that a wrong one is shown as an error, not ignored."""

    def clean_address(self):
        value = (self.cleaned_data.get("address") or "").strip().lower()
        if not set(value) <= ADDRESS_CHARACTERS:
            raise forms.ValidationError(_("An address has only digits, dots, colons and a–f."))
        return value


class AuditFilterSet(WagtailFilterSet):
    action = django_filters.ChoiceFilter(
        label=gettext_lazy("Action"), choices=AuditEvent.Action.choices
    )
    account = django_filters.CharFilter(
        label=gettext_lazy("Account"),
        field_name="actor_name",
        lookup_expr="icontains",
        max_length=150,
    )
    text = django_filters.CharFilter(
        label=gettext_lazy("Text"),
        method="filter_text",
        max_length=100,
        help_text=gettext_lazy("Found in what was done or in its scope."),
    )
    address = django_filters.CharFilter(
        label=gettext_lazy("Address"),
        field_name="address",
        lookup_expr="startswith",
        max_length=45,
        help_text=gettext_lazy("The address or its beginning, such as 10.1.2."),
    )
    # Whole days in the site's time zone (Asia/Shanghai): django-filter makes the bounds aware
    # in the current time zone, from 00:00 of the first day to the end of the last.
    date = django_filters.DateFromToRangeFilter(
        label=gettext_lazy("Date"), field_name="at", widget=DateRangePickerWidget
    )

    class Meta:
        model = AuditEvent
        fields = []
        form = AuditFilterForm

    def filter_text(self, queryset, name, value):
        return queryset.filter(Q(what__icontains=value) | Q(scope__icontains=value))


class CountingPaginator(WagtailPaginator):
    """Given `known_count` (the whole log's length) it counts nothing; else it counts matches
    only up to COUNT_LIMIT + 1."""

    def __init__(self, *args, known_count=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.known_count = known_count

    @cached_property
    def count(self):
        if self.known_count is not None:
            return self.known_count
        return self.object_list[: COUNT_LIMIT + 1].count()


def search_summary(filters: AuditFilterSet) -> str:
    """'Action: Exported · Account: zhang' — the search, as the export's entry records it."""
    parts = []
    for name in filters.form.changed_data:
        value = filters.form.cleaned_data.get(name)
        if name == "date" and value:
            value = "–".join(
                shown_time(bound)[:10] if bound else "…" for bound in (value.start, value.stop)
            )
        elif name == "action" and value:
            value = AuditEvent.Action(value).label
        if value:
            parts.append(f"{filters.form.fields[name].label}: {value}")
    return " · ".join(parts)


class AuditLogView(BaseListingView):
    template_name = "people/audit/index.html"
    results_template_name = "people/audit/index_results.html"
    page_title = gettext_lazy("Audit log")
    header_icon = "history"
    index_url_name = "audit_log"
    index_results_url_name = "audit_log_results"
    paginate_by = PER_PAGE
    paginator_class = CountingPaginator
    default_ordering = "-id"  # newest first, along the primary key's index
    filterset_class = AuditFilterSet
    verbose_name = gettext_lazy("Audit event")
    verbose_name_plural = gettext_lazy("audit entries")
    columns = [
        Column("at", label=gettext_lazy("When"), accessor=local_time, width="11em"),
        Column("actor_name", label=gettext_lazy("Account")),
        Column("action", label=gettext_lazy("Action"), accessor="get_action_display"),
        Column("what", label=gettext_lazy("What")),
        Column("scope", label=gettext_lazy("Scope")),
        Column("count", label=gettext_lazy("Records")),
        Column("address", label=gettext_lazy("Address")),
    ]

    def dispatch(self, request, *args, **kwargs):
        if not may_view(request.user):
            raise PermissionDenied
        with timezone.override(settings.TIME_ZONE):  # the dates searched are Shanghai's days
            return super().dispatch(request, *args, **kwargs)

    def get_base_queryset(self):
        return AuditEvent.objects.only(
            "id", "at", "actor_name", "action", "what", "scope", "count", "address"
        )

    def filter_queryset(self, queryset):
        if self.filters and not self.filters.is_valid():
            return queryset.none()  # a wrong filter shows its error, not the whole log
        return super().filter_queryset(queryset)

    @cached_property
    def is_searching_the_log(self) -> bool:
        return self.filters.form.has_changed()

    def get_paginator(self, queryset, per_page, **kwargs):
        known = None if self.is_searching_the_log else self.chain.length
        return super().get_paginator(queryset, per_page, known_count=known, **kwargs)

    @cached_property
    def chain(self) -> AuditChain:
        return chain_head()

    @cached_property
    def header_buttons(self):
        if not may_export(self.request.user):
            return []
        query = self.request.GET.copy()
        for key in (self.page_kwarg, "_w_filter_fragment"):
            query.pop(key, None)
        url = reverse("audit_log_export")
        return [
            HeaderButton(
                _("Export to Excel"),
                url=f"{url}?{query.urlencode()}" if query else url,
                icon_name="download",
            )
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["chain"] = self.chain
        context["count_limit"] = COUNT_LIMIT
        context["more_than_limit"] = (
            self.is_searching_the_log and context.get("items_count", 0) > COUNT_LIMIT
        )
        return context


def export(request):
    """The entries found by the list's search, as .xlsx (newest first), recorded as an export."""
    if not may_export(request.user):
        raise PermissionDenied
    filters = AuditFilterSet(request.GET, queryset=AuditEvent.objects.all(), request=request)
    with timezone.override(settings.TIME_ZONE):  # the bounds of the days, as in the list
        valid = filters.is_valid()
    back = reverse("audit_log") + (f"?{request.GET.urlencode()}" if request.GET else "")
    if not valid:
        messages.error(request, _("Correct the search before exporting."))
        return redirect(back)
    entries = filters.qs.order_by("-id")
    count = entries[: EXPORT_LIMIT + 1].count()
    if count > EXPORT_LIMIT:
        messages.error(
            request,
            _("More than %(limit)s entries match: narrow the dates and export in parts.")
            % {"limit": f"{EXPORT_LIMIT:,}"},
        )
        return redirect(back)
    content = audit_workbook(entries)
    summary = search_summary(filters)
    what = _("Audit log") + (f" · {summary}" if summary else "")
    record(request.user, AuditEvent.Action.EXPORT, what, count=count, request=request)
    return xlsx_download(content, _("audit-log"))


EXPORT_FIELDS = ("id", "at", "actor_name", "action", "what", "scope", "count", "address", "hash")


def audit_workbook(entries) -> bytes:
    """One row per entry, with its hash: a copy whose rows can be checked against the log.
    The plain writer neutralises text cells that look like formulas."""
    labels = {action: str(label) for action, label in AuditEvent.Action.choices}
    header = [_("No."), _("When"), _("Account"), _("Action"), _("What"), _("Scope")]
    header += [_("Records"), _("Address"), _("Hash")]

    def rows():
        yield [str(label) for label in header]
        found = entries.values_list(*EXPORT_FIELDS).iterator(chunk_size=2000)
        for pk, at, actor, action, what, scope, count, address, hash_ in found:
            action = labels.get(action, action)
            yield [pk, shown_time(at), actor, action, what, scope, count, address or "", hash_]

    return xlsx_writer.workbook([(str(_("Audit log")), rows())])


urlpatterns = [
    path("audit/", AuditLogView.as_view(), name="audit_log"),
    path("audit/results/", AuditLogView.as_view(results_only=True), name="audit_log_results"),
    path("audit/export/", export, name="audit_log_export"),
]
