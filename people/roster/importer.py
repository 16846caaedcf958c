"""Roster import: check a file against the database and the importer's scope, then apply it whole.

`check` reads and judges every row and decides, row by row, what would happen (new, updated,
unchanged) without writing. `apply` writes a checked outcome in one transaction, with bulk
queries so that 10,000 rows take seconds. Any invalid row means nothing is written.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from .. import crypto
from ..audit import record
from ..models import AuditEvent, OrgUnit, Role, RosterImport, Transfer, User, WorkerProfile
from ..scope import Scope
from . import reader, rules

NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"
TEMPLATE_HEADERS = {column.key: column.header for column in rules.COLUMNS}
# SQLite refuses statements with too many parameters; look people up in slices.
LOOKUP_CHUNK = 900
# The PostgreSQL advisory lock every roster write holds (any number no other lock uses).
ROSTER_WRITE_LOCK = 0x7A4D_0001


@dataclass
class RowAction:
    row: int
    kind: str
    data: rules.CleanRow
    unit_id: int
    user_id: int | None = None
    profile_id: int | None = None
    transfer_from: int | None = None


@dataclass
class Outcome:
    actions: list[RowAction] = field(default_factory=list)
    # {"row": 7, "column": "手机号", "code": "invalid_phone", "params": {...}}
    errors: list[dict] = field(default_factory=list)
    invalid_rows: int = 0

    @property
    def counts(self) -> dict[str, int]:
        counts = {NEW: 0, UPDATED: 0, UNCHANGED: 0}
        for action in self.actions:
            counts[action.kind] += 1
        return {**counts, "invalid": self.invalid_rows}

    @property
    def ok(self) -> bool:
        return not self.errors


class UnitIndex:
    """Finds a community by code or by the end of its name path, in one query for the tree."""

    def __init__(self):
        paths = OrgUnit.name_paths()
        units = list(OrgUnit.objects.values("id", "code", "name", "level", "path"))
        self.by_code = {u["code"].upper(): u for u in units}
        self.by_last_name: dict[str, list[dict]] = {}
        for unit in units:
            unit["names"] = tuple(paths[unit["id"]].split("/"))
            if unit["level"] == OrgUnit.Level.COMMUNITY:
                self.by_last_name.setdefault(unit["name"], []).append(unit)

    def resolve(self, text: str) -> tuple[dict | None, str | None, dict]:
        """(unit, problem code, params) for a code or name path such as 和平街道/幸福社区."""
        unit = self.by_code.get(text.upper())
        if unit is not None:
            if unit["level"] != OrgUnit.Level.COMMUNITY:
                return None, "unit_not_community", {"value": text}
            return unit, None, {}
        parts = tuple(p for p in text.split("/") if p)
        if not parts:
            return None, "unknown_unit", {"value": text}
        found = [
            u for u in self.by_last_name.get(parts[-1], []) if u["names"][-len(parts) :] == parts
        ]
        if not found:
            return None, "unknown_unit", {"value": text}
        if len(found) > 1:
            options = "、".join("/".join(u["names"]) for u in found[:5])
            return None, "ambiguous_unit", {"value": text, "options": options}
        return found[0], None, {}


def _chunks(values: list, size: int = LOOKUP_CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


_PERSON_FIELDS = (
    "id",
    "phone",
    "real_name",
    "worker_profile__id",
    "worker_profile__community_id",
    "worker_profile__community__path",
    "worker_profile__community__name",
    "worker_profile__position",
    "worker_profile__worker_number",
    "worker_profile__start_date",
    "worker_profile__id_number_hash",
)


def _people(phones: list[str], hashes: list[str]) -> tuple[dict, dict]:
    """Existing people by phone and by ID-number hash, in a few queries."""
    by_phone, by_hash = {}, {}
    for chunk in _chunks(phones):
        for person in User.objects.filter(phone__in=chunk).values(*_PERSON_FIELDS):
            by_phone[person["phone"]] = person
    for chunk in _chunks(hashes):
        query = User.objects.filter(worker_profile__id_number_hash__in=chunk)
        for person in query.values(*_PERSON_FIELDS):
            by_hash[person["worker_profile__id_number_hash"]] = person
    return by_phone, by_hash


def _error(outcome: Outcome, row: int, table: reader.Table, key: str, code: str, params: dict):
    header = table.headers.get(key) or TEMPLATE_HEADERS.get(key, "") if key else ""
    outcome.errors.append(
        {"row": row, "column": header, "column_key": key, "code": code, "params": params}
    )


def _differs(person: dict, data: rules.CleanRow, unit_id: int, id_hash: str) -> bool:
    if person["worker_profile__id"] is None:
        return True
    return (
        person["real_name"] != data.name
        or person["phone"] != data.phone
        or person["worker_profile__community_id"] != unit_id
        or person["worker_profile__position"] != data.position
        or person["worker_profile__worker_number"] != data.worker_number
        or person["worker_profile__start_date"] != data.start_date
        or (bool(id_hash) and person["worker_profile__id_number_hash"] != id_hash)
    )


def read(data: bytes, filename: str) -> reader.Table:
    """The file's table, or RosterFileError for a file that cannot be read as a roster."""
    table = reader.read_table(
        data,
        filename,
        match_header=rules.match_header,
        required=[c.key for c in rules.COLUMNS if c.required],
        max_bytes=settings.ROSTER_MAX_MB * 1024 * 1024,
        max_rows=settings.ROSTER_MAX_ROWS,
    )
    if all(rules.is_blank_row(raw) for _row, raw in table.rows):
        # The template uploaded untouched: say so, rather than "checked, nothing to import".
        raise reader.RosterFileError("no_rows")
    return table


