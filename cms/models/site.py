from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from training import pagetree
from training.models import CoursePage

from .casebook import CasePage


def child_sections(page: Page):
    """The live sections directly below `page`, with their units, by name."""
    return SectionPage.objects.live().child_of(page).select_related("unit").order_by("title")


class HomePage(Page):
    """The site's front door: what is new in training, the casebook and the contests."""

    intro = models.CharField(_("Introduction"), max_length=200, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["cms.SectionPage", "cms.CasebookPage"]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = _("Home page")

    def route(self, request, path_components):
        # The site's root: find the page the whole path names at once, not level by level.
        return pagetree.route(self, request, path_components)

    def get_view_restrictions(self):
        return pagetree.view_restrictions(self)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["sections"] = child_sections(self)
        context["latest_courses"] = CoursePage.objects.live().order_by("-first_published_at")[:5]
        context["latest_cases"] = CasePage.objects.live().order_by("-first_published_at")[:5]
        return context


class SectionPage(Page):
    """The part of the site an org unit publishes in; its admins edit this subtree only.

    The section tree mirrors the org tree: a district's section sits in its city's.
    """

    unit = models.OneToOneField(
        "people.OrgUnit",
        on_delete=models.PROTECT,
        related_name="section",
        verbose_name=_("Org unit"),
    )
    intro = RichTextField(_("Introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("unit"), FieldPanel("intro")]
    parent_page_types = ["cms.HomePage", "cms.SectionPage"]
    subpage_types = [
        "cms.SectionPage",
        "training.CoursePage",
        "cms.CasePage",
        "cms.GuidePage",
        "competitions.ScenarioPage",
    ]

    class Meta:
        verbose_name = _("Unit section")
        verbose_name_plural = _("Unit section")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["subsections"] = child_sections(self)
        return context
