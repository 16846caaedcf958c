"""成长档案: a worker's whole record across years, as plain data (dicts, lists, Decimals, dates).

`build_profile(user)` gathers courses, exams, hours against each year's requirement, offline
sessions, certificates, contest results, cases authored and "applied it here" reports in a
fixed number of queries, however many years or entries the worker has: every section is one
query and everything else (grouping by year, picking requirements, net hours after
corrections) happens in Python. Pages and exports (cms/profile_views.py) only lay it out.
"""

from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone, translation

from competitions.models import Registration, RoundResult, Stage
from people.models import WorkerProfile
from training import hours, hours_rules
from training.certificates import site_base_url
from training.models import (
    Attendance,
    Certificate,
    Enrolment,
    ExamAttempt,
    HoursCategory,
    HoursEntry,
)

from .models import ApplicationReport, CasePage

ZERO = Decimal(0)
PUBLISHED = (RoundResult.Status.NOTICE, RoundResult.Status.FINAL)


def build_profile(user) -> dict:
    """Everything the growth profile shows for `user`, newest first in every section."""
    worker = WorkerProfile.objects.filter(user=user).select_related("user", "community").first()
    entries = _hours_entries(user)
    sections = {
        "courses": _courses(user, entries),
        "exams": _exams(user),
        "sessions": _sessions(user, entries),
        "certificates": _certificates(user),
        "contests": _contests(user),
        "cases": _cases(user),
        "applications": _applications(user),
    }
    for rows in sections.values():
        rows.sort(key=lambda row: -row["year"])  # stable: keeps each section's own order
    hours = _hours_by_year(worker, entries, _activity_years(sections))
    years = sorted(_activity_years(sections) | {row["year"] for row in hours}, reverse=True)
    return {
        "worker": _worker(user, worker),
        "years": years,
        "summary": _summary(years, entries, sections),
        "hours": hours,
        **sections,
    }


# --- Who ------------------------------------------------------------------------------------


def _worker(user, worker: WorkerProfile | None) -> dict:
    return {
        "id": user.pk,
        "name": user.real_name or user.username,
        "community": worker.community.name_path() if worker else "",
        "community_id": worker.community_id if worker else None,
        "position": worker.get_position_display() if worker else "",
        "worker_number": worker.worker_number if worker else "",
        "start_date": worker.start_date if worker else None,
    }


def _local_date(moment):
    return timezone.localtime(moment).date() if moment else None


# --- Hours ----------------------------------------------------------------------------------


def _hours_entries(user) -> list[dict]:
    """The whole ledger, one query; each original entry with its net after corrections."""
    rows = list(
        HoursEntry.objects.filter(user=user).values(
            "id", "hours", "year", "category", "source", "enrolment_id", "corrects_id"
        )
    )
    corrections = defaultdict(lambda: ZERO)
    for row in rows:
        if row["corrects_id"]:
            corrections[row["corrects_id"]] += row["hours"]
    for row in rows:
        row["net"] = row["hours"] + corrections[row["id"]]
    return rows


def _hours_by_year(worker, entries, activity_years: set[int]) -> list[dict]:
    """Per year: hours by category and where they stand against the year's requirement."""
    totals: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for row in entries:
        by_category = totals[row["year"]]
        by_category[row["category"]] = by_category.get(row["category"], ZERO) + row["hours"]
    requirements = (
        list(hours.requirements_above(worker.community, worker.position)) if worker else []
    )
    years = set(totals) | (activity_years if worker else set())
    rows = []
    for year in sorted(years, reverse=True):
        requirement = (
            hours.applicable_requirement(requirements, worker.position, worker.community.path, year)
            if worker
            else None
        )
        standing = hours_rules.standing(
            totals[year],
            requirement.hours if requirement else ZERO,
            requirement.min_offline_share if requirement else ZERO,
        )
        rows.append(
            {
                "year": year,
                "categories": [
                    {
                        "category": category.value,
                        "label": str(category.label),
                        "hours": standing.by_category.get(category.value, ZERO),
                    }
                    for category in HoursCategory
                ],
                "earned": standing.earned,
                "has_requirement": requirement is not None,
                "required": standing.required,
                "offline_earned": standing.offline_earned,
                "offline_required": standing.offline_required,
                "remaining": standing.remaining,
                "offline_remaining": standing.offline_remaining,
                "met": standing.met if requirement is not None else None,
                "percent": standing.percent,
            }
        )
    return rows


# --- Courses and exams ----------------------------------------------------------------------


