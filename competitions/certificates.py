"""Award certificates (获奖证书) for a final result, through training's certificate machinery."""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from training import certificates
from training.models import Certificate

from .models import Registration, RoundResult

log = logging.getLogger("zhuangma.competitions")


def award_source(result: RoundResult, registration_id: int) -> str:
    return f"award:{result.round_id}:{registration_id}"


def _award_title(competition, award: str) -> str:
    name = competition.title
    if str(competition.year) in name:  # "2026年青禾杯…" already carries its year
        return _("%(competition)s · %(award)s") % {"competition": name, "award": award}
    return _("%(year)s %(competition)s · %(award)s") % {
        "year": competition.year,
        "competition": name,
        "award": award,
    }


def _achievement(competition, round_name: str, award: str) -> str:
    return _("Won the %(award)s in the %(round)s of %(competition)s.") % {
        "award": award,
        "round": round_name,
        "competition": _award_title(competition, "").rstrip(" ·"),
    }


def issue_award_certificates(result: RoundResult) -> int:
    """One certificate per awarded contestant of a final result; returns how many are new.

    Idempotent: a contestant already certified for this round keeps their certificate. The
    PDFs are queued once the transaction commits (for every award certificate still without
    one, so a rerun also repairs a lost job).
    """
    if result.status != RoundResult.Status.FINAL:
        raise ValidationError(_("Certificates are issued only once the result is final."))
    round_ = result.round
    competition = round_.competition
    awarded = {
        row["registration"]: row["award"]
        for row in result.ranking
        if row.get("award") and row.get("registration")
    }
    registrations = Registration.objects.filter(
        pk__in=awarded, competition=competition
    ).select_related("worker")
    sources = {award_source(result, pk) for pk in awarded}
    existing = set(Certificate.objects.filter(source__in=sources).values_list("source", flat=True))
    issued_on = timezone.localdate(result.finalised_at or timezone.now())
    created = 0
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        for registration in registrations:
            award = awarded[registration.pk]
            source = award_source(result, registration.pk)
            certificate = certificates.issue(
                registration.worker,
                Certificate.Kind.AWARD,
                _award_title(competition, award),
                _achievement(competition, round_.name, award),
                competition.owner_unit,
                issued_on,
                source,
            )
            created += source not in existing
            if not certificate.pdf:
                certificates.queue_pdf(certificate)
    missing = set(awarded) - {r.pk for r in registrations}
    if missing:
        log.warning("result %s: awards for unknown registrations %s", result.pk, sorted(missing))
    return created


def competition_certificates(competition):
    """Every award certificate of the competition's rounds, best known first."""
    prefixes = [f"award:{pk}:" for pk in competition.rounds.values_list("pk", flat=True)]
    certificates_ = Certificate.objects.none()
    for prefix in prefixes:
        certificates_ |= Certificate.objects.filter(source__startswith=prefix)
    return certificates_.select_related("holder", "issuer").order_by("source", "pk")
