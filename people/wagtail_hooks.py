"""The people area of the Wagtail admin: the audit log, for whoever may read it (the audit
administrator's duty, people/duties.py; superusers too)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import audit_views


@hooks.register("register_admin_urls")
def _audit_urls():
    return audit_views.urlpatterns


class AuditLogMenuItem(MenuItem):
    def is_shown(self, request):
        return audit_views.may_view(request.user)


@hooks.register("register_admin_menu_item")
def _audit_menu_item():
    return AuditLogMenuItem(
        _("Audit log"), reverse("audit_log"), name="audit-log", icon_name="history", order=9000
    )
