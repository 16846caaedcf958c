"""Background tasks of the site layer; the work itself lives in the modules they call."""

from django.tasks import task


@task
def build_booklet_task(booklet_id: int, language: str | None = None) -> str:
    from .booklets import build_booklet

    return build_booklet(booklet_id, language)


@task
def refresh_dashboard_figures(year: int) -> None:
    """Count a year's dashboard figures again for the cache (cms.dashboards)."""
    from .dashboards import refresh_figures

    refresh_figures(year)
