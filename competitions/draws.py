"""The draw of a stage: appearance order, blind codes, cards, rooms and recusals. No Django here.

Everything follows from the inputs and a seed string, so anyone holding both can re-run the draw
and get the same result. Inputs are sorted first: the order a caller lists them in never matters.

Org units are given as materialised paths (treebeard: a fixed number of characters per level),
so "the same street" means "the same first `recusal_length` characters".
"""

import random
from dataclasses import dataclass, field

# Letters that cannot be mistaken for digits (no I, O) or for each other when read aloud.
CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
SAME_STREET, SAME_DISTRICT, DECLARED = "same_street", "same_district", "declared"
# When a judge is recused for several reasons, the one recorded is the first of these.
REASON_ORDER = (SAME_STREET, SAME_DISTRICT, DECLARED)


class DrawError(Exception):
    """A draw that cannot be made; `code` and `params` let the caller word the message."""

    def __init__(self, code: str, **params):
        super().__init__(f"{code}: {params}")
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Judge:
    id: int
    # Every unit the judge belongs to: where they hold a role, and their community as a worker.
    home_paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class Room:
    id: int
    judges: tuple[Judge, ...] = ()


@dataclass(frozen=True)
class Contestant:
    id: int
    unit_path: str


@dataclass(frozen=True)
class Slot:
    """One contestant's place in the draw."""

    contestant: int
    order: int
    blind_code: str
    card: int | None
    room: int | None
    judges: tuple[int, ...]
    recusals: tuple[tuple[int, str], ...] = field(default=())


def tree_reason(
    judge: Judge, unit_path: str, recusal_length: int, street_length: int
) -> str | None:
    """Why the org tree keeps `judge` away from a contestant of `unit_path`, or None.

    A home unit above the recusal level (a city-level judge) never recuses anyone.
    """
    if len(unit_path) < recusal_length:
        return None
    reasons = set()
    for home in judge.home_paths:
        if len(home) < recusal_length or home[:recusal_length] != unit_path[:recusal_length]:
            continue
        same_street = (
            len(home) >= street_length and home[:street_length] == unit_path[:street_length]
        )
        reasons.add(SAME_STREET if same_street else SAME_DISTRICT)
    return next((r for r in REASON_ORDER if r in reasons), None)


def recusals_for(
    contestant: Contestant,
    room: Room,
    conflicts: frozenset[tuple[int, int]],
    recusal_length: int,
    street_length: int,
) -> tuple[tuple[int, str], ...]:
    """(judge, reason) for each judge of `room` who must not score `contestant`."""
    found = []
    for judge in room.judges:
        reason = tree_reason(judge, contestant.unit_path, recusal_length, street_length)
        if reason is None and (judge.id, contestant.id) in conflicts:
            reason = DECLARED
        if reason is not None:
            found.append((judge.id, reason))
    return tuple(found)


def blind_codes(rng: random.Random, count: int) -> list[str]:
    """`count` distinct codes like K3071: random, so they reveal neither order nor identity."""
    if count > len(CODE_LETTERS) * 10000:
        raise DrawError("too_many", count=count)
    codes: list[str] = []
    seen: set[str] = set()
    while len(codes) < count:
        code = f"{rng.choice(CODE_LETTERS)}{rng.randrange(10000):04d}"
        if code not in seen:
            seen.add(code)
            codes.append(code)
    return codes


def _canonical_rooms(rooms) -> list[Room]:
    return sorted(
        (
            Room(
                id=room.id,
                judges=tuple(
                    sorted(
                        (Judge(j.id, tuple(sorted(set(j.home_paths)))) for j in room.judges),
                        key=lambda j: j.id,
                    )
                ),
            )
            for room in rooms
        ),
        key=lambda r: r.id,
    )


