"""An offline session: the trainer's screen shows a rotating QR code, a worker on a phone scans it
to check in (logging in on the way) and again to check out, and the worker's hours rise.

The test reads the address the QR code encodes from the trainer's page (the "can't scan?" link
and the code's data attribute carry the same address) instead of decoding the image.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import expect

from people.models import Role
from tests.browser.helpers import log_in
from tests.factories import PASSWORD, give_role, make_tree, make_user, make_worker
from training import sessions
from training.certificates import qr_data_uri
from training.models import Attendance, HoursEntry, TrainingBase, TrainingSession

pytestmark = [
    pytest.mark.browser,
    # The live server needs committed rows (transactional). The flush after each such test also
    # wipes what migrations created (home page, site, locale), which serialized rollback restores.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORKER_PHONE = "13712345678"
PHONE_WIDTH = 360
# Short windows so the code visibly rotates within the test (30 s in real use).
WINDOW = 6
SCAN_URL = "/training/sessions/scan/?t="


def chinese_path(name, *args) -> str:
    """A page's Chinese address, whatever language earlier tests left active in this thread."""
    with translation.override("zh-hans"):
        return reverse(name, args=args)


def wait_for_new_code(page, old_url: str) -> str:
    """The address of the next code, once the page has fetched it without reloading."""
    page.wait_for_function(
        "old => document.getElementById('session-qr').dataset.scanUrl !== old",
        arg=old_url,
        timeout=(WINDOW * 2 + 5) * 1000,
    )
    url = page.locator("#session-qr").get_attribute("data-scan-url")
    expect(page.locator("#qr-link")).to_have_attribute("href", url)
    return url


def assert_no_horizontal_overflow(page, width: int = PHONE_WIDTH):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} is {scroll_width}px wide at a {width}px viewport"


def test_trainer_shows_the_code_worker_checks_in_and_out_and_hours_rise(
    live_server, desktop_page, phone_page, settings
):
    settings.TRAINING_CHECKIN_WINDOW_SECONDS = WINDOW
    units = make_tree()
    trainer = make_user("李讲师", username="trainer_li")
    give_role(trainer, units["TD1"], Role.Kind.TRAINER)
    worker = make_worker(units["TD1S1C1"], real_name="张晓梅", phone=WORKER_PHONE)
    base = TrainingBase.objects.create(
        unit=units["TD1S1"],
        name="东关实训基地",
        address="东关大街1号",
        capacity=30,
        contact_name="王主任",
        contact_phone="0971-8123456",
    )
    starts_at = timezone.now() + timedelta(minutes=10)  # check-in opens 30 minutes before
    session = TrainingSession.objects.create(
        base=base,
        trainer=trainer,
        title="矛盾纠纷调解实训",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        capacity=20,
        hours=Decimal("2.5"),
        min_presence_share=Decimal("0.8"),
    )
    sessions.sign_up(session, worker)
    site = live_server.url

    # The worker's hours before.
    phone = phone_page
    log_in(phone, site, WORKER_PHONE, tap=True)
    phone.goto(site + "/training/hours/")
    expect(phone.locator("#hours-earned")).to_have_text("0")
    phone.goto(site + "/me/")
    expect(phone.locator("#hours-this-year")).to_have_text("0")
    phone.context.clear_cookies()  # log out: the scan will ask for a login

    # The trainer's screen: a QR code, the counts, and a new code without reloading.
    screen = desktop_page
    log_in(screen, site, "trainer_li")
    screen.goto(site + chinese_path("session_qr", session.pk))
    src = screen.locator("#qr-image").get_attribute("src")
    assert src.startswith("data:image/svg+xml")
    expect(screen.locator("#count-in")).to_have_text("0")
    first_url = screen.locator("#session-qr").get_attribute("data-scan-url")
    assert first_url.startswith(site + SCAN_URL)
    assert src == qr_data_uri(first_url)  # the image is the QR code of that very address
    screen.evaluate("window.__sameDocument = true")
    check_in_url = wait_for_new_code(screen, first_url)
    assert screen.evaluate("window.__sameDocument") is True  # not reloaded
    assert screen.locator("#qr-image").get_attribute("src") != src

    # The worker scans: the phone asks for a login, then comes back to the same address.
    phone.goto(check_in_url)
    phone.wait_for_url(lambda url: "/accounts/login/" in url)
    phone.locator("input[name=login]").fill(WORKER_PHONE)
    phone.locator("input[name=password]").fill(PASSWORD)
    phone.locator("main button[type=submit]").tap()
    phone.wait_for_url(check_in_url)
    button = phone.locator("#scan-action")
    expect(button).to_be_visible()
    assert_no_horizontal_overflow(phone)
    button.tap()
    detail = site + chinese_path("session_detail", session.pk)
    phone.wait_for_url(detail)
    expect(phone.locator(".message.success")).to_be_visible()
    expect(phone.locator("#checked-in")).not_to_have_text("—")
    attendance = Attendance.objects.get(session=session, user=worker)
    assert attendance.checked_in_at is not None and attendance.checked_out_at is None

    # The trainer's count follows by itself.
    expect(screen.locator("#count-in")).to_have_text("1", timeout=(WINDOW + 5) * 1000)

    # The session's clock moves on: in the database it now ran for one second from the
    # check-in, so the worker has been there long enough.
    TrainingSession.objects.filter(pk=session.pk).update(
        starts_at=attendance.checked_in_at,
        ends_at=attendance.checked_in_at + timedelta(seconds=1),
    )

    # A fresh code to check out.
    check_out_url = wait_for_new_code(screen, check_in_url)
    phone.goto(check_out_url)
    button = phone.locator("#scan-action")
    expect(button).to_be_visible()
    assert phone.locator("input[name=action]").get_attribute("value") == "out"
    button.tap()
    phone.wait_for_url(detail)
    expect(phone.locator(".message.success")).to_contain_text("2.5")
    expect(phone.locator("#hours-credited")).to_be_visible()
    expect(screen.locator("#count-out")).to_have_text("1", timeout=(WINDOW + 5) * 1000)

    # The worker's hours rose: on the hours page, with the session in the ledger, and on 我的.
    entry = HoursEntry.objects.get(user=worker)
    assert entry.source == f"attendance:{attendance.pk}" and entry.hours == Decimal("2.5")
    phone.goto(site + "/training/hours/")
    expect(phone.locator("#hours-earned")).to_have_text("2.5")
    expect(phone.locator(f"#entry-{entry.pk}")).to_contain_text(session.title)
    assert_no_horizontal_overflow(phone)
    phone.goto(site + "/me/")
    expect(phone.locator("#hours-this-year")).to_have_text("2.5")

    # The first code, photographed and sent on, no longer works.
    phone.goto(first_url)
    expect(phone.locator("#scan-error")).to_be_visible()
    assert HoursEntry.objects.filter(user=worker).count() == 1
