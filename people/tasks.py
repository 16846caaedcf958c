"""Background tasks of this layer; the work itself lives in people.roster.jobs."""

from django.tasks import task

from .roster import jobs


@task
def check_roster_import(import_id: int):
    jobs.run_check(import_id)


@task
def apply_roster_import(import_id: int):
    jobs.run_apply(import_id)
