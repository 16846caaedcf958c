"""Learning-hours pages: my hours, the city's requirements, who is behind, corrections, and
outside training declared by workers and decided by their street."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from people import levels
from people.audit import record
from people.cells import workbook_bytes
from people.downloads import xlsx_download
from people.models import AuditEvent, OrgUnit, WorkerProfile
from people.scope import Scope, scope_of

from . import external, hours
from .hours_forms import (
    FIRST_YEAR,
    LAST_YEAR,
    CorrectionForm,
    ExternalTrainingForm,
    RequirementForm,
)
from .models import ExternalTraining, HoursCategory, HoursEntry, HoursRequirement

BEHIND_PAGE_SIZE = 100
TENTH = Decimal("0.1")


def _chosen_year(request) -> int:
    raw = request.GET.get("year", "")
    if raw.isdigit() and FIRST_YEAR <= int(raw) <= LAST_YEAR:
        return int(raw)
    return timezone.localdate().year


def _admin_scope(request) -> Scope:
    scope = scope_of(request.user)
    if scope.is_empty:
        raise PermissionDenied
    return scope


def _profile(user) -> WorkerProfile | None:
    return WorkerProfile.objects.filter(user=user).select_related("community").first()


def _profile_in_scope(scope: Scope, user_id: int) -> WorkerProfile:
    profile = (
        WorkerProfile.objects.filter(user_id=user_id).select_related("user", "community").first()
    )
    if profile is None or not scope.contains(profile.community):
        raise Http404
    return profile


def _not_a_worker(request):
    manages = not scope_of(request.user).is_empty
    return render(request, "training/hours/not_worker.html", {"manages": manages})


# --- The ledger: my hours, and a worker's as an admin sees it --------------------------------


def _describe(entry: HoursEntry) -> str:
    if entry.course_id:
        return entry.course.title
    return entry.note or entry.get_category_display()


def _ledger_lines(entries: list[HoursEntry]) -> list[dict]:
    corrected = {e.corrects_id for e in entries if e.corrects_id}
    return [
        {
            "entry": entry,
            "what": _describe(entry.corrects) if entry.corrects_id else _describe(entry),
            "is_correction": entry.corrects_id is not None,
            "reason": entry.note if entry.corrects_id else "",
            "corrected": entry.pk in corrected,
        }
        for entry in entries
    ]


def _ledger_context(worker, profile: WorkerProfile, year: int) -> dict:
    entries = list(
        HoursEntry.objects.filter(user=worker, year=year)
        .select_related("course", "corrects__course")
        .order_by("earned_on", "pk")
    )
    years = set(HoursEntry.objects.filter(user=worker).values_list("year", flat=True).distinct())
    years |= {timezone.localdate().year, year}
    requirement = hours.requirement_for(profile.position, profile.community, year)
    standing = hours.standing(worker, year)
    return {
        "worker": worker,
        "profile": profile,
        "year": year,
        "years": sorted(years, reverse=True),
        "requirement": requirement,
        "standing": standing,
        "categories": [
            {
                "value": category.value,
                "label": category.label,
                "hours": standing.by_category.get(category.value, Decimal(0)),
            }
            for category in HoursCategory
        ],
        "lines": _ledger_lines(entries),
    }


@login_required
def my_hours(request):
    profile = _profile(request.user)
    if profile is None:
        return _not_a_worker(request)
    context = _ledger_context(request.user, profile, _chosen_year(request))
    context["manages"] = not scope_of(request.user).is_empty
    return render(request, "training/hours/ledger.html", context)


@login_required
def worker_hours(request, user_id):
    scope = _admin_scope(request)
    profile = _profile_in_scope(scope, user_id)
    context = _ledger_context(profile.user, profile, _chosen_year(request))
    context["admin_view"] = True
    return render(request, "training/hours/ledger.html", context)


@login_required
def correct_entry(request, pk):
    """An admin puts a ledger line right with a new entry and a reason; audited."""
    scope = _admin_scope(request)
    entry = get_object_or_404(HoursEntry.objects.select_related("corrects"), pk=pk)
    target = entry.corrects or entry  # a correction is itself corrected through its original
    profile = _profile_in_scope(scope, target.user_id)
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _apply_correction(request, scope, target, profile, form.cleaned_data)
        except ValidationError as error:
            form.add_error("hours", error.messages)
        else:
            messages.success(request, _("The correction has been added to the ledger."))
            url = reverse("hours_worker", args=[profile.user_id])
            return redirect(f"{url}?year={target.year}")
    net = target.hours + sum((c.hours for c in target.corrections.all()), Decimal(0))
    context = {
        "entry": target,
        "what": _describe(target),
        "net": net,
        "profile": profile,
        "form": form,
    }
    return render(request, "training/hours/correct.html", context)


def _apply_correction(request, scope, target, profile, data) -> HoursEntry:
    with transaction.atomic():
        # One correction at a time per entry, so two cannot together take it below zero.
        locked = HoursEntry.objects.select_for_update().get(pk=target.pk)
        correction = hours.correct(locked, data["hours"], data["reason"], request.user)
        record(
            request.user,
            AuditEvent.Action.CORRECT,
            _("Learning hours of %(name)s: %(hours)s h on the entry of %(date)s (%(reason)s)")
            % {
                "name": profile.user.real_name,
                "hours": f"{correction.hours:+}",
                "date": target.earned_on.isoformat(),
                "reason": correction.note,
            },
            scope=scope,
            count=1,
        )
    return correction


# --- Requirements, set by the city ----------------------------------------------------------


def _managed_cities(request) -> list[OrgUnit]:
    cities = list(scope_of(request.user).units.filter(level=levels.CITY).order_by("path"))
    if not cities:
        raise PermissionDenied
    return cities


def _chosen_city(request, cities) -> OrgUnit:
    code = request.GET.get("city") or request.POST.get("city")
    return next((c for c in cities if c.code == code), cities[0])


@login_required
def requirements(request):
    cities = _managed_cities(request)
    city = _chosen_city(request, cities)
    rows = HoursRequirement.objects.filter(owner_unit=city).order_by("-year", "position")
    context = {"cities": cities, "city": city, "rows": rows}
    return render(request, "training/hours/requirements.html", context)


@login_required
def requirement_add(request):
    cities = _managed_cities(request)
    city = _chosen_city(request, cities)
    return _requirement_form(request, HoursRequirement(owner_unit=city, hours=Decimal(40)))


@login_required
def requirement_edit(request, pk):
    cities = _managed_cities(request)
    requirement = get_object_or_404(
        HoursRequirement.objects.select_related("owner_unit"),
        pk=pk,
        owner_unit__in=cities,
    )
    return _requirement_form(request, requirement)


def _requirement_form(request, requirement: HoursRequirement):
    form = RequirementForm(request.POST or None, instance=requirement)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The requirement has been saved."))
        url = reverse("hours_requirements")
        return redirect(f"{url}?city={requirement.owner_unit.code}")
    return render(
        request,
        "training/hours/requirement_form.html",
        {"form": form, "requirement": requirement, "city": requirement.owner_unit},
    )


# --- Who is behind --------------------------------------------------------------------------


def _summary_units(scope: Scope, unit: OrgUnit | None) -> list[OrgUnit]:
    """The units to sum up by: the chosen unit's children, else those of the scope's root."""
    if unit is not None:
        bases = [unit]
    elif scope.everything:
        bases = list(OrgUnit.objects.filter(depth=1).order_by("path"))
    else:
        bases = list(OrgUnit.objects.filter(path__in=scope.paths).order_by("path"))
    if len(bases) != 1:
        return bases
    base = bases[0]
    return list(
        OrgUnit.objects.filter(path__startswith=base.path, depth=base.depth + 1).order_by("path")
    )


def _unit_summary(units: list[OrgUnit], rows: list[dict]) -> list[dict]:
    by_path = {
        u.path: {"unit": u, "workers": 0, "met": 0, "behind": 0, "earned": Decimal(0)}
        for u in units
    }
    lengths = sorted({len(path) for path in by_path})
    for row in rows:
        path = row["profile"].community.path
        group = next((by_path[path[:n]] for n in lengths if path[:n] in by_path), None)
        if group is None:
            continue
        group["workers"] += 1
        group["met" if row["standing"].met else "behind"] += 1
        group["earned"] += row["standing"].earned
    summary = list(by_path.values())
    for group in summary:
        group["average"] = (
            (group["earned"] / group["workers"]).quantize(TENTH) if group["workers"] else None
        )
    return summary


def _behind_data(request) -> dict:
    """Everything the page and its export show, in a fixed number of queries."""
    scope = _admin_scope(request)
    year = _chosen_year(request)
    unit = None
    code = request.GET.get("unit", "")
    if code:
        unit = OrgUnit.objects.filter(code=code).first()
        if unit is None or not scope.contains(unit):
            raise Http404
    here = scope.narrowed_to(unit) if unit else scope
    profiles = list(
        here.filter(
            WorkerProfile.objects.select_related("user", "community"), via="community"
        ).order_by("community__path", "user__real_name", "pk")
    )
    standing_of = hours.standings(profiles, year)
    names = OrgUnit.name_paths()
    everyone = [
        {
            "profile": p,
            "standing": standing_of[p.user_id],
            "community": names.get(p.community_id, p.community.name),
            "to_earn": max(
                standing_of[p.user_id].remaining, standing_of[p.user_id].offline_remaining
            ),
        }
        for p in profiles
    ]
    behind = [row for row in everyone if not row["standing"].met]
    # Furthest behind first: the most hours still to earn, then the least progress.
    behind.sort(key=lambda r: (-r["to_earn"], r["standing"].percent, r["profile"].user.real_name))
    return {
        "scope": scope,
        "year": year,
        "unit": unit,
        "workers": len(everyone),
        "behind": behind,
        "summary": _unit_summary(_summary_units(scope, unit), everyone),
    }


def _year_choices(year: int) -> list[int]:
    years = set(HoursRequirement.objects.values_list("year", flat=True).distinct())
    years |= {timezone.localdate().year, year}
    return sorted(years, reverse=True)


@login_required
def behind(request):
    data = _behind_data(request)
    page = Paginator(data["behind"], BEHIND_PAGE_SIZE).get_page(request.GET.get("page"))
    units = list(data["scope"].units.exclude(level=levels.COMMUNITY).order_by("path"))
    top = min((u.depth for u in units), default=1)
    unit_choices = [{"unit": u, "indent": "\u3000" * (u.depth - top)} for u in units]
    context = {
        **data,
        "page": page,
        "years": _year_choices(data["year"]),
        "unit_choices": unit_choices,
        "trail": _trail(data["scope"], data["unit"]),
        "sets_requirements": any(u.level == levels.CITY for u in units),
    }
    return render(request, "training/hours/behind.html", context)


def _trail(scope: Scope, unit: OrgUnit | None) -> list[OrgUnit]:
    if unit is None:
        return []
    return [a for a in unit.get_ancestors() if scope.contains(a)]


@login_required
def behind_export(request):
    data = _behind_data(request)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Behind")
    sheet.append(
        [
            _("Real name"),
            _("Community"),
            _("Position"),
            _("Hours earned"),
            _("Hours required"),
            _("Offline hours earned"),
            _("Offline hours required"),
            _("Hours still to earn"),
        ]
    )
    for row in data["behind"]:
        s = row["standing"]
        sheet.append(
            [
                row["profile"].user.real_name,
                row["community"],
                row["profile"].get_position_display(),
                float(s.earned),
                float(s.required),
                float(s.offline_earned),
                float(s.offline_required),
                float(row["to_earn"]),
            ]
        )
    units = workbook.create_sheet(_("By unit"))
    units.append([_("Unit"), _("Workers"), _("Met"), _("Behind"), _("Average hours")])
    for group in data["summary"]:
        average = float(group["average"]) if group["average"] is not None else None
        units.append([group["unit"].name, group["workers"], group["met"], group["behind"], average])
    content = workbook_bytes(workbook)
    place = data["unit"].name if data["unit"] else _("whole scope")
    record(
        request.user,
        AuditEvent.Action.EXPORT,
        _("Workers behind on learning hours, %(year)s, %(place)s")
        % {"year": data["year"], "place": place},
        scope=data["scope"],
        count=len(data["behind"]),
    )
    label = data["unit"].code if data["unit"] else "scope"
    return xlsx_download(content, f"hours-behind-{data['year']}-{label}")


# --- Outside training -----------------------------------------------------------------------


@login_required
def external_list(request):
    if _profile(request.user) is None:
        return _not_a_worker(request)
    declarations = ExternalTraining.objects.filter(user=request.user).select_related("decided_by")
    return render(request, "training/hours/external_list.html", {"declarations": declarations})


@login_required
def external_new(request):
    if _profile(request.user) is None:
        return _not_a_worker(request)
    form = ExternalTrainingForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            external.declare(request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, _("Your declaration has been sent to your street for approval.")
            )
            return redirect("hours_external")
    context = {"form": form, "max_mb": external.MAX_PROOF_MB}
    return render(request, "training/hours/external_form.html", context)


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, field_messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_messages)
    else:
        form.add_error(None, error.messages)


@login_required
def external_proof(request, pk):
    """The proof, only to the worker and the admins over their community."""
    declaration = get_object_or_404(ExternalTraining, pk=pk)
    if not external.may_download(request.user, declaration):
        raise Http404
    try:
        stored = declaration.proof.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    kind = external.proof_kind(stored.read(16)) or "pdf"
    stored.seek(0)
    extension, content_type = external.PROOF_KINDS[kind]
    response = FileResponse(
        stored,
        content_type=content_type,
        as_attachment=kind == "pdf",
        filename=f"proof-{declaration.pk}{extension}",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def external_review(request):
    _admin_scope(request)
    context = {
        "pending": external.pending_for(request.user),
        "recent": external.recent_decisions(request.user),
    }
    return render(request, "training/hours/external_review.html", context)


@login_required
@require_POST
def external_decide(request, pk):
    _admin_scope(request)
    declaration = get_object_or_404(ExternalTraining.objects.select_related("user"), pk=pk)
    if not external.may_review(request.user, declaration):
        raise Http404
    name = declaration.user.real_name
    try:
        if request.POST.get("decision") == "approve":
            external.approve(declaration, request.user)
            messages.success(
                request,
                _("Approved: %(hours)s hours credited to %(name)s.")
                % {"hours": declaration.hours, "name": name},
            )
        elif request.POST.get("decision") == "reject":
            external.reject(declaration, request.user, request.POST.get("reason", ""))
            messages.success(request, _("Rejected; %(name)s sees your reason.") % {"name": name})
        else:
            messages.error(request, _("Choose to approve or to reject."))
    except ValidationError as error:
        messages.error(request, f"{declaration.title} · {name}: {' '.join(error.messages)}")
    return redirect("hours_external_review")
