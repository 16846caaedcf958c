"""汇编成册: choose cases, build the PDF in the background, download it; only its author may.

The PDF is opened with pypdf: cover, contents with page numbers that point at the cases,
every case on its own pages, CJK text extractable, and the fonts embedded are Noto CJK.
"""

import io
import re
from datetime import timedelta

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from django.utils import timezone
from pypdf import PdfReader
from wagtail.rich_text import RichText

import cms.urls
from cms import booklet_views, booklets
from cms.models import Booklet, CaseCategory, CasePage
from people.models import Role
from tests.factories import give_role, make_admin, make_sections, make_tree, make_user

# Until the root URLconf includes the booklet pages, this module is the URLconf; the booklet
# URLs go first, before Wagtail's catch-all page route.
urlpatterns = [
    *i18n_patterns(
        path("cases/booklets/", include("cms.booklet_urls")), prefix_default_language=False
    ),
    *cms.urls.urlpatterns,
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

NEW = "/cases/booklets/new/"
TITLES = ("老旧小区停车治理", "电动自行车充电安全", "加装电梯协商议事")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def png_bytes():
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", (240, 160), (179, 38, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def make_image(title="议事现场"):
    from django.core.files.images import ImageFile
    from wagtail.images.models import Image

    return Image.objects.create(
        title=title, file=ImageFile(io.BytesIO(png_bytes()), name="meeting.png")
    )


def make_case(section, title, category, *, difficulty="停车难", image=None, publish=True):
    case = CasePage(
        title=title,
        summary=f"{title}：居民议事会先摸清需求，再分步解决，一年见效。",
        category=category,
        year=2025,
        background="<p>小区建于上世纪九十年代，车位严重不足，矛盾多发。</p>",
        difficulties=[
            (
                "difficulty",
                {
                    "title": difficulty,
                    "description": "夜间车辆无处停放，消防通道常被占用。",
                    "solutions": [
                        {"title": "错时共享车位", "detail": RichText("<p>与周边单位签约。</p>")},
                        {"title": "划定临时泊位", "detail": RichText("<p>居民投票定点。</p>")},
                    ],
                },
            ),
            (
                "difficulty",
                {
                    "title": "协调难",
                    "description": "",
                    "solutions": [{"title": "议事会每月一议", "detail": RichText("")}],
                },
            ),
        ],
        measures="<p>成立停车自治小组，制定停车公约。</p>",
        results=[
            ("figure", {"label": "新增车位", "value": "126", "unit": "个"}),
            ("text", RichText("<p>投诉量下降七成。</p>")),
        ],
        lessons="<p>群众的事由群众商量着办。</p>",
        contact="王主任 0971-1234567",
        media=[("image", image)] if image else [],
    )
    section.add_child(instance=case)
    if publish:
        case.save_revision().publish()
    else:
        case.unpublish()
    return CasePage.objects.get(pk=case.pk)


@pytest.fixture
def units():
    return make_tree()


@pytest.fixture
def cases(units):
    section = make_sections(units)["TD1S1"]
    parking = CaseCategory.objects.create(name="停车管理", slug="parking", sort_order=1)
    safety = CaseCategory.objects.create(name="消防安全", slug="safety", sort_order=2)
    return [
        make_case(section, TITLES[0], parking, image=make_image()),
        make_case(section, TITLES[1], safety, difficulty="充电难"),
        make_case(section, TITLES[2], parking, difficulty="协商难"),
    ]


@pytest.fixture
def admin_client(client, units):
    admin = make_admin(units["TD1S1"])
    client.force_login(admin)
    client.user = admin
    return client


def build_through_view(client, ids, title="社区治理案例汇编", capture=None):
    with capture(execute=True):
        response = client.post(NEW, {"title": title, "case": ids})
    assert response.status_code == 302, response.content.decode()[:2000]
    booklet = Booklet.objects.get(title=title)
    assert response["Location"].endswith(f"/cases/booklets/{booklet.pk}/")
    return booklet


def pdf_of(client, booklet) -> PdfReader:
    response = client.get(f"/cases/booklets/{booklet.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    return PdfReader(io.BytesIO(b"".join(response.streaming_content)))


def font_names(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            names.add(str(ref.get_object()["/BaseFont"]))
    return names


def compact(text: str) -> str:
    # pypdf may put spaces or line breaks between CJK glyphs; compare without them.
    return re.sub(r"\s+", "", text)


# ---------------------------------------------------------------------------------------
# The whole journey
# ---------------------------------------------------------------------------------------


def test_booklet_built_through_the_view_is_a_real_book(
    admin_client, cases, django_capture_on_commit_callbacks, monkeypatch
):
    chooser = admin_client.get(NEW).content.decode()
    for title in TITLES:
        assert title in chooser

    # Watch the progress the build stores as it goes.
    seen = []
    reporter = booklets._reporter

    def watched(booklet_id, start, end):
        report = reporter(booklet_id, start, end)

        def wrapped(fraction):
            report(fraction)
            seen.append(Booklet.objects.get(pk=booklet_id).progress)

        return wrapped

    monkeypatch.setattr(booklets, "_reporter", watched)
    ids = [c.pk for c in cases]
    booklet = build_through_view(admin_client, ids, capture=django_capture_on_commit_callbacks)
    booklet.refresh_from_db()
    assert (booklet.status, booklet.progress, booklet.error) == ("done", 100, "")
    assert seen == sorted(seen)
    assert any(booklets.P_STARTED < p <= booklets.P_HTML_DONE for p in seen)  # per case
    assert any(booklets.P_HTML_DONE < p <= booklets.P_LAID_OUT for p in seen)  # per page
    assert booklet.case_order == ids
    assert booklet.pdf.name.startswith("booklets/")

    detail = admin_client.get(f"/cases/booklets/{booklet.pk}/").content.decode()
    assert f"/cases/booklets/{booklet.pk}/download/" in detail
    assert "data-progress-url" not in detail  # nothing left to poll
    status = admin_client.get(f"/cases/booklets/{booklet.pk}/status/").json()
    assert status == {
        "status": "done",
        "progress": 100,
        "running": False,
        "download": f"/cases/booklets/{booklet.pk}/download/",
    }
    listing = admin_client.get("/cases/booklets/").content.decode()
    assert "社区治理案例汇编" in listing

    reader = pdf_of(admin_client, booklet)
    pages = [compact(page.extract_text()) for page in reader.pages]
    assert len(pages) >= 1 + 1 + 3
    assert "社区治理案例汇编" in pages[0]  # the cover
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", pages[0])
    assert "T市T第1区T1区1街道" in pages[0]  # the issuing unit, city first

    body = "".join(pages[2:])
    for title in TITLES:
        assert title in body
    for text in ("停车难", "充电难", "协商难", "错时共享车位", "投诉量下降七成", "王主任"):
        assert text in body

    # Contents: every title with the page its case starts on, in order, within the book.
    contents = pages[1]
    numbers = []
    for title in TITLES:
        match = re.search(re.escape(title) + r"[.·…]*(\d+)", contents)
        assert match, (title, contents)
        numbers.append(int(match[1]))
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    assert all(3 <= n <= len(pages) for n in numbers)
    for title, number in zip(TITLES, numbers, strict=True):
        assert title in pages[number - 1]
        assert title not in "".join(pages[2 : number - 1])  # its case starts there

    fonts = font_names(reader)
    assert fonts and all("Noto" in name or "CJK" in name for name in fonts), fonts

    # The local image went in; nothing was fetched from anywhere else.
    case_page = reader.pages[numbers[0] - 1]
    xobjects = case_page["/Resources"].get("/XObject", {})
    assert any(x.get_object()["/Subtype"] == "/Image" for x in xobjects.values())


def test_ids_from_a_search_come_ticked_in_their_order_unknown_ones_ignored(admin_client, cases):
    ids = f"{cases[2].pk},999999,abc,{cases[0].pk},{cases[2].pk}"
    text = admin_client.get(NEW, {"ids": ids, "q": "停车"}).content.decode()
    assert text.index(TITLES[2]) < text.index(TITLES[0])
    assert TITLES[1] not in text
    assert text.count("checked") == 2
    assert "“停车”" in text  # a title suggested from the search words


def test_category_filter(admin_client, cases):
    text = admin_client.get(NEW, {"category": "safety"}).content.decode()
    assert TITLES[1] in text and TITLES[0] not in text and TITLES[2] not in text
    assert admin_client.get(NEW, {"category": "no-such"}).status_code == 200


def test_unknown_and_unpublished_ids_are_ignored(
    admin_client, cases, units, django_capture_on_commit_callbacks
):
    hidden = make_case(make_sections(units)["TD1S1"], "草稿案例", cases[0].category, publish=False)
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            NEW, {"title": "混合", "case": [str(cases[1].pk), "999999", "x", str(hidden.pk)]}
        )
    assert response.status_code == 302
    booklet = Booklet.objects.get()
    assert booklet.case_order == [cases[1].pk]
    assert list(booklet.cases.all()) == [cases[1]]
    assert len(callbacks) == 1  # the build is queued once the booklet is committed
    assert booklet.status == "queued"


# ---------------------------------------------------------------------------------------
# Refusals: form errors, never a 500
# ---------------------------------------------------------------------------------------


def test_no_case_chosen_is_a_form_error(admin_client, cases):
    response = admin_client.post(NEW, {"title": "空的"})
    assert response.status_code == 200
    assert 'id="case-error"' in response.content.decode()
    response = admin_client.post(NEW, {"title": "全是未知", "case": ["999999", "abc"]})
    assert response.status_code == 200
    assert 'id="case-error"' in response.content.decode()
    assert not Booklet.objects.exists()


def test_missing_title_keeps_the_ticks(admin_client, cases):
    response = admin_client.post(NEW, {"title": "", "case": [str(cases[0].pk)]})
    assert response.status_code == 200
    text = response.content.decode()
    assert f'value="{cases[0].pk}" checked' in text
    assert not Booklet.objects.exists()


def test_more_than_the_limit_is_refused(admin_client, cases, monkeypatch):
    monkeypatch.setattr(booklet_views, "MAX_CASES", 2)
    response = admin_client.post(NEW, {"title": "太多", "case": [str(c.pk) for c in cases]})
    assert response.status_code == 200
    assert 'id="case-error"' in response.content.decode()
    assert not Booklet.objects.exists()
    # The search link with too many hits says so up front.
    text = admin_client.get(NEW, {"ids": ",".join(str(c.pk) for c in cases)}).content.decode()
    assert 'class="error"' in text


# ---------------------------------------------------------------------------------------
# Who may
# ---------------------------------------------------------------------------------------


def test_booklets_are_their_authors_only(
    admin_client, client, cases, units, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(booklets, "build_booklet", lambda *args: None)  # not needed here
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(NEW, {"title": "作者专用汇编", "case": [str(cases[0].pk)]})
    booklet = Booklet.objects.get()
    Booklet.objects.filter(pk=booklet.pk).update(status="done", pdf="booklets/x.pdf")

    # The file has gone from the disk: a 404 for the author too, not a 500.
    assert admin_client.get(f"/cases/booklets/{booklet.pk}/download/").status_code == 404

    other = make_admin(units["TD1S1"])  # same street, still not the author
    client.force_login(other)
    for suffix in ("", "status/", "download/"):
        assert client.get(f"/cases/booklets/{booklet.pk}/{suffix}").status_code == 404
    assert "作者专用汇编" not in client.get("/cases/booklets/").content.decode()


def test_trainers_compile_workers_do_not(client, cases, units):
    trainer = make_user("讲师")
    give_role(trainer, units["TD2"], Role.Kind.TRAINER)
    client.force_login(trainer)
    assert client.get(NEW).status_code == 200

    worker = make_user("社工")
    give_role(worker, units["TD1S1C1"], Role.Kind.WORKER)
    client.force_login(worker)
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, {"title": "x", "case": [str(cases[0].pk)]}).status_code == 403

    client.logout()
    response = client.get(NEW)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# ---------------------------------------------------------------------------------------
# Progress and failure
# ---------------------------------------------------------------------------------------


def test_progress_endpoint_while_waiting(admin_client, cases):
    booklet = Booklet.objects.create(
        title="排队中", created_by=admin_client.user, case_order=[cases[0].pk]
    )
    booklet.cases.set([cases[0]])
    assert admin_client.get(f"/cases/booklets/{booklet.pk}/status/").json() == {
        "status": "queued",
        "progress": 0,
        "running": True,
    }
    detail = admin_client.get(f"/cases/booklets/{booklet.pk}/").content.decode()
    assert f'data-progress-url="/cases/booklets/{booklet.pk}/status/"' in detail
    assert 'id="job-progress"' in detail and "js/progress.js" in detail
    assert admin_client.get(f"/cases/booklets/{booklet.pk}/download/").status_code == 404


def test_a_build_that_died_with_its_worker_ends_failed(admin_client, cases):
    booklet = Booklet.objects.create(
        title="卡住了", created_by=admin_client.user, case_order=[cases[0].pk]
    )
    Booklet.objects.filter(pk=booklet.pk).update(
        status="building", progress=40, created_at=timezone.now() - timedelta(hours=1)
    )
    status = admin_client.get(f"/cases/booklets/{booklet.pk}/status/").json()
    assert status["status"] == "failed" and status["running"] is False and status["error"]
    booklet.refresh_from_db()
    assert booklet.status == "failed"


def test_weasyprint_failure_marks_the_booklet_failed(
    admin_client, cases, django_capture_on_commit_callbacks, monkeypatch
):
    import weasyprint

    def broken(*args, **kwargs):
        raise RuntimeError("排版引擎坏了")

    monkeypatch.setattr(weasyprint, "HTML", broken)
    booklet = build_through_view(
        admin_client, [cases[0].pk], title="会失败", capture=django_capture_on_commit_callbacks
    )
    booklet.refresh_from_db()
    assert booklet.status == "failed"
    assert "排版引擎坏了" in booklet.error
    assert not booklet.pdf
    status = admin_client.get(f"/cases/booklets/{booklet.pk}/status/").json()
    assert status["status"] == "failed" and status["running"] is False
    assert "排版引擎坏了" in status["error"]
    detail = admin_client.get(f"/cases/booklets/{booklet.pk}/").content.decode()
    assert 'id="booklet-error"' in detail and f"ids={cases[0].pk}" in detail
    assert admin_client.get(f"/cases/booklets/{booklet.pk}/download/").status_code == 404


def test_cases_unpublished_before_the_build_fail_with_a_message(admin_client, cases):
    booklet = Booklet.objects.create(
        title="过期", created_by=admin_client.user, case_order=[cases[1].pk]
    )
    booklet.cases.set([cases[1]])
    cases[1].unpublish()
    assert booklets.build_booklet(booklet.pk) == "failed"
    booklet.refresh_from_db()
    assert booklet.status == "failed" and booklet.error


# ---------------------------------------------------------------------------------------
# Pieces
# ---------------------------------------------------------------------------------------


def test_html_has_print_rules_and_no_remote_urls(admin_client, cases):
    booklet = Booklet.objects.create(
        title="预览", created_by=admin_client.user, case_order=[c.pk for c in cases]
    )
    html = booklets.render_booklet_html(booklet)
    assert "size: A4" in html
    assert "target-counter(attr(href), page)" in html and 'leader(".")' in html
    assert "counter(page)" in html and "break-before: page" in html
    assert '"Noto Sans CJK SC"' in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert re.search(r'<img src="file://[^"]+\.png"', html)
    assert html.count('class="case"') == 3
    assert html.index(TITLES[0]) < html.index(TITLES[1]) < html.index(TITLES[2])


def test_fetcher_reads_media_files_only(settings):
    fetcher = booklets.local_files_only()
    with pytest.raises(ValueError):
        fetcher.fetch("http://example.com/logo.png")
    with pytest.raises(ValueError):
        fetcher.fetch("file:///etc/passwd")
