"""Plan completion for admins: per child unit, down to each person, counted in the database.

A plan's required course places are counted per community in one grouped query
(`completion_by_community`); every figure above a community (a unit's children, the totals,
whatever part of the plan an admin's scope covers) is summed from those counts in Python, over
at most a few thousand communities. Pages serve the counts from the cache
(`cached_completion`), which a background task keeps current.
"""

from collections import defaultdict

from django.db.models import Count, Q

from people.models import OrgUnit, WorkerProfile
from people.scope import Scope

from . import aggregates
from .models import Enrolment, Nomination, PlanItem, TrainingPlan

# {community path: (required course places, completed)}
Counts = dict[str, tuple[int, int]]


def _required_courses(plan: TrainingPlan) -> list[int]:
    return list(plan.items.filter(required=True).values_list("course_id", flat=True))


def _audience_enrolments(plan: TrainingPlan):
    """Enrolments in the plan's required courses of workers in its area."""
    enrolments = Enrolment.objects.filter(
        course_id__in=_required_courses(plan),
        user__worker_profile__community__path__startswith=plan.owner_unit.path,
    )
    if plan.audience == TrainingPlan.Audience.NOMINATED:
        enrolments = enrolments.filter(user__nominations__plan=plan)
    return enrolments


def completion_by_community(plan: TrainingPlan) -> Counts:
    """Required course places and how many are completed, per community path (from scratch)."""
    path = "user__worker_profile__community__path"
    rows = (
        _audience_enrolments(plan)
        .values(path)
        .annotate(total=Count("id"), done=Count("id", filter=Q(completed_at__isnull=False)))
        .values_list(path, "total", "done")
    )
    return {community: (total, done) for community, total, done in rows}


def _percent(done: int, total: int) -> int | None:
    return round(100 * done / total) if total else None


def totals(plan: TrainingPlan, scope: Scope, counts: Counts | None = None) -> dict:
    """Places and completions over the whole plan, within `scope`."""
    counts = completion_by_community(plan) if counts is None else counts
    total = done = 0
    for path, (places, completed) in counts.items():
        if scope.contains_path(path):
            total += places
            done += completed
    return {"total": total, "done": done, "percent": _percent(done, total)}


def children_progress(
    plan: TrainingPlan, parent: OrgUnit, scope: Scope, counts: Counts | None = None
) -> list[dict]:
    """One row per child unit of `parent`: required course places, completed, percentage.

    Each community's counts go to the child whose path starts its own path.
    """
    # A child shows when it is in scope or holds part of it (a street admin looking at a city
    # plan sees their own district's line, counted only over their street).
    children = [c for c in parent.get_children() if scope.overlaps(c)]
    if not children:
        return []
    counts = completion_by_community(plan) if counts is None else counts
    length = len(children[0].path)
    sums = defaultdict(lambda: [0, 0])
    for path, (places, completed) in counts.items():
        if path.startswith(parent.path) and scope.contains_path(path):
            child_sums = sums[path[:length]]
            child_sums[0] += places
            child_sums[1] += completed
    rows = []
    for child in children:
        total, done = sums.get(child.path, (0, 0))
        rows.append({"unit": child, "total": total, "done": done, "percent": _percent(done, total)})
    return rows


def people_progress(plan: TrainingPlan, community: OrgUnit, scope: Scope) -> list[dict]:
    """One row per worker of a community: required courses and how many are completed."""
    if not scope.contains(community):
        return []
    counts = (
        _audience_enrolments(plan)
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


def enrolment_rows(plan: TrainingPlan, unit: OrgUnit, scope: Scope):
    """Every required course place of the plan under `unit` within `scope`, for the export:
    (community id, real name, position, course id, completed at), by community and name."""
    enrolments = scope.filter(
        _audience_enrolments(plan).filter(
            user__worker_profile__community__path__startswith=unit.path
        ),
        via="user__worker_profile__community",
    )
    return enrolments.order_by(
        "user__worker_profile__community__path", "user__real_name", "user_id", "course_id"
    ).values_list(
        "user__worker_profile__community_id",
        "user__real_name",
        "user__worker_profile__position",
        "course_id",
        "completed_at",
    )


# --------------------------------------------------------------------------- cached counts


def _key(plan: TrainingPlan) -> str:
    return aggregates.cache_key("plan-completion", plan.pk)


def completion_mark() -> tuple:
    """Changes when an enrolment is made or completed, a worker or nomination is added, or a
    plan gains a course."""
    return aggregates.data_mark(
        (Enrolment, "id"),
        (Enrolment, "completed_at"),
        (WorkerProfile, "id"),
        (Nomination, "id"),
        (PlanItem, "id"),
    )


def cached_completion(plan: TrainingPlan) -> aggregates.Served:
    """The plan's counts per community as the cache holds them (see training.aggregates)."""

    def enqueue():
        from .tasks import refresh_plan_completion

        refresh_plan_completion.enqueue(plan.pk)

    return aggregates.serve(
        _key(plan), completion_mark(), lambda: completion_by_community(plan), enqueue
    )


def refresh_completion(plan_id: int) -> bool:
    """Count a plan again and cache it (the background task's work)."""
    plan = TrainingPlan.objects.select_related("owner_unit").filter(pk=plan_id).first()
    if plan is None:
        return False
    mark = completion_mark()
    aggregates.refreshed(_key(plan), mark, completion_by_community(plan))
    return True
