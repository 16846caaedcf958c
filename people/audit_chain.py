"""The audit log's hash chain, apart from Django: how an entry's hash is made and checked."""

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import NamedTuple

GENESIS = "0" * 64
# The fields an entry's hash covers, in this order. Changing the list breaks every old chain.
CHAINED_FIELDS = ("at", "actor_id", "actor_name", "action", "what", "scope", "count", "address")


def _canonical(value):
    if isinstance(value, datetime):
        # Microseconds and UTC: the same instant hashes the same on SQLite and PostgreSQL.
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def entry_hash(prev_hash: str, fields: Mapping[str, object]) -> str:
    body = [prev_hash, *(_canonical(fields[name]) for name in CHAINED_FIELDS)]
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class Break(NamedTuple):
    """One place where the chain does not hold: `kind` is one of the constants below."""

    kind: str
    entry_id: int | None = None
    found: int = 0
    expected: int = 0


NOT_LINKED = "not_linked"  # the entry does not follow the one before it (removed, reordered)
CHANGED = "changed"  # the entry's content no longer matches its hash
WRONG_LENGTH = "wrong_length"  # entries were removed from the end, or added around the writer
WRONG_HEAD = "wrong_head"  # the last entry is not the one last written


def find_breaks(entries: Iterable[Mapping[str, object]], *, length: int, head: str) -> list[Break]:
    """Walk the entries in order of writing; every place where the chain does not hold.

    `length` and `head` come from the chain's head record: they catch entries cut off the end.
    """
    problems = []
    prev = GENESIS
    seen = 0
    for entry in entries:
        seen += 1
        if entry["prev_hash"] != prev:
            problems.append(Break(NOT_LINKED, entry["id"]))
        if entry_hash(entry["prev_hash"], entry) != entry["hash"]:
            problems.append(Break(CHANGED, entry["id"]))
        prev = entry["hash"]
    if seen != length:
        problems.append(Break(WRONG_LENGTH, found=seen, expected=length))
    elif prev != head:
        problems.append(Break(WRONG_HEAD))
    return problems
