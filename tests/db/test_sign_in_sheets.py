"""The paper sign-in sheet: the template, and the all-or-nothing import of the filled-in file."""

import io
from datetime import datetime, time, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from people.models import AuditEvent, Role
from tests.factories import data_events, give_role, make_tree, make_user, make_worker
from training import sessions, sign_in_sheets
from training.models import Attendance, HoursEntry, SessionSignup, TrainingBase, TrainingSession

pytestmark = pytest.mark.django_db

HEADER = ["序号", "姓名", "手机号", "签到时间", "签退时间"]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def units():
    return make_tree()


@pytest.fixture
def trainer(units):
    user = make_user("李讲师")
    give_role(user, units["TD1"], Role.Kind.TRAINER)
    return user


@pytest.fixture
def session(units, trainer):
    base = TrainingBase.objects.create(
        unit=units["TD1S1"],
        name="东关实训基地",
        address="东关大街1号",
        capacity=30,
        contact_name="王主任",
        contact_phone="0971-8123456",
    )
    # Yesterday 09:00–11:00 local time.
    day = timezone.localdate() - timedelta(days=1)
    starts_at = timezone.make_aware(datetime.combine(day, time(9, 0)))
    return TrainingSession.objects.create(
        base=base,
        trainer=trainer,
        title="社区议事协商实训",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        capacity=10,
        hours=Decimal("2"),
        min_presence_share=Decimal("0.8"),
    )


@pytest.fixture
def people(units, session):
    found = []
    for n, phone in enumerate(("13700000001", "13700000002", "13700000003")):
        user = make_worker(units["TD1S1C1"], real_name=f"社工{n}", phone=phone)
        SessionSignup.objects.create(
            session=session,
            user=user,
            status=SessionSignup.Status.CONFIRMED,
            signed_up_at=timezone.now(),
        )
        found.append(user)
    return found


def workbook(rows, header=HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["社区议事协商实训 签到表"])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def day_of(session):
    return timezone.localtime(session.starts_at).date()


def test_template_lists_those_signed_up_and_is_audited(session, people, trainer):
    data = sign_in_sheets.template_workbook(session, trainer)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[3][:5] == ("序号", "姓名", "手机号", "签到时间", "签退时间")
    assert [r[1:3] for r in rows[4:]] == [(p.real_name, p.phone) for p in people]
    event = data_events().get()
    assert event.action == AuditEvent.Action.EXPORT and event.count == 3


def test_the_downloaded_template_filled_in_imports(session, people, trainer):
    sheet = openpyxl.load_workbook(io.BytesIO(sign_in_sheets.template_workbook(session, trainer)))
    rows = sheet.active
    rows["D5"], rows["E5"] = time(8, 55), time(11, 0)  # as Excel stores typed times
    rows["D6"], rows["E6"] = "9:10", "10:20"  # typed as text; 70 minutes, not enough
    buffer = io.BytesIO()
    sheet.save(buffer)
    result = sign_in_sheets.import_sheet(session, buffer.getvalue(), "签到表.xlsx", by=trainer)
    assert result.ok, [e.message for e in result.errors]
    assert (result.imported, result.credited) == (2, 1)
    first = Attendance.objects.get(user=people[0])
    assert first.source == Attendance.Source.PAPER
    assert timezone.localtime(first.checked_in_at).time() == time(8, 55)
    assert timezone.localtime(first.checked_in_at).date() == day_of(session)
    assert HoursEntry.objects.get().user == people[0]
    assert not Attendance.objects.filter(user=people[2]).exists()  # left blank: not there


def test_good_file_credits_and_accepts_every_time_form(session, people, trainer):
    day = day_of(session)
    data = workbook(
        [
            [1, "社工0", "137 0000 0001", "08:58", "11:01"],
            [2, "社工1", "+86 137-0000-0002", f"{day:%Y-%m-%d} 09:00", f"{day:%Y/%m/%d} 11:00"],
            [3, "社工2", "13700000003", datetime.combine(day, time(9, 5)), "10:55"],
        ]
    )
    result = sign_in_sheets.import_sheet(session, data, "sheet.xlsx", by=trainer)
    assert result.ok, [e.message for e in result.errors]
    assert result.credited == 3
    assert HoursEntry.objects.count() == 3
    assert {e.source for e in HoursEntry.objects.all()} == {
        f"attendance:{a.pk}" for a in Attendance.objects.all()
    }
    # Importing the same file again changes the times, not the hours.
    again = sign_in_sheets.import_sheet(session, data, "sheet.xlsx", by=trainer)
    assert again.ok and HoursEntry.objects.count() == 3


