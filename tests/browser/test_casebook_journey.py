"""A trainer submits a case, the street and district approve, and a worker finds it by 停车.

The trainer, the street admin and the district admin (with an authenticator) each work in the
Wagtail admin at a desk; the worker searches on a phone and reads the review trail.
"""

import time

import pytest
from django.utils.encoding import iri_to_uri
from playwright.sync_api import expect
from wagtail.models import WorkflowState
from wagtail.rich_text import RichText

from cms.models import CaseCategory, CasePage, HomePage
from cms.workflows import ensure_review_workflow
from people.models import Role
from tests.browser.helpers import current_totp, log_in
from tests.factories import (
    activate_totp,
    give_role,
    make_admin,
    make_sections,
    make_tree,
    make_user,
    make_worker,
)

pytestmark = [
    pytest.mark.browser,
    # The live server needs committed rows (transactional). The flush after each such test also
    # wipes what migrations created (home page, site, locale), which serialized rollback restores.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORKER_PHONE = "13912345678"
PHONE_WIDTH = 360
CASE_TITLE = "共享停车位的错时开放"


# --- helpers -------------------------------------------------------------------------------


def fresh(user):
    # Permissions and group memberships are cached on the user object.
    return type(user).objects.get(pk=user.pk)


def make_draft_case(section, author, category) -> CasePage:
    """A case written by `author` under `section`, saved as a draft revision, never published."""
    case = CasePage(
        title=CASE_TITLE,
        slug="shared-parking-off-peak",
        summary="老旧小区车位紧张，居民夜间停车难，周边单位的车位白天却空着。",
        background=RichText("<p>小区建于上世纪九十年代，晚上停车靠抢，消防通道常被占用。</p>"),
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


def workflow_state(case):
    return WorkflowState.objects.for_instance(case).order_by("-pk").first()


def current_level(case):
    state = workflow_state(case)
    if state is None or state.status != WorkflowState.STATUS_IN_PROGRESS:
        return None
    return state.current_task_state.task.specific.level


def eventually(check, timeout=10.0):
    """Poll the database until the live server has committed what the browser asked for."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def approve_in_editor(page, base: str, case: CasePage):
    """The reviewer's "Approve" (no comment) from the editor's footer action menu."""
    page.goto(base + f"/admin/pages/{case.pk}/edit/")
    approve = page.locator(
        "footer button[data-workflow-action-name=approve]:not([data-workflow-action-modal-url])"
    )
    expect(approve).to_have_count(1)
    if not approve.is_visible():
        # It sits in the dropdown beside the default action: open it first.
        page.locator("footer [data-w-dropdown-target=toggle]").first.click()
    approve.click()


# --- the journey ---------------------------------------------------------------------------


def test_trainer_case_reviewed_by_street_and_district_then_found_by_worker(
    live_server, desktop_page, phone_page, totp_tolerance
):
    units = make_tree()
    sections = make_sections(units)
    ensure_review_workflow(HomePage.objects.get())
    category = CaseCategory.objects.create(name="停车管理", slug="parking")
    trainer = make_user("李讲师")
    give_role(trainer, units["TD1S1"], Role.Kind.TRAINER)
    trainer = fresh(trainer)
    street_admin = make_admin(units["TD1S1"])
    district_admin = make_admin(units["TD1"])
    secret = activate_totp(district_admin)
    make_worker(units["TD1S1C1"], real_name="张晓梅", phone=WORKER_PHONE)
    case = make_draft_case(sections["TD1S1"], trainer, category)
    base = live_server.url

    # 1. The trainer opens the draft in the admin and submits it for review from the footer.
    page = desktop_page
    log_in(page, base, trainer.username)
    expect(page).to_have_url(base + "/me/")
    page.goto(base + f"/admin/pages/{case.pk}/edit/")
    expect(page.locator("input[name=title]")).to_have_value(CASE_TITLE)
    expect(page.locator("footer [name=action-publish]")).to_have_count(0)
    submit = page.locator("footer button[name=action-submit]")
    expect(submit).to_have_count(1)
    if not submit.is_visible():
        page.locator("footer [data-w-dropdown-target=toggle]").first.click()
    submit.click()
    assert eventually(lambda: current_level(case) == "street"), "not waiting for the street"
    assert not CasePage.objects.get(pk=case.pk).live
    page.context.clear_cookies()

    # 2. The street admin (no authenticator needed) approves in the editor.
    log_in(page, base, street_admin.username)
    expect(page).to_have_url(base + "/me/")
    page.goto(base + "/admin/")
    expect(page.locator("main")).to_contain_text(CASE_TITLE)  # awaiting their review
    approve_in_editor(page, base, case)
    assert eventually(lambda: current_level(case) == "district"), "not waiting for the district"
    assert not CasePage.objects.get(pk=case.pk).live
    page.context.clear_cookies()

    # 3. The district admin logs in with an authenticator code and approves: the case goes live.
    log_in(page, base, district_admin.username)
    expect(page).to_have_url(base + "/accounts/2fa/authenticate/")
    page.locator("input[name=code]").fill(current_totp(secret))
    page.locator("input[name=code]").press("Enter")
    expect(page).to_have_url(base + "/me/")
    approve_in_editor(page, base, case)
    assert eventually(lambda: CasePage.objects.get(pk=case.pk).live), "case not published"
    assert workflow_state(case).status == WorkflowState.STATUS_APPROVED

    # 4. A worker on a phone types the two characters 停车 into the case search.
    page = phone_page
    log_in(page, base, WORKER_PHONE, tap=True)
    expect(page).to_have_url(base + "/me/")
    page.goto(base + "/cases/search/")
    page.locator("#case-q").fill("停车")
    page.locator("form.search .row button[type=submit]").tap()
    card = page.locator("#results a.card").filter(has_text=CASE_TITLE)
    expect(card).to_have_count(1)
    expect(card.locator("strong mark")).to_have_text(["停车"])
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH

    # 5. Tapping it opens the case, whose review trail lists both approvals.
    card.tap()
    case = CasePage.objects.get(pk=case.pk)
    expect(page).to_have_url(base + iri_to_uri(case.url))
    expect(page.get_by_role("heading", level=1)).to_have_text(CASE_TITLE)
    steps = page.locator("#review ol.trail > li")
    expect(steps).to_have_count(2)
    expect(steps.nth(0)).to_contain_text("街道审核")
    expect(steps.nth(0)).to_contain_text(street_admin.real_name)
    expect(steps.nth(0).locator(".approved")).to_have_count(1)
    expect(steps.nth(1)).to_contain_text("区级审核")
    expect(steps.nth(1)).to_contain_text(district_admin.real_name)
    expect(steps.nth(1).locator(".approved")).to_have_count(1)
