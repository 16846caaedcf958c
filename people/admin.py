from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .models import OrgUnit, Role, User, WorkerProfile


@admin.register(OrgUnit)
class OrgUnitAdmin(TreeAdmin):
    form = movenodeform_factory(OrgUnit, fields=["code", "name", "level"])
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
