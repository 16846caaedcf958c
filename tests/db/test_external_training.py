"""Outside training: declared with a checked proof, decided once by the worker's street."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.factories import activate_totp, make_admin, make_tree, make_user, make_worker
from training import external, hours
from training.models import ExternalTraining, HoursCategory, HoursEntry

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
URL = "/en/training/hours/external/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def units():
    return make_tree()


@pytest.fixture
def worker(units):
    return make_worker(units["TD1S1C1"], real_name="王芳")


def form_data(proof, **overrides):
    end = timezone.localdate() - timedelta(days=10)
    data = {
        "title": "社区心理援助培训",
        "organiser": "市社会工作协会",
        "start_date": (end - timedelta(days=1)).isoformat(),
        "end_date": end.isoformat(),
        "hours": "8",
        "proof": proof,
    }
    data.update(overrides)
    return data


def declare(worker, content=PDF, name="结业证书.pdf", **overrides):
    end = timezone.localdate() - timedelta(days=10)
    fields = {
        "title": "社区心理援助培训",
        "organiser": "市社会工作协会",
        "start_date": end - timedelta(days=1),
        "end_date": end,
        "hours": Decimal(8),
        "proof": SimpleUploadedFile(name, content),
    }
    fields.update(overrides)
    return external.declare(worker, **fields)


# --- Declaring ------------------------------------------------------------------------------


def test_a_worker_declares_with_a_pdf_kept_under_a_random_name(client, worker):
    client.force_login(worker)
    assert client.get(f"{URL}new/").status_code == 200
    response = client.post(f"{URL}new/", form_data(SimpleUploadedFile("王芳-结业证书.pdf", PDF)))
    assert response.status_code == 302 and response["Location"] == URL
    declaration = ExternalTraining.objects.get()
    assert declaration.user == worker and declaration.status == "pending"
    assert declaration.hours == Decimal(8)
    assert re.fullmatch(r"external-proofs/\d{4}/[0-9a-f]{32}\.pdf", declaration.proof.name)
    assert "王芳" not in declaration.proof.name
    with declaration.proof.open("rb") as stored:
        assert stored.read() == PDF
    text = client.get(URL).content.decode()
    assert "社区心理援助培训" in text and "Awaiting approval" in text


@pytest.mark.parametrize(("content", "extension"), [(JPEG, ".jpg"), (PNG, ".png")])
def test_photos_are_accepted_and_named_by_their_content(worker, content, extension):
    declaration = declare(worker, content, name="photo.pdf")
    assert declaration.proof.name.endswith(extension)


def test_a_program_renamed_pdf_is_refused_and_nothing_saved(client, worker, tmp_path):
    client.force_login(worker)
    response = client.post(f"{URL}new/", form_data(SimpleUploadedFile("证书.pdf", EXE)))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["proof"]
    assert "must be a PDF or a photo" in errors["proof"][0] and "证书.pdf" in errors["proof"][0]
    assert 'id="error-proof"' in response.content.decode()
    assert not ExternalTraining.objects.exists()
    assert not any(tmp_path.rglob("*.*"))
    with pytest.raises(ValidationError) as error:
        declare(worker, EXE, name="证书.pdf")
    assert "proof" in error.value.message_dict
    assert not ExternalTraining.objects.exists()


def test_a_proof_over_ten_megabytes_is_refused(client, worker):
    client.force_login(worker)
    big = PDF + b"0" * (external.MAX_PROOF_BYTES + 1 - len(PDF))
    response = client.post(f"{URL}new/", form_data(SimpleUploadedFile("big.pdf", big)))
    errors = response.context["form"].errors
    assert list(errors) == ["proof"] and "larger than 10 MB" in errors["proof"][0]
    assert not ExternalTraining.objects.exists()
    # Exactly the limit is fine.
    declare(worker, big[:-1])
    assert ExternalTraining.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"proof": ""}, "proof"),
        ({"title": ""}, "title"),
        ({"hours": "0"}, "hours"),
        ({"hours": "100"}, "hours"),  # more than 24 h a day over two days
        ({"start_date": "2020-02-02", "end_date": "2020-02-01"}, "end_date"),
        ({"end_date": (timezone.localdate() + timedelta(days=30)).isoformat()}, "end_date"),
        ({"start_date": "not a date"}, "start_date"),
    ],
)
def test_bad_declarations_name_the_field(client, worker, overrides, field):
    client.force_login(worker)
    data = {**form_data(SimpleUploadedFile("c.pdf", PDF)), **overrides}
    response = client.post(f"{URL}new/", data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not ExternalTraining.objects.exists()


def test_someone_who_is_not_a_worker_cannot_declare(client):
    someone = make_user("访客")
    client.force_login(someone)
    response = client.post(f"{URL}new/", form_data(SimpleUploadedFile("c.pdf", PDF)))
    assert response.status_code == 200 and "not registered as one" in response.content.decode()
    assert not ExternalTraining.objects.exists()
    with pytest.raises(ValidationError):
        declare(someone)


# --- Deciding -------------------------------------------------------------------------------


def test_the_street_approves_and_the_hours_are_credited_once(client, units, worker):
    declaration = declare(worker)
    street_admin = make_admin(units["TD1S1"])
    client.force_login(street_admin)
    review = client.get(f"{URL}review/").content.decode()
    assert f'id="declaration-{declaration.pk}"' in review and "王芳" in review
    response = client.post(f"{URL}{declaration.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "Approved: 8.0 hours credited to 王芳." in response.content.decode()
    declaration.refresh_from_db()
    assert declaration.status == "approved" and declaration.decided_by == street_admin
    assert declaration.decided_at is not None
    entry = HoursEntry.objects.get(user=worker)
    assert entry.source == f"external:{declaration.pk}"
    assert entry.category == HoursCategory.EXTERNAL and entry.hours == Decimal(8)
    assert entry.earned_on == declaration.end_date and entry.note == "社区心理援助培训"
    assert entry.created_by == street_admin
    # A second approval, or a rejection afterwards, changes nothing.
    again = client.post(f"{URL}{declaration.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "already been decided" in again.content.decode()
    client.post(f"{URL}{declaration.pk}/decide/", {"decision": "reject", "reason": "晚了"})
    declaration.refresh_from_db()
    assert declaration.status == "approved" and declaration.reason == ""
    assert HoursEntry.objects.filter(user=worker).count() == 1
    with pytest.raises(ValidationError):
        external.approve(declaration, street_admin)
    assert hours.standing(worker, declaration.end_date.year).by_category == {"external": Decimal(8)}
    assert f'id="declaration-{declaration.pk}"' not in client.get(f"{URL}review/").content.decode()


def test_rejection_needs_a_reason_and_the_worker_sees_it(client, units, worker):
    declaration = declare(worker)
    street_admin = make_admin(units["TD1S1"])
    client.force_login(street_admin)
    response = client.post(
        f"{URL}{declaration.pk}/decide/", {"decision": "reject", "reason": "  "}, follow=True
    )
    assert "Say why the declaration is rejected." in response.content.decode()
    declaration.refresh_from_db()
    assert declaration.status == "pending"
    client.post(f"{URL}{declaration.pk}/decide/", {"decision": "reject", "reason": "证明未盖章"})
    declaration.refresh_from_db()
    assert (declaration.status, declaration.reason) == ("rejected", "证明未盖章")
    client.post(f"{URL}{declaration.pk}/decide/", {"decision": "approve"})
    declaration.refresh_from_db()
    assert declaration.status == "rejected"
    assert not HoursEntry.objects.exists()
    client.force_login(worker)
    text = client.get(URL).content.decode()
    assert "Rejected: 证明未盖章" in text


def test_an_admin_outside_the_workers_street_is_refused(client, units, worker):
    declaration = declare(worker)
    other_street = make_admin(units["TD1S2"])
    client.force_login(other_street)
    assert f'id="declaration-{declaration.pk}"' not in client.get(f"{URL}review/").content.decode()
    response = client.post(f"{URL}{declaration.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        external.approve(declaration, other_street)
    with pytest.raises(PermissionDenied):
        external.reject(declaration, other_street, "不行")
    client.force_login(make_worker(units["TD1S1C2"]))
    assert client.post(f"{URL}{declaration.pk}/decide/", {"decision": "approve"}).status_code == 403
    assert client.get(f"{URL}review/").status_code == 403
    declaration.refresh_from_db()
    assert declaration.status == "pending" and not HoursEntry.objects.exists()


def test_a_district_admin_above_the_street_may_decide(client, units, worker):
    declaration = declare(worker)
    district_admin = make_admin(units["TD1"])
    activate_totp(district_admin)
    client.force_login(district_admin)
    client.post(f"{URL}{declaration.pk}/decide/", {"decision": "approve"})
    declaration.refresh_from_db()
    assert declaration.status == "approved"


# --- The proof ------------------------------------------------------------------------------


def test_the_proof_is_served_only_to_the_worker_and_their_admins(client, units, worker):
    declaration = declare(worker)
    proof_url = f"{URL}{declaration.pk}/proof/"
    assert client.get(proof_url).status_code == 302  # to the login page
    client.force_login(worker)
    response = client.get(proof_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="proof-{declaration.pk}.pdf"' in response["Content-Disposition"]
    client.force_login(make_admin(units["TD1S1"]))
    assert client.get(proof_url).status_code == 200
    for outsider in (
        make_admin(units["TD1S2"]),
        make_worker(units["TD1S1C1"], real_name="同社区"),
        make_user("访客"),
    ):
        client.force_login(outsider)
        assert client.get(proof_url).status_code == 404


def test_a_photo_proof_is_shown_inline_as_an_image(client, worker):
    declaration = declare(worker, PNG, name="scan.png")
    client.force_login(worker)
    response = client.get(f"{URL}{declaration.pk}/proof/")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
