from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from cms.demo import DEMO_PASSWORD, load_demo
from cms.demo_cases import load_case_demo
from cms.demo_competitions import load_competition_demo
from cms.demo_hours import load_hours_demo
from cms.demo_training import load_training_demo
from people.models import OrgUnit, User


class Command(BaseCommand):
    help = "Load the fictional city 青禾市: units, sections, people, courses, plans, cases, hours and sessions, a contest. Idempotent."

    def handle(self, *args, **options):
        logins = load_demo()
        load_training_demo(stdout=self.stdout)
        load_case_demo(stdout=self.stdout)
        load_hours_demo(stdout=self.stdout)
        load_competition_demo(stdout=self.stdout)
        self.stdout.write(
            _("Demo data ready: %(units)d org units, %(users)d users.")
            % {"units": OrgUnit.objects.count(), "users": User.objects.count()}
        )
        self.stdout.write(
            _("Demo logins (password for all: %(password)s):") % {"password": DEMO_PASSWORD}
        )
        for login in logins:
            self.stdout.write(f"  {login.login:<16} {login.role}（{login.unit}）")
        self.stdout.write(
            _("City and district admins are asked to set up an authenticator app at first login.")
        )
