"""Uploads of the wrong type, over the size limit, or whose content is not what the name says,
are refused with a message naming the file, at every door."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from wagtail.documents import get_document_model
from wagtail.documents.forms import get_document_form

from people.models import RosterImport
from tests.db.test_exams import trainer_of
from tests.factories import (
    activate_totp,
    give_role,
    make_admin,
    make_sections,
    make_training_session,
    make_tree,
    make_user,
)
from tests.unit.roster_files import csv_bytes, png_bytes, xlsx_bytes, zip_bytes
from training.models import Question

pytestmark = pytest.mark.django_db


def form_for(upload, user):
    form_class = get_document_form(get_document_model())
    return form_class(data={"title": "附件"}, files={"file": upload}, user=user)


def test_a_pdf_attachment_is_accepted(admin_user):
    form = form_for(SimpleUploadedFile("方案.pdf", b"%PDF-1.4 test"), admin_user)
    assert form.is_valid(), form.errors


def test_a_program_is_refused_by_type(admin_user):
    form = form_for(SimpleUploadedFile("setup.exe", b"MZ"), admin_user)
    assert not form.is_valid()
    assert "file" in form.errors


def test_a_file_over_the_limit_is_refused_with_the_limit_named(admin_user, settings):
    settings.DOCUMENT_MAX_MB = 0
    form = form_for(SimpleUploadedFile("方案.pdf", b"%PDF-1.4 test"), admin_user)
    assert not form.is_valid()
    assert "0 MB" in str(form.errors["file"])


# --------------------------------------------------------------------------------------
# Content, not only the name: a program renamed .pdf or .xlsx is refused at every door
# --------------------------------------------------------------------------------------

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 500
MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 500


def refused_as_renamed(errors, name: str) -> bool:
    text = str(errors)
    # Admin pages speak the editor's language: Chinese here unless the test chose /en/.
    return name in text and ("not really a" in text or "并不是真正的" in text)


@pytest.mark.parametrize(
    "name", ["方案.pdf", "课程视频.mp4", "讲义.docx", "花名册.xlsx", "通知.doc"]
)
def test_a_renamed_program_is_refused_as_a_document(admin_user, name):
    with translation.override("en"):
        form = form_for(SimpleUploadedFile(name, EXE), admin_user)
        assert not form.is_valid()
        assert refused_as_renamed(form.errors["file"], name)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("方案.pdf", b"%PDF-1.7\n1 0 obj\n"),
        ("课程视频.mp4", MP4),
        ("讲义.docx", zip_bytes({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<x/>"})),
        ("花名册.xlsx", xlsx_bytes([["姓名", "手机号"]])),
        ("说明.txt", "第一行\n第二行\n".encode("gb18030")),
    ],
)
def test_real_documents_pass(admin_user, name, content):
    form = form_for(SimpleUploadedFile(name, content), admin_user)
    assert form.is_valid(), form.errors


def test_the_admin_upload_page_refuses_a_renamed_program(client, admin_user):
    from wagtail.documents.models import Document

    activate_totp(admin_user)
    client.force_login(admin_user)
    url = reverse("wagtaildocs:add_multiple")
    response = client.post(url, {"files[]": SimpleUploadedFile("setup.pdf", EXE)})
    assert response.status_code == 200
    assert response.json()["success"] is False and "setup.pdf" in str(response.json())
    assert not Document.objects.exists()
    response = client.post(url, {"files[]": SimpleUploadedFile("方案.pdf", b"%PDF-1.4 test")})
    assert response.json()["success"] is True
    assert Document.objects.get().file.name.endswith(".pdf")


def test_wagtail_images_are_checked_by_content(admin_user):
    from wagtail.images import get_image_model
    from wagtail.images.forms import get_image_form

    form_class = get_image_form(get_image_model())
    renamed = form_class(
        data={"title": "照片"}, files={"file": SimpleUploadedFile("照片.png", EXE)}, user=admin_user
    )
    assert not renamed.is_valid() and "file" in renamed.errors
    real = form_class(
        data={"title": "照片"},
        files={"file": SimpleUploadedFile("照片.png", png_bytes())},
        user=admin_user,
    )
    assert real.is_valid(), real.errors


@pytest.fixture
def units():
    return make_tree()


def test_roster_upload_refuses_a_renamed_program_and_takes_a_real_file(
    client, units, django_capture_on_commit_callbacks
):
    client.force_login(make_admin(units["TD1S1"]))
    response = client.post("/en/roster/import/", {"file": SimpleUploadedFile("花名册.xlsx", EXE)})
    assert response.status_code == 200
    assert refused_as_renamed(response.context["form"].errors["file"], "花名册.xlsx")
    assert not RosterImport.objects.exists()
    response = client.post("/en/roster/import/", {"file": SimpleUploadedFile("花名册.pdf", EXE)})
    assert ".xlsx, .xls, .csv" in str(response.context["form"].errors["file"])
    rows = [["姓名", "手机号", "所属社区", "岗位"], ["甲", "13800000001", "TD1S1C1", "网格员"]]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/en/roster/import/", {"file": SimpleUploadedFile("花名册.csv", csv_bytes(rows))}
        )
    assert response.status_code == 302 and RosterImport.objects.count() == 1


def test_question_bank_upload_refuses_a_renamed_program(client, units):
    make_sections(units)
    client.force_login(trainer_of(units["TD1S1"]))
    url = reverse("exam_question_import")
    with translation.override("en"):
        response = client.post(
            url, {"file": SimpleUploadedFile("题库.xlsx", EXE), "unit": units["TD1S1"].pk}
        )
    assert refused_as_renamed(response.context["form"].errors["file"], "题库.xlsx")
    assert not Question.objects.exists()
    rows = [
        ["题型", "题目", "选项A", "选项B", "答案", "分类"],
        ["单选", "消防通道能否堆物？", "能", "不能", "B", "消防"],
    ]
    response = client.post(
        url, {"file": SimpleUploadedFile("题库.xlsx", xlsx_bytes(rows)), "unit": units["TD1S1"].pk}
    )
    assert not response.context["form"].errors
    assert response.context["result"].created == 1


def test_paper_score_sheet_upload_refuses_a_renamed_program(client):
    from competitions.models import ScoreSheet
    from tests.db.test_judging import build_contest

    contest = build_contest()
    organiser = make_admin(contest.units["T"])
    activate_totp(organiser)
    client.force_login(organiser)
    url = "/en" + reverse("competitions:paper_upload", args=[contest.stage.pk])
    page = client.post(url, {"file": SimpleUploadedFile("评分表.xlsx", EXE)})
    assert page.status_code == 200
    assert refused_as_renamed(page.context["problems"], "评分表.xlsx")
    assert not ScoreSheet.objects.exists()


def test_sign_in_sheet_upload_refuses_a_renamed_program(client, units):
    from django.utils import timezone

    from people.models import Role
    from training.models import Attendance

    trainer = make_user("李讲师")
    give_role(trainer, units["TD1"], Role.Kind.TRAINER)
    yesterday = timezone.now() - timezone.timedelta(days=1)
    session = make_training_session(units["TD1S1"], trainer, starts_at=yesterday)
    client.force_login(trainer)
    url = f"/en/training/sessions/{session.pk}/paper/"
    response = client.post(url, {"file": SimpleUploadedFile("签到表.xlsx", EXE)})
    assert refused_as_renamed(response.context["form"].errors["file"], "签到表.xlsx")
    assert not Attendance.objects.exists()
    # The real file goes on to the reader (which then judges its rows).
    response = client.post(
        url, {"file": SimpleUploadedFile("签到表.csv", csv_bytes([["序号", "姓名"]]))}
    )
    assert not response.context["form"].errors


def test_outside_training_proof_is_checked_by_content():
    from django.core.exceptions import ValidationError

    from training import external

    with pytest.raises(ValidationError):
        external.check_proof(SimpleUploadedFile("证明.pdf", EXE))
    assert external.check_proof(SimpleUploadedFile("证明", png_bytes())) == "png"
