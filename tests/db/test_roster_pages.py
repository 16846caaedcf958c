"""The roster pages: scope, masking, the right to see in full, audit, exports, uploads."""

import io

import openpyxl
import pytest
from django.contrib.auth.models import Permission

from people import crypto
from people.models import RosterImport, WorkerProfile
from tests.factories import (
    activate_totp,
    data_events,
    make_admin,
    make_tree,
    make_user,
    make_worker,
)
from tests.unit.roster_files import xlsx_bytes

pytestmark = pytest.mark.django_db

ID_A = "11010519491231002X"


@pytest.fixture
def units():
    units = make_tree()
    for code, population in (("TD1S1C1", 5000), ("TD1S1C2", 15000)):
        units[code].population = population
        units[code].save()
    return units


@pytest.fixture
def workers(units):
    here = make_worker(units["TD1S1C1"], real_name="本街道甲", phone="13812345678")
    profile = here.worker_profile
    profile.id_number_encrypted = crypto.encrypt(ID_A)
    profile.id_number_hash = crypto.keyed_hash(ID_A)
    profile.save()
    make_worker(units["TD1S1C2"], real_name="本街道乙", phone="13812340000", position="secretary")
    make_worker(units["TD1S2C1"], real_name="隔壁街道丙", phone="13700000000")
    return here


def may_see_in_full(user):
    user.user_permissions.add(Permission.objects.get(codename="view_personal_data"))
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def street_client(client, units):
    admin = make_admin(units["TD1S1"])
    client.force_login(admin)
    client.admin = admin
    return client


def sheet_rows(response):
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def test_roster_shows_own_scope_masked(street_client, workers):
    text = street_client.get("/roster/").content.decode()
    assert "本街道甲" in text and "本街道乙" in text
    assert "隔壁街道丙" not in text
    assert "138****5678" in text and "13812345678" not in text
    assert "110105********002X" in text and ID_A not in text
    assert not data_events().exists()


def test_reveal_needs_the_right_and_is_audited(street_client, workers):
    # Without the right, asking to reveal still shows masked data.
    text = street_client.get("/roster/?reveal=1").content.decode()
    assert "13812345678" not in text
    assert not data_events().exists()

    street_client.force_login(may_see_in_full(street_client.admin))
    text = street_client.get("/roster/?reveal=1").content.decode()
    assert "13812345678" in text and ID_A in text
    event = data_events().get()
    assert (event.action, event.actor, event.count) == ("unmask", street_client.admin, 2)
    assert event.scope == "T第1区/T1区1街道"


def test_export_is_masked_by_default_and_always_audited(street_client, workers):
    response = street_client.get("/roster/export.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = sheet_rows(response)
    assert rows[0][:4] == ["姓名", "手机号", "身份证号", "所属社区"]
    assert sorted(r[0] for r in rows[1:]) == ["本街道乙", "本街道甲"]
    assert "138****5678" in {r[1] for r in rows}
    assert data_events().get().action == "export"

    # Asking for the full export without the right still gives the masked one.
    rows = sheet_rows(street_client.get("/roster/export.xlsx?reveal=1"))
    assert "13812345678" not in {r[1] for r in rows}


def test_full_export_can_be_imported_again_unchanged(
    street_client, workers, django_capture_on_commit_callbacks
):
    street_client.force_login(may_see_in_full(street_client.admin))
    content = street_client.get("/roster/export.xlsx?reveal=1").content
    with django_capture_on_commit_callbacks(execute=True):
        response = street_client.post("/roster/import/", {"file": _named(content, "export.xlsx")})
    job = RosterImport.objects.get()
    assert response.status_code == 302
    assert job.counts["unchanged"] == 2, job.errors or job.file_error


def _named(content, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_staffing_summary_per_10k(street_client, workers):
    text = street_client.get("/roster/staffing/").content.decode()
    assert "T1-1-1社区" in text
    rows = sheet_rows(street_client.get("/roster/staffing.xlsx"))
    by_unit = {r[0]: r for r in rows[1:]}
    street = by_unit["T第1区/T1区1街道"]
    # 2 workers over 20,000 residents rolled up from the communities: 1.0 per 10,000; 36 standard.
    assert street[2] == 2
    assert street[-3:] == [20000, 1.0, 36]
    assert by_unit["T第1区/T1区1街道/T1-1-1社区"][-2] == 2.0


def test_pages_need_an_admin_scope(client, units, workers):
    client.force_login(workers)  # a worker
    for path in ("/roster/", "/roster/export.xlsx", "/roster/import/", "/roster/template.xlsx"):
        assert client.get(path).status_code == 403, path
    client.logout()
    assert client.get("/roster/").status_code == 302


def test_an_import_is_visible_to_its_author_only(
    street_client, units, django_capture_on_commit_callbacks
):
    data = xlsx_bytes(
        [["姓名", "手机号", "所属社区", "岗位"], ["甲", "13800000001", "TD1S1C1", "网格员"]]
    )
    with django_capture_on_commit_callbacks(execute=True):
        street_client.post("/roster/import/", {"file": _named(data, "r.xlsx")})
    job = RosterImport.objects.get()
    page = street_client.get(f"/roster/import/{job.pk}/").content.decode()
    assert 'id="count-new">1<' in page
    other = make_admin(units["TD1S1"])
    street_client.force_login(other)
    assert street_client.get(f"/roster/import/{job.pk}/").status_code == 404
    assert street_client.post(f"/roster/import/{job.pk}/confirm/").status_code == 404


def test_upload_then_confirm_through_the_pages(
    street_client, units, django_capture_on_commit_callbacks
):
    data = xlsx_bytes(
        [["姓名", "手机号", "所属社区", "岗位"], ["甲", "13800000001", "TD1S1C1", "网格员"]]
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = street_client.post("/roster/import/", {"file": _named(data, "r.xlsx")})
    job = RosterImport.objects.get()
    status = street_client.get(f"/roster/import/{job.pk}/status/").json()
    assert status == {"status": "checked", "progress": 100, "running": False}
    with django_capture_on_commit_callbacks(execute=True):
        response = street_client.post(f"/roster/import/{job.pk}/confirm/")
    assert response.status_code == 302
    assert WorkerProfile.objects.filter(user__phone="13800000001").exists()
    job.refresh_from_db()
    assert job.status == "done"


def test_upload_form_refuses_empty_and_oversized_files(street_client, settings):
    response = street_client.post("/roster/import/", {"file": _named(b"", "r.xlsx")})
    assert response.status_code == 200
    assert not RosterImport.objects.exists()
    settings.ROSTER_MAX_MB = 0
    response = street_client.post("/roster/import/", {"file": _named(b"x" * 10, "r.xlsx")})
    assert response.status_code == 200
    assert not RosterImport.objects.exists()


def test_template_download_has_the_headers(street_client):
    rows = sheet_rows(street_client.get("/roster/template.xlsx"))
    assert rows[0] == ["姓名", "手机号", "身份证号", "所属社区", "岗位", "工号", "入职日期"]


def test_city_admin_needs_mfa_for_the_roster_too(client, units):
    admin = make_admin(units["T"])
    client.force_login(admin)
    assert client.get("/roster/")["Location"] == "/accounts/2fa/totp/activate/"
    activate_totp(admin)
    assert client.get("/roster/").status_code == 200


def test_a_user_without_roles_is_refused(client):
    client.force_login(make_user("无角色"))
    assert client.get("/roster/").status_code == 403
