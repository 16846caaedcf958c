"""Whole journeys through a real browser: a worker on a phone, a district admin at a desk."""

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from playwright.sync_api import expect

from tests.browser.helpers import current_totp, log_in
from tests.factories import PASSWORD, make_admin, make_sections, make_tree, make_worker

pytestmark = [
    pytest.mark.browser,
    # The live server needs committed rows (transactional). The flush after each such test also
    # wipes what migrations created (home page, site, locale), which serialized rollback restores.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORKER_PHONE = "13912345678"


def redirect_chain(response) -> list[str]:
    """Every URL the browser requested to reach `response`, first request first."""
    urls = []
    request = response.request
    while request is not None:
        urls.append(request.url)
        request = request.redirected_from
    return urls[::-1]


def confirm_password_if_asked(page, password: str = PASSWORD):
    # allauth wants the password again before an authenticator is added, even right after login.
    if "/accounts/reauthenticate/" in page.url:
        page.locator("input[name=password]").fill(password)
        page.locator("input[name=password]").press("Enter")


def no_horizontal_overflow(page, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


# --- A community worker on a phone ---------------------------------------------------------


def test_worker_logs_in_with_formatted_mobile_number_and_sees_me_page(live_server, phone_page):
    units = make_tree()
    make_worker(units["TD1S1C1"], real_name="张晓梅", phone=WORKER_PHONE)
    page = phone_page

    page.goto(live_server.url + "/accounts/login/")
    assert no_horizontal_overflow(page, 360)
    # Typed the way people copy numbers around: country code, spaces, dashes.
    page.locator("input[name=login]").fill("+86 139-1234-5678")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main button[type=submit]").tap()

    expect(page).to_have_url(live_server.url + "/me/")
    expect(page.get_by_role("heading", level=1)).to_have_text("张晓梅")
    expect(page.get_by_role("heading", name="我的学习")).to_be_visible()
    assert no_horizontal_overflow(page, 360)


def test_malformed_mobile_number_is_explained_in_chinese(live_server, phone_page):
    units = make_tree()
    make_worker(units["TD1S1C1"], phone=WORKER_PHONE)
    page = phone_page

    log_in(page, live_server.url, "1381234", wait=False)

    expect(page).to_have_url(live_server.url + "/accounts/login/")
    # The label and hint mention 手机号 as well: look only at the field's error.
    expect(page.locator("main .field.has-error .error")).to_contain_text("手机号")
    expect(page.locator("input[name=password]")).to_be_visible()


def test_wrong_password_is_explained_in_chinese(live_server, phone_page):
    units = make_tree()
    make_worker(units["TD1S1C1"], phone=WORKER_PHONE)
    page = phone_page

    log_in(page, live_server.url, "+86 139-1234-5678", "not-the-password", wait=False)

    expect(page).to_have_url(live_server.url + "/accounts/login/")
    expect(page.locator("main .errorlist.nonfield")).to_contain_text("不正确")


# --- A district admin at a desktop ---------------------------------------------------------


def test_district_admin_edits_own_section_only(live_server, desktop_page, totp_tolerance):
    units = make_tree()
    sections = make_sections(units)
    own, other = sections["TD1"], sections["TD2"]
    admin = make_admin(units["TD1"])
    secret = generate_totp_secret()
    TOTP.activate(admin, secret)
    page = desktop_page
    base = live_server.url

    log_in(page, base, admin.username)
    expect(page).to_have_url(base + "/accounts/2fa/authenticate/")
    page.locator("input[name=code]").fill(current_totp(secret))
    page.locator("input[name=code]").press("Enter")
    expect(page).to_have_url(base + "/me/")

    # Own section: explorer and edit form.
    page.goto(base + f"/admin/pages/{own.id}/")
    expect(page.locator("h1")).to_contain_text(own.title)
    page.goto(base + f"/admin/pages/{own.id}/edit/")
    expect(page.locator("input[name=title]")).to_have_value(own.title)

    # The other district's explorer: Wagtail sends the user back to their explorable root.
    response = page.goto(base + f"/admin/pages/{other.id}/")
    assert redirect_chain(response) == [
        base + f"/admin/pages/{other.id}/",
        base + f"/admin/pages/{own.id}/",
    ]
    expect(page.locator("h1")).to_contain_text(own.title)
    expect(page.locator("body")).not_to_contain_text(other.title)

    # Its edit view raises PermissionDenied, which Wagtail's admin turns into a redirect to the
    # dashboard with an error message (wagtail.admin.auth.require_admin_access).
    response = page.goto(base + f"/admin/pages/{other.id}/edit/")
    assert redirect_chain(response) == [base + f"/admin/pages/{other.id}/edit/", base + "/admin/"]
    expect(page.locator(".messages li.error")).to_contain_text("没有权限")
    expect(page.locator("input[name=title]")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text(other.title)


def test_district_admin_without_authenticator_must_set_one_up(
    live_server, desktop_page, totp_tolerance
):
    units = make_tree()
    make_sections(units)
    admin = make_admin(units["TD1"])
    page = desktop_page
    base = live_server.url

    log_in(page, base, admin.username)
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))

    response = page.goto(base + "/admin/")
    # The middleware's redirect is the first hop; allauth may then ask for the password again.
    assert redirect_chain(response)[:2] == [base + "/admin/", base + "/accounts/2fa/totp/activate/"]
    confirm_password_if_asked(page)
    expect(page).to_have_url(base + "/accounts/2fa/totp/activate/")

    # Set up the authenticator as a person would: read the secret, type the current code.
    secret = page.locator("#authenticator_secret").input_value()
    page.locator("input[name=code]").fill(current_totp(secret))
    page.locator("input[name=code]").press("Enter")
    expect(page).not_to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))

    # With the authenticator in place the content admin opens.
    response = page.goto(base + "/admin/")
    assert redirect_chain(response) == [base + "/admin/"]
    expect(page.locator("body#wagtail")).to_be_visible()
