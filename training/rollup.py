"""Plan completion for admins: per child unit, down to each person, counted in the database."""

from django.db.models import Count, Q
from django.db.models.functions import Substr

from people.models import OrgUnit, WorkerProfile
from people.scope import Scope

from .models import Enrolment, TrainingPlan


def _required_courses(plan: TrainingPlan) -> list[int]:
    return list(plan.items.filter(required=True).values_list("course_id", flat=True))


def _audience_enrolments(plan: TrainingPlan, scope: Scope):
    """Enrolments in the plan's required courses of workers in its area, within `scope`."""
    enrolments = Enrolment.objects.filter(
        course_id__in=_required_courses(plan),
        user__worker_profile__community__path__startswith=plan.owner_unit.path,
    )
    if plan.audience == TrainingPlan.Audience.NOMINATED:
        enrolments = enrolments.filter(user__nominations__plan=plan)
    return scope.filter(enrolments, via="user__worker_profile__community")


def children_progress(plan: TrainingPlan, parent: OrgUnit, scope: Scope) -> list[dict]:
    """One row per child unit of `parent`: required course places, completed, percentage.

    One grouped query: each enrolment is counted under the first len(child path) characters
    of its worker's community path.
    """
    # A child shows when it is in scope or holds part of it (a street admin looking at a city
    # plan sees their own district's line, counted only over their street).
    children = [c for c in parent.get_children() if scope.overlaps(c)]
    if not children:
        return []
    length = len(children[0].path)
    counts = (
        _audience_enrolments(plan, scope)
        .filter(user__worker_profile__community__path__startswith=parent.path)
        .annotate(prefix=Substr("user__worker_profile__community__path", 1, length))
        .values("prefix")
        .annotate(total=Count("id"), done=Count("id", filter=Q(completed_at__isnull=False)))
    )
    by_prefix = {row["prefix"]: row for row in counts}
    rows = []
    for child in children:
        row = by_prefix.get(child.path, {"total": 0, "done": 0})
        rows.append(
            {
                "unit": child,
                "total": row["total"],
                "done": row["done"],
                "percent": round(100 * row["done"] / row["total"]) if row["total"] else None,
            }
        )
    return rows


def people_progress(plan: TrainingPlan, community: OrgUnit, scope: Scope) -> list[dict]:
    """One row per worker of a community: required courses and how many are completed."""
    counts = (
        _audience_enrolments(plan, scope)
        .filter(user__worker_profile__community=community)
        .values("user_id")
        .annotate(total=Count("id"), done=Count("id", filter=Q(completed_at__isnull=False)))
    )
    by_user = {row["user_id"]: row for row in counts}
    workers = (
        WorkerProfile.objects.filter(community=community)
        .select_related("user")
        .order_by("user__real_name")
    )
    if not scope.contains(community):
        return []
    rows = []
    for profile in workers:
        row = by_user.get(profile.user_id)
        if row is None and plan.audience == TrainingPlan.Audience.NOMINATED:
            continue
        total, done = (row["total"], row["done"]) if row else (0, 0)
        rows.append(
            {
                "user": profile.user,
                "position": profile.get_position_display(),
                "total": total,
                "done": done,
            }
        )
    return rows


def totals(plan: TrainingPlan, scope: Scope) -> dict:
    row = _audience_enrolments(plan, scope).aggregate(
        total=Count("id"), done=Count("id", filter=Q(completed_at__isnull=False))
    )
    row["percent"] = round(100 * row["done"] / row["total"]) if row["total"] else None
    return row
