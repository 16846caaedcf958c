"""案例审核: cases are reviewed by the street they come from, then by its district.

One Wagtail workflow serves every district. Its two steps are `UnitReviewTask`s, which work
out their reviewers from where the page sits in the org tree (the admins of the page's street,
then of its district), so no per-district groups or workflows are needed. The workflow is
assigned to the home page, so every page below it (every section, hence every case) uses it
unless a nearer page has a workflow of its own.

Who may do what (Wagtail's own rules, given the rows cms.sections grants):
- Trainers have add/change but not publish on their section: they write a case and "submit
  for moderation"; nothing more is needed for that (having a workflow is what enables it).
- Reviewers need no extra rows: the task decides who sees the approve/reject actions and
  the dashboard's "awaiting your review" list, and gives them the editor while it waits.
- The last step publishes the page as its approver, so the district's admins must be able to
  publish there: they can, through publish_page on the district's section.
- Street admins must go through review too. A workflow only binds people who cannot publish;
  while cms.sections gives street admins publish_page on their section, Wagtail offers them
  "Publish" beside "Submit for moderation" and the review is optional for them. The change
  needed is in cms.sections (owned by the lead): no publish_page for street-level admin
  groups, and existing rows removed. See the report in the pull request.
"""

from django.db import transaction
from wagtail.models import Page, Workflow, WorkflowPage, WorkflowTask

from people import levels

from .models import UnitReviewTask

WORKFLOW_NAME = "案例审核"
# In order: the street reviews first, then the district.
STEPS = ((levels.STREET, "街道审核"), (levels.DISTRICT, "区级审核"))


@transaction.atomic
def ensure_review_workflow(home_page: Page) -> Workflow:
    """The review workflow, created if missing, with its two steps, assigned to `home_page`.

    Running it again changes nothing; it reactivates a workflow or step someone switched off
    and puts back a step someone removed, and leaves any extra step an admin added.
    """
    workflow = Workflow.objects.filter(name=WORKFLOW_NAME).order_by("pk").first()
    if workflow is None:
        workflow = Workflow.objects.create(name=WORKFLOW_NAME, active=True)
    elif not workflow.active:
        workflow.active = True
        workflow.save(update_fields=["active"])

    for order, (level, name) in enumerate(STEPS):
        link = (
            WorkflowTask.objects.filter(workflow=workflow, task__unitreviewtask__level=level)
            .select_related("task")
            .first()
        )
        if link is None:
            task = UnitReviewTask.objects.filter(level=level, name=name).order_by("pk").first()
            if task is None:
                task = UnitReviewTask.objects.create(name=name, level=level, active=True)
            WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=order)
        else:
            task = link.task
            if link.sort_order != order:
                link.sort_order = order
                link.save(update_fields=["sort_order"])
        if not task.active:
            task.active = True
            task.save(update_fields=["active"])

    WorkflowPage.objects.update_or_create(page=home_page, defaults={"workflow": workflow})
    return workflow
