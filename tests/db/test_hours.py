"""The learning-hours ledger and its pages: rules, requirements, my hours, who is behind."""

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    activate_totp,
    data_events,
    make_admin,
    make_tree,
    make_user,
    make_worker,
)
from training import hours
from training.models import HoursCategory, HoursEntry, HoursRequirement

pytestmark = pytest.mark.django_db

D = Decimal
YEAR = 2025
ONLINE, OFFLINE = HoursCategory.ONLINE, HoursCategory.OFFLINE
_sources = iter(range(1, 100_000))


def give(user, amount, category=ONLINE, *, on=None, note="课程", tier=""):
    entry, created = hours.credit(
        user,
        D(str(amount)),
        on or date(YEAR, 3, 1),
        category,
        source=f"test:{next(_sources)}",
        note=note,
        tier=tier,
    )
    assert created
    return entry


def require(unit, amount, share="0", *, position="", year=YEAR):
    return HoursRequirement.objects.create(
        owner_unit=unit, year=year, position=position, hours=D(amount), min_offline_share=D(share)
    )


def city_admin(units):
    admin = make_admin(units["T"])
    activate_totp(admin)
    return admin


@pytest.fixture
def units():
    return make_tree()


# --- Ledger rules ---------------------------------------------------------------------------


def test_an_entry_is_never_edited_or_deleted(units):
    worker = make_worker(units["TD1S1C1"])
    entry = give(worker, 4)
    entry.hours = D(40)
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()
    # Nor in bulk.
    with pytest.raises(ValueError):
        HoursEntry.objects.filter(pk=entry.pk).update(hours=D(40))
    with pytest.raises(ValueError):
        HoursEntry.objects.filter(user=worker).delete()
    stored = HoursEntry.objects.get(pk=entry.pk)
    assert stored.hours == D(4) and stored.year == YEAR


def test_a_correction_is_a_new_entry_that_changes_the_total(units):
    worker = make_worker(units["TD1S1C1"])
    admin = make_admin(units["TD1S1"])
    entry = give(worker, 4)
    give(worker, 3, OFFLINE)
    correction = hours.correct(entry, D("-1.5"), "  重复计入  ", admin)
    assert HoursEntry.objects.filter(user=worker).count() == 3
    assert correction.corrects == entry and correction.note == "重复计入"
    assert correction.category == ONLINE and correction.year == YEAR
    assert correction.created_by == admin
    assert HoursEntry.objects.get(pk=entry.pk).hours == D(4)  # the original is untouched
    assert hours.totals_by_category(worker, YEAR) == {ONLINE: D("2.5"), OFFLINE: D(3)}


def test_a_correction_needs_a_reason_and_a_change(units):
    entry = give(make_worker(units["TD1S1C1"]), 4)
    with pytest.raises(ValidationError):
        hours.correct(entry, D(-1), "   ", None)
    with pytest.raises(ValidationError):
        hours.correct(entry, D(0), "无变化", None)
    assert HoursEntry.objects.count() == 1


def test_a_correction_cannot_take_the_net_below_zero(units):
    entry = give(make_worker(units["TD1S1C1"]), 4)
    hours.correct(entry, D(-3), "多计", None)
    with pytest.raises(ValidationError):
        hours.correct(entry, D("-1.5"), "再减", None)  # 4 - 3 - 1.5 < 0
    hours.correct(entry, D(-1), "减到零", None)  # exactly zero is allowed
    assert hours.totals_by_category(entry.user, YEAR) == {ONLINE: D(0)}


def test_credit_is_idempotent_by_source(units):
    worker = make_worker(units["TD1S1C1"])
    first, created = hours.credit(worker, D(2), date(YEAR, 5, 1), OFFLINE, source="attendance:9")
    again, created_again = hours.credit(
        worker, D(5), date(YEAR, 6, 1), OFFLINE, source="attendance:9"
    )
    assert created and not created_again
    assert again.pk == first.pk
    assert HoursEntry.objects.filter(source="attendance:9").count() == 1
    assert hours.totals_by_category(worker, YEAR) == {OFFLINE: D(2)}


# --- Requirements ---------------------------------------------------------------------------


