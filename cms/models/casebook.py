"""The casebook: governance cases streets invented, a Q&A guide, mutual learning, booklets."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, Task, TaskState
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from people import levels
from people.models import OrgUnit, Role
from training import pagetree

from ..blocks import RICH, DifficultyBlock, MediaBlock, QuestionAnswerBlock, ResultsBlock


@register_snippet
class CaseCategory(models.Model):
    """A managed problem category: parking, e-bike charging and safety, elevators, …"""

    name = models.CharField(_("Name"), max_length=50, unique=True)
    slug = models.SlugField(_("Slug"), max_length=50, unique=True, allow_unicode=True)
    sort_order = models.PositiveIntegerField(_("Order"), default=0)

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("sort_order")]

    class Meta:
        verbose_name = _("Case category")
        verbose_name_plural = _("Case categories")
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


class CaseTag(TaggedItemBase):
    content_object = ParentalKey(
        "cms.CasePage", on_delete=models.CASCADE, related_name="tagged_items"
    )


class CasebookPage(Page):
    """案例库: the casebook's home, listing cases from every section, most useful first."""

    intro = RichTextField(_("Introduction"), blank=True, features=RICH)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.GuidePage"]
    max_count = 1

    class Meta:
        verbose_name = _("Casebook")

    def get_context(self, request, *args, **kwargs):
        from ..casebook import casebook_context

        context = super().get_context(request, *args, **kwargs)
        context.update(casebook_context(self, request))
        return context


class SearchableMixin(models.Model):
    """Pages the casebook search finds keep their text segmented into words (see cms.search)."""

    # Space-separated words of title, summary and body, segmented for Chinese.
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        abstract = True


def _section_unit(page: Page):
    """The unit of the nearest section above `page` (a lesson's is its course's section's)."""
    if not page.path:
        return None
    for ancestor in reversed(list(page.get_ancestors())):
        unit = getattr(ancestor.specific, "unit", None)
        if unit is not None:
            return unit
    return None


class CasePage(SearchableMixin, Page):  # noqa: DJ008 (Page gives __str__)
    summary = models.TextField(
        _("Summary"), help_text=_("One paragraph: the problem and what solved it.")
    )
    category = models.ForeignKey(
        CaseCategory, on_delete=models.PROTECT, related_name="cases", verbose_name=_("Category")
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, null=True, editable=False, related_name="cases"
    )
    year = models.PositiveSmallIntegerField(_("Year"))
    tags = ClusterTaggableManager(through=CaseTag, blank=True, verbose_name=_("Tags"))
    background = RichTextField(_("Background"), features=RICH, blank=True)
    difficulties = StreamField(
        [("difficulty", DifficultyBlock())],
        blank=True,
        verbose_name=_("Difficulties and solutions"),
    )
    measures = RichTextField(_("Measures"), features=RICH, blank=True)
    results = StreamField(ResultsBlock(), blank=True, verbose_name=_("Results"))
    lessons = RichTextField(_("Lessons learned"), features=RICH, blank=True)
    contact = models.CharField(_("Contact"), max_length=200, blank=True)
    media = StreamField(MediaBlock(), blank=True, verbose_name=_("Images and attachments"))
    view_count = models.PositiveIntegerField(default=0, editable=False)

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        MultiFieldPanel(
            [FieldPanel("category"), FieldPanel("year"), FieldPanel("tags")], heading=_("About")
        ),
        FieldPanel("background"),
        FieldPanel("difficulties"),
        FieldPanel("measures"),
        FieldPanel("results"),
        FieldPanel("lessons"),
        FieldPanel("contact"),
        FieldPanel("media"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("summary")]
    parent_page_types = ["cms.SectionPage"]
    subpage_types = []
    # Loaded with the page when it is served (see training.pagetree.route): the page shows them.
    route_select_related = ("category", "unit")

    class Meta:
        verbose_name = _("Case")
        verbose_name_plural = _("Cases")

    def save(self, *args, **kwargs):
        # The unit is the section's (sections are this layer's own pages, found via the tree).
        unit = _section_unit(self)
        if unit is not None:
            self.unit = unit
        super().save(*args, **kwargs)

    def get_view_restrictions(self):
        return pagetree.view_restrictions(self)

    def get_context(self, request, *args, **kwargs):
        from ..casebook import case_context

        context = super().get_context(request, *args, **kwargs)
        context.update(case_context(self, request))
        return context


