"""三员分立: system, security and audit administrators are different accounts (people/duties.py)."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.checks import run_checks
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from people import duties
from people.models import AuditEvent
from tests.factories import activate_totp, make_user

pytestmark = pytest.mark.django_db


def permissions(duty):
    group = Group.objects.get(name=duties.GROUPS[duty])
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


def duty_changes():
    return AuditEvent.objects.filter(action=AuditEvent.Action.DUTY_CHANGE)


def test_the_migration_made_the_groups_with_their_permissions():
    assert permissions(duties.AUDIT) == {
        "wagtailadmin.access_admin",
        "people.view_auditevent",
        "people.export_auditevent",
    }
    security = permissions(duties.SECURITY)
    assert {"people.change_user", "people.add_role", "auth.change_group"} <= security
    assert not {p for p in security if "auditevent" in p}


def test_duties_of():
    assert duties.duties_of(make_user(username="plain")) == set()
    assert duties.duties_of(make_user(username="root", is_superuser=True)) == {duties.SYSTEM}
    auditor = make_user(username="auditor")
    duties.grant(auditor, duties.AUDIT)
    assert duties.duties_of(auditor) == {duties.AUDIT}


@pytest.mark.parametrize(
    "superuser, first, second",
    [(True, None, duties.AUDIT), (False, duties.SECURITY, duties.AUDIT)],
)
def test_one_account_holds_one_duty(superuser, first, second):
    user = make_user(username="someone", is_superuser=superuser)
    if first:
        duties.grant(user, first)
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            duties.grant(user, second)
        message = error.value.messages[0]
    assert "one account holds at most one administrator duty" in message
    assert "someone" in message
    assert len(duties.duties_of(user)) == 1


def test_grant_duty_command_grants_revokes_and_is_audited_once():
    user = make_user(username="secadmin")
    before = duty_changes().count()
    out = io.StringIO()
    with translation.override("en"):
        call_command("grant_duty", "secadmin", "security", stdout=out)
    assert "secadmin now holds the duty: security administrator" in out.getvalue()
    assert duties.duties_of(user) == {duties.SECURITY}
    # Recorded once, by the audit receivers of group changes (people/audit_signals.py).
    assert duty_changes().count() == before + 1
    assert duty_changes().order_by("-id").first().what.endswith("+安全管理员")

    with translation.override("en"), pytest.raises(CommandError, match="at most one"):
        call_command("grant_duty", "secadmin", "audit")
    assert duties.duties_of(user) == {duties.SECURITY}
    assert duty_changes().count() == before + 1

    call_command("grant_duty", "secadmin", "security", "--revoke", stdout=io.StringIO())
    assert duties.duties_of(user) == set()
    assert duty_changes().count() == before + 2


def test_grant_duty_names_an_unknown_account():
    with translation.override("en"), pytest.raises(CommandError, match="nobody"):
        call_command("grant_duty", "nobody", "audit")


def test_system_check_warns_about_an_account_with_two_duties():
    user = make_user(username="both", is_superuser=True)
    assert not [w for w in run_checks(databases=["default"]) if w.id == "people.W001"]
    user.groups.add(Group.objects.get(name=duties.GROUPS[duties.AUDIT]))  # behind the rule's back
    [warning] = [w for w in run_checks(databases=["default"]) if w.id == "people.W001"]
    # Not at the start of every command: only when a database is asked for.
    assert not [w for w in run_checks() if w.id == "people.W001"]
    assert "both" in warning.msg


# --- In the Wagtail admin ---------------------------------------------------------------------


def holder(client, duty, username):
    user = make_user(username=username)
    duties.grant(user, duty)
    activate_totp(user)  # duty holders must use two factors
    client.force_login(user)
    return user


def refused(response) -> bool:
    # Wagtail's permission denial: back to the dashboard with a message (403 for scripts).
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == "/admin/"
    )


AUDIT_REFUSED = [
    "/admin/users/",
    "/admin/users/new/",
    "/admin/groups/",
    "/admin/pages/",
    "/admin/documents/",
    "/admin/images/",
    "/admin/sites/",
    "/admin/redirects/",
    "/admin/snippets/",
    "/admin/collections/",
    "/admin/workflows/list/",
    "/admin/forms/",
]


def test_audit_administrator_gets_nothing_but_the_dashboard(client):
    holder(client, duties.AUDIT, "auditor")
    assert client.get("/admin/").status_code == 200
    for path in AUDIT_REFUSED:
        assert refused(client.get(path)), path
    # The Django admin is for staff only: back to the (allauth) login.
    assert client.get("/django-admin/").status_code == 302


def test_security_administrator_manages_accounts_not_the_site(client):
    holder(client, duties.SECURITY, "secadmin")
    for path in ["/admin/users/", "/admin/users/new/", "/admin/groups/"]:
        assert client.get(path).status_code == 200, path
    for path in ["/admin/sites/", "/admin/pages/", "/admin/documents/"]:
        assert refused(client.get(path)), path


def edit_data(user, groups=(), **extra):
    return {
        "username": user.username,
        "real_name": user.real_name,
        "phone": user.phone,
        "email": "",
        "is_active": "on",
        "groups": [g.pk for g in groups],
        **extra,
    }


def test_user_form_refuses_a_second_duty(client):
    root = make_user(username="root", is_superuser=True)
    activate_totp(root)
    client.force_login(root)
    secadmin = make_user(username="secadmin")
    duties.grant(secadmin, duties.SECURITY)
    both = Group.objects.filter(name__in=duties.GROUPS.values())
    response = client.post(f"/admin/users/edit/{secadmin.pk}/", edit_data(secadmin, both))
    assert response.status_code == 200
    [error] = response.context["form"].errors.as_data()["groups"]
    assert error.code == "several_duties"
    assert duties.duties_of(secadmin) == {duties.SECURITY}

    # Nor may a duty holder be made a superuser (the system administrator).
    security = Group.objects.filter(name=duties.GROUPS[duties.SECURITY])
    response = client.post(
        f"/admin/users/edit/{secadmin.pk}/", edit_data(secadmin, security, is_superuser="on")
    )
    assert response.status_code == 200
    assert "groups" in response.context["form"].errors
    secadmin.refresh_from_db()
    assert not secadmin.is_superuser


def test_security_administrator_cannot_make_or_edit_a_system_administrator(client):
    holder(client, duties.SECURITY, "secadmin")
    worker = make_user(username="worker1")
    response = client.post(f"/admin/users/edit/{worker.pk}/", edit_data(worker, is_superuser="on"))
    assert response.status_code == 302
    worker.refresh_from_db()
    assert not worker.is_superuser

    root = make_user(username="root", is_superuser=True)
    response = client.post(f"/admin/users/edit/{root.pk}/", edit_data(root))
    assert refused(response)
    assert refused(client.get(f"/admin/users/edit/{root.pk}/"))
