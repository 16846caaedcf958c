"""The training cascade: which plans reach a worker, automatic enrolment, nominations, lineage."""

from collections import defaultdict
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from people.models import OrgUnit, WorkerProfile
from people.scope import ancestor_paths

from .models import CoursePage, Enrolment, Nomination, PlanItem, PlanQuota, TrainingPlan


def plans_reaching(community: OrgUnit):
    """Published plans owned by the community or any unit above it."""
    return TrainingPlan.objects.filter(
        published=True, owner_unit__path__in=ancestor_paths(community.path)
    )


def items_for(user, *, profile=None) -> dict[int, dict]:
    """course id → {"required", "deadline", "plan", "course"} from every plan that reaches `user`.

    Required anywhere wins: a lower unit may add items but cannot make an inherited required
    course optional. Of several deadlines, the earliest counts. `profile`: the user's
    WorkerProfile with its community, when the caller has loaded it already.
    """
    if profile is None:
        profile = WorkerProfile.objects.filter(user=user).select_related("community").first()
    if profile is None:
        return {}
    items = (
        PlanItem.objects.filter(plan__in=plans_reaching(profile.community))
        .select_related("plan", "course")
        .annotate(nominated=Exists(Nomination.objects.filter(user=user, plan=OuterRef("plan"))))
    )
    result: dict[int, dict] = {}
    for item in items.order_by("plan__owner_unit__path", "sort_order"):
        plan = item.plan
        if plan.audience == TrainingPlan.Audience.NOMINATED and not item.nominated:
            continue
        if not _for_position(item.course, profile.position):
            continue
        entry = result.setdefault(
            item.course_id,
            {"required": False, "deadline": None, "plan": plan, "course": item.course},
        )
        if item.required:
            if not entry["required"]:
                entry["plan"] = plan
            entry["required"] = True
            if item.deadline and (entry["deadline"] is None or item.deadline < entry["deadline"]):
                entry["deadline"] = item.deadline
    return result


def ensure_enrolments(user, *, items=None, enrolments=None) -> bool:
    """Enrol `user` in every required course that reaches them (idempotent, few queries).

    `items` (items_for) and `enrolments` (all of the user's) save the queries when the caller
    has them. Returns whether anything was written; nothing to write opens no transaction.
    """
    items = items_for(user) if items is None else items
    required = {cid: e for cid, e in items.items() if e["required"]}
    if not required:
        return False
    if enrolments is None:
        enrolments = Enrolment.objects.filter(user=user, course_id__in=list(required))
    existing = {e.course_id: e for e in enrolments if e.course_id in required}
    missing = [cid for cid in required if cid not in existing]
    # A course the worker chose freely may since have become required.
    changed = [
        enrolment
        for cid, enrolment in existing.items()
        if not enrolment.required or enrolment.deadline != required[cid]["deadline"]
    ]
    if not missing and not changed:
        return False
    with transaction.atomic():
        Enrolment.objects.bulk_create(
            [
                Enrolment(
                    user=user,
                    course_id=cid,
                    plan=required[cid]["plan"],
                    source=Enrolment.Source.PLAN,
                    required=True,
                    deadline=required[cid]["deadline"],
                )
                for cid in missing
            ],
            ignore_conflicts=True,
        )
        for enrolment in changed:
            enrolment.required = True
            enrolment.deadline = required[enrolment.course_id]["deadline"]
            enrolment.save(update_fields=["required", "deadline"])
    return True


def _for_position(course: CoursePage, position: str) -> bool:
    """A course meant for some positions only reaches workers in those positions."""
    return not course.audience_positions or position in course.audience_positions


def audience_user_ids(plan: TrainingPlan, course: CoursePage):
    if plan.audience == TrainingPlan.Audience.NOMINATED:
        users = Nomination.objects.filter(plan=plan)
        position_field = "user__worker_profile__position"
    else:
        users = WorkerProfile.objects.filter(community__path__startswith=plan.owner_unit.path)
        position_field = "position"
    if course.audience_positions:
        users = users.filter(**{f"{position_field}__in": course.audience_positions})
    return users.values_list("user_id", flat=True)


