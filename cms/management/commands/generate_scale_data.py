import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cms.scale import SCALE_PASSWORD, SCALES, ScaleDataError, generate, landmarks


class Command(BaseCommand):
    help = (
        "Fill an empty, migrated database with the made-up city 规模市 at a given scale "
        "(tiny, small or city), reproducibly from a seed: for benchmarks and query budgets."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--landmarks", action="store_true", help="Print the landmarks as JSON at the end."
        )

    def handle(self, *args, scale, seed, **options):
        try:
            counts = generate(SCALES[scale], seed=seed, stdout=self.stdout)
        except ScaleDataError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            _("Scale data ready in %(seconds)s s. Password of every account: %(password)s")
            % {"seconds": counts["seconds"], "password": SCALE_PASSWORD}
        )
        if options["landmarks"]:
            self.stdout.write(json.dumps(landmarks(), ensure_ascii=False, indent=2))
