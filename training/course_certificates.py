"""Course-completion (结业证书) and yearly-hours (学时证明) certificates.

A completed course earns its certificate at once (`certify_completion`, called where the
enrolment completes); a worker who has met a year's hours requirement asks for that year's
certificate on their certificates page (`issue_hours_certificate`). Both go through
`certificates.issue` (idempotent on the source) and have their PDF made in the background.

What is stored on a certificate is printed and shown to anyone who checks its code, so it is
written in the site's language (Chinese) whatever language the worker browses in.
"""

import logging
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from people.models import WorkerProfile

from . import certificates, hours
from .models import Certificate, Enrolment, HoursEntry

log = logging.getLogger("zhuangma.certificates")

# How many years back the certificates page offers an hours certificate for.
YEARS_OFFERED = 5


def format_hours(value) -> str:
    """Hours as a person writes them: 4.0 → "4", 3.50 → "3.5", 40 → "40"."""
    return format(Decimal(value).normalize(), "f")


def course_source(enrolment: Enrolment) -> str:
    return f"course:{enrolment.pk}"


def hours_source(user, year: int) -> str:
    return f"hours:{user.pk}:{year}"


# ---------------------------------------------------------------------------------------
# Course completion
# ---------------------------------------------------------------------------------------


def course_texts(course) -> tuple[str, str]:
    """The title and achievement of a course certificate, in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Certificate of completion: %(course)s") % {"course": course.title}
        achievement = _("Completed the course “%(course)s” (%(hours)s learning hours).") % {
            "course": course.title,
            "hours": format_hours(course.hours),
        }
    return title, achievement


def issue_course_certificate(enrolment: Enrolment) -> Certificate | None:
    """The certificate of a completed enrolment (made once), its PDF queued on commit.

    None when the enrolment is not complete or the course has no owning unit to sign it.
    """
    if enrolment.completed_at is None:
        return None
    course = enrolment.course
    if course.owner_unit_id is None:
        log.warning("course %s has no owner unit: no certificate for %s", course.pk, enrolment.pk)
        return None
    title, achievement = course_texts(course)
    certificate = certificates.issue(
        enrolment.user,
        Certificate.Kind.COURSE,
        title,
        achievement,
        course.owner_unit,
        timezone.localdate(enrolment.completed_at),
        course_source(enrolment),
    )
    if not certificate.pdf:
        certificates.queue_pdf(certificate)
    return certificate


def certify_completion(enrolment: Enrolment) -> Certificate | None:
    """Called where a course completes: a certificate must never undo the completion or
    the hours credited with it, so a failure is logged and the holder's certificates page
    issues the missing certificate on their next visit."""
    try:
        with transaction.atomic():
            return issue_course_certificate(enrolment)
    except Exception:
        log.exception("course certificate for enrolment %s failed", enrolment.pk)
        return None


def issue_missing_course_certificates(user) -> int:
    """Certificates for the user's completed courses that have none yet (courses completed
    before certificates existed, or a failed issue). Returns how many were made."""
    completed = list(
        Enrolment.objects.filter(
            user=user, completed_at__isnull=False, course__owner_unit__isnull=False
        ).select_related("course", "course__owner_unit", "user")
    )
    if not completed:
        return 0
    have = set(
        Certificate.objects.filter(source__in=[course_source(e) for e in completed]).values_list(
            "source", flat=True
        )
    )
    made = 0
    for enrolment in completed:
        if course_source(enrolment) not in have:
            made += certify_completion(enrolment) is not None
    return made


# ---------------------------------------------------------------------------------------
# Yearly hours
# ---------------------------------------------------------------------------------------


def hours_texts(year: int, standing) -> tuple[str, str]:
    """The title and achievement of an hours certificate, in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Learning hours certificate %(year)s") % {"year": year}
        achievement = _(
            "Earned %(hours)s learning hours in %(year)s, of which %(offline)s offline, "
            "meeting the yearly requirement of %(required)s hours."
        ) % {
            "hours": format_hours(standing.earned),
            "year": year,
            "offline": format_hours(standing.offline_earned),
            "required": format_hours(standing.required),
        }
    return title, achievement


