"""Login-failure handling (等保): per account and per address, with an audited lock-out.

ACCOUNT_RATE_LIMITS["login_failed"] = "10/m/ip,5/5m/key"; people.adapter counts the "key" per
account, whichever of its logins (mobile number, username) was typed.
"""

import time

import pytest
from allauth.core.internal import ratelimit
from django.test import Client

from people.models import AuditEvent, User
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/en/accounts/login/"
REFUSED = "Too many failed login attempts"


class Clock:
    """The rate limiter's clock, moved by hand (and by a millisecond at each reading, as a real
    clock would: allauth tells attempts apart by their time); its lock waits in real time."""

    def __init__(self):
        self.now = time.time()

        self.monotonic = time.monotonic
        self.sleep = time.sleep

    def time(self):
        self.now += 0.001
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(ratelimit, "time", clock)
    return clock


def attempt(client, login, password, address="10.0.0.1"):
    return client.post(LOGIN, {"login": login, "password": password}, REMOTE_ADDR=address)


def lockouts():
    return AuditEvent.objects.filter(action=AuditEvent.Action.LOCKED_OUT)


def test_sixth_try_on_one_account_is_refused_even_right_and_from_elsewhere(client, clock):
    user = make_user(username="zhangxm", phone="13812345678")
    # Five wrong guesses, through both of the account's logins.
    for login in ["13812345678", "zhangxm", "138 1234 5678", "zhangxm", "13812345678"]:
        response = attempt(client, login, "Wrong-guess-1")
        assert response.status_code == 200
        assert REFUSED not in response.content.decode()
        clock.now += 10

    response = attempt(client, "zhangxm", PASSWORD, address="10.9.9.9")
    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert "_auth_user_id" not in client.session

    # One entry, when the lock began: naming the account, not repeated by refused tries.
    attempt(client, "13812345678", PASSWORD, address="10.9.9.9")
    [entry] = lockouts()
    assert entry.actor_id == user.pk
    assert entry.what.startswith("zhangxm")
    assert entry.address == "10.0.0.1"

    # Other accounts are not affected.
    other = make_user(username="lisi")
    assert attempt(client, other.username, PASSWORD, address="10.9.9.9").status_code == 302


def test_eleven_failures_from_one_address_lock_that_address(client, clock):
    users = [make_user(username=f"worker{n}") for n in range(10)]
    for user in users:
        assert REFUSED not in attempt(client, user.username, "Wrong-guess-1").content.decode()

    fresh = make_user(username="fresh")
    response = attempt(client, fresh.username, PASSWORD)
    assert REFUSED in response.content.decode()
    assert "_auth_user_id" not in client.session
    [entry] = lockouts()
    assert entry.what.startswith("address")
    assert entry.address == "10.0.0.1"
    assert entry.actor_id is None

    # The same account from another address gets in: the address was locked, not the account.
    assert attempt(client, fresh.username, PASSWORD, address="10.0.0.2").status_code == 302