def _courses(user, entries) -> list[dict]:
    enrolments = list(
        Enrolment.objects.filter(user=user)
        .select_related("course", "course__exam")
        .order_by("-enrolled_at", "-pk")
    )
    exam_ids = {e.course.exam_id for e in enrolments if e.course.exam_id}
    best: dict[int, ExamAttempt] = {}
    for attempt in ExamAttempt.objects.filter(
        user=user, exam_id__in=exam_ids, submitted_at__isnull=False
    ).only("exam_id", "score", "passed"):
        held = best.get(attempt.exam_id)
        if held is None or (attempt.score or ZERO) > (held.score or ZERO):
            best[attempt.exam_id] = attempt
    credited = {row["enrolment_id"]: row["net"] for row in entries if row["enrolment_id"]}
    rows = []
    for enrolment in enrolments:
        course = enrolment.course
        attempt = best.get(course.exam_id)
        completed_on = _local_date(enrolment.completed_at)
        enrolled_on = _local_date(enrolment.enrolled_at)
        rows.append(
            {
                "year": (completed_on or enrolled_on).year,
                "title": course.title,
                "tier": course.get_tier_display() if course.tier else "",
                "hours": course.hours,
                "required": enrolment.required,
                "enrolled_on": enrolled_on,
                "completed_on": completed_on,
                "hours_credited": credited.get(enrolment.pk, ZERO),
                "exam": course.exam.title if course.exam_id else "",
                "exam_score": attempt.score if attempt else None,
                "exam_passed": attempt.passed if attempt else None,
            }
        )
    return rows


def _exams(user) -> list[dict]:
    attempts = (
        ExamAttempt.objects.filter(user=user, submitted_at__isnull=False)
        .select_related("exam")
        .only("exam__title", "exam__pass_mark", "submitted_at", "score", "passed")
        .order_by("-submitted_at", "-pk")
    )
    rows = []
    for attempt in attempts:
        day = _local_date(attempt.submitted_at)
        rows.append(
            {
                "year": day.year,
                "title": attempt.exam.title,
                "date": day,
                "score": attempt.score,
                "pass_mark": attempt.exam.pass_mark,
                "passed": attempt.passed,
            }
        )
    return rows


# --- Offline sessions -----------------------------------------------------------------------


def _sessions(user, entries) -> list[dict]:
    """Sessions the worker was at (checked in), with the hours standing credited for each."""
    credited = {row["source"]: row["net"] for row in entries if row["source"]}
    attendances = (
        Attendance.objects.filter(user=user, checked_in_at__isnull=False)
        .select_related("session", "session__base")
        .order_by("-session__starts_at", "-pk")
    )
    rows = []
    for attendance in attendances:
        session = attendance.session
        day = _local_date(session.starts_at)
        rows.append(
            {
                "year": day.year,
                "title": session.title,
                "date": day,
                "base": session.base.name,
                "checked_in": timezone.localtime(attendance.checked_in_at),
                "checked_out": timezone.localtime(attendance.checked_out_at)
                if attendance.checked_out_at
                else None,
                # The same source as training.sessions.source_of.
                "hours_credited": credited.get(f"attendance:{attendance.pk}", ZERO),
            }
        )
    return rows


# --- Certificates ---------------------------------------------------------------------------


def _certificates(user) -> list[dict]:
    base = site_base_url()
    certificates = (
        Certificate.objects.filter(holder=user)
        .select_related("issuer")
        .order_by("-issued_on", "-pk")
    )
    rows = []
    for certificate in certificates:
        # The verification page is public and Chinese-first, as printed on the certificate.
        with translation.override(settings.LANGUAGE_CODE):
            path = reverse("certificate_verify", args=[certificate.code])
        rows.append(
            {
                "year": certificate.issued_on.year,
                "title": certificate.title,
                "kind": certificate.get_kind_display(),
                "achievement": certificate.achievement,
                "issuer": certificate.issuer.name,
                "issued_on": certificate.issued_on,
                "code": certificate.code,
                "revoked": certificate.revoked,
                "verify_path": path,
                "verify_url": base + path,
            }
        )
    return rows


# --- Contests -------------------------------------------------------------------------------