@transaction.atomic
def sync_plan(plan: TrainingPlan) -> int:
    """Enrol the plan's whole audience in its required courses; returns enrolments created."""
    if not plan.published:
        return 0
    created = 0
    for item in plan.items.filter(required=True).select_related("course"):
        users = list(audience_user_ids(plan, item.course))
        have = set(
            Enrolment.objects.filter(course_id=item.course_id, user_id__in=users).values_list(
                "user_id", flat=True
            )
        )
        new = [
            Enrolment(
                user_id=uid,
                course_id=item.course_id,
                plan=plan,
                source=Enrolment.Source.PLAN,
                required=True,
                deadline=item.deadline,
            )
            for uid in users
            if uid not in have
        ]
        Enrolment.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
        # Over everyone, not only `have`: a worker who enrolled themselves since it was read
        # is one of the conflicts ignored above, and is required now all the same.
        Enrolment.objects.filter(
            course_id=item.course_id, user_id__in=users, required=False
        ).update(required=True, deadline=item.deadline)
        created += len(new)
    return created


def inherited_required(unit: OrgUnit) -> set[int]:
    """Courses that plans above `unit` already require of everyone."""
    above = [p for p in ancestor_paths(unit.path) if p != unit.path]
    return set(
        PlanItem.objects.filter(
            plan__published=True,
            plan__audience=TrainingPlan.Audience.EVERYONE,
            plan__owner_unit__path__in=above,
            required=True,
        ).values_list("course_id", flat=True)
    )


def check_items(plan: TrainingPlan, items) -> list[str]:
    """Messages for items that would weaken what higher plans require (for the plan form)."""
    inherited = inherited_required(plan.owner_unit)
    return [
        _("“%(course)s” is required by a higher unit's plan and cannot be optional here.")
        % {"course": item.course.title}
        for item in items
        if item.course_id in inherited and not item.required
    ]


@transaction.atomic
def nominate(plan: TrainingPlan, user, *, unit: OrgUnit, by=None) -> Nomination:
    """Put `user` forward for a named-audience plan within `unit`'s quota."""
    quota = PlanQuota.objects.select_for_update().filter(plan=plan, unit=unit).first()
    if quota is None:
        raise ValidationError(_("%(unit)s has no quota in this plan.") % {"unit": unit.name})
    profile = WorkerProfile.objects.filter(user=user).select_related("community").first()
    if profile is None or not profile.community.path.startswith(unit.path):
        raise ValidationError(
            _("%(name)s does not work in %(unit)s.") % {"name": user, "unit": unit.name}
        )
    if Nomination.objects.filter(plan=plan, user=user).exists():
        raise ValidationError(_("%(name)s is already nominated.") % {"name": user})
    used = Nomination.objects.filter(plan=plan, unit=unit).count()
    if used >= quota.quota:
        raise ValidationError(
            _("%(unit)s has used all %(quota)s places of its quota.")
            % {"unit": unit.name, "quota": quota.quota}
        )
    nomination = Nomination.objects.create(plan=plan, user=user, unit=unit, nominated_by=by)
    transaction.on_commit(lambda: ensure_enrolments(user))
    return nomination


def lineage(course: CoursePage) -> list[dict]:
    """Who teaches `course`, and which higher-tier courses each of them completed.

    This is how the cascade is traced: the district's teacher trained at the city's
    demonstration course, the street's teacher at the district's backbone course.
    """
    teachers = list(course.teachers.all())
    done = defaultdict(list)
    for enrolment in (
        Enrolment.objects.filter(user__in=teachers, completed_at__isnull=False)
        .exclude(course=course)
        .select_related("course")
    ):
        done[enrolment.user_id].append(enrolment.course)
    return [{"teacher": t, "trained_in": done[t.pk]} for t in teachers]


def electives_for(user, *, today: date | None = None):
    """Courses plans offer `user` as optional, not yet enrolled."""
    items = items_for(user)
    enrolled = set(Enrolment.objects.filter(user=user).values_list("course_id", flat=True))
    ids = [cid for cid, e in items.items() if not e["required"] and cid not in enrolled]
    return CoursePage.objects.live().filter(Q(pk__in=ids))


def electives_among(items: dict[int, dict], enrolled) -> list[CoursePage]:
    """electives_for from items_for's answer and the enrolled course ids: no query."""
    courses = [
        e["course"]
        for cid, e in items.items()
        if not e["required"] and cid not in enrolled and e["course"].live
    ]
    return sorted(courses, key=lambda course: course.path)