def draw(
    contestants,
    rooms,
    cards,
    conflicts,
    *,
    recusal_length: int,
    seed: str,
    street_length: int | None = None,
) -> list[Slot]:
    """Draw a stage. Returns one Slot per contestant, in appearance order.

    contestants: Contestant(id, unit_path); rooms: Room(id, judges=(Judge(id, home_paths), …)),
    may be empty (a written test needs no room); cards: card ids, may be empty;
    conflicts: (judge id, contestant id) pairs the judges declared;
    recusal_length: how many path characters identify the street or district a judge stands
    aside from; street_length: the path length of a street, to tell same-street recusals
    from same-district ones (defaults to recusal_length).

    Each contestant goes to a room where some judge may score them, preferring the room whose
    judges have the fewest conflicts with them, then the room with the fewest contestants so far,
    then the first room. Raises DrawError("no_judge") when no room has a judge left for them.
    """
    street_length = street_length or recusal_length
    people = sorted(contestants, key=lambda c: c.id)
    if len({c.id for c in people}) != len(people):
        raise DrawError("duplicate_contestant")
    room_list = _canonical_rooms(rooms)
    card_list = sorted(set(cards))
    conflict_set = frozenset((int(j), int(c)) for j, c in conflicts)

    rng = random.Random(seed)
    appearance_order = rng.sample(people, k=len(people))
    codes = blind_codes(rng, len(people))
    shuffled_cards = rng.sample(card_list, k=len(card_list))

    seated = {room.id: 0 for room in room_list}
    slots = []
    for position, (person, code) in enumerate(zip(appearance_order, codes, strict=True)):
        card = shuffled_cards[position % len(shuffled_cards)] if shuffled_cards else None
        room, recused = _choose_room(
            person, room_list, seated, conflict_set, recusal_length, street_length
        )
        judges: tuple[int, ...] = ()
        if room is not None:
            seated[room.id] += 1
            away = {judge for judge, _reason in recused}
            judges = tuple(j.id for j in room.judges if j.id not in away)
            if not judges:
                raise DrawError("no_judge", blind_code=code, room=room.id)
        slots.append(
            Slot(
                contestant=person.id,
                order=position + 1,
                blind_code=code,
                card=card,
                room=room.id if room else None,
                judges=judges,
                recusals=recused,
            )
        )
    return slots


def _choose_room(person, rooms, seated, conflicts, recusal_length, street_length):
    if not rooms:
        return None, ()
    options = [
        (recusals_for(person, room, conflicts, recusal_length, street_length), index, room)
        for index, room in enumerate(rooms)
    ]

    def preference(option):
        recused, index, room = option
        no_judge_left = len(recused) == len(room.judges)
        return (no_judge_left, len(recused), seated[room.id], index)

    recused, _index, room = min(options, key=preference)
    return room, recused


def inputs_as_data(
    contestants, rooms, cards, conflicts, *, recusal_length: int, street_length: int | None = None
) -> dict:
    """The draw's inputs as plain JSON data, in canonical order: kept beside the seed, so the
    draw can be re-run and checked later whatever has changed in the database since."""
    return {
        "contestants": sorted([c.id, c.unit_path] for c in contestants),
        "rooms": sorted(
            [room.id, sorted([j.id, sorted(j.home_paths)] for j in room.judges)] for room in rooms
        ),
        "cards": sorted(cards),
        "conflicts": sorted([judge, contestant] for judge, contestant in conflicts),
        "recusal_length": recusal_length,
        "street_length": street_length,
    }


def inputs_from_data(data: dict) -> dict:
    """`draw`'s keyword arguments (the seed aside) from `inputs_as_data`'s output."""
    return {
        "contestants": [Contestant(id, path) for id, path in data["contestants"]],
        "rooms": [
            Room(id, tuple(Judge(j, tuple(homes)) for j, homes in judges))
            for id, judges in data["rooms"]
        ],
        "cards": list(data["cards"]),
        "conflicts": [tuple(pair) for pair in data["conflicts"]],
        "recusal_length": data["recusal_length"],
        "street_length": data["street_length"],
    }
