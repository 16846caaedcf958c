"""Backup and restore of the whole site: every database table and every media file, in one
portable .tar.gz that restores on SQLite and PostgreSQL alike.

An archive holds, in this order:

- ``db/<table>.jsonl``: one JSON array per row, the columns and their codecs listed in the
  manifest. Values are written in a vendor-neutral form (bytes as base64, datetimes as ISO 8601
  in UTC with microseconds, decimals as strings, JSON as its text, NULL as null).
- ``media/<name>``: every file of the default storage, found through ``storage.listdir`` so that
  object storage works as well as a directory.
- ``manifest.json``: format, creation time, database vendor, applied migrations, columns and
  row count per table, and the SHA-256 of every other member. It comes last because it is
  written once everything else has been hashed.

The archive holds password hashes, encrypted ID numbers and everything else in the database:
keep it as carefully as the database itself (and keep PERSONAL_DATA_KEY apart from it).
"""

import base64
import hashlib
import io
import json
import os
import posixpath
import tarfile
import tempfile
import time as clock
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Context, Decimal
from pathlib import Path
from uuid import UUID

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.utils import validate_file_name
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.duration import duration_microseconds
from django.utils.translation import gettext as _

from people.audit import record
from people.models import AuditEvent

FORMAT = 1
MANIFEST = "manifest.json"
BATCH = 1000
CHUNK = 1 << 20
# Wagtail's search index has a different shape on each vendor (tsvector columns on PostgreSQL,
# an FTS5 table on SQLite). It is derived data: moving between vendors rebuilds it.
SEARCH_INDEX_PREFIX = "wagtailsearch_indexentry"
# SQLite computes decimals in floats; Django reads them back through this context (15 digits).
_FLOAT_DECIMALS = Context(prec=15)


class ArchiveError(Exception):
    """The archive cannot be used, or the restore failed; the message says why for the operator."""


@dataclass
class Table:
    name: str
    columns: list[str]
    codecs: list[str]
    derived: bool = False  # emptied by a restore, never archived: triggers fill it


@dataclass
class Summary:
    path: Path
    tables: int = 0
    rows: int = 0
    files: int = 0
    media_bytes: int = 0
    kept_files: int = 0
    pruned_files: int = 0
    seconds: dict = field(default_factory=dict)


# --- Values: vendor form <-> archive form ---------------------------------------------------

_CODECS = {
    "BooleanField": "bool",
    "BinaryField": "bytes",
    "DateTimeField": "datetime",
    "DateField": "date",
    "TimeField": "time",
    "UUIDField": "uuid",
    "DurationField": "duration",
    "JSONField": "json",
}


def _codec(model_field) -> str:
    while model_field.is_relation:  # a foreign key stores its target's value
        model_field = model_field.target_field
    kind = model_field.get_internal_type()
    if kind == "DecimalField":
        return f"decimal:{model_field.decimal_places}"
    return _CODECS.get(kind, "plain")


def _aware_utc(value) -> datetime:
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):  # SQLite keeps UTC without an offset
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _decimal_text(value, places: int) -> str:
    if isinstance(value, float):
        value = _FLOAT_DECIMALS.create_decimal_from_float(value)
    return str(Decimal(value).quantize(Decimal(1).scaleb(-places)))


def encode(codec: str, value):
    """A value as the database driver returned it → its JSON form in the archive."""
    if value is None:
        return None
    if codec == "bool":
        return bool(value)
    if codec == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if codec == "datetime":
        return _aware_utc(value).isoformat()
    if codec in ("date", "time"):
        return value if isinstance(value, str) else value.isoformat()
    if codec.startswith("decimal:"):
        return _decimal_text(value, int(codec.split(":")[1]))
    if codec == "uuid":
        return str(value if isinstance(value, UUID) else UUID(str(value)))
    if codec == "duration":
        return duration_microseconds(value) if isinstance(value, timedelta) else int(value)
    if codec == "json":  # Django reads JSON as text on both vendors; keep the text itself
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    # "plain" (text, numbers, a column without a model field): tag what JSON cannot say.
    if isinstance(value, (bytes, memoryview)):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, (date, time)):
        return {"$" + type(value).__name__: value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, (UUID, timedelta)):
        return str(value)
    return value


