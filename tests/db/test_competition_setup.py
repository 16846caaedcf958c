"""Setting a competition up: structure rules, the draw with recusal, the rubric, opening, pages."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from competitions import setup
from competitions.models import (
    Appearance,
    Assignment,
    Competition,
    Conflict,
    Recusal,
    Room,
    Round,
    Stage,
)
from competitions.setup_forms import RoundForm, StageForm
from tests.factories import (
    activate_totp,
    give_role,
    make_admin,
    make_competition,
    make_entry,
    make_scenario,
    make_sections,
    make_stage,
    make_tree,
    make_user,
    make_worker,
)
from training.models import Exam

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English, whatever the translators make of them."""
    with translation.override("en"):
        yield


# One worker per street, with names that must never show on the draw page.
CONTESTANTS = {
    "TD1S1C1": "甄一鸣",
    "TD1S1C2": "甄二鸣",
    "TD1S2C1": "甄三鸣",
    "TD2S1C1": "甄四鸣",
    "TD2S2C2": "甄五鸣",
}


@pytest.fixture
def units():
    return make_tree()


@pytest.fixture
def sections(units):
    return make_sections(units)


def judge(units, code, name):
    user = make_user(name)
    give_role(user, units[code], "judge")
    return user


@pytest.fixture
def contest(units, sections):
    """A city contest: one scenario stage with two cards, five approved contestants, one room."""
    chief = judge(units, "T", "裁判长")
    competition = make_competition(units["T"], chief_judge=chief)
    round_ = competition.rounds.get()
    stage = make_stage(round_)
    cards = [make_scenario(sections["T"], f"情景{n}") for n in (1, 2)]
    stage.cards.set(cards)
    entries = {
        code: make_entry(competition, make_worker(units[code], real_name=name))
        for code, name in CONTESTANTS.items()
    }
    room = Room.objects.create(stage=stage, name="第一考场")
    return {
        "competition": competition,
        "round": round_,
        "stage": stage,
        "cards": cards,
        "entries": entries,
        "room": room,
        "chief": chief,
    }


def seat(room, *judges):
    room.judges.add(*judges)


def appearance_of(stage, entry):
    return Appearance.objects.get(stage=stage, entry=entry)


# --- The draw ---------------------------------------------------------------------------------


def test_run_draw_and_verify(units, contest):
    stage, room = contest["stage"], contest["room"]
    seat(room, judge(units, "T", "市评委一"), judge(units, "T", "市评委二"))
    setup.run_draw(stage, by=None, seed="fixed-seed")
    stage.refresh_from_db()
    assert stage.draw_seed == "fixed-seed" and stage.drawn_at
    appearances = list(stage.appearances.order_by("order"))
    assert [a.order for a in appearances] == [1, 2, 3, 4, 5]
    assert len({a.blind_code for a in appearances}) == 5
    assert {a.card_id for a in appearances} == {c.pk for c in contest["cards"]}
    assert Assignment.objects.filter(appearance__stage=stage).count() == 10
    assert setup.verify_draw(stage)

    codes = [a.blind_code for a in appearances]
    setup.run_draw(stage, by=None, seed="fixed-seed")
    assert [a.blind_code for a in stage.appearances.order_by("order")] == codes
    setup.run_draw(stage, by=None)
    stage.refresh_from_db()
    assert len(stage.draw_seed) == 16 and stage.draw_seed != "fixed-seed"
    assert stage.appearances.count() == 5 and setup.verify_draw(stage)

    # Later changes to the tree or the panel do not make an old draw unverifiable: it is
    # re-run from the inputs recorded with it.
    seat(room, judge(units, "T", "后加评委"))
    assert setup.verify_draw(stage)

    # Someone edits the stored draw behind the organiser's back: verification notices.
    tampered = stage.appearances.order_by("order").first()
    Assignment.objects.filter(appearance=tampered).first().delete()
    assert not setup.verify_draw(stage)


