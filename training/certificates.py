"""Certificates anyone can verify by code: issue, typeset as a PDF, revoke.

Other parts of the platform decide *what* deserves a certificate (a completed course, a year's
hours, a competition award) and call `issue`; it is idempotent on `source`, so issuing twice
for the same thing returns the first certificate. The PDF (A4 landscape, Chinese typesetting,
a QR code of the public verification URL) is made in the background by `make_certificate_pdf`.
Nothing is ever fetched from the network while typesetting: the QR code is an inline data URI
and the fonts are the system's Noto CJK.

`html_to_pdf` is the one way this layer (and the competitions above it) turns a print
document into PDF bytes.
"""

import logging
import re
import secrets
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from people.scope import scope_of

from .models import Certificate

log = logging.getLogger("zhuangma.certificates")

# No 0/O, 1/I/L or U/V: a code read out over the phone or copied from paper survives.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
CODE_LENGTH = 12
MAX_REASON = 300


# ---------------------------------------------------------------------------------------
# Codes, names, dates
# ---------------------------------------------------------------------------------------


def new_code() -> str:
    """An unguessable code (29^12 ≈ 3.5 × 10^17 possibilities) no certificate has yet."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not Certificate.objects.filter(code=code).exists():
            return code


def normalise_code(text: str) -> str:
    """What a person typed, as stored: capitals, without spaces or dashes."""
    return re.sub(r"[\s\-‐－—_]+", "", text or "").upper()


def mask_name(name: str) -> str:
    """张晓梅 → 张*梅, 张三 → 张*, 欧阳晓梅 → 欧**梅: enough to recognise, not to look up."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" if name else ""
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def chinese_date(day: date) -> str:
    """2026年11月27日, as a Chinese document dates itself."""
    return f"{day.year}年{day.month}月{day.day}日"


def unit_full_name(unit) -> str:
    """西宁市城东区东关大街街道: how a unit signs a document, city included."""
    if unit is None:
        return ""
    return "".join([*(a.name for a in unit.get_ancestors()), unit.name])


def site_base_url() -> str:
    """The site's public address for links printed on paper."""
    base = getattr(settings, "SITE_BASE_URL", "") or getattr(settings, "WAGTAILADMIN_BASE_URL", "")
    if not base:
        from wagtail.models import Site

        site = Site.objects.filter(is_default_site=True).first()
        base = site.root_url if site else ""
    return base.rstrip("/")


def verification_url(code: str) -> str:
    """The absolute address of the public page that checks `code` (Chinese, no prefix)."""
    with translation.override(settings.LANGUAGE_CODE):
        path = reverse("certificate_verify", args=[code])
    return site_base_url() + path


# ---------------------------------------------------------------------------------------
# Issuing and revoking
# ---------------------------------------------------------------------------------------


def issue(holder, kind, title, achievement, issuer, issued_on, source) -> Certificate:
    """The certificate for `source`, made now if it does not exist yet (never twice).

    Does not queue the PDF: call `queue_pdf` (once the caller's transaction commits).
    """
    existing = Certificate.objects.filter(source=source).first()
    if existing is not None:
        return existing
    certificate = Certificate(
        code=new_code(),
        kind=kind,
        holder=holder,
        title=title[:200],
        achievement=achievement[:300],
        issuer=issuer,
        issued_on=issued_on,
        source=source,
    )
    certificate.full_clean(exclude=["code", "source", "pdf", "holder", "issuer"])
    try:
        with transaction.atomic():
            certificate.save()
    except IntegrityError:
        # Someone issued the same thing at the same moment: theirs stands.
        found = Certificate.objects.filter(source=source).first()
        if found is None:
            raise
        return found
    return certificate


def may_revoke(user, certificate: Certificate) -> bool:
    """Admins whose scope holds the issuing unit."""
    return scope_of(user).contains(certificate.issuer)


def revoke(certificate: Certificate, by, reason: str) -> Certificate:
    """Mark the certificate revoked, with the reason shown on its verification page."""
    if not may_revoke(by, certificate):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for revoking the certificate.")})
    if len(reason) > MAX_REASON:
        raise ValidationError(
            {"reason": _("Keep the reason under %(max)d characters.") % {"max": MAX_REASON}}
        )
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if locked.revoked:
            raise ValidationError(_("This certificate has already been revoked."))
        locked.revoked_at = timezone.now()
        locked.revoked_reason = reason
        locked.revoked_by = by
        locked.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
    certificate.refresh_from_db()
    return certificate


# ---------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------


def html_to_pdf(html: str) -> bytes:
    """Typeset a self-contained print document. Only data: URLs are read; no network, no files."""
    import weasyprint
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(timeout=5, allowed_protocols=("data",), allow_redirects=False)
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()


def qr_data_uri(url: str) -> str:
    """The URL as a QR code, an SVG data URI (vector: sharp at any print size)."""
    import segno

    return segno.make(url, error="m").svg_data_uri(
        border=2, omitsize=True, dark="#1f2328", light="#ffffff"
    )


def _heading(kind: str) -> str:
    return {
        Certificate.Kind.AWARD: _("Certificate of Honour"),
        Certificate.Kind.COURSE: _("Certificate of Completion"),
        Certificate.Kind.HOURS: _("Certificate of Learning Hours"),
    }.get(kind, _("Certificate"))


def render_html(certificate: Certificate) -> str:
    url = verification_url(certificate.code)
    return render_to_string(
        "training/certificates/certificate.html",
        {
            "certificate": certificate,
            "heading": _heading(certificate.kind),
            "holder_name": certificate.holder.real_name or certificate.holder.username,
            "issuer_name": unit_full_name(certificate.issuer),
            "date": chinese_date(certificate.issued_on),
            "url": url,
            "qr": qr_data_uri(url),
        },
    )


def render_pdf(certificate: Certificate, language: str | None = None) -> bytes:
    """The certificate as an A4 landscape PDF (in Chinese unless `language` says otherwise)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return html_to_pdf(render_html(certificate))


def store_pdf(certificate: Certificate, *, force: bool = False) -> Certificate:
    """Make the PDF and keep it on the certificate (once, unless `force`)."""
    if certificate.pdf and not force:
        return certificate
    content = render_pdf(certificate)
    old_name = certificate.pdf.name
    certificate.pdf.save(f"certificate-{certificate.code}.pdf", ContentFile(content), save=False)
    certificate.save(update_fields=["pdf"])
    if old_name and old_name != certificate.pdf.name:
        certificate.pdf.storage.delete(old_name)
    return certificate


@task
def make_certificate_pdf(certificate_id: int) -> str:
    """Background: typeset the certificate and store the PDF. Returns its code."""
    certificate = (
        Certificate.objects.select_related("holder", "issuer").filter(pk=certificate_id).first()
    )
    if certificate is None:
        return ""
    store_pdf(certificate)
    log.info("certificate %s typeset", certificate.code)
    return certificate.code


def queue_pdf(certificate: Certificate) -> None:
    """Queue the PDF once the current transaction commits; a failed queue is only logged
    (the holder's download makes the PDF on the spot if it is still missing)."""
    certificate_id = certificate.pk

    def enqueue():
        try:
            make_certificate_pdf.enqueue(certificate_id)
        except Exception:
            log.exception("certificate %s could not be queued", certificate_id)

    transaction.on_commit(enqueue)
