"""Admin pages for API clients: list those in scope with their recent calls, make one (its token
shown once), revoke one. Everything goes through the admin's scope."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cms.models.api import ApiClient
from people.access import may_see_personal_data
from people.models import OrgUnit
from people.views import admin_required

from . import tokens

RECENT_CALLS = 50


class UnitChoice(forms.ModelChoiceField):
    """Units labelled by their name path (东湖区/和平街道), worked out in one query."""

    names: dict[int, str] = {}

    def label_from_instance(self, obj):
        return self.names.get(obj.pk, obj.name)


class ApiClientForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("System"),
        max_length=100,
        help_text=gettext_lazy("The government system that will use the token."),
    )
    unit = UnitChoice(
        label=gettext_lazy("May read the units under"), queryset=OrgUnit.objects.none()
    )
    sees_personal_data = forms.BooleanField(
        label=gettext_lazy("May read unmasked mobile numbers"),
        required=False,
        help_text=gettext_lazy(
            "Only for systems that are entitled to personal data; every call is logged."
        ),
    )
    requests_per_minute = forms.IntegerField(
        label=gettext_lazy("Requests per minute"),
        initial=60,
        min_value=1,
        max_value=tokens.MAX_RATE,
    )

    def __init__(self, *args, scope, may_unmask: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = scope.units.order_by("path")
        self.fields["unit"].names = OrgUnit.name_paths()
        if not may_unmask:
            del self.fields["sees_personal_data"]


@admin_required
def client_list(request):
    clients = tokens.clients_in(request.scope)
    return render(request, "cms/api/client_list.html", {"clients": clients})


@never_cache
@admin_required
def client_new(request):
    may_unmask = may_see_personal_data(request.user)
    form = ApiClientForm(request.POST or None, scope=request.scope, may_unmask=may_unmask)
    if request.method == "POST" and form.is_valid():
        try:
            client, token = tokens.create_client(
                name=form.cleaned_data["name"],
                unit=form.cleaned_data["unit"],
                by=request.user,
                sees_personal_data=form.cleaned_data.get("sees_personal_data", False),
                requests_per_minute=form.cleaned_data["requests_per_minute"],
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            # The token is in this answer only (never cached, stored, redirected or in a session).
            return render(
                request, "cms/api/client_created.html", {"client": client, "token": token}
            )
    return render(request, "cms/api/client_form.html", {"form": form})


def _client_in_scope(request, pk: int) -> ApiClient:
    return get_object_or_404(tokens.clients_in(request.scope), pk=pk)


@admin_required
def client_detail(request, pk: int):
    client = _client_in_scope(request, pk)
    calls = client.calls.order_by("-at", "-pk")[:RECENT_CALLS]
    return render(request, "cms/api/client_detail.html", {"client": client, "calls": calls})


@require_POST
@admin_required
def client_revoke(request, pk: int):
    client = _client_in_scope(request, pk)
    if client.revoked:
        messages.info(request, _("This token was already revoked."))
    else:
        tokens.revoke(client, request.user)
        messages.success(
            request,
            _("The token of “%(name)s” is revoked: its next call will be refused.")
            % {"name": client.name},
        )
    return redirect("api_client_detail", pk=client.pk)