class GuidePage(SearchableMixin, Page):  # noqa: DJ008 (Page gives __str__)
    """A guide of answers to hard problems, each answer citing cases."""

    intro = RichTextField(_("Introduction"), blank=True, features=RICH)
    sections = StreamField([("qa", QuestionAnswerBlock())], verbose_name=_("Questions and answers"))

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("sections")]
    parent_page_types = ["cms.CasebookPage", "cms.SectionPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("Guide")
        verbose_name_plural = _("Guides")

    def get_context(self, request, *args, **kwargs):
        from ..casebook import guide_context

        context = super().get_context(request, *args, **kwargs)
        context.update(guide_context(self, request))
        return context


class Bookmark(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookmarks"
    )
    case = models.ForeignKey(CasePage, on_delete=models.CASCADE, related_name="bookmarks")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Bookmark")
        constraints = [models.UniqueConstraint(fields=["user", "case"], name="unique_bookmark")]

    def __str__(self):
        return f"{self.user} · {self.case}"


class UsefulMark(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(CasePage, on_delete=models.CASCADE, related_name="useful_marks")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Useful mark")
        constraints = [models.UniqueConstraint(fields=["user", "case"], name="unique_useful_mark")]

    def __str__(self):
        return f"{self.user} · {self.case}"


class ApplicationReport(models.Model):
    """'We applied it in our community': where, what changed, with what outcome."""

    case = models.ForeignKey(CasePage, on_delete=models.CASCADE, related_name="applications")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("Where")
    )
    what_changed = models.TextField(_("What we changed"), max_length=2000)
    outcome = models.TextField(_("Outcome"), max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Application report")
        verbose_name_plural = _("Application reports")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.case} @ {self.unit}"


class Booklet(models.Model):
    """汇编成册: selected cases typeset into a printable PDF, built in the background."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        BUILDING = "building", _("Building")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    title = models.CharField(_("Title"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cases = models.ManyToManyField(CasePage, related_name="+", verbose_name=_("Cases"))
    # Case order as chosen; the many-to-many keeps no order.
    case_order = models.JSONField(default=list)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    pdf = models.FileField(upload_to="booklets/", blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("Booklet")
        verbose_name_plural = _("Booklets")
        ordering = ["-created_at"]

    def __str__(self):
        return self.title


class UnitReviewTask(Task):
    """A review step whose reviewers are the admins of the page's own street (or district).

    One workflow serves every district: the approvers are worked out from where the page sits
    in the org tree, not from a fixed group.
    """

    level = models.CharField(
        _("Reviewed by admins of the"),
        max_length=16,
        choices=[
            (levels.STREET, _("Street / township")),
            (levels.DISTRICT, _("District / county")),
        ],
    )

    admin_form_fields = [*Task.admin_form_fields, "level"]

    class Meta:
        verbose_name = _("Review by the unit above")
        verbose_name_plural = _("Reviews by the unit above")

    def reviewing_unit(self, obj) -> OrgUnit | None:
        """The unit whose admins review `obj` at this step, or None when the step does not apply.

        A page of a street or community is reviewed by its street, then its district. A page
        of a district skips the street step; a city's page is reviewed by the city's own
        admins at the district step, so every page ends with someone who may publish it.
        """
        unit = getattr(obj, "unit", None) or _section_unit(obj)
        if unit is None:
            return None
        if unit.level == self.level:
            return unit
        if levels.RANK[unit.level] > levels.RANK[self.level]:
            return unit.get_ancestors().filter(level=self.level).first()
        return unit if self.level == levels.DISTRICT else None

    def start(self, workflow_state, user=None):
        task_state = super().start(workflow_state, user=user)
        if self.reviewing_unit(workflow_state.content_object) is None:
            # Nobody reviews at this level for this page: pass the step on; Wagtail then
            # moves the workflow to the next one.
            task_state.approve(user=None, update=False, comment=str(_("Step does not apply here.")))
        return task_state

    def is_reviewer(self, obj, user) -> bool:
        if user.is_superuser:
            return True
        unit = self.reviewing_unit(obj)
        return (
            unit is not None
            and Role.objects.filter(user=user, unit=unit, kind=Role.Kind.ADMIN).exists()
        )

    def user_can_access_editor(self, obj, user):
        return self.is_reviewer(obj, user)

    def locked_for_user(self, obj, user):
        return not self.is_reviewer(obj, user)

    def user_can_lock(self, obj, user):
        return self.is_reviewer(obj, user)

    def user_can_unlock(self, obj, user):
        return False

    def get_actions(self, obj, user):
        if self.is_reviewer(obj, user):
            return [
                ("reject", _("Request changes"), True),
                ("approve", _("Approve"), False),
                ("approve", _("Approve with comment"), True),
            ]
        return []

    def get_task_states_user_can_moderate(self, user, **kwargs):
        states = self.task_states.filter(status=TaskState.STATUS_IN_PROGRESS).select_related(
            "workflow_state"
        )
        if user.is_superuser:
            return states
        units = Role.objects.filter(user=user, kind=Role.Kind.ADMIN, unit__level=self.level)
        paths = list(units.values_list("unit__path", flat=True))
        if not paths:
            return TaskState.objects.none()
        ids = [
            state.pk
            for state in states
            if (unit := self.reviewing_unit(state.workflow_state.content_object)) is not None
            and unit.path in paths
        ]
        return TaskState.objects.filter(pk__in=ids)

    @classmethod
    def get_description(cls):
        return _("Admins of the street or district the page belongs to approve this step")