def shortfall_message(year: int, standing) -> str:
    """Why a year cannot be certified yet, with the hours still to earn."""
    remaining = format_hours(standing.remaining)
    offline = format_hours(standing.offline_remaining)
    if standing.remaining > 0 and standing.offline_remaining > 0:
        return _(
            "You have not met the %(year)s hours requirement yet: %(remaining)s more hours "
            "are needed, %(offline)s of them offline."
        ) % {"year": year, "remaining": remaining, "offline": offline}
    if standing.remaining > 0:
        return _(
            "You have not met the %(year)s hours requirement yet: %(remaining)s more hours "
            "are needed."
        ) % {"year": year, "remaining": remaining}
    return _(
        "You have earned enough hours in %(year)s, but %(offline)s more must be earned offline."
    ) % {"year": year, "offline": offline}


def _parse_year(year, today: date) -> int:
    try:
        year = int(str(year).strip())
    except (TypeError, ValueError):
        raise ValidationError({"year": _("Choose the year to certify.")}) from None
    if year > today.year:
        raise ValidationError(
            {
                "year": _("%(year)s has not begun: its hours cannot be certified yet.")
                % {"year": year}
            }
        )
    if year < today.year - 100:
        raise ValidationError({"year": _("Choose the year to certify.")})
    return year


@transaction.atomic
def issue_hours_certificate(user, year, *, today: date | None = None) -> Certificate:
    """The user's certificate for `year`'s learning hours, once the year's requirement is met.

    Idempotent: asking again returns the certificate already issued. Raises ValidationError
    (nothing written) when the user is not a worker, no requirement applies, or it is not met.
    """
    today = today or timezone.localdate()
    year = _parse_year(year, today)
    existing = Certificate.objects.filter(source=hours_source(user, year)).first()
    if existing is not None:
        return existing
    profile = WorkerProfile.objects.filter(user=user).select_related("community").first()
    if profile is None:
        raise ValidationError(_("Only community workers have yearly learning hours to certify."))
    requirement = hours.requirement_for(profile.position, profile.community, year)
    if requirement is None or requirement.hours <= 0:
        raise ValidationError(
            _(
                "No learning hours requirement applies to you in %(year)s: there is nothing to certify."
            )
            % {"year": year}
        )
    standing = hours.standing(user, year)
    if not standing.met:
        raise ValidationError(shortfall_message(year, standing))
    title, achievement = hours_texts(year, standing)
    # The issuer is the unit that set the requirement (the city, as a rule), not the street
    # that approved some outside hours: the certificate attests that the year's requirement
    # is met, and only the requirement's owner can say so for hours from every source.
    certificate = certificates.issue(
        user,
        Certificate.Kind.HOURS,
        title,
        achievement,
        requirement.owner_unit,
        today,
        hours_source(user, year),
    )
    if not certificate.pdf:
        certificates.queue_pdf(certificate)
    return certificate


def hours_years(user, *, today: date | None = None) -> list[dict]:
    """For the certificates page: the recent years in which the worker has hours or owes
    them, newest first, each with its standing and any certificate already issued.

    Empty for someone who is not a worker. Years without a requirement are left out.
    """
    today = today or timezone.localdate()
    if not WorkerProfile.objects.filter(user=user).exists():
        return []
    earliest = today.year - YEARS_OFFERED + 1
    years = set(
        HoursEntry.objects.filter(user=user, year__gte=earliest, year__lte=today.year)
        .values_list("year", flat=True)
        .distinct()
    )
    years.add(today.year)
    issued = {
        c.source: c
        for c in Certificate.objects.filter(source__in=[hours_source(user, y) for y in years])
    }
    rows = []
    for year in sorted(years, reverse=True):
        standing = hours.standing(user, year)
        if standing is None or standing.required <= 0:
            continue
        rows.append(
            {
                "year": year,
                "standing": standing,
                "earned": format_hours(standing.earned),
                "required": format_hours(standing.required),
                "certificate": issued.get(hours_source(user, year)),
                "shortfall": "" if standing.met else shortfall_message(year, standing),
            }
        )
    return rows
