"""A live contest: a judge scores on a phone (one score sent while the venue network is down),
the chief judge closes, decodes and releases, and the venue scoreboard shows the ranking."""

import re

import pytest
from playwright.sync_api import expect

from competitions.models import ScoreSheet, Stage
from people.models import Role
from tests.browser.helpers import enter_totp, log_in
from tests.factories import (
    activate_totp,
    give_role,
    make_appearance,
    make_competition,
    make_entry,
    make_stage,
    make_tree,
    make_user,
    make_worker,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def contest():
    units = make_tree("J")
    judge = make_user("评委甲", username="judge_a")
    chief = make_user("裁判长乙", username="chief_b")
    for person in (judge, chief):
        give_role(person, units["J"], Role.Kind.JUDGE)
    # Chief judges of a running contest log in with an authenticator code.
    chief.totp_secret = activate_totp(chief)
    competition = make_competition(units["J"], chief_judge=chief, title="城市杯情景模拟赛")
    stage = make_stage(competition.rounds.get(), status=Stage.Status.OPEN)
    first = make_worker(units["JD1S1C1"], real_name="林小满")
    second = make_worker(units["JD2S1C1"], real_name="周大力")
    make_appearance(stage, make_entry(competition, first), code="K3817", judges=[judge])
    make_appearance(stage, make_entry(competition, second), code="M0526", judges=[judge])
    return competition, stage, chief.totp_secret


def score(card, listen, policy, solve):
    card.get_by_label("倾听与共情", exact=True).fill(listen)
    card.get_by_label("政策把握", exact=True).fill(policy)
    card.get_by_label("解决方案", exact=True).fill(solve)


def test_judge_scores_chief_releases_scoreboard_shows_ranking(
    browser, live_server, contest, totp_tolerance
):
    competition, stage, chief_secret = contest
    base = live_server.url
    judge_context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    board_context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    chief_context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    try:
        board = board_context.new_page()
        board.goto(f"{base}/competitions/scoreboard/{competition.pk}/")
        expect(board.locator("#board-body")).not_to_contain_text("林小满")

        phone = judge_context.new_page()
        log_in(phone, base, "judge_a", tap=True)
        phone.goto(f"{base}/competitions/judge/stage/{stage.pk}/")
        # Only blind codes: the judge never sees who is behind them.
        expect(phone.locator("main")).to_contain_text("K3817")
        expect(phone.locator("main")).not_to_contain_text("林小满")
        first, second = phone.locator("article.score-card").all()

        score(first, "8.5", "9", "17")
        expect(first.locator("[data-total]")).to_have_text("34.5")
        first.locator("[data-submit]").tap()
        first.locator("[data-confirm-yes]").tap()
        expect(first).to_have_attribute("data-state", "submitted")

        # The venue network drops: the score waits on the phone and goes when it is back.
        judge_context.set_offline(True)
        score(second, "7", "8", "15")
        second.locator("[data-submit]").tap()
        second.locator("[data-confirm-yes]").tap()
        expect(phone.locator("[data-queue-count]")).to_be_visible()
        assert ScoreSheet.objects.filter(appearance__stage=stage).count() == 1
        judge_context.set_offline(False)
        expect(second).to_have_attribute("data-state", "submitted", timeout=20_000)
        totals = sorted(
            ScoreSheet.objects.filter(appearance__stage=stage).values_list("total", flat=True)
        )
        assert [str(t) for t in totals] == ["30.00", "34.50"]

        chief = chief_context.new_page()
        log_in(chief, base, "chief_b")
        enter_totp(chief, base, chief_secret)
        chief.goto(f"{base}/competitions/chief/{stage.pk}/")
        chief.locator("#close-form button[type=submit]").click()
        chief.locator("#decode-form button[type=submit]").click()
        expect(chief.locator("main")).to_contain_text("林小满")
        chief.goto(f"{base}/competitions/results/rounds/{stage.round_id}/")
        chief.locator("#release form button[type=submit]").first.click()
        expect(chief.locator(".messages, main").first).to_be_visible()

        # The scoreboard refreshes itself into the ranking: 林小满 (34.5) above 周大力 (30).
        rows = board.locator("#board-body table.ranking tbody tr")
        expect(rows).to_have_count(2, timeout=25_000)
        expect(rows.nth(0)).to_contain_text("林小满")
        expect(rows.nth(0)).to_contain_text("34.50")
        expect(rows.nth(1)).to_contain_text("周大力")
        assert re.search(r"\b1\b", rows.nth(0).inner_text())
    finally:
        for context in (judge_context, board_context, chief_context):
            context.close()
