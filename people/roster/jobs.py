"""A roster import's life: upload → check (background) → preview → confirm → import (background)."""

import logging

from django.db import transaction
from django.utils import timezone

from .. import crypto
from ..models import RosterImport
from ..scope import Scope, scope_of
from . import importer
from .messages import describe
from .reader import RosterFileError

log = logging.getLogger("zhuangma.roster")
# Enough errors to fix a file by; the count says how many more there were.
MAX_STORED_ERRORS = 2000


def import_scope(roster_import: RosterImport) -> Scope:
    scope = scope_of(roster_import.created_by)
    return scope.narrowed_to(roster_import.unit) if roster_import.unit_id else scope


def start(user, name: str, data: bytes, *, unit=None, allow_transfer=False) -> RosterImport:
    roster_import = RosterImport.objects.create(
        created_by=user,
        unit=unit,
        allow_transfer=allow_transfer,
        filename=name[:255],
        file_encrypted=crypto.encrypt_bytes(data),
    )
    from ..tasks import check_roster_import

    transaction.on_commit(lambda: check_roster_import.enqueue(roster_import.pk))
    return roster_import


def _progress(roster_import: RosterImport, start: int, span: int):
    def report(fraction: float):
        RosterImport.objects.filter(pk=roster_import.pk).update(
            progress=start + int(span * fraction)
        )

    return report


def _checked(roster_import: RosterImport, progress_start: int, progress_span: int):
    """Read and check the stored file; records a file-level refusal on the import."""
    data = crypto.decrypt_bytes(roster_import.file_encrypted)
    try:
        table = importer.read(data, roster_import.filename)
    except RosterFileError as error:
        roster_import.status = RosterImport.Status.REJECTED
        roster_import.file_error = describe(error.code, error.params)
        roster_import.file_encrypted = b""
        roster_import.finished_at = timezone.now()
        roster_import.save()
        return None
    return importer.check(
        table,
        scope=import_scope(roster_import),
        allow_transfer=roster_import.allow_transfer,
        progress=_progress(roster_import, progress_start, progress_span),
    )


def _record_outcome(roster_import: RosterImport, outcome: importer.Outcome):
    roster_import.counts = {**outcome.counts, "errors": len(outcome.errors)}
    roster_import.errors = outcome.errors[:MAX_STORED_ERRORS]


def run_check(import_id: int):
    roster_import = RosterImport.objects.select_related("created_by", "unit").get(pk=import_id)
    outcome = _checked(roster_import, 0, 100)
    if outcome is None:
        return
    _record_outcome(roster_import, outcome)
    roster_import.status = RosterImport.Status.CHECKED
    roster_import.progress = 100
    roster_import.save()


def confirm(roster_import: RosterImport) -> bool:
    if not roster_import.can_confirm:
        return False
    updated = RosterImport.objects.filter(
        pk=roster_import.pk, status=RosterImport.Status.CHECKED
    ).update(status=RosterImport.Status.IMPORTING, progress=0)
    if updated:  # a second click does nothing
        from ..tasks import apply_roster_import

        transaction.on_commit(lambda: apply_roster_import.enqueue(roster_import.pk))
    return bool(updated)


def run_apply(import_id: int):
    roster_import = RosterImport.objects.select_related("created_by", "unit").get(pk=import_id)
    # Check again: people or units may have changed since the preview.
    outcome = _checked(roster_import, 0, 80)
    if outcome is None:
        return
    _record_outcome(roster_import, outcome)
    if not outcome.ok:
        roster_import.status = RosterImport.Status.CHECKED
        roster_import.progress = 100
        roster_import.save()
        return
    try:
        importer.apply(
            outcome,
            actor=roster_import.created_by,
            scope=import_scope(roster_import),
            roster_import=roster_import,
            filename=roster_import.filename,
        )
    except Exception:
        log.exception("roster import %s failed", import_id)
        roster_import.status = RosterImport.Status.FAILED
    else:
        roster_import.status = RosterImport.Status.DONE
        roster_import.file_encrypted = b""  # personal data no longer needed
    roster_import.progress = 100
    roster_import.finished_at = timezone.now()
    roster_import.save()
