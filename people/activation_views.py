"""/accounts/activate/: a worker with an activation code (people/activation.py) sets their
first password and is logged in."""

from allauth.core.internal import ratelimit
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from . import activation
from .audit import record
from .fields import MobileField
from .models import AuditEvent
from .phones import normalise_phone


class ActivationForm(forms.Form):
    phone = MobileField()
    code = forms.CharField(
        label=gettext_lazy("Activation code"),
        max_length=32,
        help_text=gettext_lazy(
            "As printed on the slip from your street or community, e.g. ABCDE-23456."
        ),
    )
    password1 = forms.CharField(
        label=gettext_lazy("New password"), strip=False, widget=forms.PasswordInput
    )
    password2 = forms.CharField(
        label=gettext_lazy("New password again"), strip=False, widget=forms.PasswordInput
    )

    def clean(self):
        cleaned = super().clean()
        phone, code = cleaned.get("phone"), cleaned.get("code")
        if not (phone and code):
            return cleaned
        self.activation = activation.find(phone, code)
        if self.activation is None:
            raise ValidationError(
                _(
                    "The mobile number or activation code is wrong, or the code has expired. Ask your street or community admin for a new one."
                ),
                code="invalid_code",
            )
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                validate_password(first, self.activation.user)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned

    @transaction.atomic
    def save(self):
        user = self.activation.user
        user.set_password(self.cleaned_data["password1"])
        user.save(update_fields=["password"])
        self.activation.delete()
        return user


def _allowed(request) -> bool:
    """Tries per address and per mobile number (ZHUANGMA_ACTIVATION_RATE_LIMITS)."""
    phone = normalise_phone(request.POST.get("phone", "")[:32])
    return bool(
        ratelimit.consume(
            request,
            app="allauth.account",
            action="activate",
            config={"activate": settings.ZHUANGMA_ACTIVATION_RATE_LIMITS},
            key=f"activate:{phone}",
        )
    )


@require_http_methods(["GET", "POST"])
def activate(request):
    if request.user.is_authenticated:
        return redirect("me")
    if request.method == "POST" and not _allowed(request):
        refused = _("Too many tries. Please wait a few minutes and try again.")
        context = {"form": ActivationForm(), "refused": refused}
        return render(request, "account/activate.html", context, status=429)
    form = ActivationForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        user = form.save()
        record(user, AuditEvent.Action.ACTIVATED, user.get_username(), request=request)
        login(request, user, backend="allauth.account.auth_backends.AuthenticationBackend")
        messages.success(request, _("Your account is ready. Welcome!"))
        return redirect("me")
    return render(request, "account/activate.html", {"form": form})
