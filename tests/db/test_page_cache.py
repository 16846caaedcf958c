"""Whole-page caching of the casebook for anonymous readers (cms.page_cache)."""

import re

import pytest
from django.contrib import messages
from django.db import connection, transaction
from django.http import QueryDict
from django.middleware.csrf import _unmask_cipher_token, get_token
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from cms import page_cache
from cms.models import ApplicationReport, Bookmark, CasePage
from tests.db.test_casebook import make_case, make_casebook
from tests.factories import make_sections, make_tree, make_worker

pytestmark = pytest.mark.django_db

TOKEN_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "cms.page_cache.PageCacheMiddleware"]
    settings.PAGE_CACHE_SECONDS = 600


@pytest.fixture
def world():
    units = make_tree()
    return units, make_sections(units)


@pytest.fixture
def case(world):
    _, sections = world
    return make_case(sections["TD1S1"], title="电动自行车充电难题", tags=["充电桩"])


def cache_state(response) -> str | None:
    return response.headers.get(page_cache.HEADER)


def without_tokens(content: bytes) -> str:
    return TOKEN_INPUT.sub("TOKEN", content.decode())


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return response, len(captured)


def publish(django_capture_on_commit_callbacks, page):
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()


# --------------------------------------------------------------------------------------
# Hits
# --------------------------------------------------------------------------------------


def test_second_anonymous_get_of_a_case_comes_from_the_cache(client, case):
    first, first_queries = queries(client, case.url)
    second, second_queries = queries(client, case.url)
    assert first.status_code == second.status_code == 200
    assert (cache_state(first), cache_state(second)) == ("miss", "hit")
    assert without_tokens(second.content) == without_tokens(first.content)
    assert "电动自行车充电难题" in second.content.decode()
    # The session (a database row in tests, Redis in production) is all a hit reads.
    assert second_queries <= 1 < first_queries
    print(f"case page: {first_queries} queries rendered, {second_queries} from the cache")


def test_guide_casebook_and_section_pages_are_cached_too(client, world, case):
    _, sections = world
    casebook = make_casebook()
    for url in (casebook.url, sections["TD1S1"].url):
        assert cache_state(client.get(url)) == "miss"
        assert cache_state(client.get(url)) == "hit"


def test_pages_outside_the_casebook_are_not_cached(client, case):
    for _ in range(2):
        home = client.get("/")
        assert home.status_code == 200 and cache_state(home) == "pass"


def test_casebook_filters_are_part_of_the_key(client, world, case):
    _, sections = world
    make_case(sections["TD1S1"], title="二〇二三年的老案例", year=2023)
    casebook = make_casebook()
    in_2023 = client.get(f"{casebook.url}?year=2023")
    in_2025 = client.get(f"{casebook.url}?year=2025")
    assert cache_state(in_2023) == cache_state(in_2025) == "miss"
    again = client.get(f"{casebook.url}?year=2023")
    assert cache_state(again) == "hit"
    assert "二〇二三年的老案例" in again.content.decode()
    assert "二〇二三年的老案例" not in client.get(f"{casebook.url}?year=2025").content.decode()


def test_unknown_or_odd_query_strings_bypass_the_cache(client, case):
    for url in (f"{case.url}?utm_source=wx", f"{case.url}?year=twenty", "/cases/search/?q=充电"):
        for _ in range(2):
            response = client.get(url)
            assert response.status_code == 200
            assert cache_state(response) is None
    # The empty search page is cached; a search with words never is.
    assert cache_state(client.get("/cases/search/")) == "miss"
    assert cache_state(client.get("/cases/search/")) == "hit"


def test_english_and_chinese_are_cached_apart(client, case):
    url = case.url  # a request to /en/ leaves English active, and page.url follows it
    for _ in range(2):
        chinese = client.get(url)
        english = client.get(f"/en{url}")
    assert cache_state(chinese) == cache_state(english) == "hit"
    assert "Difficulty 2" in english.content.decode()
    assert "Difficulty 2" not in chinese.content.decode()
    assert '<html lang="zh-hans">' in chinese.content.decode()
    assert '<html lang="en">' in english.content.decode()


def test_each_reader_gets_their_own_csrf_token(client, case):
    client.get(case.url)
    other = Client(enforce_csrf_checks=True)
    response = other.get(case.url)
    assert cache_state(response) == "hit"
    token = TOKEN_INPUT.search(response.content.decode()).group(1)
    cookie = response.cookies["csrftoken"].value
    assert _unmask_cipher_token(token) == cookie != client.cookies["csrftoken"].value
    # The language form on the cached page works for the second reader.
    switched = other.post(
        "/i18n/setlang/",
        {"language": "en", "next": case.url, "csrfmiddlewaretoken": token},
    )
    assert switched.status_code == 302


