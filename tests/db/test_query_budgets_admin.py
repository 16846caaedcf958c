"""Query budgets of the admin and contest pages: the same number of queries at two data sizes.

Each page is asked for once (per-process caches warm up, roll-ups are counted and cached),
then counted on the next request: what an admin or a judge sees on every later visit. The
pages that serve cached aggregates are counted cold as well (nothing cached yet): computing
the aggregate from scratch must not grow with the data either.
"""

from dataclasses import replace

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cms.api import tokens
from cms.scale import SCALES, generate, landmarks
from people.models import OrgUnit, User
from training import aggregates

pytestmark = pytest.mark.django_db

TINY = SCALES["tiny"]
# Three times the workers, hours and progress, twice the contestants, more of everything.
BIGGER = replace(
    TINY,
    name="tiny×3",
    districts=3,
    workers=120,
    courses=6,
    cases=30,
    lesson_progress=480,
    hours_entries=360,
    contestants=16,
    finalists=6,
)
# An export appends its audit entry under the chain's lock (people.audit: four statements).
MAX_QUERIES = 16

# The exact number of queries of each page; both sizes must match it.
BUDGETS = {
    "judge scoring": 6,
    "contest ranking": 4,
    "contest ranking (a contestant)": 11,
    "plan roll-up (city)": 7,
    "plan roll-up (city, counted cold)": 9,
    "plan roll-up (district)": 9,
    "plan roll-up (community)": 11,
    "plan export": 16,
    "dashboard (city)": 7,
    "dashboard (city, counted cold)": 13,
    "dashboard (district)": 8,
    "api workers": 4,
    "api workers (page 2)": 4,
    "api hours": 6,
    "api completions": 4,
}


def count_queries(client, url, *, status=200, before=None, **headers) -> int:
    assert client.get(url, **headers).status_code == status  # warm up
    if before:
        before()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, **headers).status_code == status
    return len(queries)


def logged_in(client_class, username):
    client = client_class()
    client.force_login(User.objects.get(username=username))
    return client


def measure(client_class) -> dict[str, int]:
    marks = landmarks()
    city = OrgUnit.objects.get(code=marks["city_code"])
    admin = logged_in(client_class, marks["city_admin"])
    plan, district = marks["plan_url"], marks["district_code"]
    rollup_key = aggregates.cache_key("plan-completion", marks["plan_id"])
    dashboard_key = aggregates.cache_key("dashboard", timezone.localdate().year)
    token = tokens.create_client(
        name="预算", unit=city, by=User.objects.get(username=marks["city_admin"])
    )[1]
    api = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    judge = logged_in(client_class, marks["judge"])
    contestant = logged_in(client_class, marks["worker"])
    return {
        "judge scoring": count_queries(judge, marks["judge_stage_url"]),
        "contest ranking": count_queries(client_class(), marks["result_url"]),
        "contest ranking (a contestant)": count_queries(contestant, marks["result_url"]),
        "plan roll-up (city)": count_queries(admin, plan),
        "plan roll-up (city, counted cold)": count_queries(
            admin, plan, before=lambda: cache.delete(rollup_key)
        ),
        "plan roll-up (district)": count_queries(admin, f"{plan}?unit={district}"),
        "plan roll-up (community)": count_queries(admin, f"{plan}?unit={marks['community_code']}"),
        "plan export": count_queries(admin, f"{plan}export.xlsx"),
        "dashboard (city)": count_queries(admin, marks["dashboard_url"]),
        "dashboard (city, counted cold)": count_queries(
            admin, marks["dashboard_url"], before=lambda: cache.delete(dashboard_key)
        ),
        "dashboard (district)": count_queries(admin, f"{marks['dashboard_url']}?unit={district}"),
        "api workers": count_queries(client_class(), "/api/v1/workers?page_size=20", **api),
        "api workers (page 2)": count_queries(
            client_class(), "/api/v1/workers?page=2&page_size=20", **api
        ),
        "api hours": count_queries(client_class(), "/api/v1/hours?page_size=20", **api),
        "api completions": count_queries(client_class(), "/api/v1/completions?page_size=20", **api),
    }


@pytest.mark.parametrize("scale", [TINY, BIGGER], ids=["tiny", "tiny×3"])
def test_admin_and_contest_pages_keep_their_query_budget(client, scale):
    generate(scale, seed=2026)
    counts = measure(type(client))
    assert counts == BUDGETS
    assert max(counts.values()) <= MAX_QUERIES
