from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import MoveNodeForm, movenodeform_factory

from .models import AuditEvent, OrgUnit, Role, RosterImport, Transfer, User, WorkerProfile


class OrgUnitForm(MoveNodeForm):
    """Refuses a misplaced unit as a form error, before treebeard starts moving rows."""

    def clean(self):
        cleaned = super().clean()
        level = cleaned.get("level")
        if not level or "treebeard_position" not in cleaned:
            return cleaned
        ref = cleaned.get("treebeard_ref_node")
        if ref is None:
            parent = None
        elif cleaned["treebeard_position"].endswith("child"):
            parent = ref
        else:
            parent = ref.get_parent()
        try:
            OrgUnit.check_placement(parent, level, cleaned.get("name", ""))
            if (
                self.instance.pk
                and parent is not None
                and parent.path.startswith(self.instance.path)
            ):
                raise ValidationError(_("A unit cannot be moved under one of its own descendants."))
        except ValidationError as error:
            self.add_error("treebeard_ref_node", error)
        return cleaned


@admin.register(OrgUnit)
class OrgUnitAdmin(TreeAdmin):
    form = movenodeform_factory(OrgUnit, form=OrgUnitForm, fields=["code", "name", "level"])
    list_display = ["name", "code", "level"]
    search_fields = ["name", "code"]


class RoleInline(admin.TabularInline):
    model = Role
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "real_name", "phone", "is_active"]
    search_fields = ["username", "real_name", "phone"]
    inlines = [RoleInline]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Personal information"), {"fields": ["real_name", "phone", "email"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["username", "real_name", "phone", "password1", "password2"]}),
    ]


@admin.register(WorkerProfile)
class WorkerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "community", "position", "worker_number"]
    list_select_related = ["user", "community"]
    autocomplete_fields = ["user", "community"]
    search_fields = ["user__real_name", "worker_number"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: an audit log that can be edited proves nothing."""

    list_display = ["at", "actor", "action", "what", "scope", "count"]
    list_filter = ["action"]
    search_fields = ["what", "scope", "actor__real_name"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RosterImport)
class RosterImportAdmin(admin.ModelAdmin):
    list_display = ["created_at", "created_by", "filename", "status", "counts"]
    list_filter = ["status"]
    exclude = ["file_encrypted", "errors"]
    readonly_fields = [
        "created_by",
        "unit",
        "allow_transfer",
        "filename",
        "status",
        "progress",
        "counts",
        "file_error",
        "finished_at",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(Transfer)
class TransferAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "from_unit", "to_unit", "by"]
    list_select_related = ["user", "from_unit", "to_unit", "by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
