"""Skill competitions: structure, scenario cards, registration, draws, judging, results, appeals.

A competition has rounds (street heats → district semi-final → city final); a round has stages
(written, scenario …) weighted into the round's total. Contestants enter a round through a
RoundEntry; in each stage they make an Appearance with a blind code, a place in the order, a room
and a scenario card. Judges score appearances they are assigned to on ScoreSheets; every change
to a sheet is a ScoreChange row. Published results are frozen in RoundResult versions.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from people.models import OrgUnit

from .blocks import MaterialBlock, RoleBlock, RubricBlock

RICH = ["h3", "bold", "italic", "ol", "ul", "link"]


class ScenarioPage(Page):  # noqa: DJ008 (Page gives __str__)
    """A scenario card (情景模拟题): the situation, the actors' parts and the rubric.

    Cards are confidential until a contest has used them: only organisers, trainers and judges
    read them, unless `public` is ticked (then workers can practise on them).
    """

    brief = RichTextField(_("Situation"), features=RICH)
    task = models.TextField(_("Task for the contestant"))
    time_limit_minutes = models.PositiveSmallIntegerField(
        _("Time limit (minutes)"), default=8, validators=[MinValueValidator(1)]
    )
    roles = StreamField([("role", RoleBlock())], blank=True, verbose_name=_("Roles and scripts"))
    materials = StreamField(
        [("material", MaterialBlock())], blank=True, verbose_name=_("Materials")
    )
    rubric = StreamField(RubricBlock(), verbose_name=_("Rubric"))
    cases = ParentalManyToManyField(
        "cms.CasePage", blank=True, related_name="scenarios", verbose_name=_("Related cases")
    )
    public = models.BooleanField(
        _("Open for practice"),
        default=False,
        help_text=_("Tick once no contest will use it again: every worker can then read it."),
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("brief"),
        FieldPanel("task"),
        FieldPanel("time_limit_minutes"),
        FieldPanel("roles"),
        FieldPanel("materials"),
        FieldPanel("rubric"),
        FieldPanel("cases"),
        FieldPanel("public"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("task")]
    parent_page_types = ["cms.SectionPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("Scenario card")
        verbose_name_plural = _("Scenario cards")

    def criteria(self) -> list[dict]:
        """The rubric as plain data: [{code, title, max_points, step, bands: [{low, high, descriptor}]}]."""
        return [
            {
                "code": c.value["code"],
                "title": c.value["title"],
                "max_points": Decimal(c.value["max_points"]),
                "step": Decimal(c.value["step"]),
                "bands": [
                    {
                        "low": str(b["low"]),
                        "high": str(b["high"]),
                        "descriptor": b["descriptor"],
                    }
                    for b in c.value["bands"]
                ],
            }
            for c in self.rubric
        ]

    def get_context(self, request, *args, **kwargs):
        from .scenario_views import scenario_page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(scenario_page_context(self))
        return context

    def serve(self, request, *args, **kwargs):
        from .access import may_read_scenario

        if not may_read_scenario(request.user, self):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        return super().serve(request, *args, **kwargs)


class RecusalLevel(models.TextChoices):
    STREET = "street", _("Same street")
    DISTRICT = "district", _("Same district")


class Competition(models.Model):
    class Status(models.TextChoices):
        PREPARING = "preparing", _("Preparing")
        REGISTRATION = "registration", _("Registration open")
        RUNNING = "running", _("Under way")
        FINISHED = "finished", _("Finished")

    title = models.CharField(_("Title"), max_length=200)
    year = models.PositiveSmallIntegerField(_("Year"))
    owner_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="competitions", verbose_name=_("Organiser")
    )
    description = models.TextField(_("Description"), blank=True)
    status = models.CharField(
        _("Status"), max_length=16, choices=Status.choices, default=Status.PREPARING
    )
    registration_closes = models.DateTimeField(_("Registration closes"), null=True, blank=True)
    recusal_level = models.CharField(
        _("Judges stand aside from contestants of"),
        max_length=16,
        choices=RecusalLevel.choices,
        default=RecusalLevel.STREET,
    )
    appeal_hours = models.PositiveSmallIntegerField(
        _("Appeal window (hours)"), default=72, validators=[MinValueValidator(1)]
    )
    chief_judge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="competitions_chaired",
        verbose_name=_("Chief judge"),
    )
    arbiters = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="competitions_arbitrated",
        verbose_name=_("Arbitration group"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("Competition")
        verbose_name_plural = _("Competitions")
        ordering = ["-year", "title"]

    def __str__(self):
        return self.title


class Quota(models.Model):
    """How many workers a unit may put forward (nominated and approved together)."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="quotas")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    seats = models.PositiveIntegerField(_("Places"))

    class Meta:
        verbose_name = _("Quota")
        constraints = [
            models.UniqueConstraint(fields=["competition", "unit"], name="unique_quota_unit")
        ]

    def __str__(self):
        return f"{self.unit} · {self.seats}"


