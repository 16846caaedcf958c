"""The roster pages: list, import (upload → preview → confirm), exports. All through scope_of()."""

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import activation, crypto
from .access import may_see_personal_data
from .audit import record
from .downloads import xlsx_download
from .idnumbers import mask_id_number
from .models import AuditEvent, OrgUnit, RosterImport, User
from .phones import mask_phone
from .requests import typed_query
from .roster import export, jobs
from .roster.messages import describe_row_error
from .scope import scope_of
from .uploads import SPREADSHEETS, check_upload

PAGE_SIZE = 50


def admin_required(view):
    """Only people who manage some part of the tree; the scope travels with the request."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        scope = scope_of(request.user)
        if scope.is_empty:
            raise PermissionDenied
        request.scope = scope
        return view(request, *args, **kwargs)

    return wrapper


@admin_required
def roster(request):
    reveal = request.GET.get("reveal") == "1" and may_see_personal_data(request.user)
    profiles = export.profiles_in(request.scope)
    query = typed_query(request)
    if query:
        profiles = profiles.filter(
            Q(user__real_name__contains=query)
            | Q(user__phone__contains=query)
            | Q(worker_number__icontains=query)
            | Q(community__name__contains=query)
        )
    page = Paginator(profiles, PAGE_SIZE).get_page(request.GET.get("page"))
    paths = OrgUnit.name_paths()
    rows = []
    for profile in page:
        id_number = crypto.decrypt(profile.id_number_encrypted)
        rows.append(
            {
                "name": profile.user.real_name,
                "phone": profile.user.phone if reveal else mask_phone(profile.user.phone),
                "id_number": id_number
                if reveal
                else (mask_id_number(id_number) if id_number else ""),
                "unit": paths[profile.community_id],
                "position": profile.get_position_display(),
                "worker_number": profile.worker_number,
                "start_date": profile.start_date,
            }
        )
    if reveal:
        record(
            request.user,
            AuditEvent.Action.UNMASK,
            _("Roster page %(page)s") % {"page": page.number} + (f" q={query}" if query else ""),
            scope=request.scope,
            count=len(rows),
        )
    return render(
        request,
        "people/roster.html",
        {
            "page": page,
            "rows": rows,
            "query": query,
            "reveal": reveal,
            "may_reveal": may_see_personal_data(request.user),
            "imports": RosterImport.objects.filter(created_by=request.user)[:5],
            "not_activated": _not_activated(request.scope).count(),
        },
    )


def _not_activated(scope):
    workers = User.objects.filter(worker_profile__in=export.profiles_in(scope))
    return activation.not_activated(workers)


@admin_required
@require_POST
def roster_activation_codes(request):
    """Slips with a fresh activation code for each worker in scope who has no password yet."""
    workers = _not_activated(request.scope).select_related("worker_profile").order_by("pk")
    issued = activation.issue(workers, request.user)
    if not issued:
        messages.info(request, _("Every worker in the units you manage has set a password."))
        return redirect("roster")
    record(
        request.user,
        AuditEvent.Action.ACTIVATION_ISSUE,
        _("Activation slips"),
        scope=request.scope,
        count=len(issued),
    )
    login_url = request.build_absolute_uri(reverse("account_activate"))
    return xlsx_download(export.activation_workbook(issued, login_url), "activation-slips")


@admin_required
def roster_template(request):
    return xlsx_download(export.template_workbook(), "roster-template")


@admin_required
def roster_export(request):
    reveal = request.GET.get("reveal") == "1" and may_see_personal_data(request.user)
    profiles = export.profiles_in(request.scope)
    content = export.roster_workbook(profiles, reveal=reveal)
    what = _("Roster export (full)") if reveal else _("Roster export (masked)")
    record(
        request.user, AuditEvent.Action.EXPORT, what, scope=request.scope, count=profiles.count()
    )
    return xlsx_download(content, "roster")


@admin_required
def staffing_export(request):
    content = export.summary_workbook(request.scope)
    record(request.user, AuditEvent.Action.EXPORT, _("Staffing summary"), scope=request.scope)
    return xlsx_download(content, "staffing")


@admin_required
def staffing(request):
    return render(
        request,
        "people/staffing.html",
        {"lines": export.staffing_summary(request.scope), "standard": export.STAFF_PER_10K},
    )


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Roster file"),
        help_text=gettext_lazy(".xlsx, .xls or .csv, as in the template"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Only for"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=gettext_lazy("All units I manage"),
    )
    allow_transfer = forms.BooleanField(
        label=gettext_lazy(
            "Allow transfers in: move people who now belong to a unit I do not manage"
        ),
        required=False,
    )

    def __init__(self, *args, scope, max_mb, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_mb = max_mb
        self.fields["unit"].queryset = scope.units.exclude(level="community").order_by("path")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_mb * 1024 * 1024:
            raise forms.ValidationError(
                _("The file is larger than %(max_mb)s MB. Split it into several files.")
                % {"max_mb": self.max_mb}
            )
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        check_upload(upload, allowed=SPREADSHEETS)
        return upload


@admin_required
def roster_import(request):
    from django.conf import settings

    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        scope=request.scope,
        max_mb=settings.ROSTER_MAX_MB,
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        roster_import = jobs.start(
            request.user,
            upload.name,
            upload.read(),
            unit=form.cleaned_data["unit"],
            allow_transfer=form.cleaned_data["allow_transfer"],
        )
        return redirect("roster_import_detail", pk=roster_import.pk)
    return render(request, "people/roster_import.html", {"form": form})


def _own_import(request, pk) -> RosterImport:
    # An import shows personal data: only its author sees it.
    return get_object_or_404(RosterImport, pk=pk, created_by=request.user)


@admin_required
def roster_import_detail(request, pk):
    roster_import = _own_import(request, pk)
    errors = [describe_row_error(e) for e in roster_import.errors]
    return render(
        request,
        "people/roster_import_detail.html",
        {
            "job": roster_import,
            "errors": errors,
            "more_errors": roster_import.counts.get("errors", 0) - len(errors),
        },
    )


@admin_required
def roster_import_status(request, pk):
    job = _own_import(request, pk)
    return JsonResponse({"status": job.status, "progress": job.progress, "running": job.running})


@admin_required
@require_POST
def roster_import_confirm(request, pk):
    jobs.confirm(_own_import(request, pk))
    return redirect(reverse("roster_import_detail", kwargs={"pk": pk}))