def test_requirement_by_category_and_position(units):
    require(units["T"], "40", "0.25")
    require(units["T"], "60", "0.5", position="secretary")
    member = make_worker(units["TD1S1C1"], position="full_time")
    secretary = make_worker(units["TD1S1C2"], position="secretary")
    for worker in (member, secretary):
        give(worker, 20)
        give(worker, 8, OFFLINE)
        give(worker, 3, HoursCategory.EXTERNAL)
        give(worker, 2, HoursCategory.CONTEST)
        give(worker, 99, on=date(YEAR - 1, 12, 31))  # last year's does not count
    s = hours.standing(member, YEAR)
    assert (s.earned, s.required, s.offline_earned, s.offline_required) == (33, 40, 8, 10)
    assert s.by_category == {"online": 20, "offline": 8, "external": 3, "contest": 2}
    assert (s.remaining, s.offline_remaining, s.met) == (7, 2, False)
    s = hours.standing(secretary, YEAR)
    assert (s.required, s.offline_required, s.remaining, s.offline_remaining) == (60, 30, 27, 22)
    assert hours.standing(make_user("非社工"), YEAR) is None


def test_a_nearer_units_requirement_wins(units):
    require(units["T"], "40", "0.25")
    require(units["TD2"], "30", "0.1")  # the district asks less of everyone
    require(units["T"], "60", "0.5", position="secretary")
    require(units["TD2"], "50", "0.2", position="secretary")
    here = {
        "city_everyone": make_worker(units["TD1S1C1"]),
        "district_everyone": make_worker(units["TD2S1C1"]),
        "city_secretary": make_worker(units["TD1S1C1"], position="secretary"),
        "district_secretary": make_worker(units["TD2S2C2"], position="secretary"),
    }
    expected = {
        "city_everyone": (40, 10),
        "district_everyone": (30, 3),
        "city_secretary": (60, 30),
        "district_secretary": (50, 10),
    }
    profiles = [w.worker_profile for w in here.values()]
    many = hours.standings(profiles, YEAR)
    for key, worker in here.items():
        one = hours.standing(worker, YEAR)
        assert (one.required, one.offline_required) == expected[key], key
        assert many[worker.pk] == one, key
    # Another year has no requirement: nothing owed.
    assert hours.standing(here["city_everyone"], YEAR + 1).required == 0


# --- My hours -------------------------------------------------------------------------------


def test_my_hours_shows_standing_categories_and_ledger(client, units):
    require(units["T"], "40", "0.25")
    worker = make_worker(units["TD1S1C1"], real_name="李红")
    street_admin = make_admin(units["TD1S1"])
    course_entry = give(worker, 6, note="社区治理实务", tier="street_all", on=date(YEAR, 2, 3))
    give(worker, 3, OFFLINE, note="调解实训", on=date(YEAR, 4, 5))
    give(worker, 2, HoursCategory.EXTERNAL, note="党校轮训")
    give(worker, 1, HoursCategory.CONTEST, note="技能大赛")
    give(worker, 7, note="去年的课", on=date(YEAR - 1, 11, 1))
    hours.correct(course_entry, D(-2), "视频未看完", street_admin)
    client.force_login(worker)
    page = client.get(f"/en/training/hours/?year={YEAR}")
    assert page.status_code == 200
    text = page.content.decode()
    assert '<span class="big" id="hours-earned">10</span>' in text
    assert '<span id="hours-required">40</span>' in text
    assert "Offline sessions: 3 of at least 10 hours" in text
    assert "30 hours still to earn, of which at least 7 in offline sessions" in text
    assert 'data-category="online"><dt>Online courses</dt><dd>4</dd>' in text
    assert 'data-category="external"><dt>Approved outside training</dt><dd>2</dd>' in text
    assert 'data-category="contest"><dt>Skill contests</dt><dd>1</dd>' in text
    assert "Street all-staff course" in text  # the tier
    assert "视频未看完" in text and "corrects “社区治理实务”" in text
    assert f'href="#entry-{course_entry.pk}"' in text
    assert "去年的课" not in text
    assert f'href="?year={YEAR - 1}"' in text  # the year switcher
    assert "/training/hours/entries/" not in text  # no correcting one's own hours
    last_year = client.get(f"/en/training/hours/?year={YEAR - 1}").content.decode()
    assert "去年的课" in last_year and "社区治理实务" not in last_year
    assert "No yearly requirement has been set" in last_year


