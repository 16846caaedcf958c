"""案例审核: a case is reviewed by its street's admins, then its district's, then goes live."""

import itertools

import pytest
from django.test import Client
from wagtail.models import TaskState, Workflow, WorkflowPage, WorkflowState
from wagtail.rich_text import RichText

from cms.casebook import review_trail
from cms.models import CaseCategory, CasePage, HomePage, UnitReviewTask
from cms.workflows import WORKFLOW_NAME, ensure_review_workflow
from people.models import Role
from tests.factories import (
    activate_totp,
    give_role,
    make_admin,
    make_sections,
    make_tree,
    make_user,
    make_worker,
)

pytestmark = pytest.mark.django_db

_seq = itertools.count(1)


def make_draft_case(section, author, title="楼道堆物治理"):
    """A case written by `author` under `section`, saved as a draft revision, never published."""
    n = next(_seq)
    category = CaseCategory.objects.create(name=f"类别{n}", slug=f"review-cat-{n}")
    case = CasePage(
        title=title,
        slug=f"review-case-{n}",
        summary="楼道堆物多，清了又堆。",
        category=category,
        year=2026,
        live=False,
        difficulties=[
            (
                "difficulty",
                {
                    "title": f"难点{d}",
                    "description": "",
                    "solutions": [
                        {"title": f"解法{d}-{s}", "detail": RichText("<p>做法</p>")} for s in (1, 2)
                    ],
                },
            )
            for d in (1, 2)
        ],
    )
    section.add_child(instance=case)
    case.save_revision(user=author)
    return CasePage.objects.get(pk=case.pk)


def submit(case, author):
    """What "Submit for moderation" does in the editor: a revision, then the page's workflow."""
    case.save_revision(user=author, log_action=True)
    workflow = case.get_workflow()
    return workflow.start(case, author)


def current(case) -> TaskState:
    state = WorkflowState.objects.for_instance(case).get(status=WorkflowState.STATUS_IN_PROGRESS)
    return state.current_task_state.specific


def actions(task_state, case, user):
    return [name for name, *_rest in task_state.task.specific.get_actions(case, user)]


def moderates(task_state, user) -> bool:
    task = task_state.task.specific
    return task_state.pk in set(
        task.get_task_states_user_can_moderate(user).values_list("pk", flat=True)
    )


def fresh(user):
    # Permissions and group memberships are cached on the user object.
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def world():
    units = make_tree()
    sections = make_sections(units)
    workflow = ensure_review_workflow(HomePage.objects.get())
    trainer = make_user("案例作者")
    give_role(trainer, units["TD1S1"], Role.Kind.TRAINER)
    people = {
        "trainer": fresh(trainer),
        "street": make_admin(units["TD1S1"]),
        "sibling_street": make_admin(units["TD1S2"]),
        "district": make_admin(units["TD1"]),
        "other_district": make_admin(units["TD2"]),
        "other_district_street": make_admin(units["TD2S1"]),
        "worker": make_worker(units["TD1S1C1"]),
    }
    return units, sections, workflow, people


def test_ensure_review_workflow_is_idempotent_and_covers_every_section(world):
    units, sections, workflow, _people = world
    home = HomePage.objects.get()
    assert ensure_review_workflow(home) == workflow
    assert Workflow.objects.filter(name=WORKFLOW_NAME).count() == 1
    steps = [task.specific for task in workflow.tasks]
    assert [(t.level, t.name) for t in steps] == [("street", "街道审核"), ("district", "区级审核")]
    assert UnitReviewTask.objects.count() == 2
    assert WorkflowPage.objects.get(page=home).workflow == workflow
    for code in ("T", "TD1", "TD2S2"):
        assert sections[code].get_workflow() == workflow

    # A step switched off or removed in the admin is put back; the workflow reactivated.
    steps[1].active = False
    steps[1].save()
    workflow.workflow_tasks.filter(task=steps[0]).delete()
    Workflow.objects.filter(pk=workflow.pk).update(active=False)
    assert ensure_review_workflow(home) == workflow
    workflow.refresh_from_db()
    assert workflow.active
    assert [(t.specific.level, t.active) for t in workflow.tasks] == [
        ("street", True),
        ("district", True),
    ]


def test_trainer_may_submit_but_not_publish(world):
    _units, sections, workflow, people = world
    case = make_draft_case(sections["TD1S1"], people["trainer"])
    perms = case.permissions_for_user(people["trainer"])
    assert perms.can_edit() and not perms.can_publish()
    assert perms.can_submit_for_moderation()
    assert case.get_workflow() == workflow
    # The editor offers "Submit for moderation", not "Publish".
    client = Client()
    client.force_login(people["trainer"])
    text = client.get(f"/admin/pages/{case.pk}/edit/").content.decode()
    assert 'name="action-submit"' in text and 'name="action-publish"' not in text


def test_only_the_cases_own_street_admins_review_the_first_step(world):
    _units, sections, _workflow, people = world
    case = make_draft_case(sections["TD1S1"], people["trainer"])
    state = submit(case, people["trainer"])
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    task_state = current(case)
    assert task_state.task.specific.level == "street"

    assert actions(task_state, case, people["street"]) == ["reject", "approve", "approve"]
    assert moderates(task_state, people["street"])
    for who in (
        "sibling_street",
        "district",  # the district reviews after the street, not instead of it
        "other_district",
        "other_district_street",
        "trainer",
        "worker",
    ):
        assert actions(task_state, case, people[who]) == [], who
        assert not moderates(task_state, people[who]), who
    # While it waits, the author cannot change it under the reviewer's eyes.
    assert task_state.task.specific.locked_for_user(case, people["trainer"])

    # It waits on the street admin's dashboard, and on no other street's.
    for who, expected in (("street", True), ("sibling_street", False)):
        client = Client()
        client.force_login(people[who])
        dashboard = client.get("/admin/")
        assert dashboard.status_code == 200
        assert (case.title in dashboard.content.decode()) is expected, who


