"""Who may do what in a competition: one home for these questions, asked by every view.

Organisers are the admins whose scope holds the competition's unit; the chief judge and the
arbitration group are named on the competition; judges are the people seated in a room.
"""

from people.models import Role
from people.scope import scope_of

from .models import Appearance, Competition, Room, ScenarioPage


def organises(user, competition: Competition) -> bool:
    return scope_of(user).contains(competition.owner_unit)


def is_chief_judge(user, competition: Competition) -> bool:
    return user.is_authenticated and competition.chief_judge_id == user.pk


def is_active_chief_judge(user) -> bool:
    """Chief judge of a competition not yet finished: an MFA rule (settings.ZHUANGMA_MFA_RULES)."""
    return (
        Competition.objects.filter(chief_judge=user)
        .exclude(status=Competition.Status.FINISHED)
        .exists()
    )


def decides_appeals(user, competition: Competition) -> bool:
    """The chief judge or a member of the arbitration group."""
    return is_chief_judge(user, competition) or (
        user.is_authenticated and competition.arbiters.filter(pk=user.pk).exists()
    )


def may_nominate(user, competition: Competition) -> bool:
    """Admins of the organiser's unit or of any unit inside it put their own workers forward."""
    return scope_of(user).overlaps(competition.owner_unit)


def judges_in(user, competition: Competition) -> bool:
    return Room.objects.filter(stage__round__competition=competition, judges=user).exists()


def may_score(user, appearance: Appearance) -> bool:
    """Only a judge assigned to the appearance (seated in its room and not recused)."""
    return appearance.assignments.filter(judge=user).exists()


def works_on_competitions(user) -> bool:
    """Trainers, judges and admins (and superusers): the people who prepare and run contests."""
    if not user.is_authenticated:
        return False
    return (
        user.is_superuser
        or Role.objects.filter(
            user=user, kind__in=[Role.Kind.TRAINER, Role.Kind.JUDGE, Role.Kind.ADMIN]
        ).exists()
    )


def reads_confidential_scenarios(user) -> bool:
    """Cards not yet open for practice are read by contest staff only, whatever the card."""
    return works_on_competitions(user)


def may_read_scenario(user, page: ScenarioPage) -> bool:
    return page.public or reads_confidential_scenarios(user)
