"""The endpoints of /api/v1/: read-only lists, each within the calling client's scope, paginated,
each in a fixed number of queries however many rows there are."""

from django.db.models import Count, Exists, Max, OuterRef
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError

from competitions.models import Registration, RoundResult
from people.models import OrgUnit, WorkerProfile
from people.phones import mask_phone
from people.scope import Scope, ancestor_paths
from training.hours import standings
from training.models import Certificate, Enrolment, HoursCategory

from . import schemas
from .auth import TokenAuth
from .docs import LocalDocs
from .errors import ApiError, error_response
from .tokens import client_scope

DESCRIPTION = """Read-only data for other government systems, so communities report once.

Every call needs `Authorization: Bearer <token>`; a token is made by an admin of the platform
and reads the org units under one unit. Lists are paginated (`page`, `page_size` up to 200) and
answer `{count, page, page_size, results}`. Errors answer `{detail, code}` in JSON. Each client
has a rate per minute; past it the answer is 429 with `Retry-After`. Every call is logged."""

api = NinjaAPI(
    title="Zhuangma data API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=TokenAuth(),
    docs=LocalDocs(),
    docs_url="/docs",
)

REFUSALS = {code: schemas.ErrorOut for code in (400, 401, 403, 422, 429)}


# --- Errors -----------------------------------------------------------------------------------


@api.exception_handler(ApiError)
def _api_error(request, error: ApiError):
    response = error_response(error.status, error.code, error.detail)
    for name, value in error.headers.items():
        response[name] = value
    return response


@api.exception_handler(NinjaValidationError)
def _invalid_parameters(request, error: NinjaValidationError):
    fields = [
        {
            "field": str(e["loc"][-1]) if e.get("loc") else "",
            "message": e.get("msg", ""),
        }
        for e in error.errors
    ]
    names = "、".join(f["field"] for f in fields)
    return error_response(
        422,
        "invalid_parameters",
        _("Some parameters are not valid: %(names)s.") % {"names": names},
        errors=fields,
    )


