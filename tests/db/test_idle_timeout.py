"""Session time-outs (等保): idle and absolute, with the clock moved by hand."""

import pytest
from django.contrib.sessions.backends.db import SessionStore

from people import middleware
from people.models import AuditEvent
from tests.factories import PASSWORD, make_tree, make_worker

pytestmark = pytest.mark.django_db

ME = "/en/me/"


@pytest.fixture
def worker(client):
    worker = make_worker(make_tree()["TD1S1C1"])
    client.force_login(worker)
    return worker


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_idle_for_longer_than_the_limit_logs_out_with_a_message(
    client, worker, session_clock, settings
):
    assert client.get(ME).status_code == 200
    session_clock.now += settings.ZHUANGMA_IDLE_MINUTES * 60 + 61
    response = client.get(ME)
    assert response.status_code == 302
    assert response["Location"] == f"/en/accounts/login/?next={ME}"
    assert not logged_in(client)
    page = client.get(response["Location"])
    assert f"logged out after {settings.ZHUANGMA_IDLE_MINUTES} minutes without activity" in (
        page.content.decode()
    )
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT, actor=worker).exists()


def test_activity_keeps_the_session(client, worker, session_clock, settings):
    for _ in range(6):  # three hours of a request every half limit
        session_clock.now += settings.ZHUANGMA_IDLE_MINUTES * 30
        assert client.get(ME).status_code == 200
    assert logged_in(client)


def test_the_session_ends_after_its_absolute_age_however_busy(
    client, worker, session_clock, settings
):
    client.get(ME)
    step = settings.ZHUANGMA_IDLE_MINUTES * 30
    for _ in range(settings.SESSION_COOKIE_AGE // step):
        session_clock.now += step
        client.get(ME)
    session_clock.now += step
    response = client.get(ME)
    assert response.status_code == 302
    assert not logged_in(client)
    page = client.get(response["Location"])
    assert "a session lasts at most 12 hours" in page.content.decode()


def test_the_idle_clock_is_written_at_most_once_a_minute(client, worker, session_clock):
    client.get(ME)
    key = client.session.session_key

    def stored():
        return SessionStore(session_key=key).load().get(middleware.LAST_SEEN)

    first = stored()
    assert first is not None
    for seconds in (10, 20, 59):  # no session write for these
        session_clock.now += seconds - (session_clock.now - first)
        client.get(ME)
        assert stored() == first
    session_clock.now = first + 61
    client.get(ME)
    assert stored() == int(session_clock.now)


def test_a_post_after_the_time_out_changes_nothing_and_goes_to_login(client, worker, session_clock):
    client.get(ME)
    session_clock.now += 24 * 3600
    new = "Qinghe#Road-77"
    response = client.post(
        "/en/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/login/")
    worker.refresh_from_db()
    assert worker.check_password(PASSWORD)


def test_anonymous_requests_are_untouched(client, session_clock):
    assert client.get("/en/").status_code == 200
    assert middleware.LAST_SEEN not in client.session


def test_logging_in_starts_the_clocks_so_the_first_page_writes_no_session(client):
    worker = make_worker(make_tree()["TD1S1C1"])
    client.force_login(worker)
    session = client.session
    assert session[middleware.LAST_SEEN] == session[middleware.LOGGED_IN_AT]
    assert middleware.MFA_CHECKED_UNTIL in session
    before = SessionStore(session_key=session.session_key).load()
    client.get(ME)
    assert SessionStore(session_key=session.session_key).load() == before
