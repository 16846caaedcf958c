"""The casebook's Chinese search: indexing on publish, finding, ranking, filters, the page.

Runs on SQLite and on PostgreSQL (DATABASE_URL=postgres://…): the matching is a padded LIKE on
the segmented `search_text`, the same on both.
"""

import io
import itertools

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.core.management import call_command
from django.urls import include, path
from wagtail.models import Revision

import cms.urls
from cms import search
from cms.models import CaseCategory, CasePage, GuidePage
from tests.factories import make_sections, make_tree

pytestmark = pytest.mark.django_db

# Until the lead wires "cases/" into cms.urls, this module is the URLconf (search first: the
# Wagtail catch-all in cms.urls would answer /cases/search/ with a 404 otherwise).
urlpatterns = [
    *i18n_patterns(path("cases/", include("cms.search_urls")), prefix_default_language=False),
    *cms.urls.urlpatterns,
]

_slugs = itertools.count(1)


@pytest.fixture(autouse=True)
def _search_wired(settings):
    settings.ROOT_URLCONF = __name__
    search.connect()


@pytest.fixture
def world():
    units = make_tree()
    sections = make_sections(units)
    categories = {
        slug: CaseCategory.objects.create(name=name, slug=slug, sort_order=n)
        for n, (slug, name) in enumerate(
            [
                ("parking", "停车"),
                ("charging", "充电"),
                ("elevators", "加装电梯"),
                ("property", "物业"),
            ]
        )
    }
    return units, sections, categories


def make_case(section, title, summary, category, *, year=2025, publish=True, **fields):
    case = CasePage(
        title=title,
        slug=f"case-{next(_slugs)}",
        summary=summary,
        category=category,
        year=year,
        **fields,
    )
    section.add_child(instance=case)
    if publish:
        case.save_revision().publish()
    return CasePage.objects.get(pk=case.pk)


def difficulty(title, description, *solutions):
    return (
        "difficulty",
        {
            "title": title,
            "description": description,
            "solutions": [{"title": s, "detail": f"<p>{s}的做法</p>"} for s in solutions],
        },
    )


def titles(hits):
    return [hit.page.title for hit in hits]


# Indexing


def test_publishing_indexes_title_summary_rich_text_and_blocks_without_a_new_revision(world):
    _, sections, cats = world
    case = make_case(
        sections["TD1S1"],
        "幸福里的新办法",
        "居民反映晚上停车很难。",
        cats["parking"],
        measures="<p>在<b>楼道</b>外集中设置充电柜</p>",
        difficulties=[difficulty("老楼装电梯谈不拢", "低层住户反对", "逐户上门议事协商")],
        results=[
            ("figure", {"label": "新增车位", "value": "120", "unit": "个"}),
            ("text", "<p>物业费收缴率明显提高</p>"),
        ],
        lessons="<p>党建引领&amp;多方参与</p>",
    )
    text = case.search_text
    assert text.startswith(" ") and text.endswith(" ") and " | " in text
    for word in ["幸福", "停车", "充电柜", "电梯", "议事协商", "车位", "120", "物业", "党建引领"]:
        assert f" {word} " in text, word
    assert "<" not in text and "amp" not in text
    assert Revision.page_revisions.filter(object_id=str(case.pk)).count() == 1
    # The publishing unit's name is a word of the case too.
    assert f" {search.segment.words(case.unit.name)[0]} " in text


@pytest.mark.parametrize(
    "query, expected",
    [
        ("停车", "幸福里的新办法"),
        ("充电", "楼道里的插线板"),
        ("电梯", "六层老楼的难题"),
        ("物业", "收费难"),
    ],
)
def test_two_character_words_are_found_mid_sentence(world, query, expected):
    _, sections, cats = world
    make_case(sections["TD1S1"], "幸福里的新办法", "居民反映晚上停车很难。", cats["parking"])
    make_case(
        sections["TD1S2"],
        "楼道里的插线板",
        "一个夏天三起火情。",
        cats["charging"],
        difficulties=[difficulty("居民习惯在楼道给电瓶车充电", "", "集中充电棚")],
    )
    make_case(
        sections["TD2S1"],
        "六层老楼的难题",
        "老年人上下楼难。",
        cats["elevators"],
        measures="<p>全体业主表决后装电梯</p>",
    )
    make_case(sections["TD2S2"], "收费难", "业主欠交物业费三年。", cats["property"])
    assert titles(search.search_cases(query)) == [expected]


