"""Worker-facing learning actions and the admins' plan progress pages."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from people import xlsx_writer
from people.audit import record
from people.downloads import xlsx_download
from people.models import AuditEvent, OrgUnit, User, WorkerProfile
from people.scope import scope_of

from . import plans, progress, rollup
from .models import CoursePage, LessonPage, Tier, TrainingPlan

MAX_INTERVALS = 50


def course_list(request):
    """Every live course, city demonstration first, then district backbone, then street."""
    order = {tier: n for n, tier in enumerate(Tier.values)}
    courses = sorted(
        CoursePage.objects.live().select_related("owner_unit"),
        key=lambda c: (order.get(c.tier, 9), c.owner_unit.path if c.owner_unit else "", c.title),
    )
    return render(request, "training/course_list.html", {"courses": courses})


@login_required
@require_POST
def lesson_report(request, pk):
    """The video player's periodic report: stretches played since the last one."""
    lesson = get_object_or_404(LessonPage.objects.live(), pk=pk)
    try:
        data = json.loads(request.body or b"{}")
        if not isinstance(data, dict):
            raise TypeError
        intervals = [(float(a), float(b)) for a, b in data.get("intervals", [])][:MAX_INTERVALS]
        position = float(data.get("position", 0))
    except (ValueError, TypeError, RecursionError):  # RecursionError: nested too deep
        return JsonResponse({"error": _("The report could not be read.")}, status=400)
    state = progress.report_video(request.user, lesson, intervals, position)
    duration = lesson.video_seconds or 0
    watched = sum(b - a for a, b in state.watched)
    return JsonResponse(
        {
            "watched_percent": round(100 * watched / duration) if duration else 0,
            "completed": state.completed_at is not None,
        }
    )


@login_required
@require_POST
def lesson_complete(request, pk):
    lesson = get_object_or_404(LessonPage.objects.live(), pk=pk)
    if not progress.complete_lesson(request.user, lesson):
        messages.warning(
            request,
            # xgettext:no-python-format
            _("This lesson counts as done once you have watched at least 90% of its video."),
        )
        return redirect(lesson.url)
    following = lesson.get_next_siblings().live().first()
    return redirect(following.url if following else lesson.get_parent().url)


@login_required
@require_POST
def course_enrol(request, pk):
    course = get_object_or_404(CoursePage.objects.live(), pk=pk)
    progress.enrol(request.user, course)
    messages.success(request, _("You have joined “%(course)s”.") % {"course": course.title})
    return redirect(course.url)


def _managed_plan(request, pk) -> tuple[TrainingPlan, object]:
    scope = scope_of(request.user)
    if scope.is_empty:
        raise PermissionDenied
    plan = get_object_or_404(TrainingPlan.objects.select_related("owner_unit"), pk=pk)
    # Visible to admins of the owner's area and of any unit below it (their part of it).
    if not scope.overlaps(plan.owner_unit):
        raise Http404
    return plan, scope


@login_required
def plan_list(request):
    scope = scope_of(request.user)
    if scope.is_empty:
        raise PermissionDenied
    plans = TrainingPlan.objects.select_related("owner_unit").order_by("-start_date")
    visible = [plan for plan in plans if scope.overlaps(plan.owner_unit)]
    return render(request, "training/plan_list.html", {"plans": visible})


def _drill_unit(request, plan, scope) -> OrgUnit:
    code = request.GET.get("unit")
    unit = plan.owner_unit
    if code:
        unit = OrgUnit.objects.filter(code=code, path__startswith=plan.owner_unit.path).first()
        # Inside the plan, and on the viewer's own branch: another district's units are refused.
        if unit is None or not scope.overlaps(unit):
            raise Http404
    return unit


@login_required
def plan_progress(request, pk):
    plan, scope = _managed_plan(request, pk)
    unit = _drill_unit(request, plan, scope)
    is_community = unit.level == OrgUnit.Level.COMMUNITY
    # The counts come from the cache, kept current in the background (training.aggregates).
    served = rollup.cached_completion(plan)
    context = {
        "plan": plan,
        "unit": unit,
        "trail": [a for a in unit.get_ancestors() if a.path.startswith(plan.owner_unit.path)],
        "totals": rollup.totals(plan, scope, served.value),
        "as_of": served.as_of,
        "refreshing": served.refreshing,
        "rows": [] if is_community else rollup.children_progress(plan, unit, scope, served.value),
        "people": rollup.people_progress(plan, unit, scope) if is_community else [],
        "items": plan.items.select_related("course"),
    }
    return render(request, "training/plan_progress.html", context)