def check(
    table: reader.Table,
    *,
    scope: Scope,
    allow_transfer: bool = False,
    today: date | None = None,
    progress: Callable[[float], None] | None = None,
) -> Outcome:
    """Judge every row against the rules, the tree, the scope and the people already known."""
    today = today or date.today()
    outcome = Outcome()
    clean: list[tuple[int, rules.CleanRow]] = []
    bad_rows: set[int] = set()
    total = max(len(table.rows), 1)
    for index, (row, raw) in enumerate(table.rows):
        if rules.is_blank_row(raw):
            continue
        data, problems = rules.clean_row(raw, today=today)
        for problem in problems:
            _error(outcome, row, table, problem.column, problem.code, problem.params)
        if data is None:
            bad_rows.add(row)
        else:
            clean.append((row, data))
        if progress and index % 1000 == 0:
            progress(0.5 * index / total)

    for row, problem in rules.find_duplicates(clean):
        _error(outcome, row, table, problem.column, problem.code, problem.params)
        bad_rows.add(row)

    units = UnitIndex()
    hashes = {
        data.id_number: crypto.keyed_hash(data.id_number) for _, data in clean if data.id_number
    }
    by_phone, by_hash = _people([d.phone for _, d in clean], list(hashes.values()))

    for index, (row, data) in enumerate(clean):
        if progress and index % 1000 == 0:
            progress(0.5 + 0.5 * index / max(len(clean), 1))
        problems_before = len(outcome.errors)
        unit, code, params = units.resolve(data.unit)
        if unit is None:
            _error(outcome, row, table, "unit", code, params)
        elif not scope.contains_path(unit["path"]):
            _error(outcome, row, table, "unit", "unit_out_of_scope", {"value": data.unit})

        id_hash = hashes.get(data.id_number, "")
        by_id = by_hash.get(id_hash) if id_hash else None
        same_phone = by_phone.get(data.phone)
        if by_id and same_phone and by_id["id"] != same_phone["id"]:
            _error(
                outcome,
                row,
                table,
                "phone",
                "phone_belongs_to_other",
                {"name": same_phone["real_name"]},
            )
        elif (
            not by_id
            and same_phone
            and id_hash
            and same_phone["worker_profile__id_number_hash"] not in ("", None, id_hash)
        ):
            _error(
                outcome, row, table, "id_number", "id_differs", {"name": same_phone["real_name"]}
            )
        person = by_id or same_phone

        transfer_from = None
        current_path = person and person["worker_profile__community__path"]
        if current_path and unit is not None and not scope.contains_path(current_path):
            if allow_transfer:
                transfer_from = person["worker_profile__community_id"]
            else:
                _error(
                    outcome,
                    row,
                    table,
                    "unit",
                    "person_outside_scope",
                    {
                        "name": person["real_name"],
                        "unit": person["worker_profile__community__name"],
                    },
                )
        if len(outcome.errors) > problems_before:
            bad_rows.add(row)
            continue
        if row in bad_rows:
            continue
        if person is None:
            kind = NEW
        else:
            kind = UPDATED if _differs(person, data, unit["id"], id_hash) else UNCHANGED
        outcome.actions.append(
            RowAction(
                row=row,
                kind=kind,
                data=data,
                unit_id=unit["id"],
                user_id=person["id"] if person else None,
                profile_id=person["worker_profile__id"] if person else None,
                transfer_from=transfer_from,
            )
        )
    outcome.invalid_rows = len(bad_rows)
    outcome.errors.sort(key=lambda e: e["row"])
    if progress:
        progress(1.0)
    return outcome


def _usernames(phones: list[str]) -> dict[str, str]:
    """A username per new worker: 'w' + phone, or with a suffix in the rare clash."""
    wanted = {phone: f"w{phone}" for phone in phones}
    taken = set()
    for chunk in _chunks(list(wanted.values())):
        taken.update(User.objects.filter(username__in=chunk).values_list("username", flat=True))
    result = {}
    for phone, name in wanted.items():
        candidate, n = name, 1
        while candidate in taken:
            n += 1
            candidate = f"{name}-{n}"
        taken.add(candidate)
        result[phone] = candidate
    return result