def test_custom_dictionary_words_and_their_parts_are_found(world):
    _, sections, cats = world
    make_case(sections["TD1S1"], "推行错时共享停车", "机关大院夜间开放。", cats["parking"])
    make_case(sections["TD1S2"], "电动自行车安全治理4难8解", "飞线充电屡禁不止。", cats["charging"])
    assert titles(search.search_cases("共享停车")) == ["推行错时共享停车"]
    assert titles(search.search_cases("错时")) == ["推行错时共享停车"]
    assert titles(search.search_cases("４难８解")) == ["电动自行车安全治理4难8解"]
    assert titles(search.search_cases("自行车")) == ["电动自行车安全治理4难8解"]
    assert titles(search.search_cases("飞线")) == ["电动自行车安全治理4难8解"]


# Ranking


def test_title_and_repeated_mentions_outrank_a_single_mention(world):
    _, sections, cats = world
    once = make_case(
        sections["TD1S1"],
        "社区食堂开起来了",
        "老年助餐点设在活动中心，门口停车不便，志愿者轮流送餐上门，居民满意度高。",
        cats["property"],
    )
    strong = make_case(
        sections["TD1S2"],
        "破解老旧小区停车难",
        "停车位不足，错时停车、共享停车，再加上规范路边停车，停车矛盾明显缓解。",
        cats["parking"],
    )
    hits = search.search_cases("停车")
    assert [hit.page.pk for hit in hits] == [strong.pk, once.pk]
    assert hits[0].score > hits[1].score > 0
    assert "<mark>停车</mark>" in hits[0].title
    assert "<mark>停车</mark>" in hits[1].snippet


def test_a_page_with_more_of_the_query_words_ranks_higher(world):
    _, sections, cats = world
    parking_only = make_case(
        sections["TD1S1"], "停车停车再停车", "停车难，停车乱，停车贵。", cats["parking"]
    )
    both = make_case(
        sections["TD1S2"],
        "小区的一揽子办法",
        "夜间停车有了车位，电瓶车充电有了车棚。",
        cats["charging"],
    )
    hits = search.search_cases("停车 充电")
    assert [hit.page.pk for hit in hits] == [both.pk, parking_only.pk]
    assert set(hits[0].matched) >= {"停车", "充电"}


def test_snippet_is_escaped_and_shows_the_matching_part(world):
    _, sections, cats = world
    make_case(
        sections["TD1S1"],
        "<script>alert(1)</script>停车",
        "与本题无关的开头。" * 20,
        cats["parking"],
        measures="<p>晚上<b>停车</b>的办法 &lt;b&gt;</p>",
    )
    (hit,) = search.search_cases("停车")
    assert hit.title == "&lt;script&gt;alert(1)&lt;/script&gt;<mark>停车</mark>"
    assert "<mark>停车</mark>" in hit.snippet and "与本题无关" not in hit.snippet
    assert "<b>" not in hit.snippet and "&lt;b&gt;" in hit.snippet


# Filters and visibility


def test_filters_by_category_unit_and_year(world):
    units, sections, cats = world
    a = make_case(sections["TD1S1"], "甲街道停车", "停车办法。", cats["parking"], year=2024)
    b = make_case(sections["TD1S2"], "乙街道停车", "停车办法。", cats["parking"], year=2025)
    c = make_case(sections["TD2S1"], "丙街道充电", "停车和充电。", cats["charging"], year=2025)
    d = make_case(sections["TD1"], "区里的停车规定", "停车办法。", cats["parking"], year=2025)

    def pks(**filters):
        return {hit.page.pk for hit in search.search_cases("停车", **filters)}

    assert pks() == {a.pk, b.pk, c.pk, d.pk}
    assert pks(category=cats["parking"]) == {a.pk, b.pk, d.pk}
    assert pks(category=cats["charging"].pk) == {c.pk}
    assert pks(year=2024) == {a.pk}
    # A district's cases include its streets'.
    assert pks(unit=units["TD1"]) == {a.pk, b.pk, d.pk}
    assert pks(unit=units["TD1S2"]) == {b.pk}
    assert pks(unit=units["TD1"].pk) == {a.pk, b.pk, d.pk}
    assert pks(unit=units["TD1S1C1"]) == set()  # communities publish nothing
    assert pks(unit=10**9) == set()
    assert pks(unit=units["TD1"], year=2025, category=cats["parking"]) == {b.pk, d.pk}
    results = search.search("停车", category=cats["parking"], facets=True)
    assert results.total == 3
    assert results.by_category == {cats["parking"].pk: 3, cats["charging"].pk: 1}
    # No words but a filter: that filter's cases, newest first.
    assert {hit.page.pk for hit in search.search("", year=2024).hits} == {a.pk}
    assert search.search("").hits == []