def test_csv_is_read_too(session, people, trainer):
    data = "手机号,签到时间,签退时间\n13700000001,9:00,11:00\n".encode()
    result = sign_in_sheets.import_sheet(session, data, "sheet.csv", by=trainer)
    assert result.ok and result.credited == 1


def test_bad_rows_are_listed_by_number_and_nothing_is_saved(units, session, people, trainer):
    stranger = make_worker(units["TD1S1C2"], real_name="未报名", phone="13700000009")
    more = []
    for n in range(3, 7):
        user = make_worker(units["TD1S1C1"], real_name=f"社工{n}", phone=f"137000000{n + 10}")
        SessionSignup.objects.create(
            session=session,
            user=user,
            status=SessionSignup.Status.WAITING,
            signed_up_at=timezone.now(),
        )
        more.append(user)
    data = workbook(
        [
            [1, "社工0", "13700000001", "09:00", "11:00"],  # fine on its own
            [2, "无名", "13800000000", "09:00", "11:00"],  # nobody has this mobile
            [3, "未报名", stranger.phone, "09:00", "11:00"],  # not signed up
            [4, "社工1", "13700000002", "九点", "11:00"],  # not a time
            [5, "社工2", "13700000003", "11:00", "09:00"],  # out before in
            [6, "社工0", "13700000001", "09:00", "11:00"],  # the same person again
            [7, "社工3", "", "09:00", "11:00"],  # no mobile
            [8, "社工4", more[1].phone, "2020-01-01 09:00", ""],  # another day
            [9, "社工5", more[2].phone, "", "11:00"],  # out without in
            [10, "社工6", more[3].phone, "25:00", ""],  # impossible time
        ]
    )
    result = sign_in_sheets.import_sheet(session, data, "sheet.xlsx", by=trainer)
    messages = [e.message for e in result.errors]
    expected = [
        (4, "nobody has the mobile number “13800000000”"),
        (5, "未报名 has not signed up"),
        (6, "“九点” is not a time"),
        (7, "the check-out time is before the check-in time"),
        (8, "社工0 already appears in row 3"),
        (9, "the mobile number is required"),
        (10, "“2020-01-01 09:00” is not on the day of the session"),
        (11, "a check-out time needs a check-in time"),
        (12, "“25:00” is not a time"),
    ]
    assert len(messages) == len(expected), messages
    for (row, words), message in zip(expected, messages, strict=True):
        assert message.startswith(f"Row {row}"), message
        assert words in message, message
    assert not Attendance.objects.exists() and not HoursEntry.objects.exists()
    assert not data_events().exists()


def test_files_that_are_not_sheets_say_so(session, people, trainer):
    result = sign_in_sheets.import_sheet(session, b"%PDF-1.4 nothing", "sheet.xlsx", by=trainer)
    assert not result.ok and "not a spreadsheet" in result.errors[0].message
    wrong = sign_in_sheets.import_sheet(
        session, workbook([], header=["姓名", "手机号"]), "a.xlsx", by=trainer
    )
    assert not wrong.ok and "签到时间" in wrong.errors[0].message
    empty = sign_in_sheets.import_sheet(
        session, workbook([[1, "社工0", "13700000001", None, None]]), "a.xlsx", by=trainer
    )
    assert not empty.ok and "no times" in empty.errors[0].message


def test_paper_page_imports_or_lists_problems(client, session, people, trainer):
    client.force_login(trainer)
    url = f"/en/training/sessions/{session.pk}/paper/"
    template = client.get(f"{url}template.xlsx")
    assert template.status_code == 200 and template["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    bad = workbook([[1, "社工0", "13700000001", "9点", "11:00"]])
    response = client.post(url, {"file": SimpleUploadedFile("s.xlsx", bad)})
    assert response.status_code == 400 and "Row 3" in response.content.decode()
    good = workbook([[1, "社工0", "13700000001", "9:00", "11:00"]])
    response = client.post(url, {"file": SimpleUploadedFile("s.xlsx", good)}, follow=True)
    assert "1 rows imported" in response.content.decode()
    assert sessions.is_credited(Attendance.objects.get())
