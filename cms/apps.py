from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Site")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import page_cache, search, signals

        search.connect()  # index cases and guides for Chinese search when published
        page_cache.connect()  # cached casebook pages go stale when what they show changes
        post_migrate.connect(signals.install_review_workflow, sender=self)