def decode(codec: str, value):
    """The archive's JSON form → a parameter for this database."""
    if value is None:
        return value
    ops, features = connection.ops, connection.features
    if codec == "bool":
        return bool(value)
    if codec == "bytes":
        return base64.b64decode(value)
    if codec == "datetime":
        return ops.adapt_datetimefield_value(datetime.fromisoformat(value))
    if codec == "date":
        return ops.adapt_datefield_value(date.fromisoformat(value))
    if codec == "time":
        return ops.adapt_timefield_value(time.fromisoformat(value))
    if codec.startswith("decimal:"):
        return ops.adapt_decimalfield_value(Decimal(value))
    if codec == "uuid":
        return UUID(value) if features.has_native_uuid_field else UUID(value).hex
    if codec == "duration":
        return timedelta(microseconds=value) if features.has_native_duration_field else value
    if codec == "json":
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((tag, text),) = value.items()
        if tag == "$b64":
            return base64.b64decode(text)
        if tag == "$datetime":
            return ops.adapt_datetimefield_value(datetime.fromisoformat(text))
        if tag == "$date":
            return ops.adapt_datefield_value(date.fromisoformat(text))
        if tag == "$time":
            return ops.adapt_timefield_value(time.fromisoformat(text))
        if tag == "$decimal":
            return Decimal(text)
    return value


# --- Tables ---------------------------------------------------------------------------------


