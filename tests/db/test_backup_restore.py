"""Backup and restore (issue 10 part 5): a populated site goes into an archive, gets damaged, and
comes back from the archive identical in every table and every media file, and works."""

import io
import json
import tarfile
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone, translation

from cms import backup
from competitions.models import ScoreSheet
from people import audit
from people.crypto import encrypt, keyed_hash
from people.models import AuditEvent, OrgUnit, Role, User, WorkerProfile
from tests.db.test_booklets import make_image
from tests.db.test_casebook import make_case
from tests.factories import (
    PASSWORD,
    make_admin,
    make_appearance,
    make_competition,
    make_course,
    make_entry,
    make_plan,
    make_sections,
    make_stage,
    make_training_session,
    make_tree,
    make_user,
    make_worker,
)
from training.models import PlanItem

# Serialized like every other transactional test: the restore commits for real.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

AUDIT_TABLES = {"people_auditevent", "people_auditchain"}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def site(media, client):
    """People, training, a contest with a score, a case with an image, a video document, an
    encrypted ID number, audit entries and a logged-in session."""
    units = make_tree("B")
    sections = make_sections(units)
    admin = make_admin(units["B"])
    trainer = make_user("讲师")
    worker = make_worker(units["BD1S1C1"], real_name="李静", username="lijing")
    WorkerProfile.objects.filter(user=worker).update(
        id_number_encrypted=encrypt("11010519491231002X"),
        id_number_hash=keyed_hash("11010519491231002X"),
    )
    course = make_course(sections["BD1"], video_seconds=90)  # a document in MEDIA_ROOT
    make_plan(units["B"], [course])
    make_training_session(
        units["BD1S1"], trainer, starts_at=datetime(2026, 3, 2, 1, 30, 15, 123456, tzinfo=UTC)
    )
    judge = make_user("评委")
    competition = make_competition(units["B"], chief_judge=admin)
    stage = make_stage(competition.rounds.get())
    appearance = make_appearance(stage, make_entry(competition, worker), judges=[judge])
    ScoreSheet.objects.create(
        appearance=appearance,
        judge=judge,
        status=ScoreSheet.Status.SUBMITTED,
        values={"listen": "8.5", "policy": "9", "solve": "15"},
        total=Decimal("32.50"),
        submission_id=uuid.uuid4(),
        submitted_at=timezone.now(),
    )
    case = make_case(sections["BD1S1"], media=[("image", make_image())])
    audit.record(admin, AuditEvent.Action.EXPORT, "花名册", count=3)
    client.force_login(worker)  # a row in django_session
    return {"case": case, "worker": worker}


def table_rows():
    """Every row of every table, by primary key, through raw SQL."""
    _virtual, shadow = backup._sqlite_virtual_and_shadow()
    qn = connection.ops.quote_name
    tables = {}
    with connection.cursor() as cursor:
        for name in connection.introspection.table_names():
            if name in shadow:  # FTS5's internal segments: compared through the virtual table
                continue
            pk = connection.introspection.get_primary_key_column(cursor, name)
            cursor.execute(f"SELECT * FROM {qn(name)}")
            rows = [
                tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                for row in cursor.fetchall()
            ]
            columns = [c[0] for c in cursor.description]
            if pk in columns:
                position = columns.index(pk)
                tables[name] = sorted(rows, key=lambda row: row[position])  # noqa: B023
            else:
                tables[name] = sorted(rows, key=repr)
    return tables


