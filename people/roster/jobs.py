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


def _table(roster_import: RosterImport):
    """The stored file's table, or None after recording on the import why it cannot be read."""
    data = crypto.decrypt_bytes(roster_import.file_encrypted)
    try:
        return importer.read(data, roster_import.filename)
    except RosterFileError as error:
        roster_import.status = RosterImport.Status.REJECTED
        roster_import.file_error = describe(error.code, error.params)
        roster_import.file_encrypted = b""
        roster_import.finished_at = timezone.now()
        roster_import.save()
        return None


def _check(roster_import: RosterImport, table, progress_start: int, progress_span: int):
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
    table = _table(roster_import)
    if table is None:
        return
    _record_outcome(roster_import, _check(roster_import, table, 0, 100))
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
    table = _table(roster_import)
    if table is None:
        return
    # People or units may have changed since the preview: check again here, with the progress
    # bar moving and without holding up other imports, then once more under the roster lock
    # where it is written (another import may have written the same people meanwhile).
    outcome = _check(roster_import, table, 0, 80)
    status = RosterImport.Status.CHECKED
    if outcome.ok:
        try:
            outcome = importer.check_and_apply(
                table,
                scope=import_scope(roster_import),
                allow_transfer=roster_import.allow_transfer,
                actor=roster_import.created_by,
                roster_import=roster_import,
                filename=roster_import.filename,
            )
        except Exception:
            log.exception("roster import %s failed", import_id)
            status = RosterImport.Status.FAILED
        else:
            if outcome.ok:
                status = RosterImport.Status.DONE
                roster_import.file_encrypted = b""  # personal data no longer needed
    _record_outcome(roster_import, outcome)
    roster_import.status = status
    roster_import.progress = 100
    if status != RosterImport.Status.CHECKED:
        roster_import.finished_at = timezone.now()
    roster_import.save()