def _sqlite_virtual_and_shadow() -> tuple[set[str], set[str]]:
    """SQLite's virtual tables (Wagtail's FTS5 index) and the shadow tables that hold them.
    Shadow tables are FTS5's own business and never written directly; the virtual table is
    filled by Wagtail's triggers from wagtailsearch_indexentry, so restoring that refills it."""
    if connection.vendor != "sqlite":
        return set(), set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
        rows = cursor.fetchall()
    virtual = {name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")}
    shadow = {name for name, _sql in rows if any(name.startswith(v + "_") for v in virtual)}
    return virtual, shadow


def _models_by_table() -> dict:
    models = {MigrationRecorder.Migration._meta.db_table: MigrationRecorder.Migration}
    for model in apps.get_models(include_auto_created=True):
        if not model._meta.proxy:
            models.setdefault(model._meta.db_table, model)
    return models


def database_tables() -> list[Table]:
    """Every table Django's introspection sees, with its columns and how each is encoded."""
    virtual, shadow = _sqlite_virtual_and_shadow()
    models = _models_by_table()
    tables = []
    with connection.cursor() as cursor:
        for name in sorted(connection.introspection.table_names()):
            if name in shadow:
                continue
            columns = [c.name for c in connection.introspection.get_table_description(cursor, name)]
            model = models.get(name)
            fields = {f.column: f for f in model._meta.local_concrete_fields} if model else {}
            codecs = [_codec(fields[c]) if c in fields else "plain" for c in columns]
            tables.append(Table(name, columns, codecs, derived=name in virtual))
    return tables


def _select_sql(table: Table) -> str:
    qn = connection.ops.quote_name
    columns = ", ".join(qn(c) for c in table.columns)
    # Ordered by the first column (the primary key almost everywhere): diffs and tests read
    # archives more easily, and the order costs nothing on an index.
    return f"SELECT {columns} FROM {qn(table.name)} ORDER BY 1"


def _start_snapshot():
    """Everything read from here to the end of the transaction is one instant of the database."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    # SQLite: the transaction's first read starts a read transaction that sees one state until
    # it ends (WAL: a snapshot; rollback journal: writers wait for it).


# --- Backup ---------------------------------------------------------------------------------


class _Hashing(io.RawIOBase):
    """A read-through wrapper that hashes what passes through it (media into the tar)."""

    def __init__(self, raw):
        self.raw, self.sha = raw, hashlib.sha256()

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.raw.read(len(buffer))
        self.sha.update(data)
        buffer[: len(data)] = data
        return len(data)


def media_names(storage=None, directory=""):
    """Every file name of the storage, walked through listdir (works for S3 as for a disk)."""
    storage = storage or default_storage
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:  # MEDIA_ROOT not created yet
        return
    for name in sorted(files):
        yield posixpath.join(directory, name) if directory else name
    for name in sorted(directories):
        yield from media_names(storage, posixpath.join(directory, name) if directory else name)


def _add(tar, name: str, fileobj, size: int, mtime: float):
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(mtime), 0o600
    tar.addfile(info, fileobj)


def backup(path, *, log=None) -> Summary:
    """Write the archive to `path` (created 0600: it holds what the database holds)."""
    path = Path(path)
    log = log or (lambda message: None)
    summary = Summary(path)
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().astimezone(UTC).isoformat(),
        "vendor": connection.vendor,
        "migrations": [],
        "tables": {},
        "media": {},
        "members": {},
    }
    # Recorded first, so that the archive holds its own entry and a restored log reads on
    # without a gap: … BACKUP (taken here) … RESTORE.
    record(None, AuditEvent.Action.BACKUP, path.name)
    partial = path.with_name(path.name + ".part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with (
            os.fdopen(descriptor, "wb") as raw,
            tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar,
            tempfile.TemporaryDirectory(prefix="zhuangma-backup-") as scratch,
        ):
            started = clock.monotonic()
            with transaction.atomic():
                _start_snapshot()
                manifest["migrations"] = sorted(
                    f"{app}.{name}"
                    for app, name in MigrationRecorder(connection)
                    .migration_qs.values_list("app", "name")
                    .iterator()
                )
                for table in (t for t in database_tables() if not t.derived):
                    rows, digest, size = _dump_table(table, Path(scratch) / "rows.jsonl", tar)
                    member = f"db/{table.name}.jsonl"
                    manifest["tables"][table.name] = {
                        "columns": table.columns,
                        "codecs": table.codecs,
                        "rows": rows,
                    }
                    manifest["members"][member] = digest
                    summary.tables += 1
                    summary.rows += rows
            summary.seconds["database"] = clock.monotonic() - started
            log(_("Database: %(rows)d rows in %(tables)d tables.") % vars(summary))

            started = clock.monotonic()
            now = clock.time()
            for name in media_names():
                size = default_storage.size(name)
                with default_storage.open(name, "rb") as source:
                    hashing = _Hashing(source)
                    _add(tar, f"media/{name}", hashing, size, now)
                manifest["members"][f"media/{name}"] = hashing.sha.hexdigest()
                summary.files += 1
                summary.media_bytes += size
            manifest["media"] = {"files": summary.files, "bytes": summary.media_bytes}
            summary.seconds["media"] = clock.monotonic() - started
            log(_("Media: %(files)d files, %(media_bytes)d bytes.") % vars(summary))

            text = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            _add(tar, MANIFEST, io.BytesIO(text), len(text), now)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return summary


def _dump_table(table: Table, scratch: Path, tar) -> tuple[int, str, int]:
    """Stream the table's rows into a scratch file, then into the tar; (rows, sha256, bytes)."""
    sha, rows = hashlib.sha256(), 0
    with scratch.open("wb") as out, connection.chunked_cursor() as cursor:
        cursor.execute(_select_sql(table))
        while batch := cursor.fetchmany(2000):
            lines = [
                json.dumps(
                    [encode(c, v) for c, v in zip(table.codecs, row, strict=True)],
                    ensure_ascii=False,
                    separators=(",", ":"),
                )
                for row in batch
            ]
            data = ("\n".join(lines) + "\n").encode()
            sha.update(data)
            out.write(data)
            rows += len(batch)
    size = scratch.stat().st_size
    with scratch.open("rb") as source:
        _add(tar, f"db/{table.name}.jsonl", source, size, clock.time())
    scratch.unlink()
    return rows, sha.hexdigest(), size


# --- Restore --------------------------------------------------------------------------------


def _open(path):
    # Stream mode: members are read in order and never all held in memory.
    return tarfile.open(path, mode="r|gz")


_UNREADABLE = (tarfile.TarError, OSError, EOFError, zlib.error, ValueError)


def verify(path) -> dict:
    """Read the whole archive once: every member's checksum against the manifest. Returns the
    manifest; raises ArchiveError (and nothing has been changed) if anything does not match."""
    digests, manifest = {}, None
    try:
        with _open(path) as tar:
            for member in tar:
                if not member.isfile():
                    raise ArchiveError(
                        _("The archive holds something that is not a file: %(name)s.")
                        % {"name": member.name}
                    )
                source = tar.extractfile(member)
                if member.name == MANIFEST:
                    manifest = json.loads(source.read().decode())
                    continue
                sha = hashlib.sha256()
                while chunk := source.read(CHUNK):
                    sha.update(chunk)
                digests[member.name] = sha.hexdigest()
    except _UNREADABLE as error:
        raise ArchiveError(
            _("%(path)s is not a readable backup archive (%(error)s). Nothing was changed.")
            % {"path": path, "error": error}
        ) from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError(
            _(
                "%(path)s is incomplete or not a backup archive: no manifest of backup format "
                "%(format)d was found. Nothing was changed."
            )
            % {"path": path, "format": FORMAT}
        )
    expected = manifest.get("members", {})
    bad = sorted(
        name for name in expected.keys() | digests.keys() if expected.get(name) != digests.get(name)
    )
    if bad:
        raise ArchiveError(
            _(
                "The archive is damaged: %(count)d members do not match the checksums in its "
                "manifest (%(names)s). Nothing was changed."
            )
            % {"count": len(bad), "names": ", ".join(bad[:5]) + (" …" if len(bad) > 5 else "")}
        )
    for name in expected:
        if name.startswith("media/"):
            try:
                validate_file_name(name.removeprefix("media/"), allow_relative_path=True)
            except SuspiciousFileOperation as error:
                raise ArchiveError(
                    _("The archive holds an unsafe file name: %(name)s. Nothing was changed.")
                    % {"name": name}
                ) from error
    return manifest


def check_migrations(manifest: dict, loader=None) -> None:
    """Refuse an archive made by code that had migrations this code does not know."""
    loader = loader or MigrationLoader(None, ignore_no_migrations=True)
    known = {f"{app}.{name}" for app, name in loader.disk_migrations}
    missing = sorted(set(manifest["migrations"]) - known)
    if missing:
        raise ArchiveError(
            _(
                "The archive was made by newer code: these migrations are unknown here: "
                "%(names)s. Update the code first. Nothing was changed."
            )
            % {"names": ", ".join(missing)}
        )


def _migrate_to(executor, migrations: list[str]) -> None:
    """Bring the schema to the state the archive was taken in (an empty database gets every
    table; a database at that state already is left alone)."""
    loader = executor.loader
    graph = loader.graph
    wanted = {tuple(name.split(".", 1)) for name in migrations}
    # django_migrations lists the migrations a squash replaced; the graph holds the squash.
    for key, squash in loader.replacements.items():
        if all(replaced in wanted for replaced in squash.replaces):
            wanted.add(key)
    wanted = {key for key in wanted if key in graph.node_map}
    if wanted == {key for key in loader.applied_migrations if key in graph.node_map}:
        return
    targets = []
    for app in sorted(loader.migrated_apps):
        nodes = {key for key in wanted if key[0] == app}
        parents = {p for key in nodes for p in graph.node_map[key].parents if p[0] == app}
        targets.extend(sorted(nodes - parents) or [(app, None)])
    plan = executor.migration_plan(targets)
    if len({backwards for _migration, backwards in plan}) > 1:
        raise ArchiveError(
            _(
                "This database is ahead of the archive in some apps and behind it in others. "
                "Restore into an empty database. Nothing was changed."
            )
        )
    executor.migrate(targets, plan=plan)


def _check_tables(manifest: dict, tables: dict[str, Table], same_vendor: bool) -> list[str]:
    """The archive's tables that will be loaded; refuses columns this database lacks."""
    load = []
    for name, info in manifest["tables"].items():
        if name.startswith(SEARCH_INDEX_PREFIX) and not same_vendor:
            continue
        table = tables.get(name)
        if table is None:
            raise ArchiveError(
                _("Table %(table)s of the archive does not exist here. Nothing was changed.")
                % {"table": name}
            )
        lacking = sorted(set(info["columns"]) - set(table.columns))
        if lacking:
            raise ArchiveError(
                _("Table %(table)s has no columns %(columns)s here. Nothing was changed.")
                % {"table": name, "columns": ", ".join(lacking)}
            )
        load.append(name)
    return load


def _load_table(cursor, name: str, info: dict, source) -> int:
    qn = connection.ops.quote_name
    columns, codecs = info["columns"], info["codecs"]
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        qn(name), ", ".join(qn(c) for c in columns), ", ".join(["%s"] * len(columns))
    )
    rows, batch = 0, []
    for number, line in enumerate(source, 1):  # bytes lines: the stream cannot seek
        values = json.loads(line)
        batch.append([decode(c, v) for c, v in zip(codecs, values, strict=True)])
        if len(batch) == BATCH:
            _insert(cursor, sql, batch, name, number)
            rows, batch = rows + len(batch), []
    if batch:
        _insert(cursor, sql, batch, name, rows + len(batch))
        rows += len(batch)
    if rows != info["rows"]:
        raise ArchiveError(
            _("Table %(table)s: %(found)d rows, the manifest says %(expected)d.")
            % {"table": name, "found": rows, "expected": info["rows"]}
        )
    return rows