def test_my_hours_met_and_without_entries(client, units):
    require(units["T"], "10", "0.5")
    worker = make_worker(units["TD1S1C1"])
    client.force_login(worker)
    text = client.get(f"/en/training/hours/?year={YEAR}").content.decode()
    assert "No hours recorded in" in text
    give(worker, 5)
    give(worker, 5, OFFLINE)
    text = client.get(f"/en/training/hours/?year={YEAR}").content.decode()
    assert 'id="hours-met"' in text and "still to earn" not in text


def test_my_hours_for_someone_who_is_not_a_worker(client):
    client.force_login(make_user("访客"))
    page = client.get("/en/training/hours/")
    assert page.status_code == 200
    assert "not registered as one" in page.content.decode()
    client.logout()
    assert client.get("/en/training/hours/").status_code == 302


# --- Requirements page ----------------------------------------------------------------------


def test_city_admin_sets_requirements(client, units):
    admin = city_admin(units)
    client.force_login(admin)
    assert client.get("/en/training/hours/requirements/").status_code == 200
    response = client.post(
        "/en/training/hours/requirements/new/?city=T",
        {"year": YEAR, "position": "", "hours": "40", "min_offline_share": "0.25"},
    )
    assert response.status_code == 302
    requirement = HoursRequirement.objects.get()
    assert (requirement.owner_unit, requirement.position) == (units["T"], "")
    assert (requirement.hours, requirement.min_offline_share) == (D(40), D("0.25"))
    client.post(
        "/en/training/hours/requirements/new/",
        {"year": YEAR, "position": "secretary", "hours": "60", "min_offline_share": "0.5"},
    )
    page = client.get("/en/training/hours/requirements/").content.decode()
    assert "Community Party secretary" in page and "Everyone" in page and "25%" in page
    client.post(
        f"/en/training/hours/requirements/{requirement.pk}/edit/",
        {"year": YEAR, "position": "", "hours": "45", "min_offline_share": "0.3"},
    )
    requirement.refresh_from_db()
    assert (requirement.hours, requirement.min_offline_share) == (D(45), D("0.3"))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"hours": "40", "min_offline_share": "1.5"}, "min_offline_share"),
        ({"hours": "40", "min_offline_share": "-0.1"}, "min_offline_share"),
        ({"hours": "-1", "min_offline_share": "0.2"}, "hours"),
        ({"hours": "abc", "min_offline_share": "0.2"}, "hours"),
        ({"hours": "40", "min_offline_share": "0.2", "year": "1900"}, "year"),
        ({"hours": "40", "min_offline_share": "0.2", "position": "king"}, "position"),
        ({"hours": "30", "min_offline_share": "0.2", "position": "grid"}, "position"),  # taken
    ],
)
def test_requirement_form_validation(client, units, data, field):
    require(units["T"], "40", "0.2", position="grid")
    client.force_login(city_admin(units))
    posted = {"year": YEAR, "position": "", **data}
    response = client.post("/en/training/hours/requirements/new/", posted)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert f'id="error-{field}"' in response.content.decode()
    assert HoursRequirement.objects.count() == 1


def test_only_city_admins_set_requirements(client, units):
    other_city = make_tree("Q")
    foreign = require(other_city["Q"], "30")
    client.force_login(city_admin(units))
    assert client.get(f"/en/training/hours/requirements/{foreign.pk}/edit/").status_code == 404
    # A city admin asking for another city's list sees their own.
    assert foreign not in client.get("/en/training/hours/requirements/?city=Q").context["rows"]
    district_admin = make_admin(units["TD1"])
    activate_totp(district_admin)
    client.force_login(district_admin)
    assert client.get("/en/training/hours/requirements/").status_code == 403
    assert client.get("/en/training/hours/requirements/new/").status_code == 403
    client.force_login(make_worker(units["TD1S1C1"]))
    assert client.get("/en/training/hours/requirements/").status_code == 403


# --- Who is behind --------------------------------------------------------------------------


@pytest.fixture
def behind_world(units):
    require(units["T"], "40", "0.25")
    require(units["T"], "60", "0.5", position="secretary")
    people = {
        "A": make_worker(units["TD1S1C1"], real_name="甲"),
        "B": make_worker(units["TD1S1C2"], real_name="乙", position="secretary"),
        "C": make_worker(units["TD1S2C1"], real_name="丙"),
        "D": make_worker(units["TD2S1C1"], real_name="丁"),
        "E": make_worker(units["TD1S1C1"], real_name="戊", position="grid"),
    }
    give(people["A"], 30)
    give(people["A"], 5, OFFLINE)
    give(people["B"], 20)
    give(people["B"], 10, OFFLINE)
    give(people["C"], 30)
    give(people["C"], 12, OFFLINE)
    give(people["E"], 45)
    return units, people


