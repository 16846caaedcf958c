"""The casebook: a case's page (4难8解 shape), mutual learning, the casebook's home, bookmarks."""

import itertools
import sys
import types

import pytest
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from wagtail.rich_text import RichText

from cms.casebook import case_context, clean_html, report_units
from cms.models import (
    ApplicationReport,
    Bookmark,
    CasebookPage,
    CaseCategory,
    CasePage,
    GuidePage,
    HomePage,
    UsefulMark,
)
from people.models import Role
from tests.factories import give_role, make_admin, make_sections, make_tree, make_user, make_worker

pytestmark = pytest.mark.django_db

_seq = itertools.count(1)


# --------------------------------------------------------------------------------------
# Small builders
# --------------------------------------------------------------------------------------


def make_category(name=None, slug=None):
    n = next(_seq)
    return CaseCategory.objects.create(name=name or f"类别{n}", slug=slug or f"cat-{n}")


def difficulties(count=2, solutions=2, detail=None):
    return [
        (
            "difficulty",
            {
                "title": f"难点标题{d}",
                "description": f"难在第{d}处",
                "solutions": [
                    {
                        "title": f"解法标题{d}-{s}",
                        "detail": RichText(detail or f"<p>具体做法{d}-{s}</p>"),
                    }
                    for s in range(1, solutions + 1)
                ],
            },
        )
        for d in range(1, count + 1)
    ]


def make_case(
    section,
    title="电动自行车充电难题",
    *,
    category=None,
    year=2025,
    publish=True,
    tags=(),
    **fields,
):
    """A case under `section` with 2 difficulties × 2 solutions, a figure, published."""
    fields.setdefault("summary", f"{title}：问题与解决办法。")
    fields.setdefault("background", "<p>老旧小区楼道充电隐患多。</p>")
    fields.setdefault("difficulties", difficulties())
    fields.setdefault(
        "results",
        [
            ("figure", {"label": "火灾隐患下降", "value": "86", "unit": "%"}),
            ("figure", {"label": "新增充电桩", "value": "120", "unit": "个"}),
            ("text", RichText("<p>居民满意度明显提升。</p>")),
        ],
    )
    case = CasePage(
        title=title,
        slug=f"case-{next(_seq)}",
        category=category or make_category(),
        year=year,
        live=False,
        **fields,
    )
    section.add_child(instance=case)
    for tag in tags:
        case.tags.add(tag)
    revision = case.save_revision()
    if publish:
        revision.publish()
    return CasePage.objects.get(pk=case.pk)


def make_casebook():
    home = HomePage.objects.get()
    casebook = CasebookPage(title="案例库", slug="casebook", intro="<p>街道的好办法。</p>")
    home.add_child(instance=casebook)
    casebook.save_revision().publish()
    return CasebookPage.objects.get(pk=casebook.pk)


@pytest.fixture
def world():
    units = make_tree()
    return units, make_sections(units)


@pytest.fixture
def case(world):
    _, sections = world
    return make_case(sections["TD1S1"], tags=["充电桩"])


def url(name, case):
    return f"/cases/{case.pk}/{name}/"


# --------------------------------------------------------------------------------------
# The case page
# --------------------------------------------------------------------------------------


def test_case_page_shows_the_difficulties_and_solutions_shape(client, case):
    response = client.get(case.url)
    assert response.status_code == 200
    text = response.content.decode()
    assert case.title in text and case.category.name in text
    assert "T第1区/T1区1街道" in text  # the unit's name path
    assert "2025" in text and "#充电桩" in text
    assert "老旧小区楼道充电隐患多" in text
    # Difficulties numbered 一、二; solutions numbered through the case, 一 to 四.
    assert text.index("难点标题1") < text.index("解法标题1-2") < text.index("难点标题2")
    context = response.context
    assert [d["title"] for d in context["difficulties"]] == ["难点标题1", "难点标题2"]
    labels = [s["label"] for d in context["difficulties"] for s in d["solutions"]]
    with translation.override("zh-hans"):
        assert context["difficulties"][0]["label"].endswith("一")
        assert [label[-1] for label in labels] == ["一", "二", "三", "四"]
    assert 'class="figure"' in text and "86<small>%</small>" in text
    assert "居民满意度明显提升" in text
    assert "css/casebook.css" in text
    # In English the numbers are digits.
    english = client.get(f"/en{case.url}").content.decode()
    assert "Difficulty 2" in english and "Solution 4" in english


