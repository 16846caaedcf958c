from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from people import duties
from people.models import User


class Command(BaseCommand):
    help = (
        "Give an account the security or audit administrator duty (or take it away with "
        "--revoke). One account holds at most one duty; a superuser is the system administrator."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("duty", choices=[duties.SECURITY, duties.AUDIT])
        parser.add_argument("--revoke", action="store_true", help="Take the duty away.")

    def handle(self, *args, username, duty, revoke=False, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No account has the username “%(name)s”.") % {"name": username})
        if not Group.objects.filter(name=duties.GROUPS[duty]).exists():
            raise CommandError(
                _("The group “%(group)s” is missing: run manage.py migrate.")
                % {"group": duties.GROUPS[duty]}
            )
        try:
            (duties.revoke if revoke else duties.grant)(user, duty)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        done = (
            _("%(user)s no longer holds the duty: %(duty)s.")
            if revoke
            else _("%(user)s now holds the duty: %(duty)s.")
        )
        self.stdout.write(done % {"user": username, "duty": duties.LABELS[duty]})
