"""The one audit log: security events and important actions land in it with who and from where,
nothing can change or remove an entry through the application, and tampering below the
application is found by `manage.py verify_audit_log`."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from people import audit
from people.audit_chain import CHANGED, GENESIS, NOT_LINKED, WRONG_LENGTH
from people.models import AuditChain, AuditEvent, AuditLogIsAppendOnly, Role
from people.scope import scope_of
from tests.concurrency import run_together
from tests.factories import PASSWORD, give_role, make_tree, make_user, make_worker

Action = AuditEvent.Action
LOGIN = "/accounts/login/"


@pytest.fixture
def units(db):
    return make_tree()


def kinds():
    return {b.kind for b in audit.verify()}


def write_three(units):
    admin = make_user("管理员", username="auditor1")
    scope = scope_of(admin)
    for what in ("一", "二", "三"):
        audit.record(admin, Action.EXPORT, what, scope=scope, count=3)
    return list(AuditEvent.objects.filter(action=Action.EXPORT).order_by("id"))


def tamper(sql, params):
    """Change the table below the application, as someone with database access could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE people_auditevent DISABLE TRIGGER people_audit_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE people_auditevent ENABLE TRIGGER people_audit_append_only")


@pytest.mark.django_db
def test_entries_are_chained_and_the_check_passes(units, capsys):
    events = write_three(units)
    before = AuditEvent.objects.filter(id__lt=events[0].id).order_by("-id").first()
    assert events[0].prev_hash == (before.hash if before else GENESIS)
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert AuditChain.objects.get().head == AuditEvent.objects.order_by("-id").first().hash
    assert audit.verify() == []
    call_command("verify_audit_log")
    assert AuditChain.objects.get().head in capsys.readouterr().out


@pytest.mark.django_db
def test_changing_an_entry_below_the_application_is_found(units):
    events = write_three(units)
    tamper("UPDATE people_auditevent SET count = %s WHERE id = %s", [0, events[1].id])
    assert kinds() == {CHANGED}
    with pytest.raises(CommandError):
        call_command("verify_audit_log")


@pytest.mark.django_db
def test_removing_an_entry_in_the_middle_or_at_the_end_is_found(units):
    events = write_three(units)
    tamper("DELETE FROM people_auditevent WHERE id = %s", [events[1].id])
    assert NOT_LINKED in kinds()
    tamper("DELETE FROM people_auditevent WHERE id = %s", [events[2].id])
    assert WRONG_LENGTH in kinds()


@pytest.mark.django_db
def test_the_application_cannot_change_or_remove_an_entry(units):
    event = write_three(units)[0]
    event.what = "改过"
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(what="改过")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().delete()
    assert audit.verify() == []


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_update_and_delete_typed_by_hand(units):
    event = write_three(units)[0]
    for sql in (
        "UPDATE people_auditevent SET what = 'x' WHERE id = %s",
        "DELETE FROM people_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.id])
    assert audit.verify() == []


@pytest.mark.django_db
def test_an_entry_rolls_back_with_its_action(units):
    before = AuditChain.objects.get().length if AuditChain.objects.exists() else 0
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(None, Action.EXPORT, "撤销")
        raise RuntimeError
    assert not AuditEvent.objects.filter(what="撤销").exists()
    assert (AuditChain.objects.first().length if AuditChain.objects.exists() else 0) == before
    assert audit.verify() == []


@pytest.mark.django_db
def test_logins_failures_and_logouts_are_recorded_with_the_address(client, units):
    worker = make_worker(units["TD1S1C1"], phone="13812345678", username="zhangxm")
    client.post(LOGIN, {"login": "13812345678", "password": "wrong"}, REMOTE_ADDR="10.1.2.3")
    failed = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert (failed.what, failed.address, failed.actor) == ("138****5678", "10.1.2.3", None)
    client.post(LOGIN, {"login": "zhangxm", "password": PASSWORD}, REMOTE_ADDR="10.1.2.3")
    login = AuditEvent.objects.get(action=Action.LOGIN)
    assert (login.actor, login.actor_name, login.address) == (worker, "zhangxm", "10.1.2.3")
    client.post("/accounts/logout/")
    assert AuditEvent.objects.get(action=Action.LOGOUT).actor == worker
    # No full phone number anywhere in the log.
    assert not AuditEvent.objects.filter(what__contains="13812345678").exists()
    assert audit.verify() == []


@pytest.mark.django_db
def test_role_duty_and_password_changes_are_recorded_with_who_did_them(client, units):
    chief = make_user("系统管理员", username="sysadmin", is_superuser=True, is_staff=True)
    someone = make_user("李四", username="lisi")
    with audit.acting_as(chief):
        role = give_role(someone, units["TD1"], Role.Kind.ADMIN)
        give_role(someone, units["TD1S1C1"], Role.Kind.WORKER)  # no powers: not one by one
        role.delete()
        someone.groups.add(Group.objects.get_or_create(name="审计管理员")[0])
        someone.set_password("a-New-passw0rd!")
        someone.save()
        someone.is_superuser = True
        someone.save()
    events = AuditEvent.objects.filter(actor=chief).order_by("id")
    assert [e.action for e in events] == [
        Action.ROLE_GRANT,
        Action.ROLE_REVOKE,
        Action.DUTY_CHANGE,
        Action.PASSWORD_CHANGE,
        Action.DUTY_CHANGE,
    ]
    assert events[0].what.startswith("lisi · ")
    assert "审计管理员" in events[2].what and "superuser" in events[4].what
    # Saving without a change records nothing.
    someone.save()
    assert AuditEvent.objects.filter(actor=chief).count() == 5


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks")
def test_writers_at_the_same_instant_keep_one_chain():
    calls = [(lambda n=n: audit.record(None, Action.EXPORT, f"并发{n}").pk) for n in range(12)]
    results = run_together(calls)
    assert all(isinstance(r, int) for r in results), results
    assert AuditEvent.objects.filter(what__startswith="并发").count() == 12
    assert audit.verify() == []
