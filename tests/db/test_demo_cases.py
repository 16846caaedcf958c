"""The demo city's casebook: categories, cases under several units, the guide, mutual learning."""

import time
from collections import Counter

import pytest
from taggit.models import Tag
from wagtail.models import Revision

from cms.demo import load_demo
from cms.demo_cases import CATEGORIES, load_case_demo
from cms.models import (
    ApplicationReport,
    Bookmark,
    CasebookPage,
    CaseCategory,
    CasePage,
    CaseTag,
    GuidePage,
    HomePage,
    SectionPage,
    UsefulMark,
)
from tests.factories import kept_for_the_module

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Loaded once for the module; rolled back at the end."""
    with kept_for_the_module(django_db_blocker):
        load_demo()
        started = time.monotonic()
        summary = load_case_demo()
        print(f"\nload_case_demo: {time.monotonic() - started:.1f} s {summary}")
        yield summary


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            CaseCategory,
            CasebookPage,
            CasePage,
            GuidePage,
            CaseTag,
            Tag,
            Bookmark,
            UsefulMark,
            ApplicationReport,
            Revision,
        )
    } | {"views": sum(CasePage.objects.values_list("view_count", flat=True))}


def test_casebook_under_the_home_page(demo):
    casebook = CasebookPage.objects.get()
    assert casebook.live and casebook.title == "案例库"
    assert casebook.get_parent().specific_class is HomePage


def test_live_cases_across_units(demo):
    cases = list(CasePage.objects.live().select_related("unit", "category"))
    assert len(cases) >= 12
    units = {case.unit.code for case in cases}
    assert len(units) >= 4
    # Streets and districts of all three districts publish cases.
    assert {code[:4] for code in units} == {"QH01", "QH02", "QH03"}
    for case in cases:
        parent = case.get_parent().specific
        assert isinstance(parent, SectionPage) and parent.unit == case.unit
        assert case.unit.level in ("street", "district"), case.title
        assert 2023 <= case.year <= 2026
        assert case.summary and case.background.count("<p>") >= 2, case.title
        assert case.measures and case.lessons and case.contact, case.title
        assert "0000-" in case.contact  # clearly fictional numbers
        assert case.tags.count() >= 2, case.title
        assert 2 <= len(case.difficulties) <= 4, case.title
        for block in case.difficulties:
            assert 1 <= len(block.value["solutions"]) <= 3, case.title
        figures = [b for b in case.results if b.block_type == "figure"]
        assert 3 <= len(figures) <= 4, case.title
        assert case.live_revision is not None and not case.has_unpublished_changes
        assert case.view_count > 0


def test_every_category_is_used(demo):
    assert set(CaseCategory.objects.values_list("slug", flat=True)) >= {s for s, _ in CATEGORIES}
    used = Counter(CasePage.objects.live().values_list("category__slug", flat=True))
    for slug, name in CATEGORIES:
        assert used[slug] >= 1, name


def test_the_themes_of_the_seed(demo):
    titles = " ".join(CasePage.objects.values_list("title", flat=True))
    for word in ("1000个", "4难8解", "电梯", "业委会", "物业", "调解", "需求", "资源", "减负"):
        assert word in titles, word
    parking = CasePage.objects.get(slug="heping-gongxiang-tingche")
    assert {"label": "共享车位", "value": "1000", "unit": "个"} in [
        dict(b.value) for b in parking.results if b.block_type == "figure"
    ]


def test_the_ebike_case_is_four_difficulties_eight_solutions(demo):
    case = CasePage.objects.get(title__contains="4难8解")
    assert case.category.slug == "diandongche-anquan"
    assert [len(b.value["solutions"]) for b in case.difficulties] == [2, 2, 2, 2]
    assert "飞线" in case.summary


def test_guide_cites_cases(demo):
    guide = GuidePage.objects.live().get(title__contains="党建引领基层治理难题攻坚工作指南")
    assert guide.get_parent().specific_class is CasebookPage
    qa = [b for b in guide.sections if b.block_type == "qa"]
    assert len(qa) >= 8
    live = set(CasePage.objects.live().values_list("pk", flat=True))
    cited = set()
    for block in qa:
        pages = [page for page in block.value["cases"] if page is not None]
        assert pages, block.value["question"]
        assert {page.pk for page in pages} <= live
        cited |= {page.pk for page in pages}
    assert len(cited) >= 10


def test_mutual_learning(demo):
    assert Bookmark.objects.values("user").distinct().count() >= 20
    assert UsefulMark.objects.count() >= 20
    reports = ApplicationReport.objects.select_related("unit", "user__worker_profile")
    assert reports.count() >= 3
    for report in reports:
        assert report.unit.level == "community"
        assert report.user.worker_profile.community == report.unit
        assert report.what_changed and report.outcome
    # Someone applied a case in another district than the one it came from.
    assert any(r.unit.code[:4] != r.case.unit.code[:4] for r in reports)


def test_loading_twice_changes_nothing(demo):
    before = _counts()
    summary = load_case_demo()
    assert _counts() == before
    assert summary["bookmarks"] == summary["useful_marks"] == summary["applications"] == 0
