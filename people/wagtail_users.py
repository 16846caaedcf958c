"""The Wagtail admin's accounts, fitted to our User (real name and mobile number, no first and
last name) and to 三员分立: one administrator duty per account, and only a system administrator
(superuser) makes another. The account page also shows and lifts a lock-out and resets lost two
factors; the list finds people by real name and mobile number. Installed by
people.apps.WagtailUsersConfig."""

from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import messages
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from wagtail.admin.auth import permission_denied
from wagtail.users import forms as wagtail_forms
from wagtail.users.views import groups as wagtail_groups
from wagtail.users.views import users as wagtail_views

from . import duties, lockouts
from .audit import record
from .fields import MobileField
from .models import AuditEvent, OrgUnit, Role, User
from .phones import looks_like_phone, normalise_phone
from .requests import BoundedSearchMixin

FIELDS = ["username", "real_name", "phone", "email", "is_superuser", "groups"]


class DutiesFormMixin(forms.Form):  # a Form, so that its fields are declared ones
    first_name = None
    last_name = None
    email = forms.EmailField(required=False, label=_("Email"))
    phone = MobileField()

    def __init__(self, *args, editor=None, **kwargs):
        super().__init__(*args, **kwargs)
        if "username" in self.fields:  # Wagtail replaces the model's (translated) rule
            self.fields["username"].help_text = User._meta.get_field("username").help_text
        if "groups" in self.fields:
            # Role groups follow roles (granted at 角色): a box here would give a unit's page
            # rights without the role, and a city has thousands of them.
            self.fields["groups"].queryset = self.fields["groups"].queryset.exclude(
                OrgUnit.ROLE_GROUPS
            )
        if "is_superuser" in self.fields and not (editor is not None and editor.is_superuser):
            # A security administrator manages accounts, but never makes a system administrator.
            self.fields["is_superuser"].disabled = True

    def clean(self):
        cleaned = super().clean()
        groups = cleaned.get("groups")
        if groups is not None and self.instance.pk:
            # Keep the account's role groups, which the form does not show.
            kept = self.instance.groups.filter(OrgUnit.ROLE_GROUPS)
            cleaned["groups"] = groups = Group.objects.filter(
                Q(pk__in=groups.values("pk")) | Q(pk__in=kept.values("pk"))
            )
        if groups is not None:
            is_superuser = cleaned.get("is_superuser", self.instance.is_superuser)
            names = groups.values_list("name", flat=True) if groups else ()
            try:
                duties.check_one_duty(
                    cleaned.get("username") or self.instance.get_username(),
                    duties.duties_from(names, is_superuser),
                )
            except ValidationError as error:
                self.add_error("groups", error)
        return cleaned


class UserCreationForm(DutiesFormMixin, wagtail_forms.UserCreationForm):
    class Meta:
        model = User
        fields = FIELDS
        widgets = {"groups": forms.CheckboxSelectMultiple}


class UserEditForm(DutiesFormMixin, wagtail_forms.UserEditForm):
    class Meta:
        model = User
        fields = [*FIELDS, "is_active"]
        widgets = {"groups": forms.CheckboxSelectMultiple}


class EditorMixin:
    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "editor": self.request.user}


class CreateView(EditorMixin, wagtail_views.CreateView):
    pass


def may_manage(editor, account) -> bool:
    """Whether `editor` manages `account`: the security administrator's permission, and only a
    system administrator manages a system administrator (one resetting their password would
    become one; Wagtail already keeps others from deleting one)."""
    if account.is_superuser and not editor.is_superuser:
        return False
    return editor.has_perm("people.change_user")


class EditView(EditorMixin, wagtail_views.EditView):
    def dispatch(self, request, *args, **kwargs):
        if not may_manage(request.user, self.object):
            return permission_denied(request)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["locked_until"] = lockouts.locked_until(self.request, self.object)
        context["totp"] = (
            Authenticator.objects.filter(user=self.object, type=Authenticator.Type.TOTP)
            .only("created_at")
            .first()
        )
        context["is_self"] = self.object.pk == self.request.user.pk
        context["unit_roles"] = self.object.roles.exclude(kind=Role.Kind.WORKER).select_related(
            "unit"
        )
        return context


@require_POST
def lift_lockout(request, pk):
    """Let a locked-out account log in again before its lock-out ends (audited)."""
    account = get_object_or_404(User, pk=pk)
    if not may_manage(request.user, account):
        return permission_denied(request)
    name = {"user": account.real_name or account.get_username()}
    if lockouts.lift(request, account):
        record(request.user, AuditEvent.Action.LOCKOUT_LIFTED, account.get_username())
        messages.success(request, gettext("%(user)s may log in again.") % name)
    else:
        messages.info(request, gettext("%(user)s was not locked out.") % name)
    return redirect("wagtailusers_users:edit", account.pk)


@require_POST
def reset_two_factor(request, pk):
    """Forget an account's authenticator app and recovery codes, for someone who lost their
    phone: they set up a new app at their next login, when two factors are required of them.
    Never one's own (allauth's own pages do that, asking for a code first). Audited as a
    two-factor change by people/audit_signals.py."""
    account = get_object_or_404(User, pk=pk)
    if account.pk == request.user.pk or not may_manage(request.user, account):
        return permission_denied(request)
    name = {"user": account.real_name or account.get_username()}
    with transaction.atomic():
        authenticators = list(Authenticator.objects.filter(user=account))
        for authenticator in authenticators:
            authenticator.delete()
            mfa_signals.authenticator_removed.send(
                sender=Authenticator, request=request, user=account, authenticator=authenticator
            )
    if authenticators:
        messages.success(
            request,
            gettext(
                "Two-factor authentication of %(user)s is reset: they set up a new authenticator app at their next login."
            )
            % name,
        )
    else:
        messages.info(request, gettext("%(user)s has no two-factor authentication.") % name)
    return redirect("wagtailusers_users:edit", account.pk)


urlpatterns = [
    path("users/lift-lockout/<int:pk>/", lift_lockout, name="lift_lockout"),
    path("users/reset-two-factor/<int:pk>/", reset_two_factor, name="reset_two_factor"),
]


class UserFilterSet(wagtail_views.UserFilterSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Who holds which role is the roles page's list (角色); thousands of unit groups here
        # would bury the duties.
        group = self.filters["group"]
        group.queryset = group.queryset.exclude(OrgUnit.ROLE_GROUPS)


class IndexView(BoundedSearchMixin, wagtail_views.IndexView):
    """Found by real name and mobile number too: a worker who calls gives those, not a login."""

    search_fields = ["username", "real_name", "phone", "email"]  # as search_queryset reads them

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        typed = self.search_query
        if looks_like_phone(typed):
            return queryset.filter(phone=normalise_phone(typed))
        return queryset.filter(
            Q(username__icontains=typed) | Q(real_name__icontains=typed) | Q(email__iexact=typed)
        )


class UserViewSet(wagtail_views.UserViewSet):
    index_view_class = IndexView
    filterset_class = UserFilterSet
    add_view_class = CreateView
    edit_view_class = EditView

    def get_form_class(self, for_update=False):
        return UserEditForm if for_update else UserCreationForm


class GroupIndexView(BoundedSearchMixin, wagtail_groups.IndexView):
    pass


class GroupViewSet(wagtail_groups.GroupViewSet):
    index_view_class = GroupIndexView
