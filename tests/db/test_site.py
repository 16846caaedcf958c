"""The public site: Chinese by default, English under /en/, self-hosted assets only."""

import re
from datetime import datetime

import pytest
from django.conf import settings
from django.utils import formats, timezone, translation

from cms.demo import load_demo
from people.models import OrgUnit, Role, User, WorkerProfile
from tests.factories import make_admin, make_sections, make_tree

pytestmark = pytest.mark.django_db


@pytest.fixture
def sections():
    return make_sections(make_tree())


def test_home_page_is_chinese_by_default(client, sections):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")  # the browser's wish does not win
    assert response.status_code == 200
    text = response.content.decode()
    assert '<html lang="zh-hans">' in text
    for word in ("培训", "案例库", "技能大赛", "我的", "最新课程", "最新案例"):
        assert word in text, word
    assert "T市" in text  # the city's section is listed


def test_english_lives_under_en(client, sections):
    response = client.get("/en/")
    assert response.status_code == 200
    text = response.content.decode()
    assert '<html lang="en">' in text
    assert "Casebook" in text and "Competitions" in text
    assert "案例库" not in text


def test_section_pages_render_with_breadcrumbs(client, sections):
    response = client.get(sections["TD1S1"].url)
    assert response.status_code == 200
    text = response.content.decode()
    assert "T1区1街道" in text
    assert "T第1区" in text  # breadcrumb to the district


def test_no_remote_assets_on_public_pages(client, sections):
    for path in ("/", "/accounts/login/", sections["TD1"].url):
        text = client.get(path).content.decode()
        remote = re.findall(r'(?:src|href)="(?:https?:)?//[^"]+"', text)
        assert remote == [], (path, remote)


def test_time_zone_and_chinese_dates():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    moment = datetime(2026, 11, 26, 1, 30, tzinfo=timezone.UTC)
    with translation.override("zh-hans"):
        local = timezone.localtime(moment)
        assert local.hour == 9
        assert formats.date_format(local) == "2026年11月26日"


def test_missing_page_is_a_chinese_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_demo_data_is_idempotent_and_city_sized():
    load_demo()
    counts = (
        OrgUnit.objects.count(),
        User.objects.count(),
        Role.objects.count(),
        WorkerProfile.objects.count(),
    )
    load_demo()
    assert (
        OrgUnit.objects.count(),
        User.objects.count(),
        Role.objects.count(),
        WorkerProfile.objects.count(),
    ) == counts
    assert OrgUnit.objects.filter(level="district").count() == 3
    assert OrgUnit.objects.filter(level="street").count() == 9
    assert 28 <= OrgUnit.objects.filter(level="community").count() <= 32
    assert 280 <= WorkerProfile.objects.count() <= 320
    # Every level has an admin, and there are trainers and judges.
    for level in ("city", "district", "street", "community"):
        assert Role.objects.filter(kind="admin", unit__level=level).exists(), level
    assert Role.objects.filter(kind="trainer").exists()
    assert Role.objects.filter(kind="judge").exists()
    # Demo workers carry (fictional, valid, encrypted) ID numbers; communities a population.
    from datetime import date

    from people import crypto
    from people.idnumbers import id_number_problem

    profile = WorkerProfile.objects.first()
    number = crypto.decrypt(profile.id_number_encrypted)
    assert number.startswith("990101")
    assert id_number_problem(number, today=date.today()) is None
    assert not OrgUnit.objects.filter(level="community", population=None).exists()
    assert User.objects.get(username="street_admin").has_perm("people.view_personal_data")
    assert not User.objects.get(username="district_admin").has_perm("people.view_personal_data")
    # Names look Chinese: two or three CJK characters.
    names = WorkerProfile.objects.values_list("user__real_name", flat=True)
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", n) for n in names)


def test_casebook_link_leads_to_the_casebook_or_search(client):
    response = client.get("/cases/")
    assert response.status_code == 302
    assert response["Location"] == "/cases/search/"  # no casebook page yet


@pytest.mark.parametrize(
    "path",
    [
        "/cases/search/?q=%00",
        "/roster/?q=%00",
        "/training/plans/1/?unit=%00",
        "/?category=%00&unit=%00&year=%00",
        "/abc%00/",
    ],
)
def test_nul_characters_never_reach_the_database(client, sections, path):
    # PostgreSQL refuses NUL in text: without care these were server errors there.
    client.force_login(make_admin(make_tree("N")["ND1S1"]))
    response = client.get(path)
    assert response.status_code in (200, 302, 403, 404)