class Registration(models.Model):
    class Status(models.TextChoices):
        NOMINATED = "nominated", _("Nominated")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    competition = models.ForeignKey(
        Competition, on_delete=models.CASCADE, related_name="registrations"
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="registrations"
    )
    # Where the worker served when nominated: team rankings and recusal use it, so a later
    # transfer does not move a contestant between teams mid-contest.
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("Status"), max_length=16, choices=Status.choices, default=Status.NOMINATED
    )
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    nominated_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("Note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("Registration")
        verbose_name_plural = _("Registrations")
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "worker"], name="unique_registration_worker"
            )
        ]

    def __str__(self):
        return f"{self.competition} · {self.worker}"


class Round(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Not started")
        RUNNING = "running", _("Under way")
        NOTICE = "notice", _("Results on public notice")
        FINAL = "final", _("Final")

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="rounds")
    order = models.PositiveSmallIntegerField(_("Order"))
    name = models.CharField(_("Name"), max_length=100)
    # Contestants compete, rank and advance within units of this level (each street's heat).
    group_level = models.CharField(
        _("Ranked within"),
        max_length=16,
        choices=[
            ("city", _("The whole city")),
            ("district", _("Each district")),
            ("street", _("Each street")),
        ],
        default="city",
    )
    advance_top_n = models.PositiveSmallIntegerField(
        _("Top N advance"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    advance_share = models.DecimalField(
        _("Top share advances"),
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(1)],
    )
    tie_breakers = models.JSONField(
        _("Tie-breakers"), default=list, blank=True, help_text=_("Stage codes, in order.")
    )
    # [{"name": "一等奖", "share": "0.1"}, …] — only the last round usually gives awards.
    awards = models.JSONField(_("Awards"), default=list, blank=True)
    hours = models.DecimalField(
        _("Learning hours for taking part"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
        help_text=_("Credited to every contestant when the round's result is final."),
    )
    status = models.CharField(
        _("Status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )

    class Meta:
        verbose_name = _("Round")
        verbose_name_plural = _("Rounds")
        ordering = ["competition", "order"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "order"], name="unique_round_order")
        ]

    def __str__(self):
        return f"{self.competition} · {self.name}"

    def clean(self):
        if self.advance_top_n and self.advance_share:
            raise ValidationError(_("Choose either top N or a top share, not both."))


class RoundEntry(models.Model):
    """A registered contestant taking part in a round (the first by approval, later ones by advancing)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="entries")
    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="round_entries"
    )

    class Meta:
        verbose_name = _("Round entry")
        constraints = [
            models.UniqueConstraint(fields=["round", "registration"], name="unique_round_entry")
        ]

    def __str__(self):
        return f"{self.round} · {self.registration.worker}"


class Stage(models.Model):
    class Kind(models.TextChoices):
        WRITTEN = "written", _("Written test")
        SCENARIO = "scenario", _("Scenario simulation")
        CASE = "case", _("Case analysis")
        OTHER = "other", _("Other")

    class Aggregate(models.TextChoices):
        MEAN = "mean", _("Mean of the judges")
        TRIMMED = "trimmed", _("Drop the highest and lowest")

    class Status(models.TextChoices):
        PREPARING = "preparing", _("Preparing")
        OPEN = "open", _("Scoring open")
        CLOSED = "closed", _("Closed")
        DECODED = "decoded", _("Decoded")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="stages")
    order = models.PositiveSmallIntegerField(_("Order"))
    code = models.CharField(
        _("Code"),
        max_length=20,
        validators=[
            RegexValidator(r"^[a-z][a-z0-9_]*$", _("Use lowercase latin letters, digits and _."))
        ],
        help_text=_("Used in exported score files, e.g. scenario."),
    )
    name = models.CharField(_("Name"), max_length=100)
    kind = models.CharField(_("Kind"), max_length=16, choices=Kind.choices)
    weight = models.DecimalField(
        _("Weight"),
        max_digits=4,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(1)],
    )
    aggregate = models.CharField(
        _("Panel score"), max_length=8, choices=Aggregate.choices, default=Aggregate.TRIMMED
    )
    trim = models.PositiveSmallIntegerField(_("Drop how many at each end"), default=1)
    min_judges = models.PositiveSmallIntegerField(
        _("Trim only with at least this many judges"), default=5, validators=[MinValueValidator(1)]
    )
    standardise = models.BooleanField(
        _("Standardise each judge's scores"),
        default=False,
        help_text=_("For rotating panels, where some judges are harsher than others."),
    )
    spread_threshold = models.DecimalField(
        _("Alert when judges' totals differ by more than"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("15"),
        validators=[MinValueValidator(0)],
    )
    exam = models.ForeignKey(
        "training.Exam",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="competition_stages",
        verbose_name=_("Exam (written test)"),
    )
    cards = models.ManyToManyField(
        ScenarioPage, blank=True, related_name="stages", verbose_name=_("Scenario cards")
    )
    status = models.CharField(
        _("Status"), max_length=16, choices=Status.choices, default=Status.PREPARING
    )
    draw_seed = models.CharField(_("Draw seed"), max_length=64, blank=True)
    # What the draw was made from (contestants, rooms, judges' units, conflicts): with the
    # seed, anyone can re-run it later, however the database has changed since.
    draw_inputs = models.JSONField(default=dict, blank=True)
    drawn_at = models.DateTimeField(null=True, blank=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decoded_at = models.DateTimeField(null=True, blank=True)
    decoded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("Stage")
        verbose_name_plural = _("Stages")
        ordering = ["round__order", "order"]
        constraints = [
            models.UniqueConstraint(fields=["round", "order"], name="unique_stage_order"),
            models.UniqueConstraint(fields=["round", "code"], name="unique_stage_code"),
        ]

    def __str__(self):
        return f"{self.round.name} · {self.name}"

    @property
    def decoded(self) -> bool:
        return self.status == self.Status.DECODED


class StageCriterion(models.Model):
    """A rubric criterion as the stage scores it, copied from its cards when the stage opens.

    Copying keeps scores meaningful if a card's page is edited later.
    """

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="criteria")
    order = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=20)
    title = models.CharField(max_length=100)
    max_points = models.DecimalField(max_digits=6, decimal_places=2)
    step = models.DecimalField(max_digits=5, decimal_places=2)
    bands = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("Criterion")
        ordering = ["stage", "order"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "code"], name="unique_stage_criterion")
        ]

    def __str__(self):
        return f"{self.title} ({self.max_points})"


class Room(models.Model):
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(_("Room"), max_length=50)
    judges = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="judging_rooms", verbose_name=_("Judges")
    )

    class Meta:
        verbose_name = _("Room")
        ordering = ["stage", "name"]
        constraints = [models.UniqueConstraint(fields=["stage", "name"], name="unique_room_name")]

    def __str__(self):
        return self.name


class Conflict(models.Model):
    """A conflict of interest a judge declared (a relative, a former colleague)."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="conflicts")
    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("Reason"), max_length=200)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Declared conflict")
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "judge", "worker"], name="unique_conflict"
            )
        ]

    def __str__(self):
        return f"{self.judge} ≠ {self.worker}"