def media_files(root: Path):
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_damaged_site_comes_back_identical_and_working(site, media, client, tmp_path):
    archive = tmp_path / "site.tar.gz"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    before, files = table_rows(), media_files(media)
    assert before["people_workerprofile"] and before["django_session"] and len(files) >= 2
    assert oct(archive.stat().st_mode & 0o777) == "0o600"

    # Damage: rows deleted in several tables, rows changed, a file added and a file removed.
    Role.objects.filter(user__username="lijing").delete()
    PlanItem.objects.all().delete()
    ScoreSheet.objects.all().delete()
    User.objects.filter(username="lijing").update(real_name="改名", password="x")
    OrgUnit.objects.filter(code="BD1").update(name="被改的区")
    audit.record(None, AuditEvent.Action.EXPORT, "restore 之前")
    (media / "stray.txt").write_bytes(b"not in the archive")
    image_file = next(name for name in files if name.startswith("original_images/"))
    (media / image_file).unlink()
    assert table_rows() != before

    call_command("restore", str(archive), yes=True, prune_media=True, stdout=io.StringIO())

    after = table_rows()
    assert after.keys() == before.keys()
    for name in before.keys() - AUDIT_TABLES:
        assert after[name] == before[name], name
    assert media_files(media) == files
    # The log is the archive's, verbatim, plus the restore appended to its chain.
    assert after["people_auditevent"][:-1] == before["people_auditevent"]
    last = AuditEvent.objects.order_by("-id").first()
    manifest = backup.verify(archive)
    assert {name: len(before[name]) for name in manifest["tables"]} == {
        name: table["rows"] for name, table in manifest["tables"].items()
    }
    archived_rows = sum(table["rows"] for table in manifest["tables"].values())
    assert (last.action, last.count) == (AuditEvent.Action.RESTORE, archived_rows)
    assert [e.action for e in AuditEvent.objects.order_by("-id")[:2]][1] == "backup"
    assert audit.verify() == []

    # The site works: pages answer and a restored password logs in.
    client.logout()
    assert client.get("/").status_code == 200
    assert client.get(site["case"].url).status_code == 200
    assert client.login(username="lijing", password=PASSWORD)


def repack(source: Path, target: Path, change):
    """Copy an archive member by member; `change(name, data)` may return new bytes."""
    with tarfile.open(source, "r:gz") as old, tarfile.open(target, "w:gz") as new:
        for member in old:
            data = change(member.name, old.extractfile(member).read())
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))


def test_bad_archives_and_unconfirmed_restores_change_nothing(site, media, tmp_path, monkeypatch):
    archive = tmp_path / "site.tar.gz"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    before, files = table_rows(), media_files(media)

    tampered = tmp_path / "tampered.tar.gz"
    repack(
        archive,
        tampered,
        lambda name, data: (
            data.replace("李静".encode(), "王五".encode())
            if name == "db/people_user.jsonl"
            else data
        ),
    )
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])

    def future(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["migrations"].append("people.9999_from_the_future")
        return json.dumps(manifest).encode()

    newer = tmp_path / "newer.tar.gz"
    repack(archive, newer, future)

    expected = {
        tampered: [
            "damaged: 1 members do not match the checksums in its manifest (db/people_user.jsonl)"
        ],
        # Cut at a member's edge, the stream just ends early; inside one, gzip or tar complain.
        truncated: ["is incomplete or not a backup archive", "is not a readable backup archive"],
        newer: ["migrations are unknown here: people.9999_from_the_future"],
    }
    for path, messages in expected.items():
        with translation.override("en"), pytest.raises(CommandError) as refused:
            call_command("restore", str(path), yes=True, prune_media=True, stdout=io.StringIO())
        assert any(message in str(refused.value) for message in messages), refused.value
        assert "Nothing was changed" in str(refused.value)
    assert table_rows() == before
    assert media_files(media) == files

    # A good archive, but the operator does not confirm: nothing changes either.
    User.objects.filter(username="lijing").update(real_name="改名")
    before = table_rows()
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with translation.override("en"), pytest.raises(CommandError, match="Restore cancelled"):
        call_command("restore", str(archive), stdout=io.StringIO())
    assert table_rows() == before
    monkeypatch.setattr("builtins.input", lambda prompt: "壮马")  # the site's name confirms
    call_command("restore", str(archive), stdout=io.StringIO())
    assert User.objects.get(username="lijing").real_name == "李静"


@pytest.mark.django_db
def test_values_keep_their_exact_form_across_vendors():
    """What each vendor's driver returns becomes one neutral form, and back."""
    naive_utc = datetime(2026, 3, 2, 1, 30, 15, 123456)  # how SQLite hands back a datetime
    assert backup.encode("datetime", naive_utc) == "2026-03-02T01:30:15.123456+00:00"
    assert backup.encode("decimal:2", 8.5) == "8.50"  # SQLite keeps decimals as floats
    assert backup.encode("decimal:2", Decimal("32.50")) == "32.50"
    assert backup.encode("bytes", memoryview(b"\x00\xff")) == "AP8="
    assert backup.encode("plain", b"\x01") == {"$b64": "AQ=="}
    assert backup.decode("plain", {"$b64": "AQ=="}) == b"\x01"
    assert backup.decode("bytes", "AP8=") == b"\x00\xff"
    assert backup.decode("json", '{"a": null}') == '{"a": null}'
    assert backup.encode("plain", None) is None and backup.decode("datetime", None) is None
