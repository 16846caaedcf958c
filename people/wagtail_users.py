"""The Wagtail admin's user forms, fitted to our User (real name and mobile number, no first and
last name) and to 三员分立: one administrator duty per account, and only a system administrator
(superuser) makes another. Installed by people.apps.WagtailUsersConfig."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.auth import permission_denied
from wagtail.users import forms as wagtail_forms
from wagtail.users.views import users as wagtail_views

from . import duties
from .fields import MobileField
from .models import User

FIELDS = ["username", "real_name", "phone", "email", "is_superuser", "groups"]


class DutiesFormMixin(forms.Form):  # a Form, so that its fields are declared ones
    first_name = None
    last_name = None
    email = forms.EmailField(required=False, label=_("Email"))
    phone = MobileField()

    def __init__(self, *args, editor=None, **kwargs):
        super().__init__(*args, **kwargs)
        if "is_superuser" in self.fields and not (editor is not None and editor.is_superuser):
            # A security administrator manages accounts, but never makes a system administrator.
            self.fields["is_superuser"].disabled = True

    def clean(self):
        cleaned = super().clean()
        groups = cleaned.get("groups")
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


class EditView(EditorMixin, wagtail_views.EditView):
    def dispatch(self, request, *args, **kwargs):
        # Only a system administrator edits one (Wagtail already keeps others from deleting one):
        # a security administrator resetting their password would become one.
        if self.object.is_superuser and not request.user.is_superuser:
            return permission_denied(request)
        return super().dispatch(request, *args, **kwargs)


class UserViewSet(wagtail_views.UserViewSet):
    add_view_class = CreateView
    edit_view_class = EditView

    def get_form_class(self, for_update=False):
        return UserEditForm if for_update else UserCreationForm
