"""training.pagetree: routing, breadcrumbs and view restrictions give Wagtail's own answers."""

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, PageViewRestriction

from cms.models import CasePage, HomePage
from tests.db.test_casebook import make_case
from tests.factories import make_course, make_sections, make_tree, make_user
from training import pagetree

pytestmark = pytest.mark.django_db


@pytest.fixture
def sections():
    return make_sections(make_tree())


def components(page) -> list[str]:
    home = HomePage.objects.get()
    return [part for part in page.url_path[len(home.url_path) :].split("/") if part]


def both_routes(path: list[str]):
    """(pagetree's answer, Wagtail's), each a page id or the exception's class."""
    home = HomePage.objects.get()
    answers = []
    for router in (pagetree.route, Page.route):
        try:
            answers.append(router(home, RequestFactory().get("/"), path).page.pk)
        except Exception as error:  # noqa: BLE001 (the kind of failure is what is compared)
            answers.append(type(error))
    return answers


def test_routes_as_wagtail_does(sections):
    course = make_course(sections["TD1S1"])
    lesson = course.get_children().first()
    draft = make_case(sections["TD1S2"], "草稿案例", publish=False)
    paths = [
        components(course),
        components(lesson),
        components(draft),  # not live: 404
        [*components(course), "no-such-lesson"],
        [*components(lesson), "below-a-lesson"],
        ["no-such-section"],
        components(sections["TD1"]),
    ]
    for path in paths:
        ours, wagtails = both_routes(path)
        assert ours == wagtails, path


def test_a_stale_url_path_falls_back_to_the_tree(sections):
    case = make_case(sections["TD1S1"])
    path = components(case)
    CasePage.objects.filter(pk=case.pk).update(url_path="/somewhere/else/")
    assert both_routes(path) == [case.pk, case.pk]


def test_a_served_page_costs_the_same_queries_at_any_depth(client, sections):
    shallow = make_case(sections["T"], "市级案例")  # home › city › case
    deep = make_case(sections["TD1S1"], "街道案例")  # home › city › district › street › case
    counts = []
    for page in (shallow, deep):
        client.get(page.url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page.url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_view_restrictions_still_apply(sections):
    case = make_case(sections["TD1S1"])
    anonymous, reader = Client(), Client()
    reader.force_login(make_user())
    assert anonymous.get(case.url).status_code == 200
    PageViewRestriction.objects.create(
        page=sections["TD1"], restriction_type=PageViewRestriction.LOGIN
    )
    response = anonymous.get(case.url)
    assert response.status_code == 302 and "login" in response["Location"]
    assert reader.get(case.url).status_code == 200
    restriction = PageViewRestriction.objects.create(
        page=case, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )
    assert b"password" in reader.get(case.url).content.lower()
    assert set(pagetree.view_restrictions(case)) == set(case.get_view_restrictions())
    assert restriction in pagetree.view_restrictions(case)


def test_an_alias_takes_its_sources_restrictions(sections):
    case = make_case(sections["TD1S1"])
    above = PageViewRestriction.objects.create(
        page=sections["TD2"], restriction_type=PageViewRestriction.LOGIN
    )
    alias = case.create_alias(parent=sections["TD2S1"], update_slug="alias-of-case")
    assert set(pagetree.view_restrictions(alias)) == set(Page.get_view_restrictions(alias))
    own = PageViewRestriction.objects.create(page=case, restriction_type=PageViewRestriction.LOGIN)
    expected = set(Page.get_view_restrictions(alias))
    assert expected == {above, own}
    assert set(pagetree.view_restrictions(alias)) == expected


def test_breadcrumbs_come_from_routing_or_from_the_tree(client, sections):
    case = make_case(sections["TD1S1"])
    expected = [p.pk for p in case.get_ancestors().filter(depth__gte=3)]
    assert [p.pk for p in pagetree.trail(CasePage.objects.get(pk=case.pk), 3)] == expected
    response = client.get(case.url)
    assert [p.pk for p in response.context["breadcrumbs"]] == expected