def test_draw_recuses_judges_of_the_contestants_street(units, contest):
    stage, room, entries = contest["stage"], contest["room"], contest["entries"]
    street_judge = judge(units, "TD1S1", "街道评委")
    city_judge = judge(units, "T", "市评委")
    seat(room, street_judge, city_judge)
    setup.run_draw(stage, by=None)
    for code in ("TD1S1C1", "TD1S1C2"):
        appearance = appearance_of(stage, entries[code])
        assert list(appearance.judges.all()) == [city_judge]
        assert appearance.recusals.get().judge == street_judge
        assert appearance.recusals.get().reason == Recusal.Reason.SAME_STREET
    # A judge from street S1 is never assigned a contestant of S1, but does score the others.
    assert not Assignment.objects.filter(
        judge=street_judge,
        appearance__entry__registration__unit__path__startswith=units["TD1S1"].path,
    ).exists()
    assert street_judge in appearance_of(stage, entries["TD1S2C1"]).judges.all()


def test_district_recusal_and_a_judge_who_is_also_a_worker(units, contest):
    competition, stage, room = contest["competition"], contest["stage"], contest["room"]
    Competition.objects.filter(pk=competition.pk).update(recusal_level="district")
    district_judge = judge(units, "TD1S2", "区评委")
    # A city-level judge who works in TD2S1C1 as a community worker: recused by that community.
    worker_judge = make_worker(units["TD2S1C1"], real_name="兼职评委")
    give_role(worker_judge, units["T"], "judge")
    seat(room, district_judge, worker_judge)
    setup.run_draw(stage, by=None)
    entries = contest["entries"]
    same_street = appearance_of(stage, entries["TD1S2C1"]).recusals.get()
    assert (same_street.judge, same_street.reason) == (district_judge, "same_street")
    same_district = appearance_of(stage, entries["TD1S1C1"]).recusals.get()
    assert (same_district.judge, same_district.reason) == (district_judge, "same_district")
    d2 = appearance_of(stage, entries["TD2S2C2"])
    assert d2.recusals.get().judge == worker_judge
    assert list(d2.judges.all()) == [district_judge]


def test_declared_conflict(units, contest):
    competition, stage, room, entries = (
        contest["competition"],
        contest["stage"],
        contest["room"],
        contest["entries"],
    )
    first, second = judge(units, "T", "评委甲"), judge(units, "T", "评委乙")
    seat(room, first, second)
    target = entries["TD2S1C1"]
    Conflict.objects.create(
        competition=competition, judge=first, worker=target.registration.worker, reason="亲属"
    )
    setup.run_draw(stage, by=None)
    appearance = appearance_of(stage, target)
    assert list(appearance.judges.all()) == [second]
    assert appearance.recusals.get().reason == Recusal.Reason.DECLARED


def test_draw_refused_when_a_contestant_has_no_judge_left(units, contest):
    stage, room = contest["stage"], contest["room"]
    seat(room, judge(units, "TD1S1", "唯一评委"))
    with pytest.raises(ValidationError) as caught:
        setup.run_draw(stage, by=None)
    message = " ".join(caught.value.messages)
    assert "第一考场" in message and "no judge" in message
    assert not stage.appearances.exists()
    stage.refresh_from_db()
    assert not stage.draw_seed


def test_draw_refused_without_rooms_or_once_open(units, contest):
    stage, room = contest["stage"], contest["room"]
    with pytest.raises(ValidationError, match="第一考场"):
        setup.run_draw(stage, by=None)  # a room with no judges
    room.delete()
    with pytest.raises(ValidationError, match="room"):
        setup.run_draw(stage, by=None)
    Stage.objects.filter(pk=stage.pk).update(status=Stage.Status.OPEN)
    with pytest.raises(ValidationError, match="already open"):
        setup.run_draw(stage, by=None)


def test_entrants_are_the_approved_only(units, contest):
    entry = contest["entries"]["TD1S1C1"]
    entry.registration.status = "withdrawn"
    entry.registration.save()
    seat(contest["room"], judge(units, "T", "市评委"))
    setup.run_draw(contest["stage"], by=None)
    assert contest["stage"].appearances.count() == 4
    assert not contest["stage"].appearances.filter(entry=entry).exists()


