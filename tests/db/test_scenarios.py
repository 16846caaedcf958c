"""Scenario cards: the card page, the library, the demo cards and the admin menu group."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cms.demo_scenarios import CRITERIA, load_scenarios
from competitions.models import ScenarioPage
from people.models import Role
from tests.factories import (
    activate_totp,
    give_role,
    make_competition,
    make_document,
    make_scenario,
    make_sections,
    make_stage,
    make_tree,
    make_user,
    make_worker,
)

pytestmark = pytest.mark.django_db

LIBRARY = "/competitions/scenarios/"


@pytest.fixture
def world():
    units = make_tree()
    return units, make_sections(units)


def staff(units, kind, unit="TD1"):
    user = make_user(f"{kind}用户")
    give_role(user, units[unit], kind)
    return user


@pytest.fixture
def people(world):
    units, _ = world
    admin = staff(units, Role.Kind.ADMIN, "TD1S1")  # a street admin needs no authenticator
    city_admin = staff(units, Role.Kind.ADMIN, "T")
    activate_totp(city_admin)
    return {
        "judge": staff(units, Role.Kind.JUDGE, "T"),
        "trainer": staff(units, Role.Kind.TRAINER),
        "admin": admin,
        "city_admin": city_admin,
        "worker": make_worker(units["TD1S1C1"]),
    }


def rich_card(section, *, public=False):
    """A card with two roles, a material, and bands the page must show."""
    page = ScenarioPage(
        title="噪音纠纷调解",
        brief="<p>楼上深夜装修，楼下独居老人来社区投诉。</p>",
        task="请在8分钟内调解双方矛盾。",
        time_limit_minutes=8,
        roles=[
            ("role", {"name": "周桂芳（投诉人）", "script": "开场：你们到底管不管？"}),
            ("role", {"name": "吴浩（装修业主）", "script": "升级：凭什么让我停工？"}),
        ],
        materials=[("material", {"document": make_document("装修管理协议"), "title": ""})],
        rubric=[
            (
                "criterion",
                {
                    "code": "listen",
                    "title": "倾听与共情",
                    "max_points": "15",
                    "step": "0.5",
                    "bands": [
                        {"low": "13", "high": "15", "descriptor": "准确说出老人夜里睡不着的难处"},
                        {"low": "0", "high": "12.5", "descriptor": "打断当事人、急于下结论"},
                    ],
                },
            ),
            (
                "criterion",
                {
                    "code": "solution",
                    "title": "解决方案可行性",
                    "max_points": "25",
                    "step": "0.5",
                    "bands": [{"low": "0", "high": "25", "descriptor": "形成写下来的作息约定"}],
                },
            ),
        ],
        public=public,
    )
    section.add_child(instance=page)
    page.save_revision().publish()
    return ScenarioPage.objects.get(pk=page.pk)


# --------------------------------------------------------------------------- the card page


@pytest.mark.parametrize("who", ["judge", "trainer", "admin", "city_admin"])
def test_card_page_shows_roles_materials_and_rubric_bands(client, world, people, who):
    _, sections = world
    card = rich_card(sections["TD1"])
    client.force_login(people[who])
    response = client.get(card.url)
    assert response.status_code == 200
    text = response.content.decode()
    for content in (
        "楼上深夜装修",  # the situation
        "请在8分钟内调解双方矛盾。",  # the task
        "周桂芳（投诉人）",
        "开场：你们到底管不管？",
        "吴浩（装修业主）",
        "装修管理协议",
        "准确说出老人夜里睡不着的难处",
        "打断当事人、急于下结论",
        "形成写下来的作息约定",
        'id="confidential"',
    ):
        assert content in text, content
    assert 'id="criterion-listen"' in text and 'id="criterion-solution"' in text
    # 15 + 25, written as people write points.
    assert response.context["rubric_total"] == "40"
    assert 'id="rubric-total"' in text and ">40<" in text
    listen = response.context["criteria"][0]
    assert (listen["max_points"], listen["step"]) == ("15", "0.5")
    assert [(b["low"], b["high"]) for b in listen["bands"]] == [("13", "15"), ("0", "12.5")]


def test_confidential_card_is_closed_to_workers_and_anonymous(client, world, people):
    _, sections = world
    secret = rich_card(sections["TD1"])
    open_card = rich_card(sections["TD1S1"], public=True)

    assert client.get(secret.url).status_code == 403
    anonymous = client.get(open_card.url)
    assert anonymous.status_code == 200 and "周桂芳（投诉人）" in anonymous.content.decode()
    assert 'id="confidential"' not in anonymous.content.decode()

    client.force_login(people["worker"])
    denied = client.get(secret.url)
    assert denied.status_code == 403 and "开场：你们到底管不管？" not in denied.content.decode()
    assert client.get(open_card.url).status_code == 200


def make_case(section, title, slug, *, publish=True):
    from cms.models import CaseCategory, CasePage

    category, _ = CaseCategory.objects.get_or_create(slug="maodun", defaults={"name": "矛盾调解"})
    case = CasePage(
        title=title, slug=slug, summary=f"{title}的做法", category=category, year=2025, live=False
    )
    section.add_child(instance=case)
    if publish:
        case.save_revision().publish()
    return CasePage.objects.get(pk=case.pk)


def test_card_page_links_related_cases_and_stages_that_used_it(client, world, people):
    units, sections = world
    card = rich_card(sections["TD1"])
    case = make_case(sections["TD1S1"], "老街坊调解室", "laojiefang")
    draft = make_case(sections["TD1S1"], "还没发布的案例", "draft-case", publish=False)
    card.cases = [case, draft]
    card.save_revision().publish()
    stage = make_stage(make_competition(units["T"]).rounds.get(), name="情景模拟赛")
    stage.cards.add(card)

    client.force_login(people["judge"])
    text = client.get(card.url).content.decode()
    assert "老街坊调解室" in text and case.url in text
    assert "还没发布的案例" not in text
    assert "青禾杯社区工作者技能大赛 · 决赛 · 情景模拟赛" in text


# --------------------------------------------------------------------------- the library


def titles(response):
    return [card.page.title for card in response.context["cards"]]


@pytest.fixture
def shelf(world):
    _, sections = world
    return {
        "secret": make_scenario(sections["TD1"], "邻里噪音纠纷调解"),
        "open": make_scenario(sections["TD1S1"], "电动自行车充电新规", public=True),
        "draft": _draft(sections["TD2"]),
    }


def _draft(section):
    page = ScenarioPage(
        title="未发布的情景题", brief="<p>草稿</p>", task="草稿", rubric=[], live=False
    )
    section.add_child(instance=page)
    return page


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (None, ["电动自行车充电新规"]),
        ("worker", ["电动自行车充电新规"]),
        ("judge", ["电动自行车充电新规", "邻里噪音纠纷调解"]),
        ("trainer", ["电动自行车充电新规", "邻里噪音纠纷调解"]),
        ("admin", ["电动自行车充电新规", "邻里噪音纠纷调解"]),
    ],
)
def test_library_lists_the_cards_each_user_may_read(client, people, shelf, who, expected):
    if who:
        client.force_login(people[who])
    response = client.get(LIBRARY)
    assert response.status_code == 200
    assert sorted(titles(response)) == sorted(expected)
    text = response.content.decode()
    assert "未发布的情景题" not in text
    if "邻里噪音纠纷调解" not in expected:
        assert "邻里噪音纠纷调解" not in text and shelf["secret"].url not in text


def test_library_card_shows_time_criteria_total_stages_and_flag(client, world, people, shelf):
    units, _ = world
    stage = make_stage(make_competition(units["T"]).rounds.get(), name="情景模拟赛")
    stage.cards.add(shelf["secret"])
    client.force_login(people["judge"])
    response = client.get(LIBRARY)
    cards = {c.page.title: c for c in response.context["cards"]}
    secret = cards["邻里噪音纠纷调解"]
    # The factory's rubric: 10 + 10 + 20 over three criteria.
    assert (secret.criteria_count, secret.max_total) == (3, "40")
    assert [s.name for s in secret.stages] == ["情景模拟赛"]
    assert secret.unit == units["TD1"]
    assert cards["电动自行车充电新规"].stages == []
    text = response.content.decode()
    assert "青禾杯社区工作者技能大赛 · 决赛 · 情景模拟赛" in text
    card_html = text.split(f'id="card-{shelf["secret"].pk}"')[1].split("</li>")[0]
    assert "scenario-flag confidential" in card_html and shelf["secret"].url in card_html


def test_library_search_and_unit_filter(client, world, people, shelf):
    units, sections = world
    make_scenario(sections["TD1"], "组织业主委员会选举")
    client.force_login(people["trainer"])

    assert titles(client.get(LIBRARY, {"q": "充电"})) == ["电动自行车充电新规"]
    # The task text is searched too (every factory card's task says 8分钟).
    assert len(titles(client.get(LIBRARY, {"q": "8分钟内调解"}))) == 3
    assert titles(client.get(LIBRARY, {"q": "不存在的题目"})) == []

    response = client.get(LIBRARY, {"unit": "TD1"})
    assert sorted(titles(response)) == sorted(["组织业主委员会选举", "邻里噪音纠纷调解"])
    # The filter offers exactly the units whose sections hold readable cards.
    assert [u.code for u in response.context["units"]] == ["TD1", "TD1S1"]
    assert titles(client.get(LIBRARY, {"unit": "TD1", "q": "选举"})) == ["组织业主委员会选举"]
    # An unknown unit matches nothing rather than everything.
    assert titles(client.get(LIBRARY, {"unit": "NOPE"})) == []


def test_library_hides_units_holding_only_confidential_cards_from_workers(client, people, shelf):
    client.force_login(people["worker"])
    response = client.get(LIBRARY)
    assert [u.code for u in response.context["units"]] == ["TD1S1"]


def test_library_query_count_does_not_grow_with_cards(client, world, people):
    units, sections = world
    round_ = make_competition(units["T"]).rounds.get()
    stage = make_stage(round_)

    def add_cards(n):
        for i in range(n):
            card = make_scenario(sections["TD1" if i % 2 else "TD2S1"], f"情景题{i:02d}")
            stage.cards.add(card)

    client.force_login(people["judge"])
    add_cards(3)
    client.get(LIBRARY)  # warm the site-root cache
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(LIBRARY).context["cards"]) == 3
    add_cards(7)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(LIBRARY).context["cards"]) == 10
    assert len(many) == len(few)


# --------------------------------------------------------------------------- demo cards


def test_load_scenarios_makes_three_parallel_confidential_cards(world):
    _, sections = world
    # One of the casebook's cases on the same theme, where the demo casebook would put it.
    case = make_case(
        sections["TD1S1"], "电动自行车安全治理“4难8解”", "taoyuan-diandongche-4nan8jie"
    )

    cards = load_scenarios(sections["T"])
    assert [c.title for c in cards] == [
        "邻里噪音纠纷调解",
        "电动自行车充电新规引发居民不满",
        "组织业主委员会选举",
    ]
    expected = [(code, title, Decimal(m), Decimal(st)) for code, title, m, st in CRITERIA]
    for card in cards:
        assert card.live and not card.public and card.time_limit_minutes == 8
        assert card.get_parent().pk == sections["T"].pk
        rubric = [(c["code"], c["title"], c["max_points"], c["step"]) for c in card.criteria()]
        assert rubric == expected
        assert sum(c["max_points"] for c in card.criteria()) == 100
        assert all(3 <= len(c["bands"]) <= 4 for c in card.criteria())
        assert 2 <= len(card.roles) <= 3
    # The descriptors belong to each card's situation.
    descriptors = [{b["descriptor"] for c in card.criteria() for b in c["bands"]} for card in cards]
    assert not descriptors[0] & descriptors[1] and not descriptors[1] & descriptors[2]
    assert list(cards[1].cases.all()) == [case]
    assert list(cards[0].cases.all()) == []  # its case is not in this casebook

    again = load_scenarios(sections["T"])
    assert [c.pk for c in again] == [c.pk for c in cards]
    assert ScenarioPage.objects.count() == 3


# --------------------------------------------------------------------------- admin menu


def test_admin_menu_group_for_competition_staff_only(client, world, people):
    library_url = reverse("competitions:scenario_library")
    client.force_login(people["trainer"])
    text = client.get("/admin/").content.decode()
    assert library_url in text and "scenario-library" in text
    assert f'"{reverse("competitions:home")}"' in text and "competitions-home" in text

    # Someone who may open the admin but holds no judge, trainer or admin role.
    editor = make_user("编辑")
    editor.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    client.force_login(editor)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert library_url not in response.content.decode()

    # Workers cannot open the admin at all.
    client.force_login(people["worker"])
    response = client.get("/admin/")
    assert response.status_code in (302, 403)
    assert library_url not in response.content.decode()
