"""The judge analytics page: who may open it, when, and the figures of a small stage worked out
by hand (the same marks as tests/unit/test_analytics.py, where the arithmetic is)."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from competitions.models import ScoreSheet, Stage
from tests.factories import (
    activate_totp,
    make_admin,
    make_appearance,
    make_competition,
    make_entry,
    make_scenario,
    make_sections,
    make_stage,
    make_tree,
    make_user,
    make_worker,
)

pytestmark = pytest.mark.django_db

# (listen, policy, solve) per contestant, for judges 1, 2, 3; judge 3 stood aside from 周杰.
MARKS = {
    "王丽": [("7.5", "7.5", "15"), ("9", "7", "16"), ("6", "7", "12")],  # 30 32 25
    "李强": [("5", "5", "10"), ("6", "7", "11"), ("5", "4", "10")],  # 20 24 19
    "赵敏": [("9", "9", "18"), ("9.5", "8.5", "17"), ("8", "7", "16")],  # 36 35 31
    "周杰": [("7", "7", "14"), ("8", "6", "16")],  # 28 30
}
CARDS = {"王丽": "噪音纠纷", "李强": "噪音纠纷", "赵敏": "停车难", "周杰": "停车难"}
COMMUNITIES = ["TD1S1C1", "TD1S2C1", "TD2S1C1", "TD2S2C1"]


def sheet(appearance, judge, marks, status=ScoreSheet.Status.SUBMITTED):
    listen, policy, solve = marks
    return ScoreSheet.objects.create(
        appearance=appearance,
        judge=judge,
        status=status,
        values={"listen": listen, "policy": policy, "solve": solve},
        total=Decimal(listen) + Decimal(policy) + Decimal(solve),
        submitted_at=timezone.now(),
    )


class World:
    """A city final's scenario stage: four contestants, three judges, two scenario cards."""

    def __init__(self, prefix="T", status=Stage.Status.CLOSED):
        self.units = make_tree(prefix)
        sections = make_sections(self.units)
        self.chief = make_user("孙裁判长")
        self.judges = [make_user(f"评委{n}") for n in (1, 2, 3)]
        self.competition = make_competition(self.units[prefix], chief_judge=self.chief)
        self.stage = make_stage(self.competition.rounds.get(), status=status)
        self.cards = {
            title: make_scenario(sections[prefix], title) for title in sorted(set(CARDS.values()))
        }
        self.appearances = {}
        for index, (name, marks) in enumerate(MARKS.items()):
            self.add(name, marks, self.units[COMMUNITIES[index].replace("T", prefix, 1)])

    def add(self, name, marks, community, card=None):
        entry = make_entry(self.competition, make_worker(community, real_name=name))
        judges = self.judges[: len(marks)]
        appearance = make_appearance(self.stage, entry, judges=judges)
        appearance.card = self.cards[card or CARDS[name]]
        appearance.save(update_fields=["card"])
        for judge, judge_marks in zip(judges, marks, strict=True):
            sheet(appearance, judge, judge_marks)
        self.appearances[name] = appearance

    def url(self):
        with translation.override("en"):
            return reverse("competitions:analytics_stage", args=[self.stage.pk])

    def set_status(self, status):
        self.stage.status = status
        self.stage.save(update_fields=["status"])


@pytest.fixture
def world():
    return World()


def organiser_of(world):
    organiser = make_admin(world.competition.owner_unit)
    activate_totp(organiser)
    return organiser