# --- Rubric, weights, opening, frozen structure ----------------------------------------------


def test_adopt_rubric_from_identical_cards(contest):
    stage = contest["stage"]
    stage.criteria.all().delete()
    criteria = setup.adopt_rubric(stage)
    assert [c.code for c in criteria] == ["listen", "policy", "solve"]
    assert stage.criteria.get(code="solve").max_points == Decimal("20")
    assert stage.criteria.get(code="listen").bands[0]["descriptor"].startswith("倾听与共情")


def test_adopt_rubric_refuses_a_differing_card(sections, contest):
    stage = contest["stage"]
    odd = make_scenario(sections["T"], "不同的卡", criteria=[("listen", "倾听", "10", "1")])
    stage.cards.add(odd)
    with pytest.raises(ValidationError, match="不同的卡"):
        setup.adopt_rubric(stage)
    assert stage.criteria.count() == 3  # unchanged


def test_written_stage_gets_one_criterion_and_needs_an_exam(units, contest):
    round_ = contest["round"]
    written = make_stage(
        round_, code="written", name="笔试", kind="written", weight="0.3", criteria=[]
    )
    with pytest.raises(ValidationError, match="exam"):
        setup.adopt_rubric(written)
    written.exam = Exam.objects.create(owner_unit=units["T"], title="大赛笔试")
    written.save()
    (criterion,) = setup.adopt_rubric(written)
    assert (criterion.code, criterion.max_points, criterion.step) == (
        "written",
        Decimal("100"),
        Decimal("0.01"),
    )


def test_open_stage_needs_draw_and_weights_summing_to_one(units, contest):
    stage, round_ = contest["stage"], contest["round"]
    seat(contest["room"], judge(units, "T", "市评委"))
    with pytest.raises(ValidationError, match="draw"):
        setup.open_stage(stage, contest["chief"])
    setup.run_draw(stage, by=None)
    Stage.objects.filter(pk=stage.pk).update(weight=Decimal("0.6"))
    stage.refresh_from_db()
    with pytest.raises(ValidationError, match="0.6"):
        setup.open_stage(stage, contest["chief"])
    make_stage(round_, code="case", name="案例分析", weight="0.4")
    opened = setup.open_stage(stage, contest["chief"])
    assert opened.status == Stage.Status.OPEN and opened.opened_at
    round_.refresh_from_db()
    assert round_.status == Round.Status.RUNNING


def test_open_stage_refuses_a_stale_draw_and_outsiders(units, contest):
    stage = contest["stage"]
    seat(contest["room"], judge(units, "T", "市评委"))
    setup.run_draw(stage, by=None)
    stranger = make_admin(units["TD2"])
    with pytest.raises(PermissionDenied):
        setup.open_stage(stage, stranger)
    seat(contest["room"], judge(units, "T", "后加评委"))
    with pytest.raises(ValidationError, match="redo the draw"):
        setup.open_stage(stage, contest["chief"])


def test_stage_form_refuses_changes_once_a_stage_is_open(units, contest):
    stage = contest["stage"]
    Stage.objects.filter(pk=stage.pk).update(status=Stage.Status.OPEN)
    stage.refresh_from_db()
    admin = make_admin(units["T"])
    data = {
        "order": 1,
        "code": "scenario",
        "name": "改名",
        "kind": "scenario",
        "weight": "1",
        "aggregate": "mean",
        "trim": 1,
        "min_judges": 5,
        "spread_threshold": "15",
        "cards": [c.pk for c in contest["cards"]],
    }
    form = StageForm(data, instance=stage, round=contest["round"], user=admin)
    assert not form.is_valid()
    assert "already open" in str(form.errors)
    new = StageForm({**data, "code": "other", "order": 2}, round=contest["round"], user=admin)
    assert not new.is_valid()


