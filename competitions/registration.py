"""Registration: the organiser opens it, units put their workers forward within quotas, the
organiser approves or rejects; an approved worker enters the first round.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from people.models import OrgUnit, WorkerProfile
from people.scope import ancestor_paths, scope_of

from .access import may_nominate, organises
from .models import Competition, Quota, Registration, RoundEntry

Status = Competition.Status
# Registrations that hold a place in a quota.
HOLDING = (Registration.Status.NOMINATED, Registration.Status.APPROVED)
# The organiser moves a competition one step on, or back to preparing while registration is open.
TRANSITIONS = {
    Status.PREPARING: {Status.REGISTRATION},
    Status.REGISTRATION: {Status.PREPARING, Status.RUNNING},
    Status.RUNNING: {Status.FINISHED},
    Status.FINISHED: set(),
}


def registration_open(competition: Competition, now=None) -> bool:
    now = now or timezone.now()
    closes = competition.registration_closes
    return competition.status == Status.REGISTRATION and (closes is None or now < closes)


@transaction.atomic
def set_status(competition: Competition, status: str, by) -> Competition:
    competition = Competition.objects.select_for_update().get(pk=competition.pk)
    if not organises(by, competition):
        raise PermissionDenied
    if status not in TRANSITIONS.get(competition.status, set()):
        raise ValidationError(
            _("A competition that is “%(old)s” cannot become “%(new)s”.")
            % {"old": competition.get_status_display(), "new": Status(status).label}
        )
    if status == Status.REGISTRATION and not competition.rounds.exists():
        raise ValidationError(_("Add a round before opening registration."))
    competition.status = status
    competition.save(update_fields=["status"])
    return competition


# --- Who sees and nominates whom --------------------------------------------------------------


def _under(unit: OrgUnit) -> Q:
    return Q(community__path__startswith=unit.path)


def nominable_workers(user, competition: Competition) -> QuerySet[WorkerProfile]:
    """Workers of the competition's tree in `user`'s scope, not already put forward."""
    profiles = WorkerProfile.objects.filter(_under(competition.owner_unit)).exclude(
        user__registrations__in=Registration.objects.filter(
            competition=competition, status__in=HOLDING
        )
    )
    return (
        scope_of(user)
        .filter(profiles, via="community")
        .select_related("user", "community")
        .order_by("community__path", "user__real_name")
    )


def visible_registrations(user, competition: Competition) -> QuerySet[Registration]:
    """Organisers see every registration; nominating admins those of their own units."""
    registrations = competition.registrations.select_related("worker", "unit", "nominated_by")
    if organises(user, competition):
        return registrations
    if may_nominate(user, competition):
        return scope_of(user).filter(registrations, via="unit")
    return registrations.none()


def quota_usage(competition: Competition) -> list[dict]:
    """Each quota with the places it has used."""
    rows = []
    for quota in competition.quotas.select_related("unit").order_by("unit__path"):
        used = _used(competition, quota.unit)
        rows.append({"quota": quota, "used": used, "left": max(quota.seats - used, 0)})
    return rows


def _used(competition: Competition, unit: OrgUnit) -> int:
    return Registration.objects.filter(
        competition=competition, status__in=HOLDING, unit__path__startswith=unit.path
    ).count()


def _check_quotas(competition: Competition, community: OrgUnit) -> None:
    """Every quota on the community or a unit above it must have a place left."""
    quotas = Quota.objects.filter(
        competition=competition, unit__path__in=ancestor_paths(community.path)
    ).select_related("unit")
    for quota in sorted(quotas, key=lambda q: q.unit.path):
        if _used(competition, quota.unit) >= quota.seats:
            raise ValidationError(
                _("%(unit)s has used all %(seats)s places of its quota.")
                % {"unit": quota.unit.name, "seats": quota.seats}
            )


# --- Nominating and deciding ------------------------------------------------------------------


@transaction.atomic
def nominate(competition: Competition, worker, by) -> Registration:
    """`by` puts `worker` forward; one registration per worker, within every quota above them."""
    # Locking the competition serialises nominations, so two admins cannot overfill a quota.
    competition = Competition.objects.select_for_update().get(pk=competition.pk)
    if not may_nominate(by, competition):
        raise PermissionDenied
    if not registration_open(competition):
        raise ValidationError(
            _("Registration for “%(competition)s” is not open.")
            % {"competition": competition.title}
        )
    profile = WorkerProfile.objects.select_related("community").filter(user=worker).first()
    if profile is None:
        raise ValidationError(_("%(name)s is not a community worker.") % {"name": worker})
    in_tree = profile.community.path.startswith(competition.owner_unit.path)
    if not in_tree or not scope_of(by).contains(profile.community):
        raise ValidationError(
            _("%(name)s does not work in a unit you manage for this competition.")
            % {"name": worker}
        )
    existing = Registration.objects.filter(competition=competition, worker=worker).first()
    if existing and existing.status != Registration.Status.WITHDRAWN:
        raise ValidationError(
            _("%(name)s is already registered (%(status)s).")
            % {"name": worker, "status": existing.get_status_display()}
        )
    _check_quotas(competition, profile.community)
    registration = existing or Registration(competition=competition, worker=worker)
    registration.unit = profile.community
    registration.status = Registration.Status.NOMINATED
    registration.nominated_by = by
    registration.decided_by = None
    registration.decided_at = None
    registration.note = ""
    registration.save()
    return registration


def _locked(registration: Registration) -> Registration:
    return (
        Registration.objects.select_for_update()
        .select_related("competition", "worker")
        .get(pk=registration.pk)
    )


def _drawn(registration: Registration) -> bool:
    return registration.round_entries.filter(appearances__isnull=False).exists()


@transaction.atomic
def approve(registration: Registration, by) -> Registration:
    """The organiser accepts the worker, who enters the first round."""
    registration = _locked(registration)
    competition = registration.competition
    if not organises(by, competition):
        raise PermissionDenied
    if competition.status == Status.FINISHED:
        raise ValidationError(_("The competition is finished."))
    if registration.status not in (Registration.Status.NOMINATED, Registration.Status.REJECTED):
        raise ValidationError(
            _("The registration of %(name)s is %(status)s: it cannot be approved.")
            % {"name": registration.worker, "status": registration.get_status_display()}
        )
    first_round = competition.rounds.order_by("order").first()
    if first_round is None:
        raise ValidationError(_("Add a round before approving registrations."))
    if registration.status == Registration.Status.REJECTED:
        # A rejected worker held no place: taking them back needs one.
        _check_quotas(competition, registration.unit)
    registration.status = Registration.Status.APPROVED
    registration.decided_by = by
    registration.decided_at = timezone.now()
    registration.save(update_fields=["status", "decided_by", "decided_at"])
    RoundEntry.objects.get_or_create(round=first_round, registration=registration)
    return registration


@transaction.atomic
def reject(registration: Registration, by, reason: str) -> Registration:
    registration = _locked(registration)
    if not organises(by, registration.competition):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _("Give a reason for rejecting %(name)s.") % {"name": registration.worker}
        )
    _leave(registration, Registration.Status.REJECTED)
    registration.decided_by = by
    registration.decided_at = timezone.now()
    registration.note = reason[:300]
    registration.save(update_fields=["status", "decided_by", "decided_at", "note"])
    return registration


@transaction.atomic
def withdraw(registration: Registration, by) -> Registration:
    """The nominating unit or the organiser takes a worker back, as long as no draw includes them."""
    registration = _locked(registration)
    competition = registration.competition
    allowed = organises(by, competition) or (
        may_nominate(by, competition) and scope_of(by).contains(registration.unit)
    )
    if not allowed:
        raise PermissionDenied
    _leave(registration, Registration.Status.WITHDRAWN)
    registration.save(update_fields=["status"])
    return registration


def _leave(registration: Registration, status: str) -> None:
    """Take a nominated or approved worker out of the competition, before any draw."""
    if registration.status not in HOLDING:
        raise ValidationError(
            _("The registration of %(name)s is already %(status)s.")
            % {"name": registration.worker, "status": registration.get_status_display()}
        )
    if _drawn(registration):
        raise ValidationError(
            _("%(name)s has already been drawn: redo the draw without them first.")
            % {"name": registration.worker}
        )
    registration.round_entries.all().delete()
    registration.status = status


# --- Quotas -----------------------------------------------------------------------------------


@transaction.atomic
def set_quota(competition: Competition, unit: OrgUnit, seats: int, by) -> Quota:
    if not organises(by, competition):
        raise PermissionDenied
    if not unit.path.startswith(competition.owner_unit.path):
        raise ValidationError(
            _("%(unit)s is not part of %(owner)s.")
            % {"unit": unit.name, "owner": competition.owner_unit.name}
        )
    used = _used(competition, unit)
    if seats < used:
        raise ValidationError(
            _("%(unit)s has already put forward %(used)s workers: the quota cannot be lower.")
            % {"unit": unit.name, "used": used}
        )
    quota, _created = Quota.objects.update_or_create(
        competition=competition, unit=unit, defaults={"seats": seats}
    )
    return quota


def registration_counts(competition: Competition) -> dict[str, int]:
    counts = dict(
        competition.registrations.values_list("status").annotate(n=Count("pk")).order_by()
    )
    return {status: counts.get(status, 0) for status in Registration.Status.values}
