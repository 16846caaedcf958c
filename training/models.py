import secrets
from decimal import Decimal
from pathlib import Path

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from people.models import OrgUnit, WorkerProfile

from . import pagetree, rules
from .blocks import LessonBody
from .forms import TrainingPlanForm


class Tier(models.TextChoices):
    CITY_DEMO = rules.CITY_DEMO, _("City demonstration course")
    DISTRICT_BACKBONE = rules.DISTRICT_BACKBONE, _("District backbone course")
    STREET_ALL = rules.STREET_ALL, _("Street all-staff course")


class CoursePageForm(WagtailAdminPageForm):
    audience_positions = forms.MultipleChoiceField(
        label=_("For positions"),
        choices=WorkerProfile.Position.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Leave empty for every position."),
    )


class CoursePage(Page):
    """A course published in a unit's section; its tier follows the unit's level."""

    owner_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, null=True, editable=False, related_name="courses"
    )
    tier = models.CharField(_("Tier"), max_length=24, choices=Tier.choices, editable=False)
    hours = models.DecimalField(
        _("Learning hours"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(0)],
        help_text=_("Credited when the course is completed."),
    )
    audience_positions = models.JSONField(_("For positions"), default=list, blank=True)
    cover = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    intro = RichTextField(
        _("Introduction"), blank=True, features=["bold", "italic", "ol", "ul", "link"]
    )
    exam = models.ForeignKey(
        "training.Exam",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="courses",
        verbose_name=_("Final exam"),
    )
    # Who teaches it: with enrolments, this traces the cascade (trained at the city, teaching
    # in the district).
    teachers = ParentalManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="courses_taught",
        verbose_name=_("Teachers"),
    )

    base_form_class = CoursePageForm
    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        MultiFieldPanel(
            [FieldPanel("hours"), FieldPanel("audience_positions"), FieldPanel("exam")],
            heading=_("Learning"),
        ),
        FieldPanel("cover"),
        FieldPanel("teachers"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    parent_page_types = ["cms.SectionPage"]
    subpage_types = ["training.LessonPage"]
    # Loaded with the page when it is served (see training.pagetree.route): the page shows them.
    route_select_related = ("owner_unit", "exam", "cover")

    class Meta:
        verbose_name = _("Course")
        verbose_name_plural = _("Courses")

    def save(self, *args, **kwargs):
        # The owner is the unit of the section the course sits in (sections are an upper layer:
        # reached through the page tree, never imported).
        parent = self.get_parent() if self.pk or self.path else None
        section = parent.specific if parent is not None else None
        unit = getattr(section, "unit", None)
        if unit is not None:
            self.owner_unit = unit
            self.tier = rules.TIER_BY_LEVEL.get(unit.level, "")
        super().save(*args, **kwargs)

    def lessons(self):
        return LessonPage.objects.live().child_of(self).order_by("path")

    def get_view_restrictions(self):
        return pagetree.view_restrictions(self)

    def get_context(self, request, *args, **kwargs):
        from .progress import course_outline

        context = super().get_context(request, *args, **kwargs)
        context.update(course_outline(self, request.user))
        context["breadcrumbs"] = pagetree.trail(self, from_depth=2)
        context["teachers"] = list(self.teachers.all())
        return context


class LessonPage(Page):
    body = StreamField(LessonBody(), verbose_name=_("Content"))
    required = models.BooleanField(_("Required for completion"), default=True)
    minutes = models.PositiveIntegerField(_("Estimated minutes"), default=10)

    content_panels = [
        *Page.content_panels,
        FieldPanel("body"),
        FieldPanel("required"),
        FieldPanel("minutes"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("body")]
    parent_page_types = ["training.CoursePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("Lesson")
        verbose_name_plural = _("Lessons")

    @property
    def video_seconds(self) -> int | None:
        """Length of the lesson's first video: the 90 % rule applies to lessons with a video."""
        for block in self.body:
            if block.block_type == "video":
                return block.value["duration_seconds"]
        return None

    def get_view_restrictions(self):
        return pagetree.view_restrictions(self)

    def get_context(self, request, *args, **kwargs):
        from .progress import lesson_state

        context = super().get_context(request, *args, **kwargs)
        context.update(lesson_state(self, request.user))
        return context


class TrainingPlan(ClusterableModel):
    """A unit's plan for a period: courses, required or elective, with deadlines.

    Plans cascade: a worker gets the required items of every plan owned by a unit above
    their community (and by the community itself).
    """

    class Audience(models.TextChoices):
        EVERYONE = "everyone", _("Every worker in the unit's area")
        NOMINATED = "nominated", _("Only nominated trainees")

    owner_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="training_plans", verbose_name=_("Unit")
    )
    title = models.CharField(_("Title"), max_length=200)
    start_date = models.DateField(_("Start"))
    end_date = models.DateField(_("End"))
    audience = models.CharField(
        _("Audience"), max_length=16, choices=Audience.choices, default=Audience.EVERYONE
    )
    published = models.BooleanField(_("Published"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    base_form_class = TrainingPlanForm
    panels = [
        FieldPanel("owner_unit"),
        FieldPanel("title"),
        MultiFieldPanel([FieldPanel("start_date"), FieldPanel("end_date")], heading=_("Period")),
        FieldPanel("audience"),
        InlinePanel("items", label=_("Courses")),
        InlinePanel("quotas", label=_("Nomination quotas")),
        FieldPanel("published"),
    ]

    class Meta:
        verbose_name = _("Training plan")
        verbose_name_plural = _("Training plans")
        ordering = ["-start_date", "title"]

    def __str__(self):
        return self.title

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The plan cannot end before it starts.")})


class PlanItem(Orderable):
    plan = ParentalKey(TrainingPlan, on_delete=models.CASCADE, related_name="items")
    course = models.ForeignKey(
        CoursePage, on_delete=models.CASCADE, related_name="plan_items", verbose_name=_("Course")
    )
    required = models.BooleanField(_("Required"), default=True)
    deadline = models.DateField(_("Deadline"), null=True, blank=True)

    panels = [FieldPanel("course"), FieldPanel("required"), FieldPanel("deadline")]

    class Meta(Orderable.Meta):
        verbose_name = _("Plan item")
        constraints = [
            models.UniqueConstraint(fields=["plan", "course"], name="unique_plan_course")
        ]

    def __str__(self):
        return f"{self.plan} · {self.course}"

    def clean(self):
        # An item of a plan being created has no plan yet (TrainingPlanForm checks it then).
        plan = getattr(self, "plan", None)
        if plan is None:
            return
        if self.deadline and plan.start_date and self.deadline < plan.start_date:
            raise ValidationError({"deadline": _("The deadline is before the plan starts.")})
        if self.deadline and plan.end_date and self.deadline > plan.end_date:
            raise ValidationError({"deadline": _("The deadline is after the plan ends.")})


class PlanQuota(Orderable):
    """How many trainees a unit below the plan's owner may nominate (e.g. per district)."""

    plan = ParentalKey(TrainingPlan, on_delete=models.CASCADE, related_name="quotas")
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="+", verbose_name=_("Unit")
    )
    quota = models.PositiveIntegerField(_("Quota"))

    panels = [FieldPanel("unit"), FieldPanel("quota")]

    class Meta(Orderable.Meta):
        verbose_name = _("Nomination quota")
        constraints = [models.UniqueConstraint(fields=["plan", "unit"], name="unique_plan_quota")]

    def __str__(self):
        return f"{self.unit}: {self.quota}"


class Nomination(models.Model):
    """A trainee a unit put forward for a plan with a named audience (backbone trainees)."""

    plan = models.ForeignKey(TrainingPlan, on_delete=models.CASCADE, related_name="nominations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="nominations"
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("Nominated by")
    )
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Nomination")
        verbose_name_plural = _("Nominations")
        constraints = [models.UniqueConstraint(fields=["plan", "user"], name="unique_nomination")]

    def __str__(self):
        return f"{self.plan}: {self.user}"


class Enrolment(models.Model):
    class Source(models.TextChoices):
        PLAN = "plan", _("Required by a plan")
        SELF = "self", _("Chosen by the worker")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments"
    )
    course = models.ForeignKey(CoursePage, on_delete=models.CASCADE, related_name="enrolments")
    plan = models.ForeignKey(
        TrainingPlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="enrolments"
    )
    source = models.CharField(max_length=8, choices=Source.choices)
    required = models.BooleanField(default=False)
    deadline = models.DateField(null=True, blank=True)
    enrolled_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("Enrolment")
        verbose_name_plural = _("Enrolments")
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="unique_enrolment")]

    def __str__(self):
        return f"{self.user} · {self.course}"