def test_stage_form_rules(units, contest):
    admin = make_admin(units["T"])
    round_ = contest["round"]
    base = {
        "order": 2,
        "code": "written",
        "name": "笔试",
        "kind": "written",
        "weight": "0.5",
        "aggregate": "trimmed",
        "trim": 1,
        "min_judges": 2,
        "spread_threshold": "15",
    }
    form = StageForm(base, round=round_, user=admin)
    assert not form.is_valid()
    assert "exam" in form.errors  # a written test needs an exam
    assert "min_judges" in form.errors  # dropping 1 at each end needs 3 judges
    assert "weight" in form.errors  # 1 + 0.5 > 1
    dup = StageForm({**base, "code": "scenario", "kind": "case"}, round=round_, user=admin)
    assert not dup.is_valid() and "code" in dup.errors


def test_round_form_tie_breakers_and_awards(contest):
    competition, round_ = contest["competition"], contest["round"]
    data = {
        "order": 1,
        "name": "决赛",
        "group_level": "city",
        "tie_breakers_text": "scenario, nope",
        "award1_name": "一等奖",
        "award1_share": "0.5",
        "award2_name": "二等奖",
        "award2_share": "0.6",
    }
    form = RoundForm(data, instance=round_, competition=competition)
    assert not form.is_valid()
    assert "nope" in str(form.errors["tie_breakers_text"])
    assert "more than 1" in str(form.errors["__all__"])
    good = RoundForm(
        {**data, "tie_breakers_text": "scenario", "award2_share": "0.2"},
        instance=round_,
        competition=competition,
    )
    assert good.is_valid(), good.errors
    good.save()
    round_.refresh_from_db()
    assert round_.tie_breakers == ["scenario"]
    assert round_.awards == [{"name": "一等奖", "share": "0.5"}, {"name": "二等奖", "share": "0.2"}]


# --- Pages ------------------------------------------------------------------------------------


@pytest.fixture
def organiser(units):
    admin = make_admin(units["T"])
    activate_totp(admin)
    return admin


