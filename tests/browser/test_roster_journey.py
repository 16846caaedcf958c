"""The roster import through a real browser: a street admin uploads a file, previews, confirms.

The file is a real .xlsx built with openpyxl. Background tasks run with Django's immediate
backend once the request's transaction commits, so the detail page normally shows the preview
(and after confirming, the result) straight away; `settled` waits for it if it does not.
"""

import re
import time
from datetime import datetime

import pytest
from playwright.sync_api import expect

from people.idnumbers import check_char
from people.models import RosterImport, User, WorkerProfile
from tests.browser.helpers import log_in
from tests.factories import make_admin, make_tree, make_worker
from tests.unit.roster_files import xlsx_bytes

pytestmark = [
    pytest.mark.browser,
    # The live server needs committed rows (transactional); serialized rollback restores what
    # migrations created (home page, site, locale) after the flush, as in test_journeys.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ["姓名", "手机号", "身份证号", "所属社区", "岗位", "工号", "入职日期"]
# How long the detail page may take to show a finished check or import.
SETTLE_SECONDS = 20


def id_number(first17: str) -> str:
    """A valid ID number: the given 17 digits and their check character."""
    return first17 + check_char(first17)


def upload(page, filename: str, content: bytes):
    page.locator("input[type=file][name=file]").set_input_files(
        {"name": filename, "mimeType": XLSX, "buffer": content}
    )
    page.get_by_role("button", name="上传并校验").click()


def settled(page):
    """Wait until the import detail page no longer shows a running check or import.

    The page polls and reloads itself while a job runs; reloading here as well keeps the wait
    independent of that script. Each try is an `expect` with a short timeout, never a sleep.
    """
    expect(page.locator("#job-status")).to_be_visible()
    progress = page.locator("#job-progress")
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        try:
            expect(progress).to_have_count(0, timeout=2_000)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            page.reload()


def counts(page) -> dict[str, int]:
    return {
        kind: int(page.locator(f"#count-{kind}").inner_text().strip())
        for kind in ("new", "updated", "unchanged", "invalid")
    }


# --- Upload → preview → confirm → roster -------------------------------------------------


def test_street_admin_imports_a_roster_and_sees_the_new_workers(live_server, desktop_page):
    units = make_tree()
    admin = make_admin(units["TD1S1"])
    # Already known: one appears unchanged in the file, one with a new position.
    make_worker(units["TD1S1C1"], real_name="老员工甲", phone="13600000001", position="grid")
    make_worker(units["TD1S1C2"], real_name="老员工乙", phone="13600000002", position="grid")
    rows = [
        HEADERS,
        [
            "王小明",
            "13812345678",
            id_number("11010519900307123"),
            "T第1区/T1区1街道/T1-1-1社区",
            "网格员",
            "W0001",
            datetime(2021, 3, 1),
        ],
        ["李红", 13712345678, None, "TD1S1C2", "专职社区工作者", "W0002", "2022年5月1日"],
        [
            "赵 刚",
            "150-1234-5678",
            id_number("11010519850612456"),
            "T1区1街道/T1-1-2社区",
            "副书记",
            None,
            "2023/7/15",
        ],
        ["老员工甲", "13600000001", None, "TD1S1C1", "网格员", None, None],
        ["老员工乙", "13600000002", None, "TD1S1C2", "社区书记", None, None],
    ]
    page = desktop_page
    base = live_server.url

    log_in(page, base, admin.username)
    page.goto(base + "/roster/")
    page.get_by_role("link", name="导入花名册").click()
    expect(page).to_have_url(base + "/roster/import/")

    upload(page, "街道花名册.xlsx", xlsx_bytes(rows))
    expect(page).to_have_url(re.compile(re.escape(base) + r"/roster/import/\d+/$"))
    settled(page)
    assert counts(page) == {"new": 3, "updated": 1, "unchanged": 1, "invalid": 0}
    expect(page.locator("ol.problems")).to_have_count(0)
    # Nothing is written before the confirmation.
    assert not User.objects.filter(phone="13812345678").exists()

    page.get_by_role("button", name="确认导入").click()
    settled(page)
    expect(page.locator("#job-status")).to_have_text("已导入")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    assert RosterImport.objects.get().status == RosterImport.Status.DONE

    page.goto(base + "/roster/")
    table = page.locator("table.data")
    for name, masked in (
        ("王小明", "138****5678"),
        ("李红", "137****5678"),
        ("赵刚", "150****5678"),
    ):
        row = table.locator("tr", has_text=name)
        expect(row).to_have_count(1)
        expect(row).to_contain_text(masked)
    expect(table.locator("tr", has_text="王小明")).to_contain_text("110105********")
    body = page.locator("body")
    for full in ("13812345678", "13712345678", "15012345678", id_number("11010519900307123")):
        expect(body).not_to_contain_text(full)

    # What the page showed is what the database holds.
    zhao = WorkerProfile.objects.select_related("user", "community").get(user__real_name="赵刚")
    assert (zhao.user.phone, zhao.community.code, zhao.position) == (
        "15012345678",
        "TD1S1C2",
        "deputy",
    )
    assert WorkerProfile.objects.get(user__phone="13600000002").position == "secretary"


# --- A file with mistakes ------------------------------------------------------------------


def test_invalid_rows_are_listed_and_nothing_is_imported(live_server, desktop_page):
    units = make_tree()
    admin = make_admin(units["TD1S1"])
    rows = [
        HEADERS,
        ["王小明", "13812345678", None, "TD1S1C1", "网格员", None, None],
        ["李红", "1381234", None, "TD1S1C1", "网格员", None, None],  # row 3: 手机号
        ["赵刚", "15012345678", None, "TD1S1C2", "保安", None, None],  # row 4: 岗位
    ]
    page = desktop_page
    base = live_server.url

    log_in(page, base, admin.username)
    page.goto(base + "/roster/import/")
    upload(page, "有错的花名册.xlsx", xlsx_bytes(rows))
    expect(page).to_have_url(re.compile(re.escape(base) + r"/roster/import/\d+/$"))
    settled(page)

    assert counts(page) == {"new": 1, "updated": 0, "unchanged": 0, "invalid": 2}
    problems = page.locator("ol.problems li")
    expect(problems).to_have_count(2)
    expect(problems.nth(0)).to_contain_text(re.compile(r"第\s*3\s*行"))
    expect(problems.nth(0)).to_contain_text("手机号")
    expect(problems.nth(0)).to_contain_text("1381234")
    expect(problems.nth(1)).to_contain_text(re.compile(r"第\s*4\s*行"))
    expect(problems.nth(1)).to_contain_text("岗位")
    expect(problems.nth(1)).to_contain_text("保安")
    # No way to confirm: neither the button nor its form.
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    expect(page.locator("form[action$='/confirm/']")).to_have_count(0)

    assert not User.objects.filter(phone__in=["13812345678", "15012345678"]).exists()
    assert not WorkerProfile.objects.exists()
    assert RosterImport.objects.get().status == RosterImport.Status.CHECKED


# --- The roster on a phone -----------------------------------------------------------------


def test_roster_table_scrolls_inside_its_box_on_a_phone(live_server, phone_page):
    units = make_tree()
    admin = make_admin(units["TD1S1"])
    for i in range(1, 6):
        make_worker(
            units["TD1S1C1"],
            real_name=f"欧阳晓梅{i}",
            phone=f"1381234567{i}",
            position="deputy",
        )
    page = phone_page

    log_in(page, live_server.url, admin.username)
    page.goto(live_server.url + "/roster/")
    expect(page.locator("table.data tr", has_text="欧阳晓梅1")).to_be_visible()

    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    wrap = page.locator(".table-wrap")
    # The table is wider than the screen, and the box around it is what scrolls.
    assert wrap.evaluate("el => el.scrollWidth > el.clientWidth")
    assert wrap.evaluate("el => getComputedStyle(el).overflowX") in ("auto", "scroll")
    assert wrap.evaluate("el => el.getBoundingClientRect().right") <= 360
