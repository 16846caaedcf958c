from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from people import audit_chain
from people.audit import verify
from people.models import AuditChain


def describe(problem: audit_chain.Break) -> str:
    messages = {
        audit_chain.NOT_LINKED: _(
            "Entry %(id)s does not follow the entry before it: entries were removed or reordered."
        ),
        audit_chain.CHANGED: _("Entry %(id)s was changed after it was written."),
        audit_chain.WRONG_LENGTH: _(
            "The log has %(found)d entries but %(expected)d were written: entries were removed."
        ),
        audit_chain.WRONG_HEAD: _("The last entry is not the one written last."),
    }
    return messages[problem.kind] % {
        "id": problem.entry_id,
        "found": problem.found,
        "expected": problem.expected,
    }


class Command(BaseCommand):
    help = _(
        "Check the audit log's hash chain: every entry unchanged, none removed or reordered. "
        "Prints the head hash: keep it somewhere else to prove later that nothing was rewritten."
    )

    def handle(self, *args, **options):
        problems = verify()
        for problem in problems:
            self.stderr.write(describe(problem))
        if problems:
            raise CommandError(
                _("The audit log has been tampered with: %(count)d problem(s).")
                % {"count": len(problems)}
            )
        chain = AuditChain.objects.filter(pk=1).first() or AuditChain()
        self.stdout.write(
            _("The audit log is intact: %(length)d entries, head %(head)s.")
            % {"length": chain.length, "head": chain.head}
        )
