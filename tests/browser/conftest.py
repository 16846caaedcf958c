"""Playwright harness: Debian's Chromium against pytest-django's live server.

Nothing is downloaded: Playwright drives the system browser at /usr/bin/chromium.
"""

import os
import re
from pathlib import Path

import pytest
from django.core.servers.basehttp import WSGIServer
from django.db import connections
from django.test.testcases import LiveServerThread
from playwright.sync_api import sync_playwright

# Playwright's sync API keeps an event loop running in the test thread, which makes Django
# refuse ORM calls from the test body (factories) unless told that this is deliberate.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


# One request at a time in the live server: on SQLite the test database lives in memory and
# its one connection is shared with the server's threads, so a page's parallel requests
# (the admin's scripts beside a form post) could meet in it and fail ("API misuse").
class SerialWSGIServer(WSGIServer):
    def __init__(self, *args, connections_override=None, **kwargs):
        # The live server thread already uses the test's connections; requests run in it.
        super().__init__(*args, **kwargs)


LiveServerThread.server_class = SerialWSGIServer

CHROMIUM = Path("/usr/bin/chromium")
REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"

# No internet here: without these Chromium keeps dialling Google services and logs the refusals.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the item so page fixtures can tell whether the test failed.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _carry_db_snapshot(before):
    """Give the connections Django hands out under Playwright the serialized-rollback snapshot.

    Playwright's sync API leaves an asyncio loop running in this thread, and Django keys its
    connections by running loop, so from then on the test code gets new connection objects.
    pytest-django keeps the snapshot (home page, site, locale from migrations) on the old ones
    when the test database was set up first, as it is when other db tests run before these.
    """
    for old in before:
        snapshot = getattr(old, "_test_serialized_contents", None)
        new = connections[old.alias]
        if snapshot is not None and not hasattr(new, "_test_serialized_contents"):
            new._test_serialized_contents = snapshot


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        # A skipped browser suite would hide broken journeys: fail loudly instead.
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's `chromium` package "
            "(`playwright install` cannot download browsers on this machine)."
        )
    before = connections.all(initialized_only=True)
    with sync_playwright() as playwright:
        _carry_db_snapshot(before)
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _page(browser, request, **context_options):
    """A page in a fresh context (own cookies); screenshot kept when the test fails."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    # Anything the Content Security Policy refused (a script, a style, an image) fails the test.
    refused = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and refused.append(message.text),
    )
    yield page
    if refused:
        pytest.fail("refused by the Content Security Policy:\n" + "\n".join(refused))
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    context.close()


@pytest.fixture
def phone_page(browser, request):
    """A mid-range Android phone, as most community workers use, set to Chinese."""
    yield from _page(
        browser,
        request,
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )


@pytest.fixture
def desktop_page(browser, request):
    """An office desktop, as district admins use for the content admin."""
    yield from _page(browser, request, viewport={"width": 1280, "height": 800}, locale="zh-CN")


@pytest.fixture
def totp_tolerance(settings):
    # Accept the neighbouring 30-second step too: a code computed just before a step boundary
    # would otherwise be refused by the time the browser submits it.
    settings.MFA_TOTP_TOLERANCE = 1