class Appearance(models.Model):
    """A contestant's turn in a stage: blind code, place in the order, room and card."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="appearances")
    entry = models.ForeignKey(RoundEntry, on_delete=models.CASCADE, related_name="appearances")
    blind_code = models.CharField(_("Blind code"), max_length=12)
    order = models.PositiveIntegerField(_("Order"))
    room = models.ForeignKey(
        Room, on_delete=models.SET_NULL, null=True, blank=True, related_name="appearances"
    )
    card = models.ForeignKey(
        ScenarioPage, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    judges = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Assignment",
        related_name="appearances_to_judge",
    )

    class Meta:
        verbose_name = _("Appearance")
        ordering = ["stage", "order"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "entry"], name="unique_appearance_entry"),
            models.UniqueConstraint(fields=["stage", "blind_code"], name="unique_blind_code"),
        ]

    def __str__(self):
        return self.blind_code


class Assignment(models.Model):
    """A judge who scores an appearance: the room's panel less anyone recused."""

    appearance = models.ForeignKey(Appearance, on_delete=models.CASCADE, related_name="assignments")
    judge = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["appearance", "judge"], name="unique_assignment")
        ]

    def __str__(self):
        return f"{self.appearance} · {self.judge}"


class Recusal(models.Model):
    """Why a judge of the room does not score an appearance: kept so the panel can be explained."""

    class Reason(models.TextChoices):
        SAME_STREET = "same_street", _("Same street")
        SAME_DISTRICT = "same_district", _("Same district")
        DECLARED = "declared", _("Declared conflict")

    appearance = models.ForeignKey(Appearance, on_delete=models.CASCADE, related_name="recusals")
    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=16, choices=Reason.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["appearance", "judge"], name="unique_recusal")
        ]

    def __str__(self):
        return f"{self.appearance} · {self.judge} · {self.reason}"