def test_a_hit_still_counts_a_new_readers_view_once(client, case):
    client.get(case.url)
    before = CasePage.objects.get(pk=case.pk).view_count
    reader = Client()
    assert cache_state(reader.get(case.url)) == "hit"
    assert cache_state(reader.get(case.url)) == "hit"
    assert CasePage.objects.get(pk=case.pk).view_count == before + 1
    crawler = Client(headers={"user-agent": "Baiduspider"})
    crawler.get(case.url)
    assert CasePage.objects.get(pk=case.pk).view_count == before + 1


# --------------------------------------------------------------------------------------
# Never cached, never served from the cache
# --------------------------------------------------------------------------------------


def test_logged_in_readers_never_get_a_cached_page_nor_leave_one(client, world, case):
    units, _ = world
    worker = make_worker(units["TD1S1C1"], real_name="王书签")
    Bookmark.objects.create(user=worker, case=case)
    reader = Client()
    reader.force_login(worker)
    mine = reader.get(case.url)
    assert cache_state(mine) is None
    assert "王书签" in mine.content.decode() and mine.context["bookmarked"] is True
    # The anonymous page is not the worker's, and once cached it does not reach the worker.
    anonymous = client.get(case.url)
    assert cache_state(anonymous) == "miss"
    assert "王书签" not in anonymous.content.decode()
    assert cache_state(client.get(case.url)) == "hit"
    again = reader.get(case.url)
    assert cache_state(again) is None and again.context["bookmarked"] is True


def test_a_response_that_sets_a_cookie_is_not_cached(client, case, monkeypatch):
    serve = CasePage.serve

    def serve_with_cookie(self, request, *args, **kwargs):
        response = serve(self, request, *args, **kwargs)
        response.set_cookie("seen_case", str(self.pk))
        return response

    monkeypatch.setattr(CasePage, "serve", serve_with_cookie)
    for _ in range(3):
        response = client.get(case.url)
        assert cache_state(response) == "pass"
        assert "seen_case" in response.cookies


def test_a_page_with_messages_is_neither_stored_nor_served(client, world, case, monkeypatch):
    serve = CasePage.serve

    def serve_with_message(self, request, *args, **kwargs):
        messages.info(request, "只给这一位读者的消息")
        return serve(self, request, *args, **kwargs)

    monkeypatch.setattr(CasePage, "serve", serve_with_message)
    for _ in range(2):
        response = client.get(case.url)
        assert cache_state(response) == "pass"
        assert "只给这一位读者的消息" in response.content.decode()
    monkeypatch.setattr(CasePage, "serve", serve)
    assert cache_state(client.get(case.url)) == "miss"
    assert cache_state(client.get(case.url)) == "hit"
    # Signing out leaves a message for the next page: that page is rendered, not the cached one.
    units, _ = world
    reader = Client()
    reader.force_login(make_worker(units["TD1S1C1"]))
    assert reader.post("/accounts/logout/").status_code == 302
    after = reader.get(case.url)
    assert cache_state(after) is None and 'class="messages"' in after.content.decode()
    assert cache_state(reader.get(case.url)) == "hit"


def test_restricted_pages_are_not_cached(client, world, case, django_capture_on_commit_callbacks):
    _, sections = world
    assert cache_state(client.get(case.url)) == "miss"
    assert cache_state(client.get(case.url)) == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        PageViewRestriction.objects.create(
            page=sections["TD1S1"], restriction_type=PageViewRestriction.LOGIN
        )
    for _ in range(2):
        response = client.get(case.url)
        assert response.status_code == 302 and "login" in response["Location"]
        assert cache_state(response) == "pass"


def test_nothing_is_cached_when_the_timeout_is_zero(client, case, settings):
    settings.PAGE_CACHE_SECONDS = 0
    for _ in range(2):
        assert cache_state(client.get(case.url)) is None


def test_a_broken_cache_serves_the_page_uncached(client, case, monkeypatch):
    real = page_cache._cache()

    class Broken:
        """Fails the page cache's own reads and writes only (the page's fragments use it too)."""

        def __getattr__(self, name):
            return getattr(real, name)

        def get_many(self, keys):
            raise ConnectionError("Redis is down")

    monkeypatch.setattr(page_cache, "_cache", lambda: Broken())
    response = client.get(case.url)
    assert response.status_code == 200 and cache_state(response) is None


