"""The audit log's hash chain finds any change, removal or reordering of past entries."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from people.audit_chain import (
    CHANGED,
    GENESIS,
    NOT_LINKED,
    WRONG_HEAD,
    WRONG_LENGTH,
    entry_hash,
    find_breaks,
)

START = datetime(2026, 1, 1, tzinfo=UTC)


def build(contents):
    """A well-formed chain of entries from (what, count) pairs."""
    entries, prev = [], GENESIS
    for index, (what, count) in enumerate(contents, start=1):
        fields = {
            "at": START + timedelta(seconds=index, microseconds=index),
            "actor_id": index % 3 or None,
            "actor_name": f"user{index % 3}" if index % 3 else "",
            "action": "export",
            "what": what,
            "scope": "东湖区",
            "count": count,
            "address": "10.0.0.1",
        }
        digest = entry_hash(prev, fields)
        entries.append({"id": index, "prev_hash": prev, "hash": digest, **fields})
        prev = digest
    return entries


def check(entries, original):
    return {b.kind for b in find_breaks(entries, length=len(original), head=original[-1]["hash"])}


contents = st.lists(st.tuples(st.text(max_size=30), st.integers(0, 10**6)), min_size=2, max_size=12)


@given(contents)
def test_an_untouched_chain_holds(pairs):
    entries = build(pairs)
    assert check(entries, entries) == set()


@given(contents, st.data())
def test_changing_any_field_of_any_entry_is_found(pairs, data):
    entries = build(pairs)
    victim = data.draw(st.sampled_from(entries))
    field = data.draw(st.sampled_from(["what", "count", "actor_name", "at", "address", "scope"]))
    changed = {
        "what": victim["what"] + "x",
        "count": victim["count"] + 1,
        "actor_name": victim["actor_name"] + "x",
        "at": victim["at"] + timedelta(microseconds=1),
        "address": "10.0.0.2",
        "scope": "*",
    }[field]
    tampered = [dict(e, **{field: changed}) if e is victim else e for e in entries]
    assert CHANGED in check(tampered, entries)


@given(contents, st.data())
def test_removing_an_entry_in_the_middle_is_found(pairs, data):
    entries = build(pairs)
    index = data.draw(st.integers(0, len(entries) - 2))
    assert NOT_LINKED in check(entries[:index] + entries[index + 1 :], entries)


def test_cutting_entries_off_the_end_is_found():
    entries = build([("a", 1), ("b", 2), ("c", 3)])
    assert check(entries[:-1], entries) == {WRONG_LENGTH}


def test_swapping_two_entries_is_found():
    entries = build([("a", 1), ("b", 2), ("c", 3)])
    assert NOT_LINKED in check([entries[1], entries[0], entries[2]], entries)


def test_rewriting_the_whole_chain_is_found_by_the_head():
    """Someone recomputes every hash after a change: the head kept apart no longer matches."""
    entries = build([("a", 1), ("b", 2)])
    forged = build([("a", 1), ("B", 2)])
    assert check(forged, entries) == {WRONG_HEAD}


def test_the_same_instant_hashes_the_same_in_any_time_zone():
    fields = build([("a", 1)])[0]
    shanghai = dict(fields, at=fields["at"].astimezone(ZoneInfo("Asia/Shanghai")))
    assert entry_hash(GENESIS, fields) == entry_hash(GENESIS, shanghai)