def test_a_sibling_streets_admin_is_refused_in_the_admin(world):
    _units, sections, _workflow, people = world
    case = make_draft_case(sections["TD1S1"], people["trainer"])
    submit(case, people["trainer"])
    task_state = current(case)
    client = Client()
    client.force_login(people["sibling_street"])
    response = client.post(
        f"/admin/pages/workflow/action/{case.pk}/approve/{task_state.pk}/", {"comment": ""}
    )
    assert response.status_code in (302, 403)
    assert current(case).pk == task_state.pk
    assert TaskState.objects.get(pk=task_state.pk).status == TaskState.STATUS_IN_PROGRESS


def test_street_then_district_approval_publishes_with_a_review_trail(world):
    _units, sections, _workflow, people = world
    people["street"].real_name = "街道审核人"
    people["street"].save()
    people["district"].real_name = "区级审核人"
    people["district"].save()
    case = make_draft_case(sections["TD1S1"], people["trainer"])
    submit(case, people["trainer"])

    # The street approves in the Wagtail admin, with a comment.
    street = Client()
    street.force_login(people["street"])
    first = current(case)
    response = street.post(
        f"/admin/pages/workflow/action/{case.pk}/approve/{first.pk}/",
        {"comment": "数据属实，同意上报。"},
    )
    assert response.status_code in (200, 302)
    assert TaskState.objects.get(pk=first.pk).status == TaskState.STATUS_APPROVED

    second = current(case)
    assert second.task.specific.level == "district"
    assert actions(second, case, people["district"]) == ["reject", "approve", "approve"]
    assert moderates(second, people["district"])
    for who in ("other_district", "street", "sibling_street", "other_district_street"):
        assert actions(second, case, people[who]) == [], who
        assert not moderates(second, people[who]), who
    assert not CasePage.objects.get(pk=case.pk).live

    # The district approves (district admins log in with an authenticator).
    activate_totp(people["district"])
    district = Client()
    district.force_login(people["district"])
    response = district.post(
        f"/admin/pages/workflow/action/{case.pk}/approve/{second.pk}/",
        {"comment": "可推广。"},
    )
    assert response.status_code in (200, 302)
    case = CasePage.objects.get(pk=case.pk)
    assert case.live
    state = WorkflowState.objects.for_instance(case).get()
    assert state.status == WorkflowState.STATUS_APPROVED

    trail = review_trail(case)
    assert [(s["step"], s["unit"], s["reviewer"], s["comment"], s["approved"]) for s in trail] == [
        ("街道审核", "T1区1街道", "街道审核人", "数据属实，同意上报。", True),
        ("区级审核", "T第1区", "区级审核人", "可推广。", True),
    ]
    text = Client().get(case.url).content.decode()
    assert 'id="review"' in text
    for words in (
        "街道审核",
        "区级审核",
        "街道审核人",
        "区级审核人",
        "数据属实，同意上报。",
        "可推广。",
    ):
        assert words in text, words


def test_a_rejection_with_a_comment_returns_the_case_to_its_author(world):
    _units, sections, _workflow, people = world
    case = make_draft_case(sections["TD1S1"], people["trainer"])
    submit(case, people["trainer"])
    task_state = current(case)
    task_state.task.specific.on_action(
        task_state, people["street"], "reject", comment="请补充成效数据。"
    )

    state = WorkflowState.objects.for_instance(case).get()
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES
    assert state.requested_by == people["trainer"]
    case = CasePage.objects.get(pk=case.pk)
    assert not case.live
    perms = case.permissions_for_user(people["trainer"])
    assert perms.can_edit() and not perms.page_locked()
    [step] = review_trail(case)
    assert (step["step"], step["approved"], step["comment"]) == (
        "街道审核",
        False,
        "请补充成效数据。",
    )

    # The author revises and resubmits: the street reviews again.
    case.summary = "楼道堆物多，清了又堆；补充了成效数据。"
    case.save_revision(user=people["trainer"])
    state.resume(user=people["trainer"])
    again = current(case)
    assert again.pk != task_state.pk and again.task.specific.level == "street"
    assert moderates(again, people["street"])


def test_a_street_admin_submits_and_the_same_review_applies(world):
    _units, sections, _workflow, people = world
    case = make_draft_case(sections["TD1S1"], people["street"])
    submit(case, people["street"])
    first = current(case)
    assert first.task.specific.level == "street"
    first.task.specific.on_action(first, people["street"], "approve", comment="")
    second = current(case)
    assert second.task.specific.level == "district"
    assert actions(second, case, people["street"]) == []
    second.task.specific.on_action(second, people["district"], "approve", comment="同意")
    assert CasePage.objects.get(pk=case.pk).live


def test_street_admins_cannot_bypass_review(world):
    _units, sections, _workflow, people = world
    case = make_draft_case(sections["TD1S1"], people["street"])
    assert not case.permissions_for_user(fresh(people["street"])).can_publish()


def test_a_case_in_a_district_section_goes_straight_to_the_district(world):
    units, sections, _workflow, people = world
    trainer = make_user("区级讲师")
    give_role(trainer, units["TD1"], Role.Kind.TRAINER)
    case = make_draft_case(sections["TD1"], fresh(trainer))
    submit(case, fresh(trainer))
    assert current(case).task.specific.level == "district"
