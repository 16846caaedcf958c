"""The pure draw: reproducible from its seed, balanced cards, recusal from the tree and declared."""

from collections import Counter

import pytest

from competitions.draws import Contestant, DrawError, Judge, Room, draw, tree_reason

# Paths as treebeard writes them: 4 characters per level (city, district, street, community).
CITY = "0001"
D1, D2 = CITY + "0001", CITY + "0002"
D1S1, D1S2, D2S1 = D1 + "0001", D1 + "0002", D2 + "0001"
STREET, DISTRICT = 12, 8


def community(street, n=1):
    return f"{street}{n:04d}"


def contestants(count, streets=(D1S1, D1S2, D2S1)):
    return [
        Contestant(id=i, unit_path=community(streets[i % len(streets)]))
        for i in range(1, count + 1)
    ]


def run(people, rooms, cards=(), conflicts=(), *, level=STREET, seed="abc"):
    return draw(
        people, rooms, cards, conflicts, recusal_length=level, seed=seed, street_length=STREET
    )


def city_room(room_id=1, judges=(101, 102, 103)):
    return Room(room_id, tuple(Judge(j, (CITY,)) for j in judges))


def test_same_seed_same_draw_whatever_the_input_order():
    people = contestants(30)
    rooms = [city_room(1, (101, 102)), Room(2, (Judge(201, (D1S1,)), Judge(202, (D2,))))]
    cards = [7, 8, 9]
    conflicts = [(101, 3), (202, 5)]
    first = run(people, rooms, cards, conflicts, seed="s33d")
    shuffled_rooms = [
        Room(2, (Judge(202, (D2,)), Judge(201, (D1S1,)))),
        city_room(1, (102, 101)),
    ]
    second = run(
        list(reversed(people)), shuffled_rooms, [9, 7, 8], list(reversed(conflicts)), seed="s33d"
    )
    assert first == second
    assert run(people, rooms, cards, conflicts, seed="other") != first


def test_order_is_a_permutation_and_codes_are_unique_and_blind():
    people = contestants(200)
    slots = run(people, [city_room()], seed="x")
    assert [s.order for s in slots] == list(range(1, 201))
    assert sorted(s.contestant for s in slots) == [c.id for c in people]
    assert [s.contestant for s in slots] != [c.id for c in people]  # actually shuffled
    codes = [s.blind_code for s in slots]
    assert len(set(codes)) == 200
    assert all(len(c) == 5 and c[0].isalpha() and c[1:].isdigit() for c in codes)
    # Codes do not follow the order or the ids.
    assert codes != sorted(codes)


def test_cards_are_balanced():
    slots = run(contestants(31), [city_room()], cards=[11, 12, 13])
    counts = Counter(s.card for s in slots)
    assert set(counts) == {11, 12, 13}
    assert max(counts.values()) - min(counts.values()) <= 1


def test_no_cards_and_no_rooms_for_a_written_test():
    slots = run(contestants(4), [])
    assert {(s.card, s.room, s.judges) for s in slots} == {(None, None, ())}


def test_recusal_by_street():
    local = Judge(1, (D1S1,))
    same_district = Judge(2, (D1S2,))
    city = Judge(3, (CITY,))
    person = Contestant(10, community(D1S1))
    (slot,) = run([person], [Room(1, (local, same_district, city))], level=STREET)
    assert slot.judges == (2, 3)
    assert slot.recusals == ((1, "same_street"),)


def test_recusal_by_district_names_the_narrowest_reason():
    room = Room(1, (Judge(1, (D1S1,)), Judge(2, (D1S2,)), Judge(3, (D2S1,)), Judge(4, (CITY,))))
    (slot,) = run([Contestant(10, community(D1S1))], [room], level=DISTRICT)
    assert slot.judges == (3, 4)
    assert slot.recusals == ((1, "same_street"), (2, "same_district"))


def test_a_judge_with_several_home_units_is_recused_by_any_of_them():
    # A district-level judge (not recused by that role) who also works in the contestant's community.
    judge = Judge(1, (D2, community(D1S1)))
    assert tree_reason(judge, community(D1S1), STREET, STREET) == "same_street"
    assert tree_reason(judge, community(D2S1), STREET, STREET) is None
    assert tree_reason(Judge(2, (CITY,)), community(D1S1), DISTRICT, STREET) is None


def test_declared_conflicts():
    room = city_room(1, (101, 102))
    (slot,) = run([Contestant(5, community(D2S1))], [room], conflicts=[(102, 5)])
    assert slot.judges == (101,)
    assert slot.recusals == ((102, "declared"),)


def test_rooms_chosen_to_avoid_recusals_then_balanced():
    d1_room = Room(1, (Judge(11, (D1S1,)), Judge(12, (D1S1,))))
    d2_room = Room(2, (Judge(21, (D2S1,)), Judge(22, (D2S1,))))
    people = contestants(20, streets=(D1S1, D2S1))
    slots = run(people, [d1_room, d2_room], level=STREET)
    by_id = {c.id: c for c in people}
    for slot in slots:
        street = by_id[slot.contestant].unit_path[:STREET]
        assert slot.room == (2 if street == D1S1 else 1)
        assert slot.recusals == ()
    # With no conflicts anywhere the rooms fill evenly.
    even = run(contestants(21), [city_room(1), city_room(2, (104, 105))])
    assert sorted(Counter(s.room for s in even).values()) == [10, 11]


def test_no_judge_left_names_the_code_and_room():
    room = Room(4, (Judge(1, (D1S1,)),))
    with pytest.raises(DrawError) as caught:
        run([Contestant(9, community(D1S1))], [room], seed="q")
    assert caught.value.code == "no_judge"
    assert caught.value.params["room"] == 4
    assert len(caught.value.params["blind_code"]) == 5


def test_a_room_with_a_judge_left_is_preferred_to_one_with_fewer_recusals():
    empty_after = Room(1, (Judge(1, (D1S1,)),))
    busy = Room(2, (Judge(2, (D1S1,)), Judge(3, (D1S1,)), Judge(4, (CITY,))))
    (slot,) = run([Contestant(9, community(D1S1))], [empty_after, busy])
    assert slot.room == 2 and slot.judges == (4,)