# --------------------------------------------------------------------------------------
# Invalidation
# --------------------------------------------------------------------------------------


def test_publishing_a_new_revision_shows_at_once(client, case, django_capture_on_commit_callbacks):
    client.get(case.url)
    assert cache_state(client.get(case.url)) == "hit"
    page = CasePage.objects.get(pk=case.pk)
    page.summary = "新的一版：楼下集中充电棚。"
    publish(django_capture_on_commit_callbacks, page)
    fresh = client.get(case.url)
    assert cache_state(fresh) == "miss"
    assert "新的一版：楼下集中充电棚。" in fresh.content.decode()
    assert cache_state(client.get(case.url)) == "hit"


def test_a_draft_does_not_invalidate(client, case, django_capture_on_commit_callbacks):
    client.get(case.url)
    page = CasePage.objects.get(pk=case.pk)
    page.summary = "还没发布的草稿"
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision()
    cached = client.get(case.url)
    assert cache_state(cached) == "hit" and "还没发布的草稿" not in cached.content.decode()


def test_unpublishing_and_deleting_take_the_page_away_at_once(
    client, world, case, django_capture_on_commit_callbacks
):
    _, sections = world
    other = make_case(sections["TD1S1"], title="楼道堆物清理")
    for page in (case, other):
        client.get(page.url)
        assert cache_state(client.get(page.url)) == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        CasePage.objects.get(pk=case.pk).unpublish()
    assert client.get(case.url).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        CasePage.objects.get(pk=other.pk).delete()
    assert client.get(other.url).status_code == 404


def test_moving_a_case_invalidates_its_old_address(
    client, world, case, django_capture_on_commit_callbacks
):
    _, sections = world
    old_url = case.url
    client.get(old_url)
    assert cache_state(client.get(old_url)) == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        CasePage.objects.get(pk=case.pk).move(sections["TD2S1"], pos="last-child")
    new_url = CasePage.objects.get(pk=case.pk).url
    moved = client.get(old_url)  # Wagtail keeps a redirect from the old address
    assert moved.status_code == 301 and moved["Location"] == new_url
    assert client.get(new_url).status_code == 200


def test_a_new_application_report_shows_at_once(
    client, world, case, django_capture_on_commit_callbacks
):
    units, _ = world
    client.get(case.url)
    assert cache_state(client.get(case.url)) == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        ApplicationReport.objects.create(
            case=case,
            user=make_worker(units["TD1S1C1"]),
            unit=units["TD1S1C1"],
            what_changed="楼下建了充电棚",
            outcome="一年没有火情",
        )
    fresh = client.get(case.url)
    assert cache_state(fresh) == "miss" and "楼下建了充电棚" in fresh.content.decode()


def test_a_change_rolled_back_invalidates_nothing(world, django_capture_on_commit_callbacks):
    units, _ = world
    generation = page_cache.current_generation()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            units["TD1"].name = "改了又撤回"
            units["TD1"].save()
            raise RuntimeError
    assert page_cache.current_generation() == generation
    with django_capture_on_commit_callbacks(execute=True):
        units["TD1"].save()
    assert page_cache.current_generation() == generation + 1


# --------------------------------------------------------------------------------------
# The pure parts
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ""),
        ("year=2025&category=parking", "category=parking&year=2025"),
        ("category=&unit=&year=", "category=&unit=&year="),
        ("page=3", "page=3"),
        ("q=停车", None),
        ("year=25", None),
        ("page=0", None),
        ("page=10000", None),
        ("year=2025&year=2024", None),
        ("category=" + "x" * 51, None),
    ],
)
def test_normalised_query(query, expected):
    assert page_cache.normalised_query(QueryDict(query)) == expected


def test_only_this_readers_csrf_tokens_are_replaced():
    request = RequestFactory().get("/")
    token = get_token(request)
    secret = request.META["CSRF_COOKIE"]
    stranger = get_token(RequestFactory().get("/"))
    html = f'<input value="{token}"><i data-x="{stranger}"></i>{token}'.encode()
    stored = page_cache.without_csrf_tokens(html, secret)
    assert token.encode() not in stored and stored.count(page_cache.CSRF_PLACEHOLDER) == 2
    assert stranger.encode() in stored