class LessonProgress(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    lesson = models.ForeignKey(LessonPage, on_delete=models.CASCADE, related_name="progress")
    # Stretches of the video actually played, [[start, end], …] in seconds, merged.
    watched = models.JSONField(default=list)
    position = models.FloatField(default=0)
    last_report_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Where "continue" takes the worker: the lesson touched last.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("Lesson progress")
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="unique_lesson_progress")
        ]

    def __str__(self):
        return f"{self.user} · {self.lesson}"


class HoursCategory(models.TextChoices):
    """Where learning hours come from; the yearly requirement sets a minimum share offline."""

    ONLINE = "online", _("Online courses")
    OFFLINE = "offline", _("Offline sessions")
    EXTERNAL = "external", _("Approved outside training")
    CONTEST = "contest", _("Skill contests")


class HoursEntryQuerySet(models.QuerySet):
    """Bulk changes would get round the ledger's rule just as well as editing one entry."""

    def update(self, **kwargs):
        raise ValueError("Learning-hours entries are never changed; add a correction instead.")

    def delete(self):
        raise ValueError("Learning-hours entries are never deleted; add a correction instead.")


class HoursEntry(models.Model):
    """One line of a worker's learning-hours ledger (学时). Never edited or deleted: a mistake is
    put right by a correction, a new entry (often negative) naming the one it corrects and why.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hours"
    )
    hours = models.DecimalField(max_digits=5, decimal_places=1)
    earned_on = models.DateField(db_index=True)
    year = models.PositiveSmallIntegerField(db_index=True, editable=False)
    category = models.CharField(
        _("Category"), max_length=8, choices=HoursCategory.choices, default=HoursCategory.ONLINE
    )
    tier = models.CharField(_("Tier"), max_length=24, choices=Tier.choices, blank=True)
    course = models.ForeignKey(
        CoursePage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    enrolment = models.OneToOneField(
        Enrolment, on_delete=models.SET_NULL, null=True, blank=True, related_name="hours_entry"
    )
    # What earned it, so nothing is credited twice ("attendance:12", "external:5", "contest:3:40").
    source = models.CharField(max_length=64, unique=True, null=True, blank=True)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, null=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = HoursEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("Learning hours")
        verbose_name_plural = _("Learning hours")
        indexes = [models.Index(fields=["user", "year"], name="hours_user_year")]

    def __str__(self):
        return f"{self.user} {self.hours} ({self.earned_on})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Learning-hours entries are never changed; add a correction instead.")
        self.year = self.earned_on.year
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Learning-hours entries are never deleted; add a correction instead.")


class HoursRequirement(models.Model):
    """Hours a worker in a position owes in a year, set by the city (blank position: everyone)."""

    owner_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("Unit")
    )
    year = models.PositiveSmallIntegerField(_("Year"))
    position = models.CharField(
        _("Position"), max_length=16, choices=WorkerProfile.Position.choices, blank=True
    )
    hours = models.DecimalField(
        _("Hours required"), max_digits=5, decimal_places=1, validators=[MinValueValidator(0)]
    )
    min_offline_share = models.DecimalField(
        _("Minimum share offline"),
        max_digits=3,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("e.g. 0.25: a quarter of the hours in offline sessions."),
    )

    class Meta:
        verbose_name = _("Yearly hours requirement")
        verbose_name_plural = _("Yearly hours requirements")
        constraints = [
            models.UniqueConstraint(
                fields=["owner_unit", "year", "position"], name="unique_hours_requirement"
            )
        ]

    def __str__(self):
        return f"{self.year} {self.get_position_display() or _('everyone')} {self.hours}"


def proof_path(instance, filename: str) -> str:
    """Proofs carry personal details: a random name nobody can guess, whoever uploads it."""
    extension = Path(filename).suffix.lower()[:8]
    return f"external-proofs/{timezone.now():%Y}/{secrets.token_hex(16)}{extension}"


class ExternalTraining(models.Model):
    """Training a worker took elsewhere, declared with proof, approved by the street."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_training"
    )
    title = models.CharField(_("Training"), max_length=200)
    organiser = models.CharField(_("Organised by"), max_length=200)
    start_date = models.DateField(_("From"))
    end_date = models.DateField(_("To"))
    hours = models.DecimalField(
        _("Hours"), max_digits=5, decimal_places=1, validators=[MinValueValidator(0.5)]
    )
    proof = models.FileField(_("Proof (PDF or photo)"), upload_to=proof_path)
    status = models.CharField(
        _("Status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    reason = models.CharField(_("Reason"), max_length=300, blank=True)
    declared_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Outside training")
        verbose_name_plural = _("Outside training")
        ordering = ["-declared_at"]

    def __str__(self):
        return f"{self.user} · {self.title}"


class TrainingBase(models.Model):
    """A practical training base (实训基地) where offline sessions take place."""

    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="training_bases", verbose_name=_("Unit")
    )
    name = models.CharField(_("Name"), max_length=100)
    address = models.CharField(_("Address"), max_length=200)
    capacity = models.PositiveIntegerField(_("Capacity"), validators=[MinValueValidator(1)])
    contact_name = models.CharField(_("Contact"), max_length=50)
    contact_phone = models.CharField(_("Contact phone"), max_length=20)
    active = models.BooleanField(_("In use"), default=True)

    class Meta:
        verbose_name = _("Training base")
        verbose_name_plural = _("Training bases")
        ordering = ["unit__path", "name"]

    def __str__(self):
        return self.name


class TrainingSession(models.Model):
    """An offline session at a base: sign-up with a waiting list, QR check-in, hours credited."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")

    base = models.ForeignKey(
        TrainingBase, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("Base")
    )
    course = models.ForeignKey(
        CoursePage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("Course"),
    )
    title = models.CharField(_("Title"), max_length=200)
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="sessions_taught",
        verbose_name=_("Trainer"),
    )
    starts_at = models.DateTimeField(_("Starts"))
    ends_at = models.DateTimeField(_("Ends"))
    place = models.CharField(_("Room"), max_length=100, blank=True)
    capacity = models.PositiveIntegerField(_("Places"), validators=[MinValueValidator(1)])
    hours = models.DecimalField(
        _("Learning hours"), max_digits=4, decimal_places=1, validators=[MinValueValidator(0)]
    )
    min_presence_share = models.DecimalField(
        _("Minimum time present"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.8"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("Share of the session a worker must be present for to earn its hours."),
    )
    status = models.CharField(
        _("Status"), max_length=16, choices=Status.choices, default=Status.SCHEDULED
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("Reason for cancelling"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("Offline session")
        verbose_name_plural = _("Offline sessions")
        ordering = ["starts_at"]

    def __str__(self):
        return f"{self.title} · {self.starts_at:%Y-%m-%d}"

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The session must end after it starts.")})
        if self.base_id and self.capacity and self.capacity > self.base.capacity:
            raise ValidationError(
                {"capacity": _("The base holds at most %(n)s people.") % {"n": self.base.capacity}}
            )


class SessionSignup(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Place confirmed")
        WAITING = "waiting", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="signups")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_signups"
    )
    status = models.CharField(max_length=16, choices=Status.choices)
    # The waiting list's order: who signed up (or re-signed up) first.
    signed_up_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Session sign-up")
        ordering = ["signed_up_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="unique_session_signup")
        ]

    def __str__(self):
        return f"{self.session} · {self.user} · {self.status}"


class Attendance(models.Model):
    """A worker's presence at a session: checked in and out by QR, by hand, or from paper."""

    class Source(models.TextChoices):
        QR = "qr", _("QR code")
        MANUAL = "manual", _("Entered by the trainer")
        PAPER = "paper", _("Paper sign-in sheet")

    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="attendances"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attendances"
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.QR)
    note = models.CharField(_("Note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("Attendance")
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="unique_attendance")
        ]

    def __str__(self):
        return f"{self.session} · {self.user}"