def test_detail_page_for_the_organiser_and_not_for_others(client, units, contest, organiser):
    competition = contest["competition"]
    client.force_login(organiser)
    page = client.get(f"/competitions/{competition.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert competition.title in text and "情景模拟" in text and "情景1" in text
    # A street admin inside the city nominates workers but does not organise the city's contest.
    stranger = make_admin(units["TD2S1"])
    client.force_login(stranger)
    assert client.get(f"/competitions/{competition.pk}/").status_code == 403
    assert (
        client.get(f"/competitions/{competition.pk}/stages/{contest['stage'].pk}/draw/").status_code
        == 403
    )
    assert client.get("/competitions/999999/").status_code == 404
    client.logout()
    assert client.get(f"/competitions/{competition.pk}/").status_code == 302


def test_district_organiser_cannot_reach_another_districts_competition(client, units):
    competition = make_competition(units["TD1"])
    other = make_admin(units["TD2"])
    activate_totp(other)
    client.force_login(other)
    assert client.get(f"/competitions/{competition.pk}/").status_code == 403
    assert client.post(f"/competitions/{competition.pk}/rounds/new/", {}).status_code == 403
    own = make_admin(units["TD1"])
    activate_totp(own)
    client.force_login(own)
    assert client.get(f"/competitions/{competition.pk}/").status_code == 200


def test_draw_page_shows_codes_never_names(client, units, contest, organiser):
    stage, room = contest["stage"], contest["room"]
    seat(room, judge(units, "T", "市评委甲"))
    client.force_login(organiser)
    url = f"/competitions/{contest['competition'].pk}/stages/{stage.pk}/draw/"
    response = client.post(url, {"action": "draw", "seed": "public-seed"}, follow=True)
    text = response.content.decode()
    stage.refresh_from_db()
    assert stage.draw_seed == "public-seed"
    assert "public-seed" in text and "市评委甲" in text
    for appearance in stage.appearances.all():
        assert appearance.blind_code in text
    for name in CONTESTANTS.values():
        assert name not in text
    verified = client.post(url, {"action": "verify"}, follow=True)
    assert [m.level_tag for m in verified.context["messages"]] == ["success"]
    Appearance.objects.filter(stage=stage, order=1).update(blind_code="Z0000")
    tampered = client.post(url, {"action": "verify"}, follow=True)
    assert [m.level_tag for m in tampered.context["messages"]] == ["error"]


def test_structure_frozen_page_refuses_with_a_message(client, contest, organiser):
    competition, stage = contest["competition"], contest["stage"]
    Stage.objects.filter(pk=stage.pk).update(status=Stage.Status.OPEN)
    client.force_login(organiser)
    response = client.post(
        f"/en/competitions/{competition.pk}/stages/{stage.pk}/",
        {
            "order": 1,
            "code": "scenario",
            "name": "偷偷改名",
            "kind": "scenario",
            "weight": "1",
            "aggregate": "mean",
            "trim": 1,
            "min_judges": 5,
            "spread_threshold": "15",
        },
    )
    assert response.status_code == 200
    assert "already open" in response.content.decode()
    stage.refresh_from_db()
    assert stage.name == "情景模拟"
    edit = client.post(
        f"/competitions/{competition.pk}/edit/",
        {
            "title": competition.title,
            "year": 2026,
            "owner_unit": competition.owner_unit_id,
            "recusal_level": "district",
            "appeal_hours": 72,
        },
    )
    assert edit.status_code == 200
    competition.refresh_from_db()
    assert competition.recusal_level == "street"


def test_new_competition_round_and_stage_through_the_pages(client, units, sections, organiser):
    chief = judge(units, "T", "裁判长乙")
    client.force_login(organiser)
    response = client.post(
        "/competitions/new/",
        {
            "title": "第二届技能大赛",
            "year": 2026,
            "owner_unit": units["T"].pk,
            "recusal_level": "district",
            "appeal_hours": 48,
            "chief_judge": chief.pk,
        },
    )
    competition = Competition.objects.get(title="第二届技能大赛")
    assert response.status_code == 302
    assert competition.chief_judge == chief and competition.created_by == organiser
    client.post(
        f"/competitions/{competition.pk}/rounds/new/",
        {"order": 1, "name": "区级复赛", "group_level": "district", "advance_top_n": 3},
    )
    round_ = competition.rounds.get()
    card = make_scenario(sections["T"], "电动车充电")
    client.post(
        f"/competitions/{competition.pk}/rounds/{round_.pk}/stages/new/",
        {
            "order": 1,
            "code": "scenario",
            "name": "情景模拟",
            "kind": "scenario",
            "weight": "1",
            "aggregate": "trimmed",
            "trim": 1,
            "min_judges": 5,
            "spread_threshold": "15",
            "cards": [card.pk],
        },
    )
    stage = round_.stages.get()
    # Saving the stage took the rubric from its card.
    assert list(stage.criteria.values_list("code", flat=True)) == ["listen", "policy", "solve"]
    assert "电动车充电" in client.get(f"/competitions/{competition.pk}/").content.decode()


def test_new_competition_refuses_a_chief_judge_outside_the_tree(client, units, organiser):
    district = make_admin(units["TD1"])
    activate_totp(district)
    other_district_judge = judge(units, "TD2", "外区评委")
    client.force_login(district)
    response = client.post(
        "/competitions/new/",
        {
            "title": "区赛",
            "year": 2026,
            "owner_unit": units["TD1"].pk,
            "recusal_level": "street",
            "appeal_hours": 72,
            "chief_judge": other_district_judge.pk,
        },
    )
    assert response.status_code == 200
    assert not Competition.objects.filter(title="区赛").exists()
    # Nor may a district admin make the city the organiser.
    response = client.post(
        "/competitions/new/",
        {
            "title": "区赛",
            "year": 2026,
            "owner_unit": units["T"].pk,
            "recusal_level": "street",
            "appeal_hours": 72,
        },
    )
    assert not Competition.objects.filter(title="区赛").exists()


def test_home_lists_my_competitions_by_role(client, units, contest, organiser):
    competition = contest["competition"]
    client.force_login(organiser)
    text = client.get("/competitions/").content.decode()
    assert competition.title in text and "/competitions/new/" in text
    seated = judge(units, "T", "坐席评委")
    seat(contest["room"], seated)
    client.force_login(seated)
    text = client.get("/competitions/").content.decode()
    assert 'id="judging"' in text and competition.title in text
    assert "/competitions/new/" not in text
    client.force_login(contest["chief"])
    assert 'id="chaired"' in client.get("/competitions/").content.decode()
    worker = contest["entries"]["TD1S1C1"].registration.worker
    client.force_login(worker)
    text = client.get("/competitions/").content.decode()
    assert 'id="registered"' in text and competition.title in text
    assert 'id="organised"' not in text


def test_anonymous_home_lists_public_competitions(client, units, contest):
    Competition.objects.filter(pk=contest["competition"].pk).update(status="running")
    hidden = make_competition(units["TD1"], title="筹备中的比赛")
    text = client.get("/competitions/").content.decode()
    assert contest["competition"].title in text
    assert hidden.title not in text


def test_rooms_and_conflicts_pages(client, units, contest, organiser):
    competition, stage = contest["competition"], contest["stage"]
    base = f"/competitions/{competition.pk}"
    seated = judge(units, "TD1", "区评委丙")
    client.force_login(organiser)
    rooms_page = client.get(f"{base}/stages/{stage.pk}/rooms/").content.decode()
    assert "第一考场" in rooms_page and "区评委丙" in rooms_page  # offered as a judge
    client.post(f"{base}/stages/{stage.pk}/rooms/", {"name": "第二考场", "judges": [seated.pk]})
    assert list(stage.rooms.get(name="第二考场").judges.all()) == [seated]
    duplicate = client.post(f"{base}/stages/{stage.pk}/rooms/", {"name": "第二考场"})
    assert duplicate.status_code == 200 and stage.rooms.count() == 2
    # Only people with a judge role can be seated.
    plain = make_user("非评委")
    client.post(f"{base}/stages/{stage.pk}/rooms/", {"name": "第三考场", "judges": [plain.pk]})
    assert not stage.rooms.filter(name="第三考场").exists()

    worker = contest["entries"]["TD2S1C1"].registration.worker
    assert "甄四鸣" in client.get(f"{base}/conflicts/").content.decode()
    client.post(f"{base}/conflicts/", {"judge": seated.pk, "worker": worker.pk, "reason": "同学"})
    conflict = Conflict.objects.get(competition=competition)
    assert (conflict.judge, conflict.worker, conflict.declared_by) == (seated, worker, organiser)
    assert "同学" in client.get(f"{base}/conflicts/").content.decode()
    assert client.get(f"{base}/rounds/{contest['round'].pk}/").status_code == 200
    assert client.get(f"{base}/quotas/").status_code == 200

    Stage.objects.filter(pk=stage.pk).update(status=Stage.Status.OPEN)
    client.post(f"{base}/stages/{stage.pk}/rooms/", {"name": "晚到考场"})
    assert not stage.rooms.filter(name="晚到考场").exists()


def test_chief_judge_reads_the_detail_page_and_opens_a_stage(client, units, contest):
    competition, stage = contest["competition"], contest["stage"]
    seat(contest["room"], judge(units, "T", "市评委"))
    setup.run_draw(stage, by=None)
    client.force_login(contest["chief"])
    text = client.get(f"/competitions/{competition.pk}/").content.decode()
    assert stage.name in text
    assert f"/competitions/{competition.pk}/edit/" not in text  # read-only for the chief judge
    assert client.get(f"/competitions/{competition.pk}/stages/{stage.pk}/draw/").status_code == 403
    client.post(f"/competitions/{competition.pk}/stages/{stage.pk}/open/")
    stage.refresh_from_db()
    assert stage.status == Stage.Status.OPEN
