"""Background tasks of the training layer."""

from django.tasks import task


@task
def sync_plan_enrolments(plan_id: int) -> int:
    from .models import TrainingPlan
    from .plans import sync_plan

    plan = TrainingPlan.objects.filter(pk=plan_id).first()
    return sync_plan(plan) if plan else 0


@task
def refresh_plan_completion(plan_id: int) -> bool:
    """Count a plan's completion again for the cached roll-up (training.rollup)."""
    from .rollup import refresh_completion

    return refresh_completion(plan_id)
