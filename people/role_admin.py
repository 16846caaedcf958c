"""Roles in the Wagtail admin, for the security administrator (三员分立, people/duties.py):
who is an admin, trainer or judge of which unit. Workers' roles come with the roster and are
not listed here.

Grant and revoke only: a role is never edited (its group membership, people/signals.py, follows
its creation and deletion), and nobody grants or revokes their own roles. Both are recorded in
the audit log by people/audit_signals.py. Registered by people/wagtail_hooks.py.
"""

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from .models import OrgUnit, Role, User
from .requests import BoundedSearchMixin

KINDS_WITH_POWERS = [
    (value, label) for value, label in Role.Kind.choices if value != Role.Kind.WORKER
]


class RolePolicy(ModelPermissionPolicy):
    """Django's role permissions (the security administrator's group has them), less editing,
    and never on one's own roles."""

    def user_has_permission(self, user, action):
        return action != "change" and super().user_has_permission(user, action)

    def user_has_permission_for_instance(self, user, action, instance):
        return instance.user_id != user.pk and self.user_has_permission(user, action)


register_permission_policy(Role, RolePolicy(Role), exact_class=True)


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, unit):
        # Indented by depth, so the select reads as the tree.
        return f"{'　' * (unit.depth - 1)}{unit.name}（{unit.code}）"


class RoleForm(WagtailAdminModelForm):
    account = forms.CharField(
        label=_("Account"),
        max_length=150,
        help_text=_("The mobile number or username of the account that receives the role."),
    )
    unit = UnitChoiceField(queryset=OrgUnit.objects.order_by("path"), label=_("Unit"))
    kind = forms.ChoiceField(choices=KINDS_WITH_POWERS, label=_("Role"))

    class Meta:
        model = Role
        fields = ["unit", "kind"]

    def __init__(self, *args, for_user=None, **kwargs):
        self.editor = for_user
        super().__init__(*args, for_user=for_user, **kwargs)
        self.order_fields(["account", "unit", "kind"])

    def clean_account(self):
        typed = self.cleaned_data["account"]
        account = User.by_login(typed)
        if account is None:
            raise ValidationError(
                _("No account has the mobile number or username “%(typed)s”."),
                params={"typed": typed.strip()},
            )
        if not account.is_active:
            raise ValidationError(
                _("The account “%(user)s” is disabled: enable it before granting a role."),
                params={"user": account.get_username()},
            )
        if self.editor is not None and account.pk == self.editor.pk:
            raise ValidationError(_("Nobody grants themselves a role: ask another administrator."))
        return account

    def clean(self):
        cleaned = super().clean()
        account, unit, kind = (cleaned.get(name) for name in ("account", "unit", "kind"))
        if account and unit and kind:
            self.instance.user = account
            if Role.objects.filter(user=account, unit=unit, kind=kind).exists():
                self.add_error(None, self.duplicate_error(account, unit, kind))
        return cleaned

    def validate_unique(self):
        pass  # clean() names the duplicate in words; the constraint still guards the table

    def duplicate_error(self, account, unit, kind) -> ValidationError:
        return ValidationError(
            _("“%(user)s” already is %(role)s of %(unit)s."),
            params={
                "user": account.get_username(),
                "role": Role.Kind(kind).label,
                "unit": unit.name,
            },
        )


class RoleFilterSet(WagtailFilterSet):
    kind = django_filters.ChoiceFilter(choices=KINDS_WITH_POWERS, label=_("Role"))
    level = django_filters.ChoiceFilter(
        field_name="unit__level", choices=OrgUnit.Level.choices, label=_("Level")
    )

    class Meta:
        model = Role
        fields = []


def may_revoke(view, role) -> bool:
    return view.permission_policy.user_has_permission_for_instance(
        view.request.user, "delete", role
    )


class IndexView(BoundedSearchMixin, generic.IndexView):
    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .exclude(kind=Role.Kind.WORKER)
            .select_related("user", "unit")
            .order_by("unit__path", "kind", "user__username")
        )

    @cached_property
    def columns(self):
        account = self._get_title_column_class(TitleColumn)(
            "account", label=_("Account"), accessor="user.username", get_url=self.get_inspect_url
        )
        return [
            account,
            Column("real_name", label=_("Name"), accessor="user.real_name"),
            Column("kind", label=_("Role"), accessor="get_kind_display"),
            Column("unit", label=_("Unit"), accessor="unit.name"),
        ]

    def get_delete_url(self, instance):
        return super().get_delete_url(instance) if may_revoke(self, instance) else None


class InspectView(generic.InspectView):
    def get_delete_url(self):
        return super().get_delete_url() if may_revoke(self, self.object) else None


class DeleteView(generic.DeleteView):
    def dispatch(self, request, *args, **kwargs):
        if not may_revoke(self, self.object):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class CreateView(generic.CreateView):
    page_title = _("Grant a role")

    def get_initial(self):
        # "Grant a role" from an account's page arrives with ?account=<username>.
        return {**super().get_initial(), "account": self.request.GET.get("account", "")[:150]}

    def get_success_buttons(self):
        return []  # a role has no edit page to offer

    def form_valid(self, form):
        try:
            with transaction.atomic():
                return super().form_valid(form)
        except IntegrityError:  # the same role granted by someone else a moment ago
            data = form.cleaned_data
            form.add_error(None, form.duplicate_error(data["account"], data["unit"], data["kind"]))
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class RoleViewSet(ModelViewSet):
    model = Role
    name = "roles"
    url_prefix = "roles"
    icon = "group"
    menu_label = _("Roles")
    add_to_admin_menu = True
    menu_order = 8900
    form_class = RoleForm
    index_view_class = IndexView
    add_view_class = CreateView
    inspect_view_class = InspectView
    delete_view_class = DeleteView
    filterset_class = RoleFilterSet
    search_fields = ["user__username", "user__real_name", "unit__name", "unit__code"]
    inspect_view_enabled = True
    copy_view_enabled = False  # a copy would be the same role again
    inspect_view_fields = ["user", "unit", "kind"]
    list_per_page = 50

    def get_form_class(self, for_update=False):
        return RoleForm
