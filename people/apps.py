from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from wagtail.users.apps import WagtailUsersAppConfig


class PeopleConfig(AppConfig):
    default = True  # this module holds two app configs
    name = "people"
    verbose_name = _("People and organisation")

    def ready(self):
        from . import audit_signals, checks, middleware, signals  # noqa: F401


class WagtailUsersConfig(WagtailUsersAppConfig):
    """wagtail.users with our user forms (people/wagtail_users.py): real name and mobile number,
    and one administrator duty per account; both listings' searches bounded."""

    user_viewset = "people.wagtail_users.UserViewSet"
    group_viewset = "people.wagtail_users.GroupViewSet"
