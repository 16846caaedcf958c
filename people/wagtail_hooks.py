"""The people area of the Wagtail admin: the audit log, for whoever may read it (the audit
administrator's duty, people/duties.py; superusers too); roles and lifting lock-outs, for the
security administrator."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import audit_views, wagtail_users
from .role_admin import RoleViewSet


@hooks.register("register_admin_urls")
def _admin_urls():
    return audit_views.urlpatterns + wagtail_users.urlpatterns


@hooks.register("register_admin_viewset")
def _roles():
    return RoleViewSet()


class AuditLogMenuItem(MenuItem):
    def is_shown(self, request):
        return audit_views.may_view(request.user)


@hooks.register("register_admin_menu_item")
def _audit_menu_item():
    return AuditLogMenuItem(
        _("Audit log"), reverse("audit_log"), name="audit-log", icon_name="history", order=9000
    )
