"""Roster import end to end on the database: preview, confirm, all-or-nothing, scope, transfers."""

from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from people import crypto
from people.models import AuditEvent, Role, RosterImport, Transfer, User, WorkerProfile
from people.roster import importer, jobs
from people.roster.messages import describe_row_error
from people.scope import scope_of
from tests.factories import make_admin, make_tree, make_worker
from tests.unit.roster_files import csv_bytes, xls_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "手机号", "身份证号", "所属社区", "岗位", "工号", "入职日期"]
HOME = "T第1区/T1区1街道/T1-1-1社区"
NEIGHBOUR = "T第1区/T1区1街道/T1-1-2社区"
ELSEWHERE = "T第1区/T1区2街道/T1-2-1社区"  # a sibling street: outside the street admin's scope
ID_A = "11010519491231002X"
ID_B = "110105198001010016"


@pytest.fixture
def units():
    return make_tree()


@pytest.fixture
def street_admin(units):
    return make_admin(units["TD1S1"])


def roster(*rows, title_row=False):
    lines = [HEADER, *rows]
    if title_row:
        lines = [["T市T第1区社区工作者花名册"], *lines]
    return xlsx_bytes(lines, merges=("A1:G1",) if title_row else ())


def run(user, data, name="roster.xlsx", *, allow_transfer=False, unit=None, capture=None):
    """Upload and check, as the web page does; returns the import after its check task ran."""
    with capture(execute=True):
        job = jobs.start(user, name, data, unit=unit, allow_transfer=allow_transfer)
    job.refresh_from_db()
    return job


def confirm(job, capture):
    with capture(execute=True):
        assert jobs.confirm(job)
    job.refresh_from_db()
    return job


@pytest.fixture
def upload(street_admin, django_capture_on_commit_callbacks):
    def _upload(data, **kwargs):
        return run(street_admin, data, capture=django_capture_on_commit_callbacks, **kwargs)

    return _upload


@pytest.fixture
def confirmed(django_capture_on_commit_callbacks):
    return lambda job: confirm(job, django_capture_on_commit_callbacks)


def test_preview_counts_then_confirm_creates_workers(upload, confirmed, units):
    job = upload(
        roster(
            ["张晓梅", "+86 138-1234-5678", ID_A.lower(), HOME, "网格员", "HP-001", "2023年5月1日"],
            ["李 明", "13912345678", "", NEIGHBOUR, "书记", "", 45047],  # Excel serial date
            title_row=True,
        )
    )
    assert job.status == RosterImport.Status.CHECKED
    assert job.counts == {"new": 2, "updated": 0, "unchanged": 0, "invalid": 0, "errors": 0}
    assert job.can_confirm
    assert not User.objects.filter(phone="13812345678").exists()  # a preview writes nothing

    job = confirmed(job)
    assert job.status == RosterImport.Status.DONE
    assert job.file_encrypted in (b"", None) or bytes(job.file_encrypted) == b""
    zhang = WorkerProfile.objects.select_related("user", "community").get(user__phone="13812345678")
    assert zhang.user.real_name == "张晓梅"
    assert zhang.community == units["TD1S1C1"]
    assert zhang.position == "grid"
    assert zhang.start_date == date(2023, 5, 1)
    assert crypto.decrypt(zhang.id_number_encrypted) == ID_A
    li = WorkerProfile.objects.get(user__phone="13912345678")
    assert li.user.real_name == "李明"
    assert li.position == "secretary"
    assert li.start_date == date(2023, 5, 1)
    # Each new worker holds the worker role at their community, and cannot log in yet.
    assert Role.objects.filter(user=zhang.user, kind="worker", unit=units["TD1S1C1"]).exists()
    assert not zhang.user.has_usable_password()
    assert AuditEvent.objects.filter(action="import", count=2).exists()


def test_importing_the_same_file_twice_changes_nothing(upload, confirmed):
    data = roster(["张晓梅", "13812345678", ID_A, HOME, "网格员", "HP-001", "2023-05-01"])
    confirmed(upload(data))
    before = (
        list(WorkerProfile.objects.values()),
        list(User.objects.values("id", "real_name", "phone")),
    )
    again = upload(data)
    assert again.counts == {"new": 0, "updated": 0, "unchanged": 1, "invalid": 0, "errors": 0}
    confirmed(again)
    after = (
        list(WorkerProfile.objects.values()),
        list(User.objects.values("id", "real_name", "phone")),
    )
    assert after == before
    assert AuditEvent.objects.filter(action="import").count() == 1