def test_rich_text_is_cleaned_wherever_it_comes_from(client, world):
    _, sections = world
    hostile = (
        '<p>可靠<script>alert("x")</script><img src=x onerror="alert(1)">'
        '<a href="javascript:alert(2)">链接</a><a href="java\tscript:alert(3)">又一个</a>'
        '<a href="https://example.org/a?b=1&amp;c=2">外链</a><b onclick="alert(4)">粗</b></p>'
    )
    case = make_case(
        sections["TD1S1"],
        background=hostile,
        measures="<style>body{display:none}</style><p>措施</p>",
        difficulties=difficulties(1, 1, detail=hostile),
    )
    text = client.get(case.url).content.decode()
    for bad in ("alert", "<script", "onerror", "javascript", "onclick", "<style", "display:none"):
        assert bad not in text, bad
    assert "可靠" in text and "措施" in text
    assert '<a href="https://example.org/a?b=1&amp;c=2">外链</a>' in text
    assert "<b>粗</b>" in text


def test_clean_html_keeps_the_editor_features_and_escapes_text():
    html = clean_html(
        "<h3>标题</h3><ul><li>一<li>二</ul><p>1 &lt; 2 &amp; <i>斜</i><br/>"
        '<a href="/cases/">站内</a><a href="mailto:a@b.cn">信</a></p><p>未闭合'
    )
    assert html == (
        "<h3>标题</h3><ul><li>一<li>二</li></li></ul><p>1 &lt; 2 &amp; <i>斜</i><br>"
        '<a href="/cases/">站内</a><a href="mailto:a@b.cn">信</a></p><p>未闭合</p>'
    )
    assert clean_html(None) == "" and clean_html("   ") == ""
    assert clean_html("<p>a<script>never closed") == "<p>a</p>"


def test_view_count_once_per_session_not_for_head_or_bots(case):
    def views():
        return CasePage.objects.get(pk=case.pk).view_count

    reader = Client()
    response = reader.get(case.url)
    assert response.context["view_count"] == 1 and views() == 1
    reader.get(case.url)
    assert views() == 1  # same session
    Client().get(case.url)
    assert views() == 2  # another reader
    Client().head(case.url)
    Client().get(case.url, HTTP_USER_AGENT="Mozilla/5.0 (compatible; Baiduspider/2.0)")
    Client().get(case.url, HTTP_USER_AGENT="Googlebot/2.1")
    assert views() == 2
    assert 'id="view-count">3' in Client().get(case.url).content.decode()


def test_a_preview_of_an_unsaved_case_has_an_empty_learning_context(world):
    request = RequestFactory().get("/")
    request.user = make_user()
    request.session = {}
    request.is_preview = True
    unsaved = CasePage(title="草稿", summary="摘要", category=make_category(), year=2026)
    context = case_context(unsaved, request)
    assert context["reports"] == [] and context["useful_count"] == 0
    assert context["view_count"] == 0


def test_related_cases_come_from_the_search_module_when_it_exists(client, world, monkeypatch):
    _, sections = world
    case = make_case(sections["TD1S1"], "相关案例甲")
    other = make_case(sections["TD2S1"], "相关案例乙")
    calls = []

    def related_cases(page, limit=5):
        calls.append((page.pk, limit))
        return [other]

    fake = types.ModuleType("cms.search")
    fake.related_cases = related_cases
    monkeypatch.setitem(sys.modules, "cms.search", fake)
    text = client.get(case.url).content.decode()
    assert calls == [(case.pk, 5)]
    assert 'id="related"' in text and "相关案例乙" in text and "T第2区/T2区1街道" in text


# --------------------------------------------------------------------------------------
# Bookmarks and "useful" marks
# --------------------------------------------------------------------------------------


def test_bookmark_toggles_on_and_off(client, world, case):
    units, _ = world
    worker = make_worker(units["TD1S1C1"])
    client.force_login(worker)
    response = client.post(url("bookmark", case))
    assert response.status_code == 302 and response["Location"] == f"{case.url}#learn"
    assert Bookmark.objects.filter(user=worker, case=case).count() == 1
    page = client.get(case.url)
    assert page.context["bookmarked"] and page.context["bookmark_count"] == 1
    client.post(url("bookmark", case))
    assert not Bookmark.objects.filter(user=worker, case=case).exists()
    assert client.get(case.url).context["bookmarked"] is False


