from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from wagtail.documents.forms import BaseDocumentForm

from people.uploads import check_upload


class DocumentForm(BaseDocumentForm):
    """Wagtail's document form (attachments, lesson videos) with a size limit and a check that
    the content is what the extension says (the allowed types: WAGTAILDOCS_EXTENSIONS)."""

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        limit = settings.DOCUMENT_MAX_MB * 1024 * 1024
        if upload is not None and getattr(upload, "size", 0) > limit:
            raise forms.ValidationError(
                _("The file is larger than %(max_mb)s MB.") % {"max_mb": settings.DOCUMENT_MAX_MB}
            )
        if isinstance(upload, UploadedFile):  # a new file, not the one already stored
            check_upload(upload)
        return upload
