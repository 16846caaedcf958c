"""API tokens: made once, shown once, kept only as a keyed hash; clients made and revoked by admins
within their own scope."""

import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.models.api import ApiCall, ApiClient
from people.access import may_see_personal_data
from people.audit import record
from people.crypto import keyed_hash
from people.models import AuditEvent, OrgUnit
from people.scope import Scope, scope_of

PREFIX = "zm_"
HINT_LENGTH = 4
MAX_RATE = 6000


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # The personal-data hash key; the prefix keeps tokens apart from ID numbers hashed with it.
    return keyed_hash(f"api-token:{token}")


def client_for_token(token: str) -> ApiClient | None:
    """The client holding `token`, revoked or not; None for a token never issued."""
    token = (token or "").strip()
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    return ApiClient.objects.select_related("unit").filter(token_hash=hash_token(token)).first()


def client_scope(client: ApiClient) -> Scope:
    return Scope(paths=(client.unit.path,))


def clients_in(scope: Scope) -> QuerySet[ApiClient]:
    """Clients bound to units in `scope`, with when and how they last called."""
    last = ApiCall.objects.filter(client=OuterRef("pk")).order_by("-at", "-pk")
    day_ago = timezone.now() - timedelta(days=1)
    return (
        scope.filter(ApiClient.objects.all(), via="unit")
        .select_related("unit", "created_by")
        .annotate(
            last_call_at=Max("calls__at"),
            last_call_status=Subquery(last.values("status")[:1]),
            calls_last_day=Count("calls", filter=Q(calls__at__gte=day_ago)),
        )
        .order_by("revoked_at", "-created_at", "-pk")
    )


def create_client(
    *,
    name: str,
    unit: OrgUnit,
    by,
    sees_personal_data: bool = False,
    requests_per_minute: int = 60,
) -> tuple[ApiClient, str]:
    """A new client and its token; the token is returned once and never stored."""
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = _("Name the system that will use the token.")
    if not scope_of(by).contains(unit):
        errors["unit"] = _("“%(unit)s” is outside the units you manage.") % {"unit": unit.name}
    if sees_personal_data and not may_see_personal_data(by):
        errors["sees_personal_data"] = _(
            "Only someone who may see personal data in full can give a system that right."
        )
    if not 1 <= int(requests_per_minute) <= MAX_RATE:
        errors["requests_per_minute"] = _("Between 1 and %(max)d requests a minute.") % {
            "max": MAX_RATE
        }
    if errors:
        raise ValidationError(errors)
    token = new_token()
    with transaction.atomic():
        client = ApiClient.objects.create(
            name=name[:100],
            unit=unit,
            token_hash=hash_token(token),
            token_hint=token[-HINT_LENGTH:],
            sees_personal_data=sees_personal_data,
            requests_per_minute=requests_per_minute,
            created_by=by,
        )
        _audit(client, AuditEvent.Action.ROLE_GRANT, by)
    return client, token


def _audit(client: ApiClient, action: str, by) -> None:
    # A token is access granted to a system: its grant and revocation are role changes.
    what = f"API · {client.name} · …{client.token_hint}"
    if client.sees_personal_data:
        what += " · " + _("personal data in full")
    record(by, action, what, scope=client_scope(client))


def revoke(client: ApiClient, by) -> ApiClient:
    """Refuse the client's token from the next call on; revoking twice changes nothing."""
    if not scope_of(by).contains(client.unit):
        raise ValidationError(_("This system belongs to units you do not manage."))
    if client.revoked_at is None:
        with transaction.atomic():
            client.revoked_at = timezone.now()
            client.revoked_by = by
            client.save(update_fields=["revoked_at", "revoked_by"])
            _audit(client, AuditEvent.Action.ROLE_REVOKE, by)
    return client