# --- Exams ----------------------------------------------------------------------------------


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TRUE_FALSE = "true_false", _("True or false")

    class Difficulty(models.IntegerChoices):
        EASY = 1, _("Easy")
        MEDIUM = 2, _("Medium")
        HARD = 3, _("Hard")

    owner_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="questions", verbose_name=_("Unit")
    )
    kind = models.CharField(_("Type"), max_length=16, choices=Kind.choices)
    text = models.TextField(_("Question"))
    # Option texts in their original order; answer holds 0-based indexes into them.
    options = models.JSONField(_("Options"), default=list)
    answer = models.JSONField(_("Answer"), default=list)
    explanation = models.TextField(_("Explanation"), blank=True)
    category = models.CharField(_("Category"), max_length=50, db_index=True)
    difficulty = models.PositiveSmallIntegerField(
        _("Difficulty"), choices=Difficulty.choices, default=Difficulty.MEDIUM
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Question")
        verbose_name_plural = _("Questions")
        ordering = ["category", "id"]

    def __str__(self):
        return self.text[:60]


class Exam(ClusterableModel):
    class Mode(models.TextChoices):
        FIXED = "fixed", _("The same questions for everyone")
        DRAWN = "drawn", _("Questions drawn at random per category for each attempt")

    owner_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="exams", verbose_name=_("Unit")
    )
    title = models.CharField(_("Title"), max_length=200)
    mode = models.CharField(_("Questions"), max_length=8, choices=Mode.choices, default=Mode.FIXED)
    questions = ParentalManyToManyField(
        Question, blank=True, related_name="exams", verbose_name=_("Fixed questions")
    )
    time_limit_minutes = models.PositiveIntegerField(
        _("Time limit (minutes)"), default=30, validators=[MinValueValidator(1)]
    )
    max_attempts = models.PositiveIntegerField(
        _("Attempts allowed"), default=3, validators=[MinValueValidator(1)]
    )
    pass_mark = models.PositiveSmallIntegerField(
        _("Pass mark (%)"), default=60, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    shuffle_options = models.BooleanField(_("Shuffle options"), default=True)
    opens_at = models.DateTimeField(_("Opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("Closes"), null=True, blank=True)

    # The admin form (panels, validation) lives with ExamViewSet in training/exam_admin.py.

    class Meta:
        verbose_name = _("Exam")
        verbose_name_plural = _("Exams")

    def __str__(self):
        return self.title

    def clean(self):
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("The exam must close after it opens.")})


class DrawRule(Orderable):
    exam = ParentalKey(Exam, on_delete=models.CASCADE, related_name="draw_rules")
    category = models.CharField(_("Category"), max_length=50)
    count = models.PositiveIntegerField(_("Questions"), validators=[MinValueValidator(1)])

    panels = [FieldPanel("category"), FieldPanel("count")]

    class Meta(Orderable.Meta):
        verbose_name = _("Draw rule")

    def __str__(self):
        return f"{self.category} × {self.count}"


class ExamAttempt(models.Model):
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exam_attempts"
    )
    started_at = models.DateTimeField()
    # Enforced on the server: answers after this moment (plus a little grace) are refused.
    deadline = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The paper as drawn for this attempt: [{"question": id, "order": [option indexes shown]}].
    paper = models.JSONField(default=list)
    answers = models.JSONField(default=dict)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(null=True)

    class Meta:
        verbose_name = _("Exam attempt")
        verbose_name_plural = _("Exam attempts")
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.exam} · {self.user} · {self.started_at:%Y-%m-%d %H:%M}"


# --- Certificates ---------------------------------------------------------------------------


class Certificate(models.Model):
    """A certificate anyone can verify by its code: for a course, a year's hours or an award.

    Other parts of the platform issue them (competitions issue award certificates); the PDF is
    made in the background and the public page at /training/verify/<code>/ says whether it holds.
    """

    class Kind(models.TextChoices):
        COURSE = "course", _("Course completion")
        HOURS = "hours", _("Yearly learning hours")
        AWARD = "award", _("Competition award")

    code = models.CharField(_("Verification code"), max_length=16, unique=True)
    kind = models.CharField(_("Kind"), max_length=8, choices=Kind.choices)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates"
    )
    title = models.CharField(_("Title"), max_length=200)
    achievement = models.CharField(_("Achievement"), max_length=300)
    issuer = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("Issued by")
    )
    issued_on = models.DateField(_("Issued on"))
    # What it certifies, so the same thing is never certified twice ("award:<registration>").
    source = models.CharField(max_length=100, unique=True)
    pdf = models.FileField(upload_to="certificates/", blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(_("Reason for revoking"), max_length=300, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("Certificate")
        verbose_name_plural = _("Certificates")

    def __str__(self):
        return f"{self.code} · {self.title}"

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None
