"""The audit log: the one writer of AuditEvent, the chain check, and who is acting right now.

Every security event and important action (logins, role changes, unmasking, exports, score
changes, result releases, appeal decisions, backups) is appended here with who, from where,
what and in what scope. Entries are hash-chained (people/audit_chain.py).
"""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from .audit_chain import CHAINED_FIELDS, entry_hash, find_breaks
from .models import AuditChain, AuditEvent, OrgUnit
from .scope import Scope

# Who is acting right now, so that receivers of model signals (a role saved in the admin) know
# who did it and from where: the request being served (set by AuditContextMiddleware), or an
# `Acting` set by a management command.
_current: ContextVar = ContextVar("audit_actor", default=None)


@dataclass(frozen=True)
class Acting:
    user: object
    address: str | None = None


@contextmanager
def acting_as(user, address: str | None = None):
    """For commands and tasks: entries written inside name `user` as the one acting."""
    token = _current.set(Acting(user, address))
    try:
        yield
    finally:
        _current.reset(token)


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current.set(request)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)


def client_address(request) -> str | None:
    """The client's address as allauth's rate limits see it (honouring trusted proxies)."""
    from allauth.core.internal.httpkit import get_client_ip

    try:
        return get_client_ip(request)
    except Exception:  # a malformed forwarded-for header must not lose the audit entry
        return request.META.get("REMOTE_ADDR") or None


def describe_scope(scope: Scope | None) -> str:
    """'东湖区/和平街道、西岭区' — the roots of the subtrees, as people name them."""
    if scope is None:
        return ""
    if scope.everything:
        return "*"
    roots = OrgUnit.objects.filter(path__in=scope.paths).order_by("path")
    return "、".join(unit.name_path() for unit in roots)


def record(
    actor, action: str, what: str, *, scope: Scope | str | None = None, count: int = 0, request=None
) -> AuditEvent:
    """Append one entry. Runs inside the caller's transaction: if the action rolls back, so does
    its entry. Without `actor`/`request`, the request being served (if any) names them.
    `scope` may come already described (a hot path with the unit at hand saves a query)."""
    context = request if request is not None else _current.get()
    if isinstance(context, Acting):
        actor = actor if actor is not None else context.user
        address = context.address
    else:
        if actor is None and context is not None:
            actor = getattr(context, "user", None)
        address = client_address(context) if context is not None else None
    if actor is not None and not actor.is_authenticated:
        actor = None
    fields = {
        "at": timezone.now(),
        "actor_id": actor.pk if actor is not None else None,
        "actor_name": actor.get_username() if actor is not None else "",
        "action": action,
        "what": what[:300],
        "scope": (scope if isinstance(scope, str) else describe_scope(scope))[:500],
        "count": count,
        "address": address,
    }
    # No savepoint of its own: the entry lives and dies with the caller's transaction.
    with transaction.atomic(savepoint=False):
        chain = _lock_chain()
        event = AuditEvent(prev_hash=chain.head, **fields)
        event.hash = entry_hash(chain.head, fields)
        event.save(force_insert=True)
        AuditChain.objects.filter(pk=chain.pk).update(length=F("length") + 1, head=event.hash)
    return event


def _lock_chain() -> AuditChain:
    """The head record, locked until the transaction ends: one writer at a time."""
    # An UPDATE first: on PostgreSQL it locks the row, on SQLite it takes the database's write
    # lock before we read the head, so no two writers see the same head.
    if not AuditChain.objects.filter(pk=1).update(length=F("length")):
        AuditChain.objects.get_or_create(pk=1)
    return AuditChain.objects.get(pk=1)


def verify() -> list[str]:
    """Every break in the chain, in order; an empty list when the log is intact."""
    chain = AuditChain.objects.filter(pk=1).first() or AuditChain()
    rows = (
        AuditEvent.objects.order_by("id")
        .values("id", "prev_hash", "hash", *CHAINED_FIELDS)
        .iterator(chunk_size=5000)
    )
    return find_breaks(rows, length=chain.length, head=chain.head)


def install_database_guard(schema_editor=None) -> None:
    """On PostgreSQL, refuse UPDATE and DELETE of audit entries in the database itself, so even
    SQL typed by hand cannot quietly rewrite history (TRUNCATE stays: restore and test runs)."""
    conn = schema_editor.connection if schema_editor is not None else connection
    if conn.vendor != "postgresql":
        return
    with conn.cursor() as cursor:
        cursor.execute(
            """
            CREATE OR REPLACE FUNCTION people_audit_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'the audit log is append-only';
            END $$ LANGUAGE plpgsql;
            DROP TRIGGER IF EXISTS people_audit_append_only ON people_auditevent;
            CREATE TRIGGER people_audit_append_only BEFORE UPDATE OR DELETE ON people_auditevent
                FOR EACH ROW EXECUTE FUNCTION people_audit_append_only();
            """
        )