def test_after_the_window_the_right_password_works(client, clock):
    user = make_user(username="zhangxm")
    for _ in range(5):
        attempt(client, "zhangxm", "Wrong-guess-1")
    assert REFUSED in attempt(client, "zhangxm", PASSWORD).content.decode()

    clock.now += 4 * 60  # still inside the five minutes
    assert REFUSED in attempt(client, "zhangxm", PASSWORD).content.decode()

    clock.now += 61
    response = attempt(client, "zhangxm", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_success_does_not_reset_the_count(client, clock):
    # Otherwise an attacker who knows one password could interleave logins with guesses.
    user = make_user(username="zhangxm")
    for _ in range(4):
        attempt(client, "zhangxm", "Wrong-guess-1")
    assert attempt(client, "zhangxm", PASSWORD).status_code == 302
    client.logout()
    attempt(client, "zhangxm", "Wrong-guess-1")
    assert REFUSED in attempt(client, "zhangxm", PASSWORD).content.decode()
    assert lockouts().filter(actor=user).count() == 1


def test_unknown_logins_are_limited_and_audited_without_the_full_number(client, clock):
    for _ in range(5):
        attempt(client, "13900000000", "Wrong-guess-1")
    assert REFUSED in attempt(client, "13900000000", "Wrong-guess-1").content.decode()
    [entry] = lockouts()
    assert "13900000000" not in entry.what
    assert entry.what.startswith("139****0000")


# --- No second login door without these limits ------------------------------------------------


@pytest.mark.parametrize(
    "door, login",
    [
        ("/_util/login/?next=/cases/", "/accounts/login/?next=/cases/"),
        ("/en/_util/login/", "/en/accounts/login/"),
        ("/django-admin/login/", "/accounts/login/"),
        ("/admin/login/", "/accounts/login/"),
    ],
)
def test_every_login_door_leads_to_allauth(client, door, login):
    response = client.get(door)
    assert response.status_code == 302
    assert response["Location"] == login


def test_wagtails_front_end_login_cannot_be_posted_to(client):
    user = make_user(username="zhangxm")
    response = client.post("/_util/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_login_restricted_pages_send_visitors_to_allauth(client):
    from wagtail.models import Page, PageViewRestriction

    home = Page.objects.get(depth=2)
    PageViewRestriction.objects.create(page=home, restriction_type=PageViewRestriction.LOGIN)
    response = client.get(home.url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={home.url}"


# --- The security administrator lifts a lock-out early -----------------------------------------


def security_admin(username="security_t"):
    from people import duties
    from tests.factories import activate_totp

    user = make_user(username=username)
    duties.grant(user, duties.SECURITY)
    activate_totp(user)
    return user


def edit_page(client, user):
    return client.get(f"/admin/users/edit/{user.pk}/").content.decode()


def test_the_security_administrator_sees_the_lock_out_and_lifts_it(client, clock):
    user = make_user(username="zhangxm", real_name="张晓梅")
    for _ in range(5):
        attempt(client, "zhangxm", "Wrong-guess-1")
    admin = security_admin()
    staff = Client()
    staff.force_login(admin)

    page = edit_page(staff, user)
    lift_url = f"/admin/users/lift-lockout/{user.pk}/"
    assert f'formaction="{lift_url}"' in page

    response = staff.post(lift_url)
    assert response.status_code == 302 and response["Location"] == f"/admin/users/edit/{user.pk}/"
    assert f'formaction="{lift_url}"' not in edit_page(staff, user)
    [entry] = AuditEvent.objects.filter(action=AuditEvent.Action.LOCKOUT_LIFTED)
    assert entry.actor_id == admin.pk and entry.what == "zhangxm"

    # The worker gets in at once, from the address that failed.
    assert attempt(client, "zhangxm", PASSWORD).status_code == 302

    # Lifting again finds nothing to lift and records nothing.
    staff.post(lift_url)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOCKOUT_LIFTED).count() == 1


def test_an_unlocked_account_shows_no_lock_out(client, clock):
    user = make_user(username="zhangxm")
    for _ in range(4):  # one short of the limit
        attempt(client, "zhangxm", "Wrong-guess-1")
    staff = Client()
    staff.force_login(security_admin())
    assert "lift-lockout" not in edit_page(staff, user)


def test_only_the_security_administrator_lifts_and_never_a_superusers(client, clock):
    from people import duties
    from tests.factories import activate_totp

    auditor = make_user(username="auditor_t")
    duties.grant(auditor, duties.AUDIT)
    activate_totp(auditor)
    boss = make_user(username="boss", is_superuser=True)
    activate_totp(boss)
    for login in ("zhangxm", "boss"):
        if login == "zhangxm":
            make_user(username="zhangxm")
        for _ in range(5):
            attempt(client, login, "Wrong-guess-1")
    worker = User.objects.get(username="zhangxm")

    staff = Client()
    staff.force_login(auditor)
    assert staff.post(f"/admin/users/lift-lockout/{worker.pk}/").status_code == 302
    staff.force_login(security_admin())
    assert staff.post(f"/admin/users/lift-lockout/{boss.pk}/")["Location"] == "/admin/"
    assert staff.get(f"/admin/users/lift-lockout/{worker.pk}/").status_code == 405
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LOCKOUT_LIFTED).exists()
    assert REFUSED in attempt(client, "zhangxm", PASSWORD).content.decode()
    assert REFUSED in attempt(client, "boss", PASSWORD).content.decode()
