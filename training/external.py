"""Outside training: a worker declares it with proof, an admin of their street approves or rejects.

Approval credits the hours once through the ledger (source "external:<pk>"). The proof is kept
under a random, unguessable name and handed out only through a view that checks who asks.
"""

import io
import secrets
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from people import uploads
from people.models import WorkerProfile
from people.scope import scope_of

from . import hours
from .models import ExternalTraining, HoursCategory

MAX_PROOF_MB = 10
MAX_PROOF_BYTES = MAX_PROOF_MB * 1024 * 1024

# What a proof may be, recognised by its first bytes (never by its name): kind → (ext, type).
PROOF_KINDS = {
    "pdf": (".pdf", "application/pdf"),
    "jpeg": (".jpg", "image/jpeg"),
    "png": (".png", "image/png"),
}


def proof_kind(head: bytes) -> str | None:
    """'pdf', 'jpeg' or 'png' from a file's first bytes; None for anything else."""
    kind = uploads.kind_of(io.BytesIO(head))
    return kind if kind in PROOF_KINDS else None


def _read_head(upload, size: int = 16) -> bytes:
    upload.seek(0)
    head = upload.read(size)
    upload.seek(0)
    return head


def check_proof(upload) -> str:
    """The proof's kind, or a ValidationError on the field `proof` saying what is wrong."""
    if upload is None:
        raise ValidationError({"proof": _("Attach the proof: a PDF or a photo (JPEG or PNG).")})
    if upload.size > MAX_PROOF_BYTES:
        raise ValidationError(
            {
                "proof": _("The proof is larger than %(mb)s MB; send a smaller file.")
                % {"mb": MAX_PROOF_MB}
            }
        )
    kind = proof_kind(_read_head(upload))
    if kind is None:
        raise ValidationError(
            {
                "proof": _(
                    "The proof must be a PDF or a photo (JPEG or PNG); “%(name)s” is neither, whatever its name says."
                )
                % {"name": upload.name}
            }
        )
    return kind


def check_dates_and_hours(start_date: date, end_date: date, amount: Decimal) -> None:
    errors = {}
    if end_date < start_date:
        errors["end_date"] = _("The training cannot end before it starts.")
    elif end_date > timezone.localdate():
        errors["end_date"] = _("Declare the training once it has ended.")
    elif amount > 24 * ((end_date - start_date).days + 1):
        errors["hours"] = _("That is more hours than there are in the days from start to end.")
    if errors:
        raise ValidationError(errors)


def declare(user, *, title, organiser, start_date, end_date, hours, proof) -> ExternalTraining:
    """Record a declaration awaiting approval; nothing is saved if anything is wrong."""
    if not WorkerProfile.objects.filter(user=user).exists():
        raise ValidationError(_("Only community workers declare outside training."))
    kind = check_proof(proof)
    check_dates_and_hours(start_date, end_date, Decimal(hours))
    # The name a worker gave the file says nothing we trust and may say too much: replace it.
    proof.name = secrets.token_hex(16) + PROOF_KINDS[kind][0]
    declaration = ExternalTraining(
        user=user,
        title=title.strip(),
        organiser=organiser.strip(),
        start_date=start_date,
        end_date=end_date,
        hours=Decimal(hours),
        proof=proof,
    )
    declaration.full_clean()
    try:
        with transaction.atomic():
            declaration.save()
    except Exception:
        if declaration.proof.name:
            declaration.proof.delete(save=False)
        raise
    return declaration


def may_review(admin, declaration: ExternalTraining) -> bool:
    """Admins whose scope holds the worker's community decide on and see the declaration."""
    profile = (
        WorkerProfile.objects.filter(user_id=declaration.user_id)
        .select_related("community")
        .first()
    )
    scope = scope_of(admin)
    if profile is None:
        return scope.everything
    return scope.contains_path(profile.community.path)


def may_download(user, declaration: ExternalTraining) -> bool:
    return user.is_authenticated and (
        user.pk == declaration.user_id or may_review(user, declaration)
    )


def pending_for(admin):
    """Declarations awaiting a decision from `admin`, oldest first."""
    return (
        scope_of(admin)
        .filter(
            ExternalTraining.objects.filter(status=ExternalTraining.Status.PENDING),
            via="user__worker_profile__community",
        )
        .select_related("user", "user__worker_profile__community")
        .order_by("declared_at", "pk")
    )


def recent_decisions(admin, limit: int = 20):
    """The latest decisions in `admin`'s scope, to look back on."""
    return (
        scope_of(admin)
        .filter(
            ExternalTraining.objects.exclude(status=ExternalTraining.Status.PENDING),
            via="user__worker_profile__community",
        )
        .select_related("user", "decided_by")
        .order_by("-decided_at", "-pk")[:limit]
    )


def _lock_pending(declaration: ExternalTraining, by) -> ExternalTraining:
    if not may_review(by, declaration):
        raise PermissionDenied
    locked = ExternalTraining.objects.select_for_update().get(pk=declaration.pk)
    if locked.status != ExternalTraining.Status.PENDING:
        raise ValidationError(
            _("This declaration has already been decided (%(status)s).")
            % {"status": locked.get_status_display()}
        )
    return locked


def approve(declaration: ExternalTraining, by):
    """Approve and credit the hours, dated the day the training ended. Returns the entry."""
    with transaction.atomic():
        locked = _lock_pending(declaration, by)
        entry, _created = hours.credit(
            locked.user,
            locked.hours,
            locked.end_date,
            HoursCategory.EXTERNAL,
            source=f"external:{locked.pk}",
            note=locked.title,
            by=by,
        )
        _decide(locked, ExternalTraining.Status.APPROVED, by, "")
    _refresh(declaration, locked)
    return entry


def reject(declaration: ExternalTraining, by, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the declaration is rejected.")})
    with transaction.atomic():
        locked = _lock_pending(declaration, by)
        _decide(locked, ExternalTraining.Status.REJECTED, by, reason[:300])
    _refresh(declaration, locked)


def _decide(locked: ExternalTraining, status: str, by, reason: str) -> None:
    locked.status = status
    locked.reason = reason
    locked.decided_by = by
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "reason", "decided_by", "decided_at"])


def _refresh(declaration: ExternalTraining, locked: ExternalTraining) -> None:
    for field in ("status", "reason", "decided_by", "decided_at"):
        setattr(declaration, field, getattr(locked, field))