def test_unpublished_pages_and_drafts_are_never_found(world):
    _, sections, cats = world
    make_case(sections["TD1S1"], "草稿停车", "停车草稿。", cats["parking"], publish=False)
    gone = make_case(sections["TD1S1"], "撤下的停车案例", "停车。", cats["parking"])
    live = make_case(sections["TD1S2"], "公开的案例", "停车。", cats["parking"])
    gone.unpublish()
    assert [hit.page.pk for hit in search.search_cases("停车")] == [live.pk]
    # A draft revision of a live page is not searched until it is published.
    live.title = "公开的案例（修改稿：充电桩）"
    live.save_revision()
    assert search.search_cases("充电桩") == []
    CasePage.objects.get(pk=live.pk).get_latest_revision().publish()
    assert [hit.page.pk for hit in search.search_cases("充电桩")] == [live.pk]


def test_bad_queries_return_nothing_and_raise_nothing(world):
    _, sections, cats = world
    make_case(sections["TD1S1"], "停车", "停车。", cats["parking"])
    for query in ["", "   ", "\"*:()-+';%_\\", "%", "_", "' OR 1=1 --", "\x00", "a" * 1000]:
        assert search.search_cases(query) == [], query
    assert len(search.search_cases("停车" * 500)) == 1
    assert len(search.search_cases('"停车"*')) == 1


def test_a_single_character_query_matches_inside_words(world):
    _, sections, cats = world
    case = make_case(sections["TD1S1"], "规范管理", "非机动车集中停放。", cats["parking"])
    assert [hit.page.pk for hit in search.search_cases("车")] == [case.pk]


def test_guides_are_indexed_and_searchable(world):
    _, sections, _ = world
    guide = GuidePage(
        title="停车难问答",
        slug="guide-parking",
        intro="<p>常见问题</p>",
        sections=[
            (
                "qa",
                {
                    "question": "夜里没地方停车怎么办？",
                    "answer": "<p>试试错时停车</p>",
                    "cases": [],
                },
            )
        ],
    )
    sections["TD1"].add_child(instance=guide)
    guide.save_revision().publish()
    guide.refresh_from_db()
    assert " 错时停车 " in guide.search_text
    assert [hit.page.pk for hit in search.search_guides("错时停车")] == [guide.pk]
    assert search.search_cases("错时停车") == []


# Related cases


def test_related_cases_share_the_category_and_words(world):
    _, sections, cats = world
    case = make_case(
        sections["TD1S1"], "机关大院错时共享停车", "夜间向居民开放机关车位。", cats["parking"]
    )
    close = make_case(
        sections["TD1S2"], "学校操场错时停车", "周末向居民开放车位。", cats["parking"]
    )
    far = make_case(sections["TD2S1"], "路边停车位施划", "划线规范停放。", cats["parking"])
    make_case(sections["TD2S2"], "错时共享充电", "夜间开放车位充电。", cats["charging"])
    hidden = make_case(
        sections["TD2S2"],
        "错时共享停车草稿",
        "夜间向居民开放机关车位。",
        cats["parking"],
        publish=False,
    )
    unrelated = make_case(sections["TD1S1"], "垃圾分类", "厨余垃圾。", cats["parking"])
    related = search.related_cases(case)
    assert related[0] == close
    assert far in related
    assert case not in related and hidden not in related and unrelated not in related
    assert all(page.category_id == case.category_id for page in related)
    assert search.related_cases(case, limit=1) == [close]


# Commands and wiring


def test_reindex_command_rebuilds_every_index(world):
    _, sections, cats = world
    case = make_case(sections["TD1S1"], "夜间停车", "停车。", cats["parking"])
    CasePage.objects.filter(pk=case.pk).update(search_text="")
    assert search.search_cases("停车") == []
    out = io.StringIO()
    call_command("reindex_cases", stdout=out)
    assert "1" in out.getvalue()
    assert [hit.page.pk for hit in search.search_cases("停车")] == [case.pk]