class ScoreSheet(models.Model):
    """One judge's marks for one appearance; for a written stage, the exam's score (no judge)."""

    class Status(models.TextChoices):
        ENTERED = "entered", _("Typed in, awaiting confirmation")
        SUBMITTED = "submitted", pgettext_lazy("score sheet", "Submitted")
        REOPENED = "reopened", _("Reopened")

    class Source(models.TextChoices):
        ONLINE = "online", _("Scored on a device")
        PAPER = "paper", _("Typed in from paper")
        EXAM = "exam", _("Exam result")

    appearance = models.ForeignKey(Appearance, on_delete=models.CASCADE, related_name="sheets")
    judge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="score_sheets",
    )
    status = models.CharField(max_length=16, choices=Status.choices)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.ONLINE)
    # {criterion code: "8.5"} — Decimal strings, validated against the stage's criteria.
    values = models.JSONField(default=dict)
    total = models.DecimalField(max_digits=8, decimal_places=2)
    # The device's id for a submission: a resend of the same submission is recognised.
    submission_id = models.UUIDField(null=True, blank=True, unique=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("Score sheet")
        constraints = [
            models.UniqueConstraint(fields=["appearance", "judge"], name="unique_sheet_per_judge"),
            models.UniqueConstraint(
                fields=["appearance"],
                condition=models.Q(judge__isnull=True),
                name="unique_exam_sheet",
            ),
        ]

    def __str__(self):
        return f"{self.appearance} · {self.judge or _('exam')}"


class ScoreChange(models.Model):
    """The history of a score sheet, appended and never edited: who, when, old, new, why."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", pgettext_lazy("score sheet", "Submitted")
        ENTERED = "entered", _("Typed in from paper")
        CONFIRMED = "confirmed", _("Confirmed")
        REOPENED = "reopened", _("Reopened")
        REMARK = "remark", _("Re-mark requested")
        APPEAL = "appeal", _("Changed on appeal")
        EXAM = "exam", _("Taken from the exam")

    sheet = models.ForeignKey(ScoreSheet, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    old_values = models.JSONField(null=True, blank=True)
    new_values = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("Score change")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.sheet} · {self.kind} · {self.at:%Y-%m-%d %H:%M}"


class RemarkRequest(models.Model):
    """The chief judge asks a panel to mark a contestant again (judges disagreed too much)."""

    appearance = models.ForeignKey(Appearance, on_delete=models.CASCADE, related_name="remarks")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(_("Reason"))

    class Meta:
        verbose_name = _("Re-mark request")

    def __str__(self):
        return f"{self.appearance} · {self.requested_at:%Y-%m-%d %H:%M}"


class RoundResult(models.Model):
    """A published ranking of a round, frozen with everything needed to recompute it."""

    class Status(models.TextChoices):
        NOTICE = "notice", _("On public notice")
        FINAL = "final", _("Final")
        SUPERSEDED = "superseded", _("Superseded")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="results")
    version = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NOTICE)
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    appeal_deadline = models.DateTimeField()
    finalised_at = models.DateTimeField(null=True, blank=True)
    # [{rank, registration, contestant (blind code or number), name, unit, stages: {code: score},
    #   total, award}] as published.
    ranking = models.JSONField(default=list)
    scores_csv = models.TextField()
    rules_json = models.TextField()
    ranking_csv = models.TextField()
    sha256 = models.CharField(max_length=64)
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("Published result")
        ordering = ["round", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["round", "version"], name="unique_result_version")
        ]

    def __str__(self):
        return f"{self.round} · v{self.version}"


class Appeal(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting decision")
        UPHELD = "upheld", _("Upheld")
        REJECTED = "rejected", _("Rejected")

    result = models.ForeignKey(RoundResult, on_delete=models.CASCADE, related_name="appeals")
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="appeals")
    text = models.TextField(_("Grounds of the appeal"))
    filed_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        _("Status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    decision = models.TextField(_("Decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Appeal")
        verbose_name_plural = _("Appeals")
        ordering = ["filed_at"]

    def __str__(self):
        return f"{self.registration.worker} · {self.filed_at:%Y-%m-%d}"
