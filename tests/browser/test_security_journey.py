"""The security administrator in a real browser: a worker locked out after mistyping calls, the
administrator finds the account, lifts the lock-out from its page (a button inside Wagtail's
edit form, sent to its own address), then grants the account a trainer role; and a worker
imported from a roster activates their account with the code from their slip."""

import pytest
from playwright.sync_api import expect

from people import duties
from people.models import AuditEvent, Role
from tests.browser.helpers import enter_totp, log_in
from tests.factories import activate_totp, make_tree, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_security_administrator_lifts_a_lock_out_and_grants_a_role(
    live_server, desktop_page, browser, totp_tolerance
):
    units = make_tree()
    worker = make_user("张晓梅", username="zhangxm", phone="13812345678")
    security = make_user("罗安平", username="security")
    duties.grant(security, duties.SECURITY)
    secret = activate_totp(security)

    # The worker mistypes five times in their own browser and is locked out.
    phone = browser.new_context(locale="zh-CN").new_page()
    for _ in range(5):
        log_in(phone, live_server.url, "13812345678", "Wrong-guess-1", wait=False)
    log_in(phone, live_server.url, "13812345678", wait=False)
    expect(phone.locator("main")).to_contain_text("登录失败次数过多")

    page = desktop_page
    log_in(page, live_server.url, "security")
    enter_totp(page, live_server.url, secret)
    page.goto(f"{live_server.url}/admin/users/edit/{worker.pk}/")
    expect(page.get_by_text("该账号因多次登录失败被锁定")).to_be_visible()
    page.get_by_role("button", name="立即解除锁定").click()
    expect(page.get_by_text("张晓梅 现在可以重新登录。")).to_be_visible()
    expect(page.get_by_role("button", name="立即解除锁定")).to_have_count(0)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOCKOUT_LIFTED).count() == 1

    log_in(phone, live_server.url, "13812345678")
    assert "/accounts/login/" not in phone.url

    # From the account's page to the roles, the form filled with the account.
    page.get_by_role("link", name="授予角色").click()
    expect(page.locator("input[name=account]")).to_have_value("zhangxm")
    page.locator("select[name=unit]").select_option(str(units["TD1"].pk))
    page.locator("select[name=kind]").select_option("trainer")
    page.get_by_role("button", name="创建").click()
    expect(page.locator("table.listing")).to_contain_text("张晓梅")
    role = Role.objects.get(user=worker)
    assert (role.unit, role.kind) == (units["TD1"], Role.Kind.TRAINER)


def test_an_imported_worker_activates_their_account_on_a_phone(live_server, phone_page):
    from people import activation
    from tests.factories import make_worker

    units = make_tree()
    worker = make_worker(units["TD1S1C1"], real_name="张晓梅", phone="13812345678")
    worker.set_unusable_password()
    worker.save(update_fields=["password"])
    [(_user, code, _until)] = activation.issue([worker], by=None)

    page = phone_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="首次使用？激活账号").tap()
    page.locator("input[name=phone]").fill("138 1234 5678")
    page.locator("input[name=code]").fill(code.lower())
    page.locator("input[name=password1]").fill("Qinghe-river-2026")
    page.locator("input[name=password2]").fill("Qinghe-river-2026")
    page.get_by_role("button", name="激活并登录").tap()
    expect(page.get_by_text("账号已开通，欢迎使用！")).to_be_visible()
    worker.refresh_from_db()
    assert worker.check_password("Qinghe-river-2026")