def _contests(user) -> list[dict]:
    """Per round the worker was ranked in: the version in force (on notice or final, the latest)."""
    registrations = {
        r.pk: r
        for r in Registration.objects.filter(worker=user)
        .exclude(status__in=[Registration.Status.REJECTED, Registration.Status.WITHDRAWN])
        .select_related("competition")
    }
    competitions = {r.competition_id for r in registrations.values()}
    results = (
        RoundResult.objects.filter(round__competition_id__in=competitions, status__in=PUBLISHED)
        .select_related("round")
        .only(
            "round",
            "round__competition_id",
            "round__name",
            "round__order",
            "round__awards",
            "version",
            "status",
            "ranking",
        )
        .order_by("round_id", "-version")
    )
    latest: dict[int, RoundResult] = {}
    for result in results:
        latest.setdefault(result.round_id, result)
    stage_names = defaultdict(dict)
    for stage in Stage.objects.filter(round_id__in=latest).order_by("order"):
        stage_names[stage.round_id][stage.code] = stage.name
    ranked = {}
    for result in latest.values():
        for row in result.ranking:
            registration = registrations.get(row.get("registration"))
            if registration is not None and registration.competition_id == (
                result.round.competition_id
            ):
                ranked[result.round_id] = _contest_row(
                    registration, result, row, stage_names[result.round_id]
                )
    rows = list(ranked.values())
    # Entered but not (yet) in any published ranking: still part of the record.
    shown = {row["registration"] for row in rows}
    for registration in registrations.values():
        if registration.pk not in shown:
            rows.append(_contest_row(registration, None, None, {}))
    rows.sort(key=lambda r: (-r["year"], r["competition"], -r["round_order"]))
    return rows


def _decimal(text) -> Decimal | None:
    return Decimal(str(text)) if text not in (None, "") else None


def _contest_row(registration, result, row, stage_names: dict) -> dict:
    competition = registration.competition
    row = row or {}
    award = row.get("award") or ""
    awards = [a.get("name") for a in result.round.awards] if result else []
    return {
        "year": competition.year,
        "registration": registration.pk,
        "competition": competition.title,
        "round": result.round.name if result else "",
        "round_order": result.round.order if result else 0,
        "published": result is not None,
        "final": result is not None and result.status == RoundResult.Status.FINAL,
        "rank": row.get("rank"),
        "contestants": len(result.ranking) if result else None,
        "total": _decimal(row.get("total")),
        "award": award,
        # Lower is better: the round lists its awards highest first.
        "award_order": awards.index(award) if award in awards else len(awards),
        "stages": [
            {"code": code, "name": stage_names.get(code, code), "score": _decimal(score)}
            for code, score in (row.get("stages") or {}).items()
        ],
    }


def best_contest(contests: list[dict]) -> dict | None:
    """The best published result: any award beats none (the higher the better), then rank."""
    ranked = [c for c in contests if c["rank"] is not None]
    if not ranked:
        return None
    return min(
        ranked,
        key=lambda c: (not c["award"], c["award_order"], c["rank"], -c["round_order"], -c["year"]),
    )


# --- Cases ----------------------------------------------------------------------------------


def _cases(user) -> list[dict]:
    """Live cases the worker owns (Wagtail's page owner), with how many places applied each."""
    cases = (
        CasePage.objects.live()
        .filter(owner=user)
        .select_related("category")
        .annotate(applied=Count("applications"))
        .order_by("-year", "-first_published_at")
    )
    return [
        {
            "year": case.year,
            "title": case.title,
            "url": case.url,
            "category": case.category.name,
            "published_on": _local_date(case.first_published_at),
            "applications": case.applied,
        }
        for case in cases
    ]


def _applications(user) -> list[dict]:
    """ "Applied it here" reports the worker filed."""
    reports = ApplicationReport.objects.filter(user=user).select_related("case", "unit")
    rows = []
    for report in reports:
        day = _local_date(report.created_at)
        rows.append(
            {
                "year": day.year,
                "date": day,
                "case": report.case.title,
                "case_url": report.case.url if report.case.live else "",
                "unit": report.unit.name,
                "what_changed": report.what_changed,
                "outcome": report.outcome,
            }
        )
    return rows


# --- Summary --------------------------------------------------------------------------------


def _activity_years(sections: dict) -> set[int]:
    return {row["year"] for rows in sections.values() for row in rows}


def _summary(years: list[int], entries: list[dict], sections: dict) -> dict:
    return {
        "years_active": len(years),
        "first_year": min(years) if years else None,
        "last_year": max(years) if years else None,
        "total_hours": sum((row["hours"] for row in entries), ZERO),
        "courses_completed": sum(1 for c in sections["courses"] if c["completed_on"]),
        "certificates": sum(1 for c in sections["certificates"] if not c["revoked"]),
        "best_contest": best_contest(sections["contests"]),
        "cases": len(sections["cases"]),
    }
