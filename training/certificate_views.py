"""Certificate pages: public verification by code, the holder's download, revocation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import certificates, course_certificates
from .models import Certificate


def _find(code: str) -> Certificate | None:
    return (
        Certificate.objects.select_related("holder", "issuer")
        .filter(code=certificates.normalise_code(code))
        .first()
    )


def certificate_lookup(request):
    """A form to type a code; with ?code=… it goes to that code's page."""
    code = certificates.normalise_code(request.GET.get("code", ""))
    if code and "/" not in code:
        return redirect("certificate_verify", code=code)
    if code:  # no code has a slash, and no URL could carry one
        context = {"searched": True, "code": code}
        return render(request, "training/certificates/verify.html", context, status=404)
    return render(request, "training/certificates/verify.html", {"searched": False})


def certificate_verify(request, code):
    """Public, no login: whether a certificate with this code exists and still holds."""
    canonical = certificates.normalise_code(code)
    if canonical and canonical != code:
        return redirect("certificate_verify", code=canonical)
    certificate = _find(code)
    if certificate is None:
        context = {"searched": True, "code": code}
        return render(request, "training/certificates/verify.html", context, status=404)
    user = request.user
    context = {
        "searched": True,
        "code": code,
        "certificate": certificate,
        "masked_name": certificates.mask_name(certificate.holder.real_name),
        "issuer_name": certificates.unit_full_name(certificate.issuer),
        "is_holder": user.is_authenticated and user.pk == certificate.holder_id,
        "may_revoke": user.is_authenticated and certificates.may_revoke(user, certificate),
    }
    return render(request, "training/certificates/verify.html", context)


def _pdf_response(content: bytes, code: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{code}.pdf"'
    return response


@login_required
def certificate_download(request, code):
    """The holder's PDF (also for the issuer's admins). A revoked one is stamped as such."""
    certificate = _find(code)
    if certificate is None or not (
        request.user.pk == certificate.holder_id
        or certificates.may_revoke(request.user, certificate)
    ):
        raise Http404
    if certificate.revoked:
        return _pdf_response(certificates.render_pdf(certificate), certificate.code)
    if not certificate.pdf:
        # The background job has not run yet: one page is quick enough to make now.
        certificates.store_pdf(certificate)
    with certificate.pdf.open("rb") as stored:
        return _pdf_response(stored.read(), certificate.code)


@login_required
@require_http_methods(["GET", "POST"])
def certificate_revoke(request, code):
    certificate = _find(code)
    if certificate is None:
        raise Http404
    if not certificates.may_revoke(request.user, certificate):
        raise PermissionDenied
    error, status, reason = "", 200, ""
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        try:
            certificates.revoke(certificate, request.user, reason)
        except ValidationError as problem:
            error, status = " ".join(problem.messages), 400
        else:
            messages.success(
                request, _("Certificate %(code)s has been revoked.") % {"code": certificate.code}
            )
            return redirect("certificate_verify", code=certificate.code)
    context = {
        "certificate": certificate,
        "holder_name": certificate.holder.real_name,
        "error": error,
        "reason": reason,
        "max_reason": certificates.MAX_REASON,
    }
    return render(request, "training/certificates/revoke.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def my_certificates(request):
    """Every certificate the user holds, and the yearly hours certificate to ask for."""
    error, status = "", 200
    if request.method == "POST":
        try:
            certificate = course_certificates.issue_hours_certificate(
                request.user, request.POST.get("year", "")
            )
        except ValidationError as problem:
            error, status = " ".join(problem.messages), 400
        else:
            messages.success(
                request,
                _("Your certificate “%(title)s” is issued; its PDF is being prepared.")
                % {"title": certificate.title},
            )
            return redirect("my_certificates")
    # Courses completed before certificates existed (or whose certificate failed) get theirs.
    course_certificates.issue_missing_course_certificates(request.user)
    owned = list(
        Certificate.objects.filter(holder=request.user)
        .select_related("issuer")
        .order_by("-issued_on", "-pk")
    )
    context = {
        "certificates": owned,
        "hours_years": course_certificates.hours_years(request.user),
        "error": error,
    }
    return render(request, "training/certificates/mine.html", context, status=status)