def test_a_changed_row_is_an_update(upload, confirmed):
    confirmed(upload(roster(["张晓梅", "13812345678", "", HOME, "网格员", "", ""])))
    job = upload(roster(["张晓梅", "13812345678", "", NEIGHBOUR, "专职社区工作者", "HP-9", ""]))
    assert job.counts["updated"] == 1
    confirmed(job)
    profile = WorkerProfile.objects.get(user__phone="13812345678")
    assert (profile.community.code, profile.position, profile.worker_number) == (
        "TD1S1C2",
        "full_time",
        "HP-9",
    )
    # The worker role moved with the community: one role, at the new place.
    assert list(Role.objects.filter(user=profile.user).values_list("unit__code", flat=True)) == [
        "TD1S1C2"
    ]


def test_a_person_is_found_by_id_number_when_their_phone_changed(upload, confirmed):
    confirmed(upload(roster(["张晓梅", "13812345678", ID_A, HOME, "网格员", "", ""])))
    job = upload(roster(["张晓梅", "13700001111", ID_A, HOME, "网格员", "", ""]))
    assert job.counts["updated"] == 1 and job.counts["new"] == 0
    confirmed(job)
    assert User.objects.filter(phone="13700001111").count() == 1
    assert not User.objects.filter(phone="13812345678").exists()


def test_any_invalid_row_means_nothing_is_written(upload, confirmed):
    job = upload(
        roster(
            ["张晓梅", "13812345678", "", HOME, "网格员", "", ""],
            ["王五", "1381234", "", HOME, "网格员", "", ""],
            ["赵六", "13900000001", "110105194902300011", HOME, "厨师", "", "2023-02-30"],
        )
    )
    assert job.counts["invalid"] == 2
    assert not job.can_confirm
    assert not jobs.confirm(job)
    messages = [describe_row_error(e) for e in job.errors]
    text = "\n".join(messages)
    assert "第 3 行" in text and "手机号" in text
    assert "第 4 行" in text and "岗位" in text and "入职日期" in text and "身份证号" in text
    assert "110105194902300011" not in text  # ID numbers are masked even in messages
    assert User.objects.filter(phone="13812345678").count() == 0


def test_the_same_person_twice_in_a_file_is_refused(upload):
    job = upload(
        roster(
            ["张晓梅", "13812345678", "", HOME, "网格员", "", ""],
            ["张晓梅", "138 1234 5678", "", NEIGHBOUR, "网格员", "", ""],
        )
    )
    assert [e["code"] for e in job.errors] == ["duplicate_in_file"]
    assert "第 2 行" in describe_row_error(job.errors[0])


def test_units_outside_scope_or_unknown_are_refused(upload):
    job = upload(
        roster(
            ["甲", "13800000001", "", ELSEWHERE, "网格员", "", ""],
            ["乙", "13800000002", "", "T第1区/T1区1街道/不存在社区", "网格员", "", ""],
            ["丙", "13800000003", "", "TD1S1", "网格员", "", ""],  # a street, not a community
            ["丁", "13800000004", "", "td1s1c2", "网格员", "", ""],  # a code, any case: fine
        )
    )
    assert [e["code"] for e in job.errors] == [
        "unit_out_of_scope",
        "unknown_unit",
        "unit_not_community",
    ]
    assert job.counts["new"] == 1


def test_short_paths_work_when_unique_and_are_refused_when_ambiguous(upload, units):
    job = upload(roster(["甲", "13800000001", "", "T1-1-1社区", "网格员", "", ""]))
    assert job.counts["new"] == 1
    units["TD1S1"].add_child(code="DUP", name="T1-1-1社区", level="community")  # same name
    job = upload(roster(["甲", "13800000001", "", "T1-1-1社区", "网格员", "", ""]))
    assert [e["code"] for e in job.errors] == ["ambiguous_unit"]


def test_a_person_of_another_unit_needs_an_explicit_transfer(
    upload, confirmed, street_admin, units
):
    outsider = make_worker(units["TD1S2C1"], real_name="外街道", phone="13600000000")
    row = ["外街道", "13600000000", "", HOME, "网格员", "", ""]
    job = upload(roster(row))
    assert [e["code"] for e in job.errors] == ["person_outside_scope"]
    assert "T1-2-1社区" in describe_row_error(job.errors[0])

    job = confirmed(upload(roster(row), allow_transfer=True))
    assert job.status == RosterImport.Status.DONE
    outsider.worker_profile.refresh_from_db()
    assert outsider.worker_profile.community == units["TD1S1C1"]
    transfer = Transfer.objects.get(user=outsider)
    assert (transfer.from_unit.code, transfer.to_unit.code, transfer.by) == (
        "TD1S2C1",
        "TD1S1C1",
        street_admin,
    )
    assert AuditEvent.objects.filter(action="transfer").exists()


def test_phone_of_another_person_is_refused(upload, confirmed, units):
    confirmed(upload(roster(["张晓梅", "13812345678", ID_A, HOME, "网格员", "", ""])))
    confirmed(upload(roster(["李明", "13912345678", ID_B, HOME, "网格员", "", ""])))
    job = upload(roster(["李明", "13812345678", ID_B, HOME, "网格员", "", ""]))
    assert [e["code"] for e in job.errors] == ["phone_belongs_to_other"]


