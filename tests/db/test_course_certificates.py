"""Course-completion and yearly-hours certificates: issued once, stored in Chinese whatever
language the worker browses in, typeset as a Chinese PDF in the background, listed on the
holder's page, verifiable by code (masked name) and revocable by the issuer's admins."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from pypdf import PdfReader

from tests.factories import (
    activate_totp,
    make_admin,
    make_course,
    make_sections,
    make_tree,
    make_worker,
)
from training import certificates, course_certificates, hours, progress
from training.models import Certificate, Enrolment, HoursCategory, HoursRequirement

pytestmark = pytest.mark.django_db


def compact(text: str) -> str:
    # pypdf may put spaces or line breaks between CJK glyphs; compare without them.
    return re.sub(r"\s+", "", text)


def pdf_text(content: bytes) -> str:
    return compact("".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


def stored_pdf_text(certificate: Certificate) -> str:
    certificate.refresh_from_db()
    assert certificate.pdf, "the background task should have stored the PDF"
    with certificate.pdf.open("rb") as stored:
        return pdf_text(stored.read())


def chinese(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


@pytest.fixture
def world():
    units = make_tree()
    return units, make_sections(units)


@pytest.fixture
def worker(world):
    return make_worker(world[0]["TD1S1C1"], real_name="张晓梅")


def complete_course(worker, course, capture):
    with capture(execute=True):  # the PDF task runs once the transaction commits
        for lesson in course.lessons():
            progress.complete_lesson(worker, lesson)
    return Enrolment.objects.get(user=worker, course=course)


# ---------------------------------------------------------------------------------------
# Course completion
# ---------------------------------------------------------------------------------------


def test_completing_a_course_issues_one_certificate_with_a_chinese_pdf(
    world, worker, django_capture_on_commit_callbacks
):
    _, sections = world
    course = make_course(sections["TD1S1"], "社区治理实务", lessons=2, hours="3.5")
    first, second = course.lessons()
    with django_capture_on_commit_callbacks(execute=True):
        progress.complete_lesson(worker, first)
    assert not Certificate.objects.exists()  # half a course earns nothing
    enrolment = complete_course(worker, course, django_capture_on_commit_callbacks)

    certificate = Certificate.objects.get()
    assert certificate.kind == Certificate.Kind.COURSE
    assert certificate.holder == worker
    assert certificate.source == f"course:{enrolment.pk}"
    assert certificate.issuer == course.owner_unit
    assert certificate.issued_on == timezone.localdate(enrolment.completed_at)
    title, achievement = course_certificates.course_texts(course)
    assert (certificate.title, certificate.achievement) == (title, achievement)
    assert "社区治理实务" in certificate.achievement and "3.5" in certificate.achievement

    text = stored_pdf_text(certificate)
    heading = chinese("Certificate of Completion")
    assert "结业" in heading and heading in text
    assert "张晓梅" in text
    assert "社区治理实务" in text
    assert "3.5" in text
    assert certificate.code in text
    assert certificates.chinese_date(certificate.issued_on) in text
    assert "T1区1街道" in text  # the course's owner signs


def test_completing_again_issues_nothing_more(world, worker, django_capture_on_commit_callbacks):
    _, sections = world
    course = make_course(sections["TD1S1"], lessons=1)
    enrolment = complete_course(worker, course, django_capture_on_commit_callbacks)
    first = Certificate.objects.get()
    complete_course(worker, course, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        progress.refresh_completion(worker, course)
        again = course_certificates.issue_course_certificate(enrolment)
    assert again.pk == first.pk
    assert Certificate.objects.count() == 1
    other = make_course(sections["TD1S1"], "第二门课", lessons=1)
    complete_course(worker, other, django_capture_on_commit_callbacks)
    assert Certificate.objects.filter(kind=Certificate.Kind.COURSE).count() == 2


def test_texts_are_stored_in_the_sites_language_whatever_the_request_used(
    client, world, worker, monkeypatch, django_capture_on_commit_callbacks
):
    # Tag every text with the language active while it was composed.
    monkeypatch.setattr(
        course_certificates, "_", lambda text: f"[{translation.get_language()}]{text}"
    )
    _, sections = world
    course = make_course(sections["TD1S1"], "社区治理实务", lessons=1)
    client.force_login(worker)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/en/training/lessons/{course.lessons()[0].pk}/complete/")
    assert response.status_code == 302
    certificate = Certificate.objects.get()
    assert certificate.title.startswith("[zh-hans]")
    assert certificate.achievement.startswith("[zh-hans]")
    assert "社区治理实务" in certificate.achievement


def test_a_failing_certificate_never_undoes_the_completion(
    world, worker, monkeypatch, django_capture_on_commit_callbacks
):
    _, sections = world
    course = make_course(sections["TD1S1"], lessons=1)

    def broken(*args, **kwargs):
        raise RuntimeError("typesetter on fire")

    monkeypatch.setattr(certificates, "issue", broken)
    enrolment = complete_course(worker, course, django_capture_on_commit_callbacks)
    assert enrolment.completed_at is not None
    assert enrolment.hours_entry.hours == Decimal("4")
    assert not Certificate.objects.exists()
    monkeypatch.undo()
    # The holder's page issues what is missing.
    assert course_certificates.issue_missing_course_certificates(worker) == 1
    assert course_certificates.issue_missing_course_certificates(worker) == 0
    assert Certificate.objects.get().source == f"course:{enrolment.pk}"


# ---------------------------------------------------------------------------------------
# Yearly hours
# ---------------------------------------------------------------------------------------


@pytest.fixture
def requirement(world):
    units, _ = world
    return HoursRequirement.objects.create(
        owner_unit=units["T"],
        year=timezone.localdate().year,
        hours=Decimal("10"),
        min_offline_share=Decimal("0.3"),
    )


def credit(worker, amount, category, n):
    today = timezone.localdate()
    hours.credit(worker, Decimal(amount), today, category, source=f"test:{worker.pk}:{n}")


def test_hours_certificate_is_refused_below_the_requirement(worker, requirement):
    year = requirement.year
    credit(worker, "4", HoursCategory.ONLINE, 1)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        course_certificates.issue_hours_certificate(worker, year)
    message = " ".join(refused.value.messages)
    assert f"{year} hours requirement" in message
    assert "6 more hours" in message and "3 of them offline" in message
    credit(worker, "7", HoursCategory.ONLINE, 2)  # enough in all, but not offline
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        course_certificates.issue_hours_certificate(worker, year)
    assert "3 more must be earned offline" in " ".join(refused.value.messages)
    assert not Certificate.objects.exists()


def test_hours_certificate_needs_a_worker_a_requirement_and_a_year_begun(world, worker):
    units, _ = world
    year = timezone.localdate().year
    with translation.override("en"):
        with pytest.raises(ValidationError, match="No learning hours requirement"):
            course_certificates.issue_hours_certificate(worker, year)
        with pytest.raises(ValidationError, match="has not begun"):
            course_certificates.issue_hours_certificate(worker, year + 1)
        with pytest.raises(ValidationError, match="Choose the year"):
            course_certificates.issue_hours_certificate(worker, "last year")
        with pytest.raises(ValidationError, match="Only community workers"):
            course_certificates.issue_hours_certificate(make_admin(units["TD1S1"]), year)
    assert not Certificate.objects.exists()


def test_hours_certificate_is_issued_once_met_with_a_chinese_pdf(
    world, worker, requirement, django_capture_on_commit_callbacks
):
    units, _ = world
    year = requirement.year
    credit(worker, "8", HoursCategory.ONLINE, 1)
    credit(worker, "3.5", HoursCategory.OFFLINE, 2)
    assert hours.standing(worker, year).met
    with django_capture_on_commit_callbacks(execute=True):
        certificate = course_certificates.issue_hours_certificate(worker, year)
    assert certificate.kind == Certificate.Kind.HOURS
    assert certificate.source == f"hours:{worker.pk}:{year}"
    assert certificate.issuer == units["T"]  # the requirement's owner
    assert certificate.issued_on == timezone.localdate()
    standing = hours.standing(worker, year)
    assert (certificate.title, certificate.achievement) == course_certificates.hours_texts(
        year, standing
    )
    assert "11.5" in certificate.achievement and "3.5" in certificate.achievement

    text = stored_pdf_text(certificate)
    heading = chinese("Certificate of Learning Hours")
    assert "学时" in heading and heading in text
    assert "张晓梅" in text
    assert "11.5" in text and "3.5" in text and str(year) in text
    assert certificate.code in text
    assert certificates.chinese_date(certificate.issued_on) in text
    assert "T市" in text

    # Idempotent, even after more hours.
    credit(worker, "2", HoursCategory.ONLINE, 3)
    again = course_certificates.issue_hours_certificate(worker, year)
    assert again.pk == certificate.pk and again.achievement == certificate.achievement
    assert Certificate.objects.count() == 1


def test_past_year_hours_certificate(world, worker):
    units, _ = world
    year = timezone.localdate().year - 1
    HoursRequirement.objects.create(owner_unit=units["T"], year=year, hours=Decimal("2"))
    hours.credit(worker, Decimal("2"), date(year, 6, 1), HoursCategory.ONLINE, source="past:1")
    certificate = course_certificates.issue_hours_certificate(worker, year)
    assert certificate.source == f"hours:{worker.pk}:{year}"
    assert str(year) in certificate.title


# ---------------------------------------------------------------------------------------
# The holder's page
# ---------------------------------------------------------------------------------------


def test_holder_asks_for_the_hours_certificate_on_their_page(
    client, worker, requirement, django_capture_on_commit_callbacks
):
    year = requirement.year
    client.force_login(worker)
    credit(worker, "4", HoursCategory.OFFLINE, 1)
    page = client.get("/en/training/certificates/").content.decode()
    assert f'id="hours-{year}"' in page and "4 of 10 hours" in page
    assert "6 more hours are needed" in page
    refused = client.post("/en/training/certificates/", {"year": year})
    assert refused.status_code == 400
    assert 'id="certificate-error"' in refused.content.decode()
    assert "6 more hours are needed" in refused.content.decode()
    assert not Certificate.objects.exists()

    credit(worker, "6", HoursCategory.ONLINE, 2)
    page = client.get("/en/training/certificates/").content.decode()
    assert 'name="year"' in page and "Get the certificate" in page
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/en/training/certificates/", {"year": year})
    assert done.status_code == 302
    certificate = Certificate.objects.get(kind=Certificate.Kind.HOURS)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/en/training/certificates/", {"year": year})  # again: the same one
    assert Certificate.objects.count() == 1
    page = client.get("/en/training/certificates/").content.decode()
    assert "Certificate issued" in page
    assert f"/en/training/verify/{certificate.code}/" in page


def test_holder_page_lists_every_kind_with_pdf_state_and_revocation(
    client, world, worker, requirement, django_capture_on_commit_callbacks
):
    units, sections = world
    course = make_course(sections["TD1S1"], "社区治理实务", lessons=1)
    complete_course(worker, course, django_capture_on_commit_callbacks)
    course_certificate = Certificate.objects.get(kind=Certificate.Kind.COURSE)
    credit(worker, "10", HoursCategory.OFFLINE, 1)
    # Issued without running the queued task: its PDF is still being made.
    hours_certificate = course_certificates.issue_hours_certificate(worker, requirement.year)
    award = certificates.issue(
        worker,
        Certificate.Kind.AWARD,
        "青禾杯 · 一等奖",
        "荣获一等奖",
        units["TD1S1"],
        date(2026, 5, 1),
        "award:1:1",
    )
    certificates.revoke(award, make_admin(units["TD1S1"]), "成绩作废")

    client.force_login(worker)
    page = client.get("/en/training/certificates/").content.decode()
    for certificate in (course_certificate, hours_certificate, award):
        assert f'id="certificate-{certificate.code}"' in page
        assert f"/en/training/verify/{certificate.code}/" in page
    assert f"/en/training/certificates/{course_certificate.code}/download/" in page
    hours_item = page.split(f'id="certificate-{hours_certificate.code}"')[1].split("</li>")[0]
    assert "being prepared" in hours_item and "download" not in hours_item
    award_item = page.split(f'id="certificate-{award.code}"')[1].split("</li>")[0]
    assert "Revoked" in award_item and "成绩作废" in award_item
    assert "/download/" not in award_item
    # Other people's certificates are not listed.
    client.force_login(make_worker(units["TD1S1C2"], real_name="王五"))
    assert course_certificate.code not in client.get("/en/training/certificates/").content.decode()


# ---------------------------------------------------------------------------------------
# Verification and revocation
# ---------------------------------------------------------------------------------------


def test_verification_pages_of_both_kinds_and_revocation(
    client, world, worker, requirement, django_capture_on_commit_callbacks
):
    units, sections = world
    course = make_course(sections["TD1S1"], "社区治理实务", lessons=1)
    complete_course(worker, course, django_capture_on_commit_callbacks)
    course_certificate = Certificate.objects.get(kind=Certificate.Kind.COURSE)
    credit(worker, "10", HoursCategory.OFFLINE, 1)
    hours_certificate = course_certificates.issue_hours_certificate(worker, requirement.year)

    for certificate in (course_certificate, hours_certificate):
        response = client.get(f"/training/verify/{certificate.code}/")
        assert response.status_code == 200
        page = response.content.decode()
        assert "张*梅" in page and "张晓梅" not in page
        assert certificate.achievement in page
        assert certificates.unit_full_name(certificate.issuer) in page
        assert 'class="panel verdict-box"' in page
        assert "/revoke/" not in page  # nobody logged in

    # The street that owns the course revokes its certificate; another street may not.
    client.force_login(make_admin(units["TD1S2"]))
    assert (
        "/revoke/"
        not in client.get(f"/training/verify/{course_certificate.code}/").content.decode()
    )
    url = f"/training/certificates/{course_certificate.code}/revoke/"
    assert client.post(url, {"reason": "无权"}).status_code == 403
    client.force_login(make_admin(units["TD1S1"]))
    page = client.get(f"/training/verify/{course_certificate.code}/").content.decode()
    assert url in page
    assert client.post(url, {"reason": "学习记录造假"}).status_code == 302
    page = client.get(f"/en/training/verify/{course_certificate.code}/").content.decode()
    assert "verdict-box revoked" in page and "has been revoked" in page
    assert "学习记录造假" in page and url not in page

    # The hours certificate is the city's: a street admin cannot revoke it, the city's can.
    assert (
        client.post(
            f"/training/certificates/{hours_certificate.code}/revoke/", {"reason": "无权"}
        ).status_code
        == 403
    )
    city_admin = make_admin(units["T"])
    activate_totp(city_admin)
    client.force_login(city_admin)
    hours_url = f"/training/certificates/{hours_certificate.code}/revoke/"
    assert hours_url in client.get(f"/training/verify/{hours_certificate.code}/").content.decode()
    assert client.post(hours_url, {"reason": "线下学时记录有误"}).status_code == 302
    client.logout()
    page = client.get(f"/training/verify/{hours_certificate.code}/").content.decode()
    assert "verdict-box revoked" in page and "线下学时记录有误" in page
    hours_certificate.refresh_from_db()
    assert hours_certificate.revoked_by == city_admin


def test_unknown_code_is_a_404_with_a_message(client):
    response = client.get("/en/training/verify/ZZZZ2222ZZZZ/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "No certificate has this code" in page and "ZZZZ2222ZZZZ" in page
