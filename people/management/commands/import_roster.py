from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from people.models import OrgUnit
from people.roster import importer
from people.roster.messages import describe, describe_row_error
from people.roster.reader import RosterFileError
from people.scope import Scope


class Command(BaseCommand):
    help = "Import a worker roster (.xlsx, .xls, .csv). Writes nothing if any row is invalid."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--unit", help="Only accept communities under the unit with this code.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report; write nothing."
        )
        parser.add_argument(
            "--allow-transfer",
            action="store_true",
            help="Move people who now belong to a community outside --unit (recorded).",
        )

    def handle(self, *args, file: Path, unit=None, dry_run=False, allow_transfer=False, **options):
        scope = Scope(paths=(), everything=True)
        if unit:
            found = OrgUnit.objects.filter(code=unit).first()
            if found is None:
                raise CommandError(_("No org unit has the code “%(code)s”.") % {"code": unit})
            scope = Scope(paths=(found.path,))
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": file, "error": error}
            ) from error
        try:
            table = importer.read(data, file.name)
        except RosterFileError as error:
            raise CommandError(describe(error.code, error.params)) from error
        if dry_run:
            outcome = importer.check(table, scope=scope, allow_transfer=allow_transfer)
        else:
            # Checked again and written under the roster lock: a web import at the same time
            # cannot slip in between (people/roster/importer.py).
            outcome = importer.check_and_apply(
                table, scope=scope, allow_transfer=allow_transfer, actor=None, filename=file.name
            )
        summary = (
            _(
                "%(new)d new, %(updated)d updated, %(unchanged)d unchanged, %(invalid)d invalid rows."
            )
            % outcome.counts
        )
        if not outcome.ok:
            for error in outcome.errors:
                self.stderr.write(describe_row_error(error))
            raise CommandError(_("%(summary)s Nothing was imported.") % {"summary": summary})
        if dry_run:
            self.stdout.write(_("%(summary)s Dry run: nothing was written.") % {"summary": summary})
            return
        self.stdout.write(_("%(summary)s Imported.") % {"summary": summary})