def _profile_fields(profile: WorkerProfile, action: RowAction):
    data = action.data
    profile.community_id = action.unit_id
    profile.position = data.position
    profile.worker_number = data.worker_number
    profile.start_date = data.start_date
    if data.id_number:
        profile.id_number_encrypted = crypto.encrypt(data.id_number)
        profile.id_number_hash = crypto.keyed_hash(data.id_number)


@transaction.atomic
def apply(outcome: Outcome, *, actor, scope: Scope, roster_import=None, filename: str = "") -> dict:
    """Write a checked outcome: all of it or, on any error, none of it."""
    if not outcome.ok:
        raise ValueError("an outcome with errors cannot be applied")
    new = [a for a in outcome.actions if a.kind == NEW]
    changed = [a for a in outcome.actions if a.kind == UPDATED]

    # New people: one hash for an unusable password each is cheap (no real hashing).
    usernames = _usernames([a.data.phone for a in new])
    users = User.objects.bulk_create(
        [
            User(
                username=usernames[a.data.phone],
                real_name=a.data.name,
                phone=a.data.phone,
                password=make_password(None),
            )
            for a in new
        ]
    )
    for action, user in zip(new, users, strict=True):
        action.user_id = user.pk

    # Existing people: name and phone (found by ID number, a person may have a new phone),
    # then profiles (created where a known user had none).
    by_user = {a.user_id: a.data for a in changed}
    people = list(User.objects.filter(pk__in=list(by_user)))
    for user in people:
        user.real_name = by_user[user.pk].name
        user.phone = by_user[user.pk].phone
    User.objects.bulk_update(people, ["real_name", "phone"], batch_size=500)

    existing = WorkerProfile.objects.in_bulk([a.profile_id for a in changed if a.profile_id])
    to_create, to_update = [], []
    for action in new + changed:
        profile = existing.get(action.profile_id) or WorkerProfile(user_id=action.user_id)
        _profile_fields(profile, action)
        (to_update if profile.pk else to_create).append(profile)
    WorkerProfile.objects.bulk_create(to_create, batch_size=500)
    WorkerProfile.objects.bulk_update(
        to_update,
        [
            "community",
            "position",
            "worker_number",
            "start_date",
            "id_number_encrypted",
            "id_number_hash",
        ],
        batch_size=500,
    )

    # The worker role follows the community (bulk writes skip WorkerProfile.save()).
    moved = [a.user_id for a in new + changed]
    for chunk in _chunks(moved):
        Role.objects.filter(user_id__in=chunk, kind=Role.Kind.WORKER).delete()
    Role.objects.bulk_create(
        [Role(user_id=a.user_id, unit_id=a.unit_id, kind=Role.Kind.WORKER) for a in new + changed],
        batch_size=500,
    )

    transfers = [a for a in changed if a.transfer_from]
    Transfer.objects.bulk_create(
        [
            Transfer(
                user_id=a.user_id,
                from_unit_id=a.transfer_from,
                to_unit_id=a.unit_id,
                by=actor,
                roster_import=roster_import,
            )
            for a in transfers
        ]
    )
    counts = outcome.counts
    if new or changed:
        record(
            actor,
            AuditEvent.Action.IMPORT,
            filename or "roster",
            scope=scope,
            count=len(new) + len(changed),
        )
    for action in transfers:
        record(
            actor,
            AuditEvent.Action.TRANSFER,
            f"{action.data.name} ({filename})",
            scope=scope,
            count=1,
        )
    return counts


def lock_roster_writes() -> None:
    """Wait for any other roster write to finish, then hold the lock until this transaction ends.

    Two imports checked side by side (two admins, or one confirming twice) would both take the
    same person for new, and the second would die on the unique phone, or write over the first
    one's updates from a stale check. One lock for the whole tree, not one per scope: a city's
    and a district's rosters name the same people.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ROSTER_WRITE_LOCK])
    else:
        # SQLite has one writer at a time: an UPDATE (even of no row) takes the database's
        # write lock now, before the check reads, as people.audit does.
        RosterImport.objects.filter(pk=None).update(progress=0)


def check_and_apply(
    table: reader.Table,
    *,
    scope: Scope,
    allow_transfer: bool = False,
    actor,
    roster_import=None,
    filename: str = "",
) -> Outcome:
    """Check `table` and, if every row is good, apply it: one transaction under the roster lock,
    so that what is written is what this check saw. Returns the outcome of the check."""
    with transaction.atomic():
        lock_roster_writes()
        outcome = check(table, scope=scope, allow_transfer=allow_transfer)
        if outcome.ok:
            apply(outcome, actor=actor, scope=scope, roster_import=roster_import, filename=filename)
    return outcome