def test_useful_marks_count_people_and_answer_json(world, case):
    units, _ = world
    first, second = Client(), Client()
    first.force_login(make_worker(units["TD1S1C1"]))
    second.force_login(make_worker(units["TD2S1C1"]))
    accept = {"HTTP_ACCEPT": "application/json"}
    assert first.post(url("useful", case), **accept).json() == {"on": True, "count": 1}
    assert second.post(url("useful", case), **accept).json() == {"on": True, "count": 2}
    assert first.post(url("useful", case), **accept).json() == {"on": False, "count": 1}
    assert UsefulMark.objects.filter(case=case).count() == 1
    page = second.get(case.url)
    assert page.context["marked_useful"] and page.context["useful_count"] == 1


def test_learning_endpoints_need_login_post_and_csrf(world, case):
    units, _ = world
    anonymous = Client()
    response = anonymous.post(url("bookmark", case))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert f"next={case.url}" in response["Location"]  # back to the case, not the endpoint
    assert anonymous.post(url("useful", case), HTTP_ACCEPT="application/json").status_code == 401
    assert not Bookmark.objects.exists() and not UsefulMark.objects.exists()

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_worker(units["TD1S1C1"]))
    assert strict.post(url("bookmark", case)).status_code == 403
    assert strict.get(url("bookmark", case)).status_code == 405
    assert not Bookmark.objects.exists()


def test_unpublished_or_missing_cases_are_404(client, world):
    units, sections = world
    draft = make_case(sections["TD1S1"], publish=False)
    client.force_login(make_worker(units["TD1S1C1"]))
    assert client.post(url("bookmark", draft)).status_code == 404
    assert client.post("/cases/999999/useful/").status_code == 404


# --------------------------------------------------------------------------------------
# "We applied it here" reports
# --------------------------------------------------------------------------------------


def test_a_worker_reports_for_their_own_community(client, world, case):
    units, _ = world
    worker = make_worker(units["TD2S1C1"], real_name="李红")
    client.force_login(worker)
    assert [u.code for u in report_units(worker)] == ["TD2S1C1"]
    form = client.get(case.url).context["report_form"]
    assert list(form.fields["unit"].choices)[1:] == [
        (units["TD2S1C1"].pk, "T第2区/T2区1街道/T2-1-1社区")
    ]

    response = client.post(
        url("apply", case),
        {"unit": units["TD2S1C1"].pk, "what_changed": "楼下建了充电棚", "outcome": "半年零火情"},
    )
    assert response.status_code == 302 and response["Location"] == f"{case.url}#applications"
    report = ApplicationReport.objects.get()
    assert (report.user, report.unit, report.case) == (worker, units["TD2S1C1"], case)
    # A double tap does not make a second report.
    client.post(
        url("apply", case),
        {"unit": units["TD2S1C1"].pk, "what_changed": "楼下建了充电棚", "outcome": "半年零火情"},
    )
    assert ApplicationReport.objects.count() == 1
    text = client.get(case.url).content.decode()
    assert (
        "T第2区/T2区1街道/T2-1-1社区" in text and "楼下建了充电棚" in text and "半年零火情" in text
    )


def test_reports_are_listed_newest_first(client, world, case):
    units, _ = world
    admin = make_admin(units["TD1S2"])
    client.force_login(admin)
    for code, words in (("TD1S2C1", "第一次"), ("TD1S2C2", "第二次"), ("TD1S2", "第三次")):
        client.post(
            url("apply", case), {"unit": units[code].pk, "what_changed": words, "outcome": "好"}
        )
    reports = Client().get(case.url).context["reports"]
    assert [r.what_changed for r in reports] == ["第三次", "第二次", "第一次"]
    assert reports[0].unit_path == "T第1区/T1区2街道"


def test_where_is_limited_to_units_one_belongs_to_or_manages(client, world, case):
    units, _ = world
    admin = make_admin(units["TD1S2"])
    trainer = make_user("讲师")
    give_role(trainer, units["TD2S2"], Role.Kind.TRAINER)
    assert [u.code for u in report_units(admin)] == ["TD1S2", "TD1S2C1", "TD1S2C2"]
    assert [u.code for u in report_units(trainer)] == ["TD2S2"]
    district_admin = make_admin(units["TD1"])
    assert "TD1" not in {u.code for u in report_units(district_admin)}  # streets and below only
    assert len(report_units(district_admin)) == 6

    client.force_login(admin)
    response = client.post(
        url("apply", case),
        {"unit": units["TD2S1C1"].pk, "what_changed": "改了", "outcome": "好"},
    )
    assert response.status_code == 400
    form = response.context["report_form"]
    assert list(form.errors) == ["unit"]
    text = response.content.decode()
    assert str(form.errors["unit"][0]) in text
    assert "改了" in text  # what was typed is kept
    assert not ApplicationReport.objects.exists()


