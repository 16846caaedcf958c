"""The audit log: every unmasked view, export, import and transfer, with who, what and scope."""

from .models import AuditEvent, OrgUnit
from .scope import Scope


def describe_scope(scope: Scope) -> str:
    """'东湖区/和平街道、西岭区' — the roots of the subtrees, as people name them."""
    if scope.everything:
        return "*"
    roots = OrgUnit.objects.filter(path__in=scope.paths).order_by("path")
    return "、".join(unit.name_path() for unit in roots)


def record(actor, action: str, what: str, *, scope: Scope, count: int = 0) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        what=what[:300],
        scope=describe_scope(scope)[:500],
        count=count,
    )