def table(page: str, table_id: str) -> list[list[str]]:
    """The text of each body row's cells in the table with `table_id`."""
    body = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return [
        [
            re.sub(r"<[^>]+>", " ", cell).split()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def words(cells: list[list[str]]) -> list[str]:
    return [" ".join(cell) for cell in cells]


# --------------------------------------------------------------------------- access


def test_only_the_organiser_and_the_chief_judge_may_look(client, world):
    url = world.url()
    assert client.get(url).status_code == 302  # to the login page
    for stranger in (world.judges[0], make_user("路人"), organiser_of(World("Q"))):
        client.force_login(stranger)
        assert client.get(url).status_code == 403
    client.force_login(world.chief)
    assert client.get(url).status_code == 200
    client.force_login(organiser_of(world))
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("status", [Stage.Status.PREPARING, Stage.Status.OPEN])
def test_a_stage_still_being_scored_shows_no_figures(client, status):
    world = World(status=status)
    client.force_login(world.chief)
    page = client.get(world.url()).content.decode()
    assert 'id="not-closed"' in page
    assert "once the stage is closed" in page
    assert 'id="judge-table"' not in page and "ICC(2,1)" not in page
    world.set_status(Stage.Status.CLOSED)
    assert 'id="judge-table"' in client.get(world.url()).content.decode()


# --------------------------------------------------------------------------- figures


def test_the_figures_of_a_small_stage(client, world):
    client.force_login(organiser_of(world))
    page = client.get(world.url()).content.decode()
    # Judge, scored, severity, spread, flat sheets, halo.
    assert [words(row) for row in table(page, "judge-table")] == [
        ["评委1", "4", "+0.25", "5.72", "100%", "Halo"],
        ["评委2", "4", "+2.00", "4.02", "0%", "—"],
        ["评委3", "3", "-3.00", "4.90", "0%", "—"],
    ]
    iccs = {row[0][0]: row for row in table(page, "icc-table")}
    # On the block of 王丽, 李强, 赵敏 × three judges: ICC(2,1) = 380/461, ICC(3,1) = 380/401.
    assert iccs["ICC(2,1)"][1] == ["0.82"] and "good" in iccs["ICC(2,1)"][2]
    assert iccs["ICC(3,1)"][1] == ["0.95"] and "excellent" in iccs["ICC(3,1)"][2]
    assert "Computed on 3 contestants × 3 judges." in page
    assert 'id="not-computable"' not in page
    # 周杰 was not scored by judge 3: left out, by blind code while the stage is not decoded.
    left_out = re.search(r'id="left-out">(.*?)</div>', page, re.S).group(1)
    assert world.appearances["周杰"].blind_code in left_out
    assert "周杰" not in page and "Judges left out" not in left_out
    # Panel scores 29, 21, 34, 29: stage mean 28.25; 噪音纠纷 25, 停车难 31.5.
    assert "(28.25)" in page
    assert [words(row) for row in table(page, "card-table")] == [
        ["噪音纠纷", "2", "25.00", "-3.25"],
        ["停车难", "2", "31.50", "+3.25"],
    ]


def test_names_appear_once_the_stage_is_decoded(client, world):
    world.set_status(Stage.Status.DECODED)
    client.force_login(world.chief)
    page = client.get(world.url()).content.decode()
    left_out = re.search(r'id="left-out">(.*?)</div>', page, re.S).group(1)
    assert f"{world.appearances['周杰'].blind_code} 周杰" in left_out


def test_only_submitted_sheets_count(client, world):
    # Judge 3's sheet on 赵敏 is reopened: 赵敏 joins 周杰 outside the block.
    ScoreSheet.objects.filter(appearance=world.appearances["赵敏"], judge=world.judges[2]).update(
        status=ScoreSheet.Status.REOPENED
    )
    client.force_login(world.chief)
    page = client.get(world.url()).content.decode()
    judge_three = [words(row) for row in table(page, "judge-table")][2]
    assert judge_three[:2] == ["评委3", "2"]
    # 3 × 3 = 9 is no longer possible: judges 1 and 2 on all four (8) beat 2 × 3 = 6.
    assert "Computed on 4 contestants × 2 judges." in page
    assert "Judges left out" in page and "评委3" in re.search(
        r'id="left-out">(.*?)</div>', page, re.S
    ).group(1)


def test_one_judge_is_not_computable(client):
    world = World()
    ScoreSheet.objects.filter(appearance__stage=world.stage).exclude(judge=world.judges[0]).delete()
    client.force_login(world.chief)
    with translation.override("en"):
        page = client.get(world.url()).content.decode()
    assert 'id="not-computable"' in page
    assert "fewer than two judges scored the same contestants" in page
    assert [row[1] for row in table(page, "icc-table")] == [["—"], ["—"]]


def test_a_stage_without_cards_or_scores_says_so(client, world):
    ScoreSheet.objects.filter(appearance__stage=world.stage).delete()
    client.force_login(world.chief)
    page = client.get(world.url()).content.decode()
    assert "No submitted score sheets in this stage." in page
    assert "No scenario cards were drawn in this stage." in page
    assert "fewer than two contestants" in page


def test_the_page_asks_the_same_number_of_queries_however_many_contestants(client, world):
    client.force_login(world.chief)
    with CaptureQueriesContext(connection) as small:
        assert client.get(world.url()).status_code == 200
    for number in range(3):
        world.add(f"新选手{number}", MARKS["赵敏"], world.units["TD1S1C2"], card="停车难")
    with CaptureQueriesContext(connection) as larger:
        page = client.get(world.url()).content.decode()
    assert "Computed on 6 contestants × 3 judges." in page
    assert len(larger) == len(small)
