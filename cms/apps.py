from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Site")

    def ready(self):
        from . import search, signals  # noqa: F401

        search.connect()  # index cases and guides for Chinese search when published
