from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.backup import backup


class Command(BaseCommand):
    help = (
        "Write a consistent backup of the whole site (every database table, read as one "
        "instant, and every media file) to one .tar.gz that `restore` reads on SQLite or "
        "PostgreSQL. The archive holds password hashes and encrypted ID numbers: keep it as "
        "carefully as the database, and keep ZHUANGMA_PERSONAL_DATA_KEY apart from it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            help="Where to write the archive (default: zhuangma-backup-YYYYmmdd-HHMMSS.tar.gz).",
        )

    def handle(self, *args, output=None, **options):
        path = output or f"zhuangma-backup-{timezone.localtime():%Y%m%d-%H%M%S}.tar.gz"
        summary = backup(path, log=self.stdout.write)
        self.stdout.write(
            _("Backup written to %(path)s in %(seconds).1f s.")
            % {"path": summary.path, "seconds": sum(summary.seconds.values())}
        )