@pytest.mark.parametrize(
    "data, bad_fields",
    [
        ({"unit": "", "what_changed": "", "outcome": ""}, {"unit", "what_changed", "outcome"}),
        ({"what_changed": "   ", "outcome": "好"}, {"unit", "what_changed"}),
        ({"unit": "abc", "what_changed": "x" * 2001, "outcome": "好"}, {"unit", "what_changed"}),
        ({"unit": "99999999", "what_changed": "改", "outcome": "y" * 2001}, {"unit", "outcome"}),
        ({"unit": "UNIT", "what_changed": "改\x00了", "outcome": "好"}, {"what_changed"}),
    ],
)
def test_bad_reports_are_refused_with_reasons_never_a_500(client, world, case, data, bad_fields):
    units, _ = world
    client.force_login(make_worker(units["TD1S1C2"]))
    data = {k: (units["TD1S1C2"].pk if v == "UNIT" else v) for k, v in data.items()}
    response = client.post(url("apply", case), data)
    assert response.status_code == 400
    form = response.context["report_form"]
    assert set(form.errors) == bad_fields
    text = response.content.decode()
    for errors in form.errors.values():
        assert str(errors[0]) in text
    assert not ApplicationReport.objects.exists()


def test_long_text_errors_say_which_field_and_how_long(client, world, case):
    units, _ = world
    client.force_login(make_worker(units["TD1S1C2"]))
    response = client.post(
        url("apply", case),
        {"unit": units["TD1S1C2"].pk, "what_changed": "字" * 2001, "outcome": "好"},
    )
    error = str(response.context["report_form"].errors["what_changed"][0])
    assert "2000" in error and "2001" in error
    # 2000 characters typed over several lines fit, as the browser's counter promised.
    typed = "\r\n".join(["字" * 499] * 4) + "字"
    assert len(typed) == 2003
    assert len(typed.replace("\r\n", "\n")) == 2000
    response = client.post(
        url("apply", case), {"unit": units["TD1S1C2"].pk, "what_changed": typed, "outcome": "好"}
    )
    assert response.status_code == 302
    assert ApplicationReport.objects.get().what_changed == typed.replace("\r\n", "\n")


def test_someone_with_no_unit_cannot_report(client, world, case):
    loner = make_user("无单位")
    client.force_login(loner)
    assert client.get(case.url).context["report_form"] is None
    response = client.post(url("apply", case), {"unit": "1", "what_changed": "a", "outcome": "b"})
    assert response.status_code == 302
    assert not ApplicationReport.objects.exists()


def test_anonymous_readers_see_reports_but_not_who_wrote_them(world, case):
    units, _ = world
    worker = make_worker(units["TD1S1C1"], real_name="王写报告")
    ApplicationReport.objects.create(
        case=case, user=worker, unit=units["TD1S1C1"], what_changed="做了", outcome="成了"
    )
    text = Client().get(case.url).content.decode()
    assert "做了" in text and "王写报告" not in text
    reader = Client()
    reader.force_login(make_worker(units["TD1S2C1"]))
    assert "王写报告" in reader.get(case.url).content.decode()


# --------------------------------------------------------------------------------------
# The casebook's home
# --------------------------------------------------------------------------------------


@pytest.fixture
def library(world):
    units, sections = world
    ebike, parking = make_category("电动车", "ebike"), make_category("停车难", "parking")
    cases = {
        "a": make_case(sections["TD1S1"], "甲案例", category=ebike, year=2024),
        "b": make_case(sections["TD1S2"], "乙案例", category=parking, year=2025),
        "c": make_case(sections["TD2S1"], "丙案例", category=ebike, year=2025),
        "d": make_case(sections["TD2S2"], "丁草稿", category=ebike, year=2025, publish=False),
    }
    readers = [make_user(f"读者{n}") for n in range(3)]
    for user in readers:
        UsefulMark.objects.create(user=user, case=cases["b"])
    UsefulMark.objects.create(user=readers[0], case=cases["c"])
    UsefulMark.objects.create(user=readers[0], case=cases["d"])  # not live: never listed
    casebook = make_casebook()
    guide = GuidePage(
        title="电动车治理指南",
        slug="guide",
        sections=[
            (
                "qa",
                {
                    "question": "充电桩建在哪？",
                    "answer": RichText("<p>先问居民。</p>"),
                    "cases": [cases["a"], cases["d"]],
                },
            )
        ],
    )
    casebook.add_child(instance=guide)
    guide.save_revision().publish()
    return units, casebook, cases, GuidePage.objects.get(pk=guide.pk)