def test_import_narrowed_to_a_unit(upload, units):
    job = upload(
        roster(["甲", "13800000001", "", NEIGHBOUR, "网格员", "", ""]), unit=units["TD1S1C1"]
    )
    assert [e["code"] for e in job.errors] == ["unit_out_of_scope"]


def test_a_failure_while_writing_leaves_nothing_behind(upload, confirmed, monkeypatch):
    job = upload(roster(["张晓梅", "13812345678", "", HOME, "网格员", "", ""]))

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Role.objects, "bulk_create", broken)
    job = confirmed(job)
    assert job.status == RosterImport.Status.FAILED
    assert not User.objects.filter(phone="13812345678").exists()
    assert not WorkerProfile.objects.exists()


@pytest.mark.parametrize(
    "data, name",
    [
        (b"", "empty.xlsx"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "photo.xlsx"),
        (b"PK\x03\x04broken", "broken.xlsx"),
        (xlsx_bytes([["说明"], ["这不是花名册"]]), "notes.xlsx"),
        (xlsx_bytes([HEADER, ["甲", "=A1", "", HOME, "网格员", "", ""]]), "formula.xlsx"),
        (
            xlsx_bytes(
                [HEADER, ["甲", "13800000001", "", HOME, "网格员", "", ""]], merges=("A1:B1",)
            ),
            "merged.xlsx",
        ),
    ],
)
def test_bad_files_are_refused_with_a_message_and_change_nothing(upload, data, name):
    job = upload(data, name=name)
    assert job.status == RosterImport.Status.REJECTED
    assert job.file_error
    assert not job.can_confirm
    assert not WorkerProfile.objects.exists()


@pytest.mark.parametrize(
    "rows",
    [
        [HEADER],
        [HEADER, [""] * 7, ["  ", "", "", "", "", "", ""]],  # spaces are blank too
    ],
)
def test_the_template_uploaded_untouched_is_refused_in_words(upload, rows):
    from people.roster.messages import describe

    job = upload(xlsx_bytes(rows), name="花名册模板.xlsx")
    assert job.status == RosterImport.Status.REJECTED and not job.can_confirm
    assert job.file_error == describe("no_rows")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_every_encoding_excel_writes(upload, encoding):
    data = csv_bytes(
        [HEADER, ["张晓梅", "13812345678", ID_A, HOME, "网格员", "", "2023/5/1"]], encoding=encoding
    )
    job = upload(data, name="roster.csv")
    assert job.counts["new"] == 1, job.file_error or job.errors


def test_old_excel_files(upload):
    data = xls_bytes([HEADER, ["张晓梅", "13812345678", ID_A, HOME, "网格员", "", "2023.5.1"]])
    job = upload(data, name="roster.xls")
    assert job.counts["new"] == 1, job.file_error or job.errors


def test_id_numbers_are_encrypted_at_rest(upload, confirmed):
    confirmed(upload(roster(["张晓梅", "13812345678", ID_A, HOME, "网格员", "", ""])))
    stored = WorkerProfile.objects.values_list("id_number_encrypted", "id_number_hash").get()
    assert ID_A not in stored[0] and ID_A not in stored[1]
    assert stored[1] == crypto.keyed_hash(ID_A) != crypto.keyed_hash(ID_B)
    job = RosterImport.objects.get()
    assert ID_A.encode() not in bytes(job.file_encrypted or b"")


def test_command_refuses_a_file_with_errors_and_writes_nothing(tmp_path, units):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(
        roster(
            ["张晓梅", "13812345678", "", HOME, "网格员", "", ""],
            ["王五", "12345", "", HOME, "网格员", "", ""],
        )
    )
    with pytest.raises(CommandError) as excinfo:
        call_command("import_roster", str(path))
    assert "无效" in str(excinfo.value) or "invalid" in str(excinfo.value)
    assert not WorkerProfile.objects.exists()


def test_command_dry_run_then_import_with_unit(tmp_path, units, capsys):
    path = tmp_path / "ok.xlsx"
    path.write_bytes(roster(["张晓梅", "13812345678", "", HOME, "网格员", "", ""]))
    call_command("import_roster", str(path), "--dry-run", "--unit", "TD1S1")
    assert not WorkerProfile.objects.exists()
    call_command("import_roster", str(path), "--unit", "TD1S1")
    assert WorkerProfile.objects.count() == 1
    with pytest.raises(CommandError):
        call_command("import_roster", str(path), "--unit", "TD2")  # the community is outside TD2


def test_check_reports_progress(units):
    table = importer.read(roster(["张晓梅", "13812345678", "", HOME, "网格员", "", ""]), "r.xlsx")
    seen = []
    importer.check(table, scope=scope_of(make_admin(units["TD1"])), progress=seen.append)
    assert seen[-1] == 1.0
    assert seen == sorted(seen)
