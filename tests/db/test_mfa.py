import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.urls import reverse

from people import duties
from people.access import requires_mfa
from tests.factories import (
    PASSWORD,
    activate_totp,
    make_admin,
    make_sections,
    make_tree,
    make_user,
    make_worker,
)

pytestmark = pytest.mark.django_db

ACTIVATE = "/accounts/2fa/totp/activate/"


@pytest.fixture
def units():
    units = make_tree()
    make_sections(units)  # so admins have something to open in the Wagtail admin
    return units


def login(client, user):
    return client.post("/accounts/login/", {"login": user.phone, "password": PASSWORD})


def current_code(secret):
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


@pytest.mark.parametrize("code, required", [("T", True), ("TD1", True), ("TD1S1", False)])
def test_mfa_is_required_for_city_and_district_admins_only(units, code, required):
    assert requires_mfa(make_admin(units[code])) is required


def test_workers_do_not_need_mfa(units):
    assert not requires_mfa(make_worker(units["TD1S1C1"]))


@pytest.mark.parametrize("code", ["T", "TD2"])
def test_city_and_district_admins_without_authenticator_are_sent_to_set_one_up(client, units, code):
    admin = make_admin(units[code])
    login(client, admin)
    for path in ["/admin/", reverse("me"), "/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == ACTIVATE
    # Setting up asks for the password once more (allauth's reauthentication), then shows
    # the set-up page in Chinese with an inline QR code (no remote image).
    page = client.get(ACTIVATE)
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/reauthenticate/")
    client.post(page["Location"], {"password": PASSWORD})
    page = client.get(ACTIVATE)
    assert page.status_code == 200
    text = page.content.decode()
    assert "data:image/svg+xml" in text
    assert "两步验证" in text or "身份验证器" in text


def test_street_admin_is_not_forced(client, units):
    admin = make_admin(units["TD1S1"])
    login(client, admin)
    assert client.get(reverse("me")).status_code == 200


def test_with_an_authenticator_login_asks_for_the_code(client, units):
    admin = make_admin(units["TD1"])
    secret = generate_totp_secret()
    TOTP.activate(admin, secret)
    response = login(client, admin)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    # Not logged in until the code is given.
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session

    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(admin.pk)
    assert client.get("/admin/").status_code == 200


def test_required_authenticator_cannot_be_switched_off(client, units):
    admin = make_admin(units["TD1"])
    secret = generate_totp_secret()
    TOTP.activate(admin, secret)
    login(client, admin)
    client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    client.post("/accounts/2fa/totp/deactivate/", {})
    assert Authenticator.objects.filter(user=admin, type=Authenticator.Type.TOTP).exists()


def test_reauthentication_never_offers_a_texted_code(client, units):
    # No SMS gateway is configured: offering "send me a code" would end in a server error.
    worker = make_worker(units["TD1S1C1"])
    login(client, worker)
    page = client.get("/accounts/reauthenticate/")
    assert page.status_code == 200
    assert "/accounts/reauthenticate/code/" not in page.content.decode()
    response = client.get("/accounts/reauthenticate/code/")
    assert response.status_code in (302, 403, 404)


# --- Who else must use two factors: chief judges, duty holders (settings.ZHUANGMA_MFA_RULES) ---


def test_chief_judge_of_an_unfinished_competition_needs_mfa(units):
    from competitions.models import Competition

    chief = make_user("裁判长")
    assert not requires_mfa(chief)
    competition = Competition.objects.create(
        title="大赛", year=2026, owner_unit=units["T"], chief_judge=chief
    )
    assert requires_mfa(chief)
    competition.status = Competition.Status.FINISHED
    competition.save()
    assert not requires_mfa(chief)


@pytest.mark.parametrize("duty", [duties.SECURITY, duties.AUDIT])
def test_security_and_audit_administrators_need_mfa(duty):
    user = make_user("管理员")
    assert not requires_mfa(user)
    duties.grant(user, duty)
    assert requires_mfa(user)


def test_the_rules_are_a_setting(units, settings):
    from competitions.models import Competition

    chief = make_user("裁判长")
    Competition.objects.create(title="大赛", year=2026, owner_unit=units["T"], chief_judge=chief)
    settings.ZHUANGMA_MFA_RULES = ["people.access.is_senior_admin"]
    assert not requires_mfa(chief)


def test_a_new_chief_judge_is_asked_within_the_recheck_window(
    client, units, session_clock, settings
):
    from competitions.models import Competition

    judge = make_user("评委")
    client.force_login(judge)
    assert client.get(reverse("me")).status_code == 200
    Competition.objects.create(title="大赛", year=2026, owner_unit=units["T"], chief_judge=judge)

    # The "no authenticator needed" answer is kept in the session for a while (a hot path)...
    session_clock.now += settings.ZHUANGMA_MFA_RECHECK_SECONDS - 5
    assert client.get(reverse("me")).status_code == 200
    # ...and asked again after it: the new chief judge must set one up.
    session_clock.now += 10
    response = client.get(reverse("me"))
    assert response.status_code == 302
    assert response["Location"] == ACTIVATE
    # Until they have, every page sends them there (a "must" is never kept).
    session_clock.now += 1
    assert client.get("/").status_code == 302
    activate_totp(judge)
    assert client.get(reverse("me")).status_code == 200


def test_the_answer_is_not_asked_again_while_kept(client, units, monkeypatch):
    worker = make_worker(units["TD1S1C1"])
    client.force_login(worker)
    client.get(reverse("me"))
    asked = []
    monkeypatch.setattr("people.middleware.requires_mfa", lambda user: asked.append(user) or False)
    for _ in range(3):
        assert client.get(reverse("me")).status_code == 200
    assert asked == []


def test_duty_holder_without_authenticator_is_sent_to_set_one_up(client):
    auditor = make_user("审计员")
    duties.grant(auditor, duties.AUDIT)
    login(client, auditor)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == ACTIVATE


# --- The security administrator resets the two factors of someone who lost their phone -------


def security_client(client):
    from tests.factories import in_english

    security = make_user(username="security_t")
    duties.grant(security, duties.SECURITY)
    activate_totp(security)
    client.force_login(in_english(security))
    return security


def test_a_lost_phone_is_reset_and_the_next_login_sets_up_a_new_app(client, units):
    from django.test import Client

    from people.models import AuditEvent

    admin = make_admin(units["TD1"])
    activate_totp(admin)
    security = security_client(client)
    edit = f"/admin/users/edit/{admin.pk}/"
    reset = f"/admin/users/reset-two-factor/{admin.pk}/"
    page = client.get(edit).content.decode()
    assert "Authenticator app set up on" in page and f'formaction="{reset}"' in page

    response = client.post(reset)
    assert response["Location"] == edit
    assert not Authenticator.objects.filter(user=admin).exists()
    entries = AuditEvent.objects.filter(action=AuditEvent.Action.MFA_CHANGE, actor=security)
    assert [e.what for e in entries] == [f"{admin.get_username()} −totp"]
    assert "Not set up." in client.get(edit).content.decode()

    # The district admin logs in with the password and must set up a new app first.
    own = Client()
    login(own, admin)
    assert own.get("/admin/")["Location"] == ACTIVATE


def test_nobody_else_resets_and_never_their_own_or_a_superusers(client, units):
    admin = make_admin(units["TD1"])
    activate_totp(admin)
    boss = make_user(username="boss", is_superuser=True)
    activate_totp(boss)
    city = make_admin(units["T"])
    activate_totp(city)
    client.force_login(city)
    assert client.post(f"/admin/users/reset-two-factor/{admin.pk}/")["Location"] == "/admin/"
    security = security_client(client)
    assert client.post(f"/admin/users/reset-two-factor/{boss.pk}/")["Location"] == "/admin/"
    assert client.post(f"/admin/users/reset-two-factor/{security.pk}/")["Location"] == "/admin/"
    own_page = client.get(f"/admin/users/edit/{security.pk}/").content.decode()
    assert "Authenticator app set up on" in own_page and "reset-two-factor" not in own_page
    assert client.get(f"/admin/users/reset-two-factor/{admin.pk}/").status_code == 405
    for user in (admin, boss, security):
        assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
