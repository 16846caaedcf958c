"""A district admin opens the dashboard, drills into a street and downloads the export."""

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.helpers import current_totp, log_in
from tests.factories import activate_totp, make_admin, make_tree, make_worker
from training import hours
from training.models import HoursRequirement

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_district_admin_drills_into_a_street_and_exports(live_server, desktop_page, totp_tolerance):
    units = make_tree()
    year = timezone.localdate().year
    HoursRequirement.objects.create(owner_unit=units["T"], year=year, hours=20)
    for community, name, amount in (("TD1S1C1", "张一", "24"), ("TD1S1C2", "王二", "6")):
        worker = make_worker(units[community], real_name=name)
        hours.credit(worker, Decimal(amount), date(year, 2, 1), "online", source=f"b:{name}")
    make_worker(units["TD1S2C1"], real_name="李三")
    admin = make_admin(units["TD1"])
    secret = activate_totp(admin)
    base = live_server.url
    page = desktop_page

    log_in(page, base, admin.username)
    expect(page).to_have_url(base + "/accounts/2fa/authenticate/")
    page.locator("input[name=code]").fill(current_totp(secret))
    page.locator("input[name=code]").press("Enter")
    expect(page).to_have_url(base + "/me/")

    page.goto(base + "/en/dashboard/")
    hours_table = page.locator("#hours table")
    expect(hours_table).to_contain_text("T1区1街道")
    expect(page.locator("svg[role=img]")).to_have_count(4)

    page.locator("#hours").get_by_role("link", name="T1区1街道").click()
    expect(page).to_have_url(base + "/en/dashboard/?unit=TD1S1")
    expect(page.locator("h1")).to_contain_text("T1区1街道")
    rows = page.locator("#hours tbody tr")
    expect(rows).to_have_count(2)
    # 张一 24 h (met) in community 1, 王二 6 h (behind) in community 2.
    expect(rows.nth(0)).to_contain_text("T1-1-1社区")
    expect(rows.nth(0).locator("td").nth(2)).to_have_text("24.0")
    expect(rows.nth(1).locator("td").nth(3)).to_have_text("1")
    expect(page.locator("main")).not_to_contain_text("T1区2街道")

    with page.expect_download() as info:
        page.get_by_role("link", name="Export to Excel").click()
    download = info.value
    assert download.suggested_filename.startswith("dashboard-TD1S1-")
    book = openpyxl.load_workbook(io.BytesIO(open(download.path(), "rb").read()))
    hours_rows = list(book.worksheets[1].iter_rows(values_only=True))
    assert hours_rows[1:] == [("T1-1-1社区", 1, 24, 0), ("T1-1-2社区", 1, 6, 1)]
