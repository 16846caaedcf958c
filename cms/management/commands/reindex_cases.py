from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _

from cms.search import reindex_all


class Command(BaseCommand):
    help = "Segment every case and guide again for the casebook's Chinese search."

    def handle(self, *args, **options):
        with transaction.atomic():
            count, seconds = reindex_all()
        self.stdout.write(
            _("Indexed %(count)d cases and guides in %(seconds).1f s.")
            % {"count": count, "seconds": seconds}
        )