def test_connecting_twice_indexes_once(world, monkeypatch):
    _, sections, cats = world
    search.connect()
    search.connect()
    calls = []
    real = search.index_page
    monkeypatch.setattr(search, "index_page", lambda page: calls.append(page.pk) or real(page))
    case = make_case(sections["TD1S1"], "夜间停车", "停车。", cats["parking"])
    assert calls == [case.pk]


# The page


def test_search_page_shows_highlighted_hits_counts_and_filters(client, world):
    _, sections, cats = world
    make_case(sections["TD1S1"], "破解停车难", "错时停车。", cats["parking"], year=2024)
    make_case(sections["TD1S2"], "楼道充电", "夜间停车充电。", cats["charging"])
    response = client.get("/cases/search/", {"q": "停车"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "破解<mark>停车</mark>难" in text and "楼道充电" in text
    assert 'value="停车"' in text
    assert "停车 (1)" in text and "充电 (1)" in text  # per-category counts
    assert ">2024<" in text  # the year filter lists the years cases exist for
    filtered = client.get("/cases/search/", {"q": "停车", "category": "charging"})
    assert "楼道充电" in filtered.content.decode()
    assert "破解" not in filtered.content.decode()
    by_unit = client.get("/cases/search/", {"q": "停车", "unit": "TD1S1"}).content.decode()
    assert "破解" in by_unit and "楼道充电" not in by_unit
    assert '<option value="TD1S1" selected>' in by_unit
    english = client.get("/en/cases/search/", {"q": "停车"})
    assert english.status_code == 200 and "<mark>停车</mark>" in english.content.decode()


def test_search_page_empty_states(client, world):
    _, sections, cats = world
    make_case(sections["TD1S1"], "破解停车难", "错时停车。", cats["parking"])
    start = client.get("/cases/search/")
    assert start.status_code == 200
    assert "?q=%E5%81%9C%E8%BD%A6" in start.content.decode()  # suggestions to tap
    nothing = client.get("/cases/search/", {"q": "加装电梯"})
    assert nothing.status_code == 200
    assert "破解" not in nothing.content.decode()
    assert "加装电梯" in nothing.content.decode()


BAD_INPUT = [
    {"q": "\"*:()-+';%_\\"},
    {"q": "。，！？"},
    {"q": "停" * 1000},
    {"q": "x" * 1000},
    {"q": "' OR 1=1; DROP TABLE cms_casepage; --"},
    {"q": '"停车" NEAR(充电) OR 停车*'},
    {"q": "停车\x00充电"},
    {"q": "<script>alert(1)</script>"},
    {"q": "停车", "category": "\x00"},
    {"q": "停车", "category": "no-such-category"},
    {"q": "停车", "category": "' OR 1=1"},
    {"q": "停车", "unit": "abc"},
    {"q": "停车", "unit": "99999999999999999999"},
    {"q": "停车", "unit": "-1"},
    {"q": "停车", "unit": "\x00"},
    {"q": "停车", "unit": "' OR 1=1"},
    {"q": "停车", "unit": "T" * 40},
    {"q": "停车", "year": "二〇二五"},
    {"q": "停车", "year": "２０２５"},
    {"q": "停车", "year": "99999"},
    {"q": ["停车", "充电"], "year": ["2024", "x"]},
]


def test_bad_input_gets_a_normal_page(client, world):
    _, sections, cats = world
    make_case(sections["TD1S1"], "破解停车难", "错时停车。", cats["parking"])
    for params in BAD_INPUT:
        response = client.get("/cases/search/", params)
        assert response.status_code == 200, params
        assert "<script>alert(1)</script>" not in response.content.decode(), params


def test_admins_can_compile_a_booklet_from_a_search_result(client):
    from cms.models import CaseCategory
    from tests.factories import make_admin

    units = make_tree("B")
    sections = make_sections(units)
    category = CaseCategory.objects.create(name="停车管理", slug="parking-b")
    case = CasePage(title="错时停车", summary="小区停车难的解法", category=category, year=2025)
    sections["BD1S1"].add_child(instance=case)
    case.save_revision().publish()
    search.index_page(case)
    client.force_login(make_admin(units["BD1S1"]))
    text = client.get("/cases/search/?q=停车").content.decode()
    assert f"/cases/booklets/new/?ids={case.pk}" in text
    client.logout()
    assert "/cases/booklets/new/" not in client.get("/cases/search/?q=停车").content.decode()
