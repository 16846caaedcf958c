"""The read-only data API (/api/v1/): tokens, scope, masking, pagination, bad input, the rate
limit, the call log, constant queries, the live OpenAPI document, and the admin pages that make
and revoke tokens."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cms.api import tokens
from cms.models.api import ApiCall, ApiClient
from competitions.models import Registration, RoundResult
from tests.factories import (
    activate_totp,
    make_admin,
    make_competition,
    make_course,
    make_sections,
    make_tree,
    make_user,
    make_worker,
)
from training import hours
from training.models import Certificate, Enrolment, HoursCategory, HoursRequirement

pytestmark = pytest.mark.django_db

YEAR = 2026
ENDPOINTS = ["units", "workers", "hours", "completions", "certificates", "contest-results"]


@pytest.fixture(autouse=True)
def fresh_rate_windows():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def units():
    return make_tree()


@pytest.fixture
def root(units):
    return make_user("平台管理员", is_superuser=True, is_staff=True)


def make_client(unit, by, **options) -> tuple[ApiClient, str]:
    return tokens.create_client(name=options.pop("name", "人社系统"), unit=unit, by=by, **options)


@pytest.fixture
def district_token(units, root):
    """A token reading district TD1 (streets TD1S1, TD1S2 and their communities)."""
    return make_client(units["TD1"], root)[1]


def call(client, endpoint, token=None, **params):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.get(f"/api/v1/{endpoint}", params, **headers)


def codes(response, key="code"):
    return [row[key] for row in response.json()["results"]]


# --- Data -------------------------------------------------------------------------------------


@pytest.fixture
def world(units, root):
    """Workers in and out of TD1, with hours, a completion, certificates and a contest each."""
    sections = make_sections(units)
    course = make_course(sections["TD1"], "基层治理实务", hours="6", lessons=1)
    HoursRequirement.objects.create(
        owner_unit=units["T"], year=YEAR, hours=Decimal("10"), min_offline_share=Decimal("0.2")
    )
    inside = make_worker(units["TD1S1C1"], real_name="张晓梅", phone="13912345678")
    second = make_worker(units["TD1S2C1"], real_name="李建国", phone="13800001111")
    outside = make_worker(units["TD2S1C1"], real_name="王芳", phone="13700002222")
    profile = inside.worker_profile
    profile.worker_number = "SQ-001"
    profile.start_date = date(2020, 3, 1)
    profile.save()
    # 张晓梅: 8 online + 2 offline = 10 of 10, offline 2 of 2 → met. 李建国: 3 online → not met.
    hours.credit(inside, "8", date(YEAR, 3, 1), HoursCategory.ONLINE, source="t:1")
    hours.credit(inside, "2", date(YEAR, 4, 1), HoursCategory.OFFLINE, source="t:2")
    hours.credit(second, "3", date(YEAR, 4, 1), HoursCategory.ONLINE, source="t:3")
    hours.credit(inside, "5", date(YEAR - 1, 4, 1), HoursCategory.ONLINE, source="t:4")
    hours.credit(outside, "9", date(YEAR, 4, 1), HoursCategory.ONLINE, source="t:5")
    completed = timezone.make_aware(datetime(YEAR, 5, 20, 9, 30))
    for worker in (inside, outside):
        Enrolment.objects.create(user=worker, course=course, source="self", completed_at=completed)
    Enrolment.objects.create(user=second, course=course, source="self")  # not completed
    certificate(inside, "C0000001", units["TD1"])
    certificate(second, "C0000002", units["TD1"], revoked_at=completed)
    certificate(outside, "C0000003", units["TD2"])
    city_contest = make_competition(units["T"], title="市级技能大赛")
    publish(city_contest, [inside, second, outside], root)
    district2_contest = make_competition(units["TD2"], title="二区技能大赛")
    publish(district2_contest, [outside], root)
    return {
        "inside": inside,
        "second": second,
        "outside": outside,
        "course": course,
        "city_contest": city_contest,
    }


def certificate(holder, code, issuer, **extra):
    return Certificate.objects.create(
        code=code,
        kind=Certificate.Kind.COURSE,
        holder=holder,
        title="基层治理实务",
        achievement="完成课程",
        issuer=issuer,
        issued_on=date(YEAR, 6, 1),
        source=f"test:{code}",
        **extra,
    )


def publish(competition, workers, by, *, status=RoundResult.Status.FINAL, version=1):
    round_ = competition.rounds.get()
    registrations = [
        Registration.objects.get_or_create(
            competition=competition,
            worker=worker,
            defaults={
                "unit": worker.worker_profile.community,
                "status": Registration.Status.APPROVED,
            },
        )[0]
        for worker in workers
    ]
    ranking = [
        {
            "rank": rank,
            "registration": registration.pk,
            "contestant": str(registration.pk),
            "name": registration.worker.real_name,
            "unit": registration.unit.name,
            "street": "",
            "district": "",
            "stages": {"scenario": f"{90 - rank}.50"},
            "total": f"{90 - rank}.50",
            "award": "一等奖" if rank == 1 else "",
        }
        for rank, registration in enumerate(registrations, 1)
    ]
    now = timezone.now()
    return RoundResult.objects.create(
        round=round_,
        version=version,
        status=status,
        published_at=now,
        published_by=by,
        appeal_deadline=now + timedelta(hours=72),
        ranking=ranking,
        scores_csv="",
        rules_json="{}",
        ranking_csv="",
        sha256="0" * 64,
    )


# --- Authentication -----------------------------------------------------------------------------


def test_no_token_is_refused_with_a_json_401_and_logged(client, units):
    response = call(client, "units")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "token_missing"
    assert "Bearer" in response["WWW-Authenticate"]
    logged = ApiCall.objects.get()
    assert (logged.client, logged.status, logged.path) == (None, 401, "/api/v1/units")


def test_wrong_or_malformed_token_is_refused(client, units, district_token):
    assert call(client, "units", "zm_" + "x" * 43).json()["code"] == "token_unknown"
    assert call(client, "units", "not-even-ours").status_code == 401
    basic = client.get("/api/v1/units", HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert basic.status_code == 401 and basic.json()["code"] == "token_malformed"
    assert set(ApiCall.objects.values_list("status", flat=True)) == {401}


def test_revoked_token_is_refused_at_once(client, units, root):
    api_client, token = make_client(units["TD1"], root)
    assert call(client, "units", token).status_code == 200
    tokens.revoke(api_client, root)
    response = call(client, "units", token)
    assert response.status_code == 401 and response.json()["code"] == "token_revoked"
    assert list(api_client.calls.order_by("pk").values_list("status", flat=True)) == [200, 401]


def test_only_a_keyed_hash_of_the_token_is_stored(units, root):
    api_client, token = make_client(units["TD1"], root)
    assert token.startswith("zm_") and len(token) > 40
    stored = ApiClient.objects.filter(pk=api_client.pk).values().get()
    assert token not in [str(value) for value in stored.values()]
    assert stored["token_hash"] == tokens.hash_token(token) and len(stored["token_hash"]) == 64
    assert stored["token_hint"] == token[-4:]
    assert tokens.client_for_token(token) == api_client


# --- Scope -----------------------------------------------------------------------------------


def test_units_are_those_under_the_token_unit(client, units, district_token):
    response = call(client, "units", district_token, page_size=200)
    assert response.status_code == 200
    assert codes(response) == [
        "TD1",
        "TD1S1",
        "TD1S1C1",
        "TD1S1C2",
        "TD1S2",
        "TD1S2C1",
        "TD1S2C2",
    ]
    community = response.json()["results"][2]
    assert community == {
        "code": "TD1S1C1",
        "name": "T1-1-1社区",
        "level": "community",
        "parent_code": "TD1S1",
        "path_name": "T第1区/T1区1街道/T1-1-1社区",
    }
    assert response.json()["results"][0]["parent_code"] == "T"  # above the scope, yet its parent
    streets = call(client, "units", district_token, level="street")
    assert codes(streets) == ["TD1S1", "TD1S2"]


def test_unit_filter_narrows_and_is_refused_outside_scope(client, units, world, district_token):
    narrowed = call(client, "workers", district_token, unit="TD1S2")
    assert codes(narrowed, "id") == [world["second"].pk]
    outside = call(client, "workers", district_token, unit="TD2")
    assert outside.status_code == 403 and outside.json()["code"] == "out_of_scope"
    above = call(client, "units", district_token, unit="T")
    assert above.status_code == 403
    unknown = call(client, "hours", district_token, unit="NOPE")
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_unit"
    assert "NOPE" in unknown.json()["detail"]


# --- Endpoints -------------------------------------------------------------------------------


def test_workers_are_masked_unless_the_client_may_see_personal_data(client, units, world, root):
    masked_token = make_client(units["TD1"], root)[1]
    full_token = make_client(units["TD1"], root, sees_personal_data=True)[1]
    masked = call(client, "workers", masked_token).json()
    assert masked["count"] == 2
    first = masked["results"][0]
    assert first == {
        "id": world["inside"].pk,
        "name": "张晓梅",
        "community_code": "TD1S1C1",
        "community_name": "T1-1-1社区",
        "position": "full_time",
        "worker_number": "SQ-001",
        "start_date": "2020-03-01",
        "mobile": "139****5678",
    }
    full = call(client, "workers", full_token).json()["results"]
    assert [row["mobile"] for row in full] == ["13912345678", "13800001111"]
    assert not any("id_number" in key for row in full for key in row)


def test_hours_by_category_against_the_requirement(client, units, world, district_token):
    rows = call(client, "hours", district_token, year=YEAR).json()["results"]
    by_worker = {row["worker_id"]: row for row in rows}
    assert set(by_worker) == {world["inside"].pk, world["second"].pk}
    inside = by_worker[world["inside"].pk]
    assert inside["by_category"] == {"online": 8.0, "offline": 2.0, "external": 0.0, "contest": 0.0}
    assert (inside["earned"], inside["required"], inside["offline_required"]) == (10.0, 10.0, 2.0)
    assert inside["met"] is True
    second = by_worker[world["second"].pk]
    assert (second["earned"], second["met"]) == (3.0, False)
    last_year = call(client, "hours", district_token, year=YEAR - 1).json()["results"]
    assert {row["worker_id"]: row["earned"] for row in last_year} == {
        world["inside"].pk: 5.0,
        world["second"].pk: 0.0,
    }


def test_completions_of_the_year_in_scope(client, units, world, district_token):
    response = call(client, "completions", district_token, year=YEAR).json()
    assert response["count"] == 1
    (row,) = response["results"]
    assert row["worker_id"] == world["inside"].pk and row["worker_name"] == "张晓梅"
    assert (row["course_title"], row["tier"], row["hours"]) == (
        "基层治理实务",
        "district_backbone",
        6.0,
    )
    assert row["completed_at"].startswith(f"{YEAR}-05-20T09:30")
    assert call(client, "completions", district_token, year=YEAR - 1).json()["count"] == 0


def test_certificates_in_scope_with_revocation(client, units, world, district_token):
    rows = call(client, "certificates", district_token).json()["results"]
    assert [(r["code"], r["holder_id"], r["revoked"]) for r in rows] == [
        ("C0000001", world["inside"].pk, False),
        ("C0000002", world["second"].pk, True),
    ]
    assert rows[0]["issued_on"] == f"{YEAR}-06-01" and rows[0]["kind"] == "course"
    assert call(client, "certificates", district_token, year=YEAR - 1).json()["count"] == 0


def test_contest_results_only_contestants_in_scope_of_contests_above(
    client, units, world, root, district_token
):
    response = call(client, "contest-results", district_token).json()
    rows = response["results"]
    # The city contest (above the district) shows; the other district's contest does not;
    # of the city contest, only the two contestants of TD1, with their published ranks.
    assert [(r["contestant"], r["rank"], r["unit_code"]) for r in rows] == [
        ("张晓梅", 1, "TD1S1C1"),
        ("李建国", 2, "TD1S2C1"),
    ]
    assert rows[0]["competition"] == "市级技能大赛" and rows[0]["award"] == "一等奖"
    assert (rows[0]["version"], rows[0]["status"], rows[0]["total"]) == (1, "final", "89.50")
    assert rows[0]["stages"] == {"scenario": "89.50"}
    assert "王芳" not in str(response)
    # A superseded version is history: shown only when asked for.
    city = world["city_contest"]
    RoundResult.objects.filter(round__competition=city).update(status="superseded")
    publish(city, [world["second"], world["inside"]], root, status="notice", version=2)
    now = call(client, "contest-results", district_token).json()["results"]
    assert [(r["contestant"], r["version"]) for r in now] == [("李建国", 2), ("张晓梅", 2)]
    both = call(client, "contest-results", district_token, include_superseded="true")
    assert both.json()["count"] == 4
    assert call(client, "contest-results", district_token, year=YEAR - 1).json()["count"] == 0


def test_a_street_token_sees_the_district_contest_above_it(client, units, world, root):
    district_contest = make_competition(units["TD1"], title="一区技能大赛")
    publish(district_contest, [world["inside"], world["second"]], root)
    street_token = make_client(units["TD1S2"], root)[1]
    rows = call(client, "contest-results", street_token).json()["results"]
    assert sorted((r["competition"], r["contestant"]) for r in rows) == [
        ("一区技能大赛", "李建国"),
        ("市级技能大赛", "李建国"),
    ]


# --- Pagination and bad input ------------------------------------------------------------------


def test_pagination(client, units, district_token):
    first = call(client, "units", district_token, page_size=3).json()
    assert (first["count"], first["page"], first["page_size"]) == (7, 1, 3)
    assert codes(call(client, "units", district_token, page_size=3, page=3)) == ["TD1S2C2"]
    assert call(client, "units", district_token, page=9).json()["results"] == []
    assert call(client, "units", district_token).json()["page_size"] == 50


@pytest.mark.parametrize(
    "params, field",
    [
        ({"page_size": 201}, "page_size"),
        ({"page_size": 0}, "page_size"),
        ({"page": 0}, "page"),
        ({"page": "two"}, "page"),
        ({"page": 10**30}, "page"),
    ],
)
def test_page_out_of_bounds_is_a_json_422(client, units, district_token, params, field):
    response = call(client, "units", district_token, **params)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_parameters"
    assert [error["field"] for error in body["errors"]] == [field]


@pytest.mark.parametrize(
    "endpoint, params, field",
    [
        ("hours", {"year": "abc"}, "year"),
        ("completions", {"year": "1850"}, "year"),
        ("units", {"level": "planet"}, "level"),
        ("workers", {"position": "mayor"}, "position"),
        ("certificates", {"kind": "diploma"}, "kind"),
        ("contest-results", {"competition": "x"}, "competition"),
    ],
)
def test_malformed_filter_is_a_json_422(client, units, district_token, endpoint, params, field):
    response = call(client, endpoint, district_token, **params)
    assert response.status_code == 422 and response["Content-Type"] == "application/json"
    assert field in [error["field"] for error in response.json()["errors"]]


def test_unknown_paths_and_writes_answer_json(client, units, district_token):
    missing = call(client, "salaries", district_token)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    post = client.post("/api/v1/units", HTTP_AUTHORIZATION=f"Bearer {district_token}")
    assert post.status_code == 405 and post.json()["code"] == "method_not_allowed"


# --- Rate limit and the call log ---------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after(client, units, root):
    api_client, token = make_client(units["TD1"], root, requests_per_minute=2)
    other_token = make_client(units["TD1"], root, requests_per_minute=2)[1]
    assert [call(client, "units", token).status_code for _ in range(2)] == [200, 200]
    refused = call(client, "units", token)
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert call(client, "units", other_token).status_code == 200  # per client
    assert list(api_client.calls.order_by("pk").values_list("status", flat=True)) == [200, 200, 429]


def test_rate_window_resets_each_minute(units, root):
    from cms.api.auth import check_rate
    from cms.api.errors import ApiError

    api_client = make_client(units["TD1"], root, requests_per_minute=1)[0]
    check_rate(api_client, now=120.0)
    with pytest.raises(ApiError) as refused:
        check_rate(api_client, now=150.5)
    assert refused.value.status == 429 and refused.value.headers["Retry-After"] == "30"
    check_rate(api_client, now=180.0)  # a new minute


def test_every_call_is_logged_answered_or_refused(client, units, world, district_token):
    api_client = tokens.client_for_token(district_token)
    call(client, "workers", district_token, page_size=1)
    call(client, "workers", district_token, unit="TD2")
    call(client, "hours", district_token, year="abc")
    call(client, "units")
    logged = list(ApiCall.objects.order_by("pk"))
    assert [(c.client, c.path, c.status, c.rows) for c in logged] == [
        (api_client, "/api/v1/workers", 200, 1),
        (api_client, "/api/v1/workers", 403, 0),
        (api_client, "/api/v1/hours", 422, 0),
        (None, "/api/v1/units", 401, 0),
    ]
    assert logged[0].method == "GET" and logged[0].query == "page_size=1"


def test_long_query_strings_are_truncated_in_the_log(client, units, district_token):
    call(client, "units", district_token, unit="X" * 30, level="street" * 100)
    assert len(ApiCall.objects.get().query) == 500


# --- Constant queries --------------------------------------------------------------------------


def add_workers(units, world, root, count):
    """`count` more workers in TD1 with hours, a completion, a certificate and a ranking row."""
    added = []
    for n in range(count):
        worker = make_worker(units["TD1S1C2"], real_name=f"工作者{n}")
        hours.credit(
            worker, "2", date(YEAR, 5, 1), HoursCategory.OFFLINE, source=f"more:{worker.pk}"
        )
        Enrolment.objects.create(
            user=worker, course=world["course"], source="self", completed_at=timezone.now()
        )
        certificate(worker, f"M{worker.pk:07d}", units["TD1"])
        added.append(worker)
    contest = make_competition(units["T"], title=f"追加赛{count}")
    publish(contest, added, root)


def queries_per_endpoint(client, token) -> dict[str, int]:
    counts = {}
    for endpoint in ENDPOINTS:
        with CaptureQueriesContext(connection) as queries:
            params = {"year": YEAR} if endpoint in ("hours", "completions") else {}
            response = call(client, endpoint, token, **params)
        assert response.status_code == 200, response.content
        counts[endpoint] = len(queries)
    return counts


def test_each_list_runs_a_constant_number_of_queries(client, units, world, root, district_token):
    add_workers(units, world, root, 2)
    small = queries_per_endpoint(client, district_token)
    add_workers(units, world, root, 12)
    large = queries_per_endpoint(client, district_token)
    assert call(client, "workers", district_token).json()["count"] == 16
    assert call(client, "contest-results", district_token).json()["count"] == 16
    assert small == large, (small, large)
    # Token, page, count, call log: about four each; none grows with the rows.
    assert max(large.values()) <= 6, large


# --- OpenAPI ---------------------------------------------------------------------------------


def resolve(document, schema):
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = document["components"]["schemas"][name]
    return schema


def test_live_openapi_document_is_valid_and_complete(client, units):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] and document["info"]["version"] == "1"
    paths = document["paths"]
    assert set(paths) == {f"/api/v1/{endpoint}" for endpoint in ENDPOINTS}
    schemes = document["components"]["securitySchemes"]
    assert {s["type"]: s["scheme"] for s in schemes.values()} == {"http": "bearer"}
    for url, item in paths.items():
        assert set(item) == {"get"}, f"{url} is read-only"
        operation = item["get"]
        assert operation["operationId"] and operation["security"]
        assert {"200", "401", "403", "422", "429"} <= set(operation["responses"])
        for code, answer in operation["responses"].items():
            assert answer["description"], (url, code)
            schema = answer["content"]["application/json"]["schema"]
            assert resolve(document, schema)["type"] == "object"
        page = resolve(
            document, operation["responses"]["200"]["content"]["application/json"]["schema"]
        )
        assert {"count", "page", "page_size", "results"} <= set(page["required"])
        assert page["properties"]["results"]["type"] == "array"
        parameters = {p["name"]: p for p in operation["parameters"]}
        assert {"page", "page_size", "unit"} <= set(parameters)
        assert all(p["in"] == "query" for p in parameters.values())
        assert parameters["page_size"]["schema"]["maximum"] == 200
    # Every reference points at a schema that exists.
    text = response.content.decode()
    for name in {part.split('"')[0] for part in text.split('"#/components/schemas/')[1:]}:
        assert name in document["components"]["schemas"], name
    assert ApiCall.objects.get().path == "/api/v1/openapi.json"


def test_docs_page_is_served_without_any_remote_script(client, units):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    text = response.content.decode()
    for endpoint in ENDPOINTS:
        assert f"/api/v1/{endpoint}" in text
    assert "cdn" not in text.lower() and "https://" not in text and "<script" not in text


# --- Admin pages -----------------------------------------------------------------------------


@pytest.fixture
def district_admin(units):
    admin = make_admin(units["TD1"])
    activate_totp(admin)
    return admin


def test_create_shows_the_token_once(client, units, district_admin):
    client.force_login(district_admin)
    form = client.get("/en/api-clients/new/")
    assert form.status_code == 200
    text = form.content.decode()
    assert 'name="sees_personal_data"' not in text  # the admin may not see personal data
    assert "T1区2街道" in text and "T第2区" not in text  # units of their own scope only
    response = client.post(
        "/en/api-clients/new/",
        {"name": "区人社系统", "unit": units["TD1S2"].pk, "requests_per_minute": 30},
    )
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    api_client = ApiClient.objects.get()
    token = response.context["token"]
    assert token in response.content.decode() and "only this once" in response.content.decode()
    assert (api_client.name, api_client.unit, api_client.requests_per_minute) == (
        "区人社系统",
        units["TD1S2"],
        30,
    )
    assert api_client.created_by == district_admin and not api_client.sees_personal_data
    assert call(client, "units", token).json()["count"] == 3
    detail = client.get(f"/en/api-clients/{api_client.pk}/").content.decode()
    assert token not in detail and f"zm_…{token[-4:]}" in detail
    assert token not in client.get("/en/api-clients/").content.decode()


def test_create_refuses_units_outside_scope_and_bad_rates(client, units, district_admin):
    client.force_login(district_admin)
    response = client.post(
        "/en/api-clients/new/", {"name": "X", "unit": units["TD2"].pk, "requests_per_minute": 60}
    )
    assert response.status_code == 200 and response.context["form"].errors["unit"]
    response = client.post(
        "/en/api-clients/new/", {"name": "X", "unit": units["TD1"].pk, "requests_per_minute": 0}
    )
    assert response.context["form"].errors["requests_per_minute"]
    assert not ApiClient.objects.exists()


def test_personal_data_flag_needs_the_permission(client, units, root, district_admin):
    client.force_login(district_admin)
    client.post(
        "/en/api-clients/new/",
        {
            "name": "X",
            "unit": units["TD1"].pk,
            "requests_per_minute": 60,
            "sees_personal_data": "on",
        },
    )
    assert ApiClient.objects.get().sees_personal_data is False
    with pytest.raises(ValidationError) as refused:
        make_client(units["TD1"], district_admin, sees_personal_data=True)
    assert "sees_personal_data" in refused.value.message_dict
    district_admin.user_permissions.add(Permission.objects.get(codename="view_personal_data"))
    allowed = type(district_admin).objects.get(pk=district_admin.pk)
    client.force_login(allowed)
    assert 'name="sees_personal_data"' in client.get("/en/api-clients/new/").content.decode()
    client.post(
        "/en/api-clients/new/",
        {
            "name": "Y",
            "unit": units["TD1"].pk,
            "requests_per_minute": 60,
            "sees_personal_data": "on",
        },
    )
    assert ApiClient.objects.get(name="Y").sees_personal_data is True


def test_service_refuses_a_unit_outside_the_makers_scope(units, district_admin):
    with pytest.raises(ValidationError) as refused:
        make_client(units["TD2"], district_admin)
    assert "unit" in refused.value.message_dict


def test_list_is_scoped_and_shows_last_calls(client, units, root, district_admin):
    mine, token = make_client(units["TD1S1"], root, name="街道网格系统")
    make_client(units["TD2"], root, name="二区系统")
    call(client, "units", token)
    call(client, "units", token, page_size=999)
    client.force_login(district_admin)
    response = client.get("/en/api-clients/")
    assert response.status_code == 200
    assert [c.name for c in response.context["clients"]] == ["街道网格系统"]
    listed = response.context["clients"][0]
    assert (listed.calls_last_day, listed.last_call_status) == (2, 422)
    text = response.content.decode()
    assert "街道网格系统" in text and "二区系统" not in text
    detail = client.get(f"/en/api-clients/{mine.pk}/")
    assert [call.status for call in detail.context["calls"]] == [422, 200]
    other = ApiClient.objects.get(name="二区系统")
    assert client.get(f"/en/api-clients/{other.pk}/").status_code == 404


def test_revoke_from_the_page_refuses_the_token_at_once(client, units, root, district_admin):
    mine, token = make_client(units["TD1"], root)
    other, other_token = make_client(units["TD2"], root)
    assert call(client, "units", token).status_code == 200
    client.force_login(district_admin)
    response = client.post(f"/en/api-clients/{mine.pk}/revoke/")
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.revoked and mine.revoked_by == district_admin
    client.logout()
    assert call(client, "units", token).json()["code"] == "token_revoked"
    client.force_login(district_admin)
    assert client.post(f"/en/api-clients/{other.pk}/revoke/").status_code == 404
    assert client.get(f"/en/api-clients/{mine.pk}/revoke/").status_code == 405
    other.refresh_from_db()
    assert not other.revoked
    client.logout()
    assert call(client, "units", other_token).status_code == 200


def test_pages_are_for_admins_only(client, units, world):
    client.force_login(world["inside"])
    assert client.get("/en/api-clients/").status_code == 403
    assert client.get("/en/api-clients/new/").status_code == 403
