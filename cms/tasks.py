"""Background tasks of the site layer; the work itself lives in the modules they call."""

from django.tasks import task


@task
def build_booklet_task(booklet_id: int, language: str | None = None) -> str:
    from .booklets import build_booklet

    return build_booklet(booklet_id, language)