def table_rows(text, table_id):
    """(cells…) of each body row of the table with `table_id`, tags stripped."""
    import re

    body = text.split(f'id="{table_id}"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    return [
        tuple(
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        )
        for row in rows
    ]


def test_who_is_behind_for_the_city(client, behind_world):
    units, people = behind_world
    client.force_login(city_admin(units))
    page = client.get(f"/en/training/hours/behind/?year={YEAR}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "4 of 5 workers have not yet met" in text
    assert table_rows(text, "behind") == [
        (
            "丁",
            "T第2区/T2区1街道/T2-1-1社区",
            "Full-time community worker",
            "0 / 40",
            "0 / 10",
            "40",
        ),
        (
            "乙",
            "T第1区/T1区1街道/T1-1-2社区",
            "Community Party secretary",
            "30 / 60",
            "10 / 30",
            "30",
        ),
        ("戊", "T第1区/T1区1街道/T1-1-1社区", "Grid worker", "45 / 40", "0 / 10", "10"),
        (
            "甲",
            "T第1区/T1区1街道/T1-1-1社区",
            "Full-time community worker",
            "35 / 40",
            "5 / 10",
            "5",
        ),
    ]
    # Per district: workers, met, behind, average hours (35 + 30 + 42 + 45) / 4 = 38.
    assert table_rows(text, "unit-summary") == [
        ("T第1区", "4", "1", "3", "38"),
        ("T第2区", "1", "0", "1", "0"),
    ]
    assert f"/training/hours/workers/{people['D'].pk}/?year={YEAR}" in text
    assert "/training/hours/requirements/" in text  # a city admin sets them


def test_who_is_behind_filtered_by_a_child_unit(client, behind_world):
    units, _ = behind_world
    client.force_login(city_admin(units))
    text = client.get(f"/en/training/hours/behind/?year={YEAR}&unit=TD1S1").content.decode()
    assert [row[0] for row in table_rows(text, "behind")] == ["乙", "戊", "甲"]
    assert table_rows(text, "unit-summary") == [
        ("T1-1-1社区", "2", "0", "2", "40"),
        ("T1-1-2社区", "1", "0", "1", "30"),
    ]
    assert client.get("/en/training/hours/behind/?unit=NOPE").status_code == 404


def test_a_street_admin_sees_only_their_street(client, behind_world):
    units, people = behind_world
    street_admin = make_admin(units["TD1S1"])
    client.force_login(street_admin)
    text = client.get(f"/en/training/hours/behind/?year={YEAR}").content.decode()
    assert [row[0] for row in table_rows(text, "behind")] == ["乙", "戊", "甲"]
    assert "丁" not in text and "丙" not in text
    assert "/training/hours/requirements/" not in text
    assert client.get("/en/training/hours/behind/?unit=TD2").status_code == 404
    # Another street's worker's ledger and entries are out of reach.
    assert client.get(f"/en/training/hours/workers/{people['D'].pk}/").status_code == 404
    assert client.get(f"/en/training/hours/workers/{people['C'].pk}/").status_code == 404
    c_entry = HoursEntry.objects.filter(user=people["C"]).first()
    assert client.get(f"/en/training/hours/entries/{c_entry.pk}/correct/").status_code == 404
    response = client.post(
        f"/en/training/hours/entries/{c_entry.pk}/correct/", {"hours": "-1", "reason": "x"}
    )
    assert response.status_code == 404
    assert HoursEntry.objects.filter(user=people["C"]).count() == 2
    ledger = client.get(f"/en/training/hours/workers/{people['A'].pk}/?year={YEAR}")
    assert ledger.status_code == 200 and "Learning hours of 甲" in ledger.content.decode()


def test_workers_cannot_see_who_is_behind(client, behind_world):
    units, people = behind_world
    client.force_login(people["A"])
    assert client.get("/en/training/hours/behind/").status_code == 403
    assert client.get("/en/training/hours/behind/export.xlsx").status_code == 403
    assert client.get(f"/en/training/hours/workers/{people['B'].pk}/").status_code == 403


def test_who_is_behind_runs_a_constant_number_of_queries(client, units):
    require(units["T"], "40", "0.25")
    admin = city_admin(units)
    client.force_login(admin)
    communities = [u for u in units.values() if u.level == "community"]

    def add_workers(n):
        for i in range(n):
            worker = make_worker(communities[i % len(communities)], real_name=f"工{i}")
            give(worker, i % 7)
            give(worker, 1, OFFLINE)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/en/training/hours/behind/?year={YEAR}").status_code == 200
        return len(queries)

    add_workers(3)
    few = count()
    add_workers(40)
    assert count() == few
    with CaptureQueriesContext(connection) as small:
        client.get(f"/en/training/hours/behind/?year={YEAR}&unit=TD1")
    add_workers(10)
    with CaptureQueriesContext(connection) as large:
        client.get(f"/en/training/hours/behind/?year={YEAR}&unit=TD1")
    assert len(small) == len(large)


def test_who_is_behind_export(client, behind_world):
    units, _ = behind_world
    street_admin = make_admin(units["TD1S1"])
    client.force_login(street_admin)
    response = client.get(f"/en/training/hours/behind/export.xlsx?year={YEAR}")
    assert response.status_code == 200
    assert "hours-behind-2025-scope-" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    behind, by_unit = workbook.worksheets
    rows = list(behind.iter_rows(values_only=True))
    assert rows[0][0] == "Real name" and rows[0][-1] == "Hours still to earn"
    assert rows[1:] == [
        ("乙", "T第1区/T1区1街道/T1-1-2社区", "Community Party secretary", 30, 60, 10, 30, 30),
        ("戊", "T第1区/T1区1街道/T1-1-1社区", "Grid worker", 45, 40, 0, 10, 10),
        ("甲", "T第1区/T1区1街道/T1-1-1社区", "Full-time community worker", 35, 40, 5, 10, 5),
    ]
    assert list(by_unit.iter_rows(values_only=True))[1:] == [
        ("T1-1-1社区", 2, 0, 2, 40),
        ("T1-1-2社区", 1, 0, 1, 30),
    ]
    event = data_events().get()
    assert (event.action, event.actor, event.count) == ("export", street_admin, 3)
    assert "2025" in event.what and "T1区1街道" in event.scope


# --- Corrections through the page -----------------------------------------------------------


def test_an_admin_corrects_an_entry_with_a_reason(client, behind_world):
    units, people = behind_world
    street_admin = make_admin(units["TD1S1"])
    client.force_login(street_admin)
    entry = HoursEntry.objects.get(user=people["A"], category=ONLINE)
    ledger = client.get(f"/en/training/hours/workers/{people['A'].pk}/?year={YEAR}")
    assert f"/training/hours/entries/{entry.pk}/correct/" in ledger.content.decode()
    page = client.get(f"/en/training/hours/entries/{entry.pk}/correct/")
    assert page.status_code == 200 and "30 hours, now 30 after corrections" in page.content.decode()

    missing_reason = client.post(
        f"/en/training/hours/entries/{entry.pk}/correct/", {"hours": "-2", "reason": ""}
    )
    assert "reason" in missing_reason.context["form"].errors
    too_much = client.post(
        f"/en/training/hours/entries/{entry.pk}/correct/", {"hours": "-31", "reason": "多减"}
    )
    assert "below zero" in str(too_much.context["form"].errors["hours"])
    assert HoursEntry.objects.filter(user=people["A"]).count() == 2
    assert not data_events().exists()

    response = client.post(
        f"/en/training/hours/entries/{entry.pk}/correct/", {"hours": "-2", "reason": "重复计入"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/en/training/hours/workers/{people['A'].pk}/?year={YEAR}"
    correction = HoursEntry.objects.get(corrects=entry)
    assert (correction.hours, correction.note, correction.created_by) == (
        D(-2),
        "重复计入",
        street_admin,
    )
    assert hours.standing(people["A"], YEAR).earned == D(33)
    event = data_events().get()
    assert (event.action, event.actor, event.count) == ("correct", street_admin, 1)
    assert "甲" in event.what and "-2" in event.what and "重复计入" in event.what
    # Correcting the correction puts the original right: its net is now 28.
    page = client.get(f"/en/training/hours/entries/{correction.pk}/correct/")
    assert "30 hours, now 28 after corrections" in page.content.decode()
    # The worker sees the correction and its reason in their own ledger.
    client.force_login(people["A"])
    text = client.get(f"/en/training/hours/?year={YEAR}").content.decode()
    assert "重复计入" in text and 'id="hours-earned">33<' in text
