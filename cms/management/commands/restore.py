from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cms.backup import ArchiveError, check_migrations, restore, verify


class Command(BaseCommand):
    help = (
        "Replace the whole site (every database table and the media files) with a backup "
        "made by `backup`. The archive is checked first (checksums, migrations known to this "
        "code) and nothing changes if it fails. Stop the web and task processes first. Media "
        "files that are not in the archive are kept unless --prune-media is given. The archive "
        "holds password hashes and encrypted ID numbers: keep it as carefully as the database."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The .tar.gz written by `backup`.")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
        parser.add_argument(
            "--prune-media",
            action="store_true",
            help="Also delete media files that are not in the archive.",
        )

    def handle(self, *args, path, yes=False, prune_media=False, **options):
        try:
            manifest = verify(path)
            check_migrations(manifest)
        except ArchiveError as error:
            raise CommandError(str(error)) from error
        rows = sum(table["rows"] for table in manifest["tables"].values())
        self.stdout.write(
            _(
                "Archive of %(created)s (%(vendor)s): %(rows)d rows in %(tables)d tables, "
                "%(files)d media files. Checksums verified."
            )
            % {
                "created": manifest["created_at"],
                "vendor": manifest["vendor"],
                "rows": rows,
                "tables": len(manifest["tables"]),
                "files": manifest["media"].get("files", 0),
            }
        )
        if not yes:
            site = settings.WAGTAIL_SITE_NAME
            prompt = _(
                "Every row of this site's database will be replaced. Type the site name "
                "(%(site)s) or yes to go on: "
            ) % {"site": site}
            try:
                answer = input(prompt).strip()
            except EOFError:
                answer = ""
            if answer not in (site, "yes"):
                raise CommandError(_("Restore cancelled. Nothing was changed."))
        try:
            summary = restore(path, manifest, prune_media=prune_media, log=self.stdout.write)
        except ArchiveError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            _("Restored from %(path)s in %(seconds).1f s.")
            % {"path": path, "seconds": sum(summary.seconds.values())}
        )