def _insert(cursor, sql, batch, table, last_row):
    try:
        cursor.executemany(sql, batch)
    except DatabaseError as error:
        raise ArchiveError(
            _("Rows up to %(row)d of table %(table)s could not be restored: %(error)s")
            % {"row": last_row, "table": table, "error": error}
        ) from error


def _reset_sequences(cursor, tables: list[str]):
    models = _models_by_table()
    restored = [models[name] for name in tables if name in models]
    for sql in connection.ops.sequence_reset_sql(no_style(), restored):
        cursor.execute(sql)


def _restore_database(tar_members, manifest: dict, summary: Summary):
    """Replace every row of every table with the archive's, in one transaction. Returns the
    first member that is not a table (the media start there) or None."""
    same_vendor = manifest["vendor"] == connection.vendor
    tables = {t.name: t for t in database_tables()}
    load = set(_check_tables(manifest, tables, same_vendor))
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        elif connection.vendor == "sqlite":
            cursor.execute("PRAGMA defer_foreign_keys = ON")
        # TRUNCATE on PostgreSQL (which the audit log's append-only trigger allows), DELETE on
        # SQLite; every table at once, so foreign keys between them do not matter.
        for sql in connection.ops.sql_flush(no_style(), sorted(tables), reset_sequences=True):
            cursor.execute(sql)
        following = None
        for member, source in tar_members:
            if not member.name.startswith("db/"):
                following = (member, source)
                break
            name = member.name.removeprefix("db/").removesuffix(".jsonl")
            if name in load:
                summary.rows += _load_table(cursor, name, manifest["tables"][name], source)
                summary.tables += 1
        _reset_sequences(cursor, sorted(load))
        try:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            else:
                connection.check_constraints()
        except DatabaseError as error:
            raise ArchiveError(
                _("The archive's rows do not fit together here: %(error)s") % {"error": error}
            ) from error
    return following


