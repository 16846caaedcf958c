"""Cached roll-ups and the other speed-ups of the admin and contest pages: figures served "as
of" a time and kept current, the plan export's detail sheet, the API's pages by community, the
judge's inputs drawn once per criterion, and the ranking tables drawn once per version."""

import io
import re
from datetime import timedelta

import openpyxl
import pytest
from django.core.cache import cache
from django.utils import timezone

from cms.api import tokens
from competitions.models import RoundResult
from people.models import AuditEvent, WorkerProfile
from tests.factories import (
    activate_totp,
    make_admin,
    make_course,
    make_plan,
    make_sections,
    make_tree,
    make_user,
    make_worker,
)
from training import aggregates, plans, progress

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """A city plan of two courses; 2 workers in TD1S1C1, 1 in TD1S2C1, 1 in TD2S1C1."""
    units = make_tree()
    sections = make_sections(units)
    courses = [make_course(sections["T"], "甲课", lessons=1), make_course(sections["T"], "乙课")]
    plan = make_plan(units["T"], courses)
    workers = [
        make_worker(units["TD1S1C1"], real_name="张一"),
        make_worker(units["TD1S1C1"], real_name="王二"),
        make_worker(units["TD1S2C1"], real_name="李三"),
        make_worker(units["TD2S1C1"], real_name="赵四"),
    ]
    plans.sync_plan(plan)
    progress.complete_lesson(workers[0], courses[0].lessons()[0])
    return units, plan, courses, workers


def admin_of(client, unit):
    admin = make_admin(unit)
    activate_totp(admin)
    client.force_login(admin)
    return admin


def figures_line(client, plan) -> str:
    page = client.get(f"/en/training/plans/{plan.pk}/").content.decode()
    return page.split("required course places completed")[0].rsplit("<p>", 1)[1]


# --------------------------------------------------------------------------- cached roll-up


def test_rollup_is_served_as_of_a_time_and_recounted_in_the_background(
    client, world, monkeypatch, django_capture_on_commit_callbacks
):
    units, plan, courses, workers = world
    admin_of(client, units["T"])
    monkeypatch.setattr(aggregates, "local_cache", lambda: False)  # as with Redis
    assert figures_line(client, plan).strip() == "1 of 8"
    page = client.get(f"/en/training/plans/{plan.pk}/").content.decode()
    assert "Figures as of" in page and "being counted" not in page

    progress.complete_lesson(workers[2], courses[0].lessons()[0])  # the data's mark moves
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        page = client.get(f"/en/training/plans/{plan.pk}/").content.decode()
    # The page answered at once with what it had, and asked the task worker to count again
    # (the test settings run tasks in place).
    assert "1 of 8 required course places" in page and "newer figures are being counted" in page
    assert len(callbacks) == 1
    assert figures_line(client, plan).strip() == "2 of 8"


def test_without_a_shared_cache_the_page_counts_again_itself(
    client, world, django_capture_on_commit_callbacks
):
    units, plan, courses, workers = world
    admin_of(client, units["T"])
    assert aggregates.local_cache()  # the test settings keep the cache in memory
    assert figures_line(client, plan).strip() == "1 of 8"
    progress.complete_lesson(workers[1], courses[0].lessons()[0])
    with django_capture_on_commit_callbacks(execute=True):
        client.get(f"/en/training/plans/{plan.pk}/")
    assert figures_line(client, plan).strip() == "2 of 8"


def test_figures_older_than_the_limit_are_counted_again_at_once(client, world, monkeypatch):
    units, plan, courses, workers = world
    admin_of(client, units["T"])
    assert figures_line(client, plan).strip() == "1 of 8"
    key = aggregates.cache_key("plan-completion", plan.pk)
    entry = cache.get(key)
    entry["value"] = {}  # what an old count might say
    entry["as_of"] = timezone.now() - aggregates.STALE_LIMIT - timedelta(minutes=1)
    cache.set(key, entry)
    assert figures_line(client, plan).strip() == "1 of 8"


def test_cached_counts_still_respect_each_admins_scope(client, world):
    units, plan, courses, workers = world
    admin_of(client, units["T"])
    client.get(f"/en/training/plans/{plan.pk}/")  # cached for everyone
    admin_of(client, units["TD1S1"])
    page = client.get(f"/en/training/plans/{plan.pk}/").content.decode()
    assert "1 of 4 required course places" in page  # only their street's two workers
    assert "T第2区" not in page


# --------------------------------------------------------------------------- plan export