@api.exception_handler(Http404)
def _not_found(request, error):
    return error_response(404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def _http_error(request, error: HttpError):
    return error_response(error.status_code, "error", str(error))


# --- Helpers ----------------------------------------------------------------------------------


def _scope(request, unit_code: str | None) -> Scope:
    """The client's scope, narrowed to the `unit` filter when one is given."""
    scope = client_scope(request.auth)
    if not unit_code:
        return scope
    unit = OrgUnit.objects.filter(code=unit_code).first()
    if unit is None:
        raise ApiError(
            400,
            "unknown_unit",
            _("There is no org unit with the code “%(code)s”.") % {"code": unit_code},
        )
    if not scope.contains(unit):
        raise ApiError(
            403,
            "out_of_scope",
            _("The unit “%(code)s” is outside what this token may read.") % {"code": unit_code},
        )
    return scope.narrowed_to(unit)


def _slice(paging: schemas.Paging) -> slice:
    start = (paging.page - 1) * paging.page_size
    return slice(start, start + paging.page_size)


def _page_of(queryset, paging: schemas.Paging) -> tuple[list, int]:
    """One page of rows and the count of all (two queries)."""
    return list(queryset[_slice(paging)]), queryset.count()


def _answer(request, paging: schemas.Paging, count: int, results: list) -> dict:
    request.api_rows = len(results)  # for the call log
    return {"count": count, "page": paging.page, "page_size": paging.page_size, "results": results}


def _year(year: int | None) -> int:
    return year or timezone.localdate().year


def _lineage(units) -> dict[str, dict]:
    """Every unit on the way down to `units`, by path, in one query."""
    paths = {prefix for unit in units for prefix in ancestor_paths(unit.path)}
    rows = OrgUnit.objects.filter(path__in=paths).values("path", "code", "name", "level")
    return {row["path"]: row for row in rows}


def _path_name(unit: OrgUnit, lineage: dict[str, dict]) -> str:
    """As OrgUnit.name_path: the city's name left out, unless the unit is the city."""
    chain = [lineage[p] for p in ancestor_paths(unit.path) if p in lineage]
    return "/".join(
        row["name"]
        for row in chain
        if row["level"] != OrgUnit.Level.CITY or row["path"] == unit.path
    )


def _hours(value) -> float:
    return float(value or 0)


# --- Endpoints --------------------------------------------------------------------------------


@api.get("/units", response={200: schemas.UnitPage, **REFUSALS}, summary="Org units", tags=["org"])
def units(
    request,
    paging: Query[schemas.Paging],
    filters: Query[schemas.UnitFilters],
):
    """The org units the token may read: its unit and everything under it."""
    queryset = _scope(request, filters.unit).units.order_by("path")
    if filters.level:
        queryset = queryset.filter(level=filters.level)
    rows, count = _page_of(queryset, paging)
    lineage = _lineage(rows)
    results = [
        {
            "code": unit.code,
            "name": unit.name,
            "level": unit.level,
            "parent_code": lineage.get(unit.path[: -OrgUnit.steplen], {}).get("code"),
            "path_name": _path_name(unit, lineage),
        }
        for unit in rows
    ]
    return _answer(request, paging, count, results)


def _profiles(scope: Scope):
    return scope.filter(WorkerProfile.objects.all(), via="community")


def _profile_page(profiles, paging: schemas.Paging) -> tuple[list, int]:
    """One page of `profiles` by community path, then user, and the count of all.

    Sorting 50,000 workers for every page costs more than the page: the workers per
    community are counted first (a few hundred rows, in path order), then only the
    communities the page spans are read.
    """
    # Grouped by id only (a hash aggregate), sorted by path here: grouped by path,
    # PostgreSQL sorts all the workers first.
    per_community = sorted(
        profiles.order_by()
        .values("community_id")
        .annotate(n=Count("id"), path=Max("community__path"))
        .values_list("path", "community_id", "n")
    )
    wanted = _slice(paging)
    spanned, before, seen = [], 0, 0
    for _path, community_id, n in per_community:
        if seen + n > wanted.start and seen < wanted.stop:
            before = before if spanned else seen
            spanned.append(community_id)
        seen += n
    rows = (
        profiles.filter(community_id__in=spanned)
        .select_related("user", "community")
        .order_by("community__path", "user_id")
    )
    start = wanted.start - before
    return (list(rows[start : start + paging.page_size]) if spanned else []), seen


@api.get(
    "/workers", response={200: schemas.WorkerPage, **REFUSALS}, summary="Workers", tags=["people"]
)
def workers(
    request,
    paging: Query[schemas.Paging],
    filters: Query[schemas.WorkerFilters],
):
    """Community workers in scope. Mobile numbers are masked unless the client may read them;
    ID numbers are never given."""
    queryset = _profiles(_scope(request, filters.unit))
    if filters.position:
        queryset = queryset.filter(position=filters.position)
    rows, count = _profile_page(queryset, paging)
    full = request.auth.sees_personal_data
    results = [
        {
            "id": profile.user_id,
            "name": profile.user.real_name,
            "community_code": profile.community.code,
            "community_name": profile.community.name,
            "position": profile.position,
            "worker_number": profile.worker_number,
            "start_date": profile.start_date,
            "mobile": profile.user.phone if full else mask_phone(profile.user.phone),
        }
        for profile in rows
    ]
    return _answer(request, paging, count, results)


@api.get(
    "/hours",
    response={200: schemas.HoursPage, **REFUSALS},
    summary="Learning hours",
    tags=["training"],
)
def hours(
    request,
    paging: Query[schemas.Paging],
    filters: Query[schemas.YearFilters],
):
    """Each worker's learning hours for the year by category, against the yearly requirement."""
    year = _year(filters.year)
    rows, count = _profile_page(_profiles(_scope(request, filters.unit)), paging)
    standing_of = standings(rows, year)
    results = []
    for profile in rows:
        standing = standing_of[profile.user_id]
        results.append(
            {
                "worker_id": profile.user_id,
                "name": profile.user.real_name,
                "community_code": profile.community.code,
                "year": year,
                "by_category": {
                    category: _hours(standing.by_category.get(category))
                    for category in HoursCategory.values
                },
                "earned": _hours(standing.earned),
                "required": _hours(standing.required),
                "offline_earned": _hours(standing.offline_earned),
                "offline_required": _hours(standing.offline_required),
                "met": standing.met,
            }
        )
    return _answer(request, paging, count, results)


@api.get(
    "/completions",
    response={200: schemas.CompletionPage, **REFUSALS},
    summary="Course completions",
    tags=["training"],
)
def completions(
    request,
    paging: Query[schemas.Paging],
    filters: Query[schemas.YearFilters],
):
    """Courses completed in the year by workers in scope."""
    # The workers in scope as a subquery, not a join (which needs DISTINCT and so sorts every
    # completion of the year). The page asks EXISTS per row, so the database reads the
    # completions in date order off its index and stops at the page; the count asks IN, which
    # SQLite counts twice as fast (PostgreSQL plans both as the same semi-join).
    workers = _profiles(_scope(request, filters.unit)).values("user_id")
    completed = Enrolment.objects.filter(
        completed_at__isnull=False, completed_at__year=_year(filters.year)
    )
    page = (
        completed.filter(Exists(workers.filter(user_id=OuterRef("user_id"))))
        .select_related("user__worker_profile__community", "course")
        .order_by("completed_at", "pk")
    )
    rows, count = list(page[_slice(paging)]), completed.filter(user__in=workers).count()
    results = [
        {
            "worker_id": enrolment.user_id,
            "worker_name": enrolment.user.real_name,
            "community_code": enrolment.user.worker_profile.community.code,
            "course_id": enrolment.course_id,
            "course_title": enrolment.course.title,
            "tier": enrolment.course.tier,
            "completed_at": timezone.localtime(enrolment.completed_at),
            "hours": _hours(enrolment.course.hours),
        }
        for enrolment in rows
    ]
    return _answer(request, paging, count, results)


@api.get(
    "/certificates",
    response={200: schemas.CertificatePage, **REFUSALS},
    summary="Certificates",
    tags=["training"],
)
def certificates(
    request,
    paging: Query[schemas.Paging],
    filters: Query[schemas.CertificateFilters],
):
    """Certificates held by workers in scope, revoked ones included and marked."""
    queryset = _scope(request, filters.unit).filter(
        Certificate.objects.all(), via="holder__worker_profile__community"
    )
    if filters.year:
        queryset = queryset.filter(issued_on__year=filters.year)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    rows, count = _page_of(queryset.order_by("issued_on", "pk"), paging)
    results = [
        {
            "code": certificate.code,
            "kind": certificate.kind,
            "holder_id": certificate.holder_id,
            "title": certificate.title,
            "issued_on": certificate.issued_on,
            "revoked": certificate.revoked,
            "revoked_at": certificate.revoked_at and timezone.localtime(certificate.revoked_at),
        }
        for certificate in rows
    ]
    return _answer(request, paging, count, results)


def _published_results(scope: Scope, filters: schemas.ResultFilters):
    """Results of competitions organised in scope or above it (a city contest seen from a
    district): the rows are then cut down to the contestants in scope."""
    queryset = scope.filter_overlapping(
        RoundResult.objects.select_related("round__competition"),
        via="round__competition__owner_unit",
    )
    if not filters.include_superseded:
        queryset = queryset.exclude(status=RoundResult.Status.SUPERSEDED)
    if filters.year:
        queryset = queryset.filter(round__competition__year=filters.year)
    if filters.competition:
        queryset = queryset.filter(round__competition_id=filters.competition)
    return queryset.order_by(
        "-round__competition__year", "round__competition_id", "round__order", "-version"
    )


@api.get(
    "/contest-results",
    response={200: schemas.ContestResultPage, **REFUSALS},
    summary="Contest results",
    tags=["competitions"],
)
def contest_results(
    request,
    paging: Query[schemas.Paging],
    filters: Query[schemas.ResultFilters],
):
    """Published rankings, one row per contestant in scope, as published (rank among all)."""
    scope = _scope(request, filters.unit)
    results = list(_published_results(scope, filters))
    registrations = scope.filter(
        Registration.objects.filter(
            competition_id__in={result.round.competition_id for result in results}
        ),
        via="unit",
    ).values_list("pk", "unit__code", "unit__name")
    unit_of = {pk: (code, name) for pk, code, name in registrations}
    rows = [
        (result, row)
        for result in results
        for row in result.ranking
        if row.get("registration") in unit_of
    ]
    page = [
        _result_row(result, row, unit_of[row["registration"]])
        for result, row in rows[_slice(paging)]
    ]
    return _answer(request, paging, len(rows), page)


def _result_row(result: RoundResult, row: dict, unit: tuple[str, str]) -> dict:
    competition = result.round.competition
    return {
        "competition_id": competition.pk,
        "competition": competition.title,
        "year": competition.year,
        "round": result.round.name,
        "version": result.version,
        "status": result.status,
        "published_at": timezone.localtime(result.published_at),
        "rank": row["rank"],
        "registration_id": row["registration"],
        "contestant": row.get("name", ""),
        "unit_code": unit[0],
        "unit_name": unit[1],
        "stages": row.get("stages", {}),
        "total": row.get("total"),
        "award": row.get("award") or "",
    }