def _same_file(storage, name: str, digest: str) -> bool:
    sha = hashlib.sha256()
    with storage.open(name, "rb") as existing:
        while chunk := existing.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest() == digest


def _restore_media(members, manifest: dict, summary: Summary, prune: bool):
    storage = default_storage
    digests = manifest["members"]
    for member, source in members:
        if member.name == MANIFEST:
            continue
        name = member.name.removeprefix("media/")
        if storage.exists(name):
            if _same_file(storage, name, digests[member.name]):
                summary.kept_files += 1
                continue
            storage.delete(name)
        content = File(_Hashing(source), name=posixpath.basename(name))
        content.size = member.size
        saved = storage.save(name, content)
        if saved != name:  # the storage renamed it: refuse to leave a file under another name
            storage.delete(saved)
            raise ArchiveError(_("Media file %(name)s could not be written.") % {"name": name})
        summary.files += 1
        summary.media_bytes += member.size
    if prune:
        keep = {name.removeprefix("media/") for name in digests if name.startswith("media/")}
        for name in list(media_names(storage)):
            if name not in keep:
                storage.delete(name)
                summary.pruned_files += 1


def _members(tar):
    for member in tar:
        yield member, tar.extractfile(member)


def restore(path, manifest: dict, *, prune_media=False, log=None) -> Summary:
    """Rebuild the site from a verified archive (see `verify` and `check_migrations`)."""
    log = log or (lambda message: None)
    summary = Summary(Path(path))
    executor = MigrationExecutor(connection)
    check_migrations(manifest, executor.loader)
    started = clock.monotonic()
    _migrate_to(executor, manifest["migrations"])
    summary.seconds["schema"] = clock.monotonic() - started
    try:
        with _open(path) as tar:
            members = _members(tar)
            started = clock.monotonic()
            following = _restore_database(members, manifest, summary)
            summary.seconds["database"] = clock.monotonic() - started
            log(_("Database: %(rows)d rows in %(tables)d tables restored.") % vars(summary))

            executor.loader.build_graph()  # what the restored django_migrations says
            if executor.migration_plan(executor.loader.graph.leaf_nodes()):
                call_command("migrate", interactive=False, verbosity=0)  # archive from older code
            if manifest["vendor"] != connection.vendor:
                call_command("update_index", verbosity=0)  # the search index is per vendor

            started = clock.monotonic()
            pending = [following] if following else []
            _restore_media(
                (item for items in (pending, members) for item in items),
                manifest,
                summary,
                prune_media,
            )
            summary.seconds["media"] = clock.monotonic() - started
    except _UNREADABLE as error:  # verified a moment ago: the file changed under us
        raise ArchiveError(
            _("%(path)s could not be read during the restore: %(error)s")
            % {"path": path, "error": error}
        ) from error
    log(
        _("Media: %(files)d files written, %(kept_files)d unchanged, %(pruned_files)d removed.")
        % vars(summary)
    )
    for alias in settings.CACHES:
        caches[alias].clear()
    record(
        None,
        AuditEvent.Action.RESTORE,
        f"{summary.path.name} ({manifest['created_at']}, {manifest['vendor']}): "
        f"{summary.rows} rows, {summary.files + summary.kept_files} files",
        count=summary.rows,
    )
    return summary
