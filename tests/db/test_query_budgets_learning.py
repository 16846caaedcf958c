"""Query budgets of the learner's pages: home, a course, a lesson, 我的, a case, the case search.

Each page runs a fixed number of queries, whatever the amount of data: the same at the tiny
scale of cms.scale and at twice its workers, courses, cases, progress and hours. The counts are
exact, so that a new query (or a new N+1) shows up here, and at most PAGE_BUDGET.

A page is asked for twice and the second answer counted: the first fills what every request
after it finds ready (the site's root paths, the case's related cases, cached searches). The
case page and the search are also counted with an stale casebook cache ("cold"), as right
after a publication.
"""

from dataclasses import replace
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cms import casebook_cache
from cms.models import ApplicationReport, Bookmark, CasePage, UsefulMark
from cms.scale import SCALES, generate, landmarks
from people.models import User, WorkerProfile

pytestmark = pytest.mark.django_db

PAGE_BUDGET = 15
TINY = SCALES["tiny"]
SIZES = {
    "tiny": TINY,
    "double": replace(
        TINY,
        name="double",
        workers=2 * TINY.workers,
        courses=2 * TINY.courses,
        cases=2 * TINY.cases,
        lesson_progress=2 * TINY.lesson_progress,
        hours_entries=2 * TINY.hours_entries,
    ),
}
PAGES = ("home", "course", "lesson", "me", "case", "search")

# (who, page, cache) → queries. A worker's page starts with the session and the user (whether
# an authenticator is required is kept in the session: people.middleware); a Wagtail page then
# costs the site, the home page, and two queries for the page itself however deep it is
# (training.pagetree).
EXPECTED = {
    # + view restrictions, sections, latest courses, latest cases
    ("worker", "home", "warm"): 8,
    # + lessons with the worker's progress, the enrolment, the teachers
    ("worker", "course", "warm"): 9,
    # + the worker's progress read and touched, the next lesson
    ("worker", "lesson", "warm"): 8,  # reopened within minutes: nothing written
    # profile, plan items (2), enrolments, lessons done, "continue", hours, requirement, roles,
    # unit paths, permissions (2)
    ("worker", "me", "warm"): 13,
    # + counts and marks, reports, units to report for (2), unit paths
    ("worker", "case", "warm"): 11,
    # + tags, the casebook's link, related cases
    ("worker", "case", "cold"): 14,
    # + the hits' pages, may the worker compile a booklet (2)
    ("worker", "search", "warm"): 5,
    # + candidates, how many cases, guides (2), the filters' options (4)
    ("worker", "search", "cold"): 13,
    ("anonymous", "home", "warm"): 6,
    ("anonymous", "course", "warm"): 6,
    ("anonymous", "lesson", "warm"): 4,
    # the session keeping the reader's viewed cases, then as for a worker without a form
    ("anonymous", "case", "warm"): 8,
    ("anonymous", "case", "cold"): 11,
    ("anonymous", "search", "warm"): 2,
    ("anonymous", "search", "cold"): 10,
}


def count_queries(client: Client, url: str, *, cold: bool) -> int:
    assert client.get(url).status_code == 200, url
    if cold:  # as right after a publication
        casebook_cache.changed()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.fixture(params=list(SIZES))
def scale_world(request):
    scale = SIZES[request.param]
    generate(scale, today=date(2026, 11, 27))
    marks = landmarks()
    # Mutual learning on the case grows with the data too: reports, bookmarks, useful marks.
    case = CasePage.objects.get(pk=marks["case_id"])
    for profile in WorkerProfile.objects.select_related("user", "community")[: scale.cases // 4]:
        ApplicationReport.objects.create(
            case=case, user=profile.user, unit=profile.community, what_changed="试行", outcome="好"
        )
        Bookmark.objects.create(case=case, user=profile.user)
        UsefulMark.objects.create(case=case, user=profile.user)
    return request.param, marks


def test_learner_pages_cost_the_same_queries_at_two_sizes(scale_world):
    size, marks = scale_world
    urls = {
        "home": marks["home_url"],
        "course": marks["course_url"],
        "lesson": marks["lesson_url"],
        "me": marks["me_url"],
        "case": marks["case_url"],
        "search": marks["search_url"],
    }
    worker = Client()
    worker.force_login(User.objects.get(username=marks["worker"]))
    clients = {"worker": worker, "anonymous": Client()}
    found = {}
    for who, page, state in EXPECTED:
        found[who, page, state] = count_queries(clients[who], urls[page], cold=state == "cold")
    assert found == EXPECTED, size
    assert max(found.values()) <= PAGE_BUDGET


def test_every_page_is_counted_within_the_budget():
    assert {page for _who, page, _state in EXPECTED} == set(PAGES)
    assert max(EXPECTED.values()) <= PAGE_BUDGET
