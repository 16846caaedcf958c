"""Registration: nominating within scope and quotas, approving into the first round, withdrawing."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from competitions import registration as reg
from competitions import setup
from competitions.models import Competition, Quota, Registration, Room, Round, RoundEntry
from tests.factories import (
    activate_totp,
    give_role,
    make_admin,
    make_competition,
    make_stage,
    make_tree,
    make_user,
    make_worker,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English, whatever the translators make of them."""
    with translation.override("en"):
        yield


@pytest.fixture
def units():
    return make_tree()


@pytest.fixture
def competition(units):
    """A city contest with registration open and two rounds (heats first)."""
    competition = make_competition(units["T"], status=Competition.Status.REGISTRATION)
    Round.objects.filter(competition=competition).update(order=2)
    Round.objects.create(competition=competition, order=1, name="街道初赛", group_level="street")
    return competition


@pytest.fixture
def street_admin(units):
    return make_admin(units["TD1S1"])


@pytest.fixture
def city_admin(units):
    return make_admin(units["T"])


def test_nominate_a_worker_in_scope(units, competition, street_admin):
    worker = make_worker(units["TD1S1C2"], real_name="林一")
    registration = reg.nominate(competition, worker, street_admin)
    assert registration.status == Registration.Status.NOMINATED
    assert registration.unit == units["TD1S1C2"]
    assert registration.nominated_by == street_admin


def test_nominate_out_of_scope_is_refused(units, competition, street_admin):
    elsewhere = make_worker(units["TD1S2C1"], real_name="林二")
    with pytest.raises(ValidationError, match="林二"):
        reg.nominate(competition, elsewhere, street_admin)
    not_a_worker = make_user("路人")
    with pytest.raises(ValidationError, match="not a community worker"):
        reg.nominate(competition, not_a_worker, street_admin)
    # An admin outside the organiser's tree may not nominate at all.
    district_contest = make_competition(units["TD2"], status=Competition.Status.REGISTRATION)
    with pytest.raises(PermissionDenied):
        reg.nominate(district_contest, make_worker(units["TD1S1C1"]), street_admin)
    # Nor may a city admin put forward a worker from outside a district contest.
    with pytest.raises(ValidationError):
        reg.nominate(district_contest, make_worker(units["TD1S1C1"]), make_admin(units["T"]))
    assert not Registration.objects.exists()


def test_quota_on_the_unit_and_above_it(units, competition, street_admin, city_admin):
    Quota.objects.create(competition=competition, unit=units["TD1S1"], seats=1)
    reg.nominate(competition, make_worker(units["TD1S1C1"]), street_admin)
    with pytest.raises(ValidationError) as caught:
        reg.nominate(competition, make_worker(units["TD1S1C2"]), street_admin)
    assert caught.value.messages == ["T1区1街道 has used all 1 places of its quota."]
    # A district quota counts every street under it.
    Quota.objects.create(competition=competition, unit=units["TD2"], seats=2)
    reg.nominate(competition, make_worker(units["TD2S1C1"]), city_admin)
    reg.nominate(competition, make_worker(units["TD2S2C1"]), city_admin)
    with pytest.raises(ValidationError, match="T第2区 has used all 2 places"):
        reg.nominate(competition, make_worker(units["TD2S2C2"]), city_admin)
    assert Registration.objects.count() == 3


def test_rejected_and_withdrawn_free_their_place(units, competition, street_admin, city_admin):
    Quota.objects.create(competition=competition, unit=units["TD1S1"], seats=1)
    first = reg.nominate(competition, make_worker(units["TD1S1C1"]), street_admin)
    reg.reject(first, city_admin, "资格不符")
    second = reg.nominate(competition, make_worker(units["TD1S1C2"]), street_admin)
    # Taking the rejected worker back would need a place the street no longer has.
    with pytest.raises(ValidationError, match="quota"):
        reg.approve(first, city_admin)
    reg.withdraw(second, street_admin)
    reg.approve(first, city_admin)
    assert Registration.objects.get(pk=first.pk).status == Registration.Status.APPROVED


def test_a_worker_registers_once(units, competition, street_admin, city_admin):
    worker = make_worker(units["TD1S1C1"], real_name="林三")
    registration = reg.nominate(competition, worker, street_admin)
    with pytest.raises(ValidationError, match="林三 is already registered"):
        reg.nominate(competition, worker, city_admin)
    # After withdrawing, the same registration can be put forward again.
    reg.withdraw(registration, street_admin)
    again = reg.nominate(competition, worker, street_admin)
    assert again.pk == registration.pk and again.status == Registration.Status.NOMINATED