def test_plan_export_lists_every_required_course_place_in_scope(client, world):
    units, plan, courses, workers = world
    admin = admin_of(client, units["TD1"])
    response = client.get(f"/en/training/plans/{plan.pk}/export.xlsx?unit=TD1")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Completion", "Required course places"]
    summary = list(book.worksheets[0].iter_rows(values_only=True))
    assert summary[1:] == [("T1区1街道", 4, 1, 25), ("T1区2街道", 2, 0, 0)]
    places = list(book.worksheets[1].iter_rows(values_only=True))
    assert places[0] == ("Community", "Real name", "Position", "Course", "Completed on")
    assert len(places) == 1 + 3 * 2  # three workers in TD1, two courses each; not 赵四
    done = [row for row in places[1:] if row[4] is not None]
    assert [(row[0], row[1], row[3]) for row in done] == [
        ("T第1区/T1区1街道/T1-1-1社区", "张一", "甲课")
    ]
    assert done[0][4].date() == timezone.localdate()
    assert {row[2] for row in places[1:]} == {"Full-time community worker"}
    event = AuditEvent.objects.get(actor=admin, action=AuditEvent.Action.EXPORT)
    assert event.count == 2 + 6


# --------------------------------------------------------------------------- API pages


def test_api_worker_pages_follow_community_then_worker_across_pages(client, world):
    units, plan, courses, workers = world
    for n, code in enumerate(["TD1S2C2", "TD1S1C2", "TD2S2C1", "TD1S1C1", "TD1S1C2"]):
        make_worker(units[code], real_name=f"新{n}", position="grid" if n % 2 else "member")
    root = make_user("平台管理员", is_superuser=True, is_staff=True)
    token = tokens.create_client(name="人社系统", unit=units["T"], by=root)[1]
    expected = list(
        WorkerProfile.objects.order_by("community__path", "user_id").values_list(
            "user_id", flat=True
        )
    )

    def page(number, size, **filters):
        return client.get(
            "/api/v1/workers",
            {"page": number, "page_size": size, **filters},
            HTTP_AUTHORIZATION=f"Bearer {token}",
        ).json()

    for size in (1, 2, 3, 4, 50):
        seen = []
        for number in range(1, len(expected) // size + 2):
            answer = page(number, size)
            assert answer["count"] == len(expected)
            seen += [row["id"] for row in answer["results"]]
        assert seen == expected, size
    assert page(40, 3)["results"] == []
    grid = page(1, 50, position="grid")
    assert grid["count"] == 2 and len(grid["results"]) == 2


# --------------------------------------------------------------------------- judge's inputs


def test_each_contestant_gets_its_own_inputs_and_scores(client):
    from competitions import judging
    from tests.factories import make_appearance, make_competition, make_entry, make_stage

    units = make_tree()
    judge = make_user("评委")
    competition = make_competition(units["T"])
    stage = make_stage(
        competition.rounds.get(),
        criteria=[("listen", "倾听 <与> 共情 & 回应", "10", "0.5"), ("solve", "解决", "20", "1")],
        status="open",
    )
    first = make_appearance(
        stage, make_entry(competition, make_worker(units["TD1S1C1"])), judges=[judge]
    )
    second = make_appearance(
        stage, make_entry(competition, make_worker(units["TD1S1C2"])), judges=[judge]
    )
    judging.submit_sheet(
        first, judge, {"listen": "8.5", "solve": "17"}, "00000000-0000-0000-0000-000000000001"
    )
    client.force_login(judge)
    page = client.get(f"/en/competitions/judge/stage/{stage.pk}/").content.decode()
    one = page[page.index(f'id="a{first.pk}"') : page.index(f'id="a{second.pk}"')]
    two = page[page.index(f'id="a{second.pk}"') :]
    assert f'id="a{first.pk}-listen"' in one and 'value="8.5"' in one and 'value="17"' in one
    assert one.count(" readonly") == 2 and " hidden>−" in one
    assert f'id="a{second.pk}-solve"' in two and 'value=""' in two and "readonly" not in two
    # Match whole id/for attributes: a random idempotency key may contain "a2-" by chance.
    assert not re.search(rf'(id|for)="a{first.pk}-', two)
    assert not re.search(rf'(id|for)="a{second.pk}-', one)
    assert "倾听 &lt;与&gt; 共情 &amp; 回应" in one and "<与>" not in page
    assert "__appearance_pk__" not in page and "__criterion_value__" not in page


# --------------------------------------------------------------------------- ranking tables


def test_ranking_tables_follow_the_language_and_the_stage_names(client):
    from tests.db.test_results import contest, decode

    world = contest()
    decode(world.stage)
    result = results_publish(world)
    url = f"/competitions/results/{result.pk}/"
    english = client.get("/en" + url).content.decode()
    assert "<h2>Ranking</h2>" in english and "王丽" in english and "情景模拟" in english
    assert "<h2>排名</h2>" in client.get(url).content.decode()
    world.stage.name = "现场模拟"
    world.stage.save(update_fields=["name"])
    english = client.get("/en" + url).content.decode()
    assert "现场模拟" in english and "情景模拟" not in english


def results_publish(world) -> RoundResult:
    from competitions import results

    organiser = make_admin(world.units["T"])
    return results.publish(world.round, organiser)