def _place_rows(plan, unit, scope):
    """The detail sheet: one row per required course place under `unit` (workers × courses)."""
    yield [_("Community"), _("Real name"), _("Position"), _("Course"), _("Completed on")]
    communities = OrgUnit.name_paths()
    courses = dict(plan.items.values_list("course_id", "course__title"))
    positions = {code: str(label) for code, label in WorkerProfile.Position.choices}
    zone = timezone.get_current_timezone()
    for community, name, position, course, completed in rollup.enrolment_rows(plan, unit, scope):
        yield [
            communities.get(community, ""),
            name,
            positions.get(position, position),
            courses.get(course, ""),
            completed.astimezone(zone).date() if completed else None,
        ]


def _summary_rows(plan, unit, scope) -> tuple[list[list], int]:
    """The first sheet (child units, or a community's people) and how many rows of figures."""
    # An export counts afresh (not from the cache): it holds what the database holds now.
    rows = [[_("Unit"), _("Required course places"), _("Completed"), _("Completion (%)")]]
    units = rollup.children_progress(plan, unit, scope)
    rows += [[row["unit"].name, row["total"], row["done"], row["percent"]] for row in units]
    people = []
    if unit.level == OrgUnit.Level.COMMUNITY:
        people = rollup.people_progress(plan, unit, scope)
        rows.append([])
        rows.append([_("Real name"), _("Position"), _("Required courses"), _("Completed")])
        rows += [[p["user"].real_name, p["position"], p["total"], p["done"]] for p in people]
    return rows, len(units) + len(people)


@login_required
def plan_progress_export(request, pk):
    plan, scope = _managed_plan(request, pk)
    unit = _drill_unit(request, plan, scope)
    summary, count = _summary_rows(plan, unit, scope)
    places = list(_place_rows(plan, unit, scope))
    # 100,000 rows and more: a plain writer, ten times quicker than openpyxl.
    content = xlsx_writer.workbook(
        [(_("Completion"), summary), (_("Required course places"), places)]
    )
    record(
        request.user,
        AuditEvent.Action.EXPORT,
        _("Plan progress: %(plan)s") % {"plan": plan.title},
        scope=scope,
        count=count + len(places) - 1,
    )
    return xlsx_download(content, f"plan-{plan.pk}-{unit.code}")


@login_required
def lineage(request, pk):
    course = get_object_or_404(CoursePage.objects.live(), pk=pk)
    return render(
        request, "training/lineage.html", {"course": course, "lineage": plans.lineage(course)}
    )


@login_required
def plan_nominate(request, pk):
    """Nominate backbone trainees for a named-audience plan, within one's units' quotas."""
    plan, scope = _managed_plan(request, pk)
    quotas = [q for q in plan.quotas.select_related("unit") if scope.contains(q.unit)]
    if not quotas:
        raise PermissionDenied
    if request.method == "POST":
        quota = next((q for q in quotas if str(q.pk) == request.POST.get("quota")), None)
        user_id = request.POST.get("user", "")
        user = User.objects.filter(pk=int(user_id)).first() if user_id.isdigit() else None
        if quota is None or user is None:
            messages.error(request, _("Choose a unit and a worker."))
        else:
            try:
                plans.nominate(plan, user, unit=quota.unit, by=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request, _("%(name)s has been nominated.") % {"name": user.real_name}
                )
        return redirect("plan_nominate", pk=plan.pk)
    nominations = plan.nominations.select_related("user", "unit").filter(
        unit__in=[q.unit for q in quotas]
    )
    used = {q.pk: sum(1 for n in nominations if n.unit_id == q.unit_id) for q in quotas}
    candidates = (
        (
            WorkerProfile.objects.filter(community__path__startswith=quotas[0].unit.path)
            if len(quotas) == 1
            else scope.filter(WorkerProfile.objects.all(), via="community")
        )
        .exclude(user__nominations__plan=plan)
        .select_related("user", "community")
        .order_by("community__path", "user__real_name")[:500]
    )
    return render(
        request,
        "training/plan_nominate.html",
        {
            "plan": plan,
            "quotas": [{"quota": q, "used": used[q.pk]} for q in quotas],
            "nominations": nominations,
            "candidates": candidates,
        },
    )
