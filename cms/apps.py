from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Site")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import search, signals

        search.connect()  # index cases and guides for Chinese search when published
        post_migrate.connect(signals.install_review_workflow, sender=self)
