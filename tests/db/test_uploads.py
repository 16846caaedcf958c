"""Attachments of the wrong type or over the size limit are refused with a message."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.documents import get_document_model
from wagtail.documents.forms import get_document_form

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