def test_registration_closed(units, competition, street_admin):
    worker = make_worker(units["TD1S1C1"])
    Competition.objects.filter(pk=competition.pk).update(
        registration_closes=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(ValidationError, match="not open"):
        reg.nominate(competition, worker, street_admin)
    Competition.objects.filter(pk=competition.pk).update(
        registration_closes=None, status=Competition.Status.PREPARING
    )
    with pytest.raises(ValidationError, match="not open"):
        reg.nominate(competition, worker, street_admin)
    assert not Registration.objects.exists()


def test_approve_enters_the_first_round(units, competition, street_admin, city_admin):
    registration = reg.nominate(competition, make_worker(units["TD1S1C1"]), street_admin)
    with pytest.raises(PermissionDenied):
        reg.approve(registration, street_admin)
    reg.approve(registration, city_admin)
    entry = RoundEntry.objects.get(registration=registration)
    assert entry.round.name == "街道初赛"
    registration.refresh_from_db()
    assert registration.decided_by == city_admin and registration.decided_at


def test_reject_needs_a_reason(units, competition, street_admin, city_admin):
    registration = reg.nominate(competition, make_worker(units["TD1S1C1"]), street_admin)
    with pytest.raises(ValidationError, match="reason"):
        reg.reject(registration, city_admin, "  ")
    reg.reject(registration, city_admin, "年龄不符合要求")
    registration.refresh_from_db()
    assert registration.status == Registration.Status.REJECTED
    assert registration.note == "年龄不符合要求"


def test_withdraw_only_before_the_draw(units, competition, street_admin, city_admin):
    registration = reg.nominate(competition, make_worker(units["TD1S1C1"]), street_admin)
    reg.approve(registration, city_admin)
    heats = competition.rounds.get(order=1)
    stage = make_stage(heats)
    room = Room.objects.create(stage=stage, name="一号考场")
    city_judge = make_user("市评委")
    give_role(city_judge, units["T"], "judge")
    room.judges.add(city_judge)
    setup.run_draw(stage, by=None)
    with pytest.raises(ValidationError, match="already been drawn"):
        reg.withdraw(registration, street_admin)
    assert Registration.objects.get(pk=registration.pk).status == Registration.Status.APPROVED


def test_status_transitions(competition, city_admin, street_admin):
    with pytest.raises(PermissionDenied):
        reg.set_status(competition, Competition.Status.RUNNING, street_admin)
    with pytest.raises(ValidationError):
        reg.set_status(competition, Competition.Status.FINISHED, city_admin)
    assert reg.set_status(competition, Competition.Status.RUNNING, city_admin).status == "running"


def test_quota_cannot_drop_below_the_places_used(units, competition, street_admin, city_admin):
    reg.nominate(competition, make_worker(units["TD1S1C1"]), street_admin)
    reg.nominate(competition, make_worker(units["TD1S1C2"]), street_admin)
    with pytest.raises(ValidationError, match="already put forward 2"):
        reg.set_quota(competition, units["TD1S1"], 1, city_admin)
    assert reg.set_quota(competition, units["TD1S1"], 2, city_admin).seats == 2


def test_nominators_see_only_their_scope(units, competition, street_admin, city_admin):
    mine = reg.nominate(competition, make_worker(units["TD1S1C1"]), street_admin)
    theirs = reg.nominate(competition, make_worker(units["TD2S1C1"]), city_admin)
    assert list(reg.visible_registrations(street_admin, competition)) == [mine]
    assert set(reg.visible_registrations(city_admin, competition)) == {mine, theirs}
    candidates = reg.nominable_workers(street_admin, competition)
    assert {p.community.code for p in candidates} <= {"TD1S1C1", "TD1S1C2"}


# --- Pages ------------------------------------------------------------------------------------


def test_registration_pages(client, units, competition, street_admin, city_admin):
    mine = make_worker(units["TD1S1C1"], real_name="韩梅梅")
    other = make_worker(units["TD2S1C1"], real_name="李雷")
    url = f"/en/competitions/{competition.pk}/registrations/"
    client.force_login(street_admin)
    page = client.get(url).content.decode()
    assert "韩梅梅" in page and "李雷" not in page  # candidates from the admin's own street only
    client.post(f"{url}nominate/", {"worker": other.pk})
    assert not Registration.objects.filter(worker=other).exists()
    client.post(f"{url}nominate/", {"worker": mine.pk})
    registration = Registration.objects.get(worker=mine)
    # Only the organiser decides.
    response = client.post(f"{url}{registration.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 403

    activate_totp(city_admin)
    client.force_login(city_admin)
    client.post(f"{url}{registration.pk}/decide/", {"decision": "reject", "reason": ""})
    assert Registration.objects.get(pk=registration.pk).status == Registration.Status.NOMINATED
    client.post(f"{url}{registration.pk}/decide/", {"decision": "approve"})
    assert RoundEntry.objects.filter(registration=registration).exists()
    assert "韩梅梅" in client.get(url).content.decode()


def test_registration_page_out_of_scope(client, units):
    competition = make_competition(units["TD1"], status=Competition.Status.REGISTRATION)
    outsider = make_admin(units["TD2S1"])
    client.force_login(outsider)
    assert client.get(f"/competitions/{competition.pk}/registrations/").status_code == 403
    worker = make_worker(units["TD1S1C1"])
    insider = make_admin(units["TD1S1"])
    registration = reg.nominate(competition, worker, insider)
    assert (
        client.post(
            f"/competitions/{competition.pk}/registrations/{registration.pk}/withdraw/"
        ).status_code
        == 403
    )
    # A nominator of another street in the same district sees the page but not this registration.
    neighbour = make_admin(units["TD1S2"])
    client.force_login(neighbour)
    assert client.get(f"/competitions/{competition.pk}/registrations/").status_code == 200
    assert (
        client.post(
            f"/competitions/{competition.pk}/registrations/{registration.pk}/withdraw/"
        ).status_code
        == 404
    )
    assert Registration.objects.get(pk=registration.pk).status == Registration.Status.NOMINATED


def test_quota_page_message_names_the_unit(client, units, competition, city_admin, street_admin):
    activate_totp(city_admin)
    client.force_login(city_admin)
    response = client.post(
        f"/en/competitions/{competition.pk}/quotas/",
        {"unit": units["TD1S1"].pk, "seats": 1},
        follow=True,
    )
    assert "T1区1街道" in response.content.decode()
    reg.nominate(competition, make_worker(units["TD1S1C1"]), street_admin)
    client.force_login(street_admin)
    worker = make_worker(units["TD1S1C2"])
    response = client.post(
        f"/en/competitions/{competition.pk}/registrations/nominate/",
        {"worker": worker.pk},
        follow=True,
    )
    assert "T1区1街道 has used all 1 places of its quota." in response.content.decode()