def titles(items):
    return [case.title for case in items]


def test_casebook_home_lists_most_useful_latest_and_guides(client, library):
    _units, casebook, cases, guide = library
    response = client.get(casebook.url)
    assert response.status_code == 200
    context = response.context
    assert titles(context["most_useful"]) == ["乙案例", "丙案例"]
    assert [c.useful_count for c in context["most_useful"]] == [3, 1]
    assert titles(context["latest_cases"]) == ["丙案例", "乙案例", "甲案例"]
    assert list(context["guides"]) == [guide]
    counts = {c.slug: c.case_count for c in context["categories"]}
    assert counts == {"ebike": 2, "parking": 1}
    assert context["years"] == [2025, 2024]
    assert [o["code"] for o in context["unit_options"]] == [
        "TD1",
        "TD1S1",
        "TD1S2",
        "TD2",
        "TD2S1",
    ]
    text = response.content.decode()
    assert "丁草稿" not in text and "电动车治理指南" in text
    search = reverse("case_search")
    assert context["search_url"] == search and f'action="{search}"' in text


def test_no_search_box_while_there_is_no_search_page(client, library, monkeypatch):
    _units, casebook, _cases, _guide = library

    def no_such_url(name, *args, **kwargs):
        raise NoReverseMatch(name)

    monkeypatch.setattr("cms.casebook.reverse", no_such_url)
    response = client.get(casebook.url)
    assert response.context["search_url"] == ""
    assert 'role="search"' not in response.content.decode()


def test_casebook_filters(client, library):
    _units, casebook, _cases, _guide = library

    def results(query):
        response = client.get(f"{casebook.url}?{query}")
        assert response.status_code == 200
        return titles(response.context["results"])

    assert results("category=ebike") == ["丙案例", "甲案例"]
    assert results("category=ebike&year=2025") == ["丙案例"]
    assert results("unit=TD1") == ["乙案例", "甲案例"]  # most useful first
    assert results("unit=TD2S1") == ["丙案例"]
    assert results("year=2023") == []
    # Unknown or malformed values are ignored rather than failing.
    response = client.get(f"{casebook.url}?category=nope&unit=%00&year=abc&page=x")
    assert response.status_code == 200 and response.context["filtering"] is False


def test_guide_page_shows_questions_and_live_cases_only(client, library):
    _units, _casebook, cases, guide = library
    text = client.get(guide.url).content.decode()
    assert "充电桩建在哪？" in text and "先问居民。" in text
    assert cases["a"].url in text and "丁草稿" not in text


# --------------------------------------------------------------------------------------
# My bookmarks
# --------------------------------------------------------------------------------------


def test_my_bookmarks_lists_own_live_bookmarks_newest_first(client, library):
    units, _casebook, cases, _guide = library
    me, someone = make_worker(units["TD1S1C1"]), make_worker(units["TD1S1C2"])
    for key in ("a", "c", "d"):
        Bookmark.objects.create(user=me, case=cases[key])
    Bookmark.objects.create(user=someone, case=cases["b"])
    client.force_login(me)
    response = client.get("/cases/bookmarks/")
    assert response.status_code == 200
    assert [b.case.title for b in response.context["bookmarks"]] == ["丙案例", "甲案例"]
    text = response.content.decode()
    assert "T第2区/T2区1街道" in text and "乙案例" not in text

    # Removing one from the list comes back to the list.
    response = client.post(url("bookmark", cases["c"]), {"next": "/cases/bookmarks/"})
    assert response["Location"] == "/cases/bookmarks/"
    response = client.post(url("bookmark", cases["a"]), {"next": "https://evil.example/"})
    assert response["Location"] == f"{cases['a'].url}#learn"
    # Not a path (Django's redirect() would try "-1" as a view name: a 500).
    for junk in ("-1", "bookmarks", "//evil.example/"):
        response = client.post(url("bookmark", cases["a"]), {"next": junk})
        assert response["Location"] == f"{cases['a'].url}#learn"


def test_my_bookmarks_needs_login(client, world):
    response = client.get("/cases/bookmarks/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
