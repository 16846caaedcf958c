from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from . import levels
from .events import unit_moved
from .phones import looks_like_phone, normalise_phone
from .validators import validate_mainland_mobile, validate_username


class OrgUnit(MP_Node):
    """One node of the tree 市 → 区/县 → 街道/乡镇 → 社区/村.

    Materialised paths make "everything under this unit" one indexed prefix query.
    """

    class Level(models.TextChoices):
        CITY = levels.CITY, _("City")
        DISTRICT = levels.DISTRICT, _("District / county")
        STREET = levels.STREET, _("Street / township")
        COMMUNITY = levels.COMMUNITY, _("Community / village")

    code = models.CharField(_("Code"), max_length=32, unique=True)
    name = models.CharField(_("Name"), max_length=100)
    level = models.CharField(_("Level"), max_length=16, choices=Level.choices)
    # Residents, for the staffing standard (workers per 10,000 residents).
    population = models.PositiveIntegerField(_("Resident population"), null=True, blank=True)

    node_order_by = ["code"]

    class Meta:
        verbose_name = _("Org unit")
        verbose_name_plural = _("Org unit")

    def __str__(self):
        return self.name

    # Every insertion and move passes through one check, whoever calls it (code, admin forms).
    @staticmethod
    def check_placement(parent: "OrgUnit | None", level: str, name: str):
        if not levels.may_contain(parent.level if parent else None, level):
            if parent is None:
                raise ValidationError(_("Only a city can be a top-level unit."))
            raise ValidationError(
                _(
                    "“%(unit)s” (%(level)s) cannot be placed under “%(parent)s” (%(parent_level)s), which is of the same or a lower level."
                )
                % {
                    "unit": name,
                    "level": OrgUnit.Level(level).label,
                    "parent": parent.name,
                    "parent_level": parent.get_level_display(),
                }
            )

    @staticmethod
    def _new_unit(kwargs) -> tuple[str, str]:
        # treebeard takes either field values or a ready instance.
        unit = kwargs.get("instance")
        if unit is not None:
            return unit.level, unit.name
        return kwargs.get("level"), kwargs.get("name", "")

    @classmethod
    def add_root(cls, **kwargs):
        cls.check_placement(None, *cls._new_unit(kwargs))
        return super().add_root(**kwargs)

    def add_child(self, **kwargs):
        self.check_placement(self, *self._new_unit(kwargs))
        return super().add_child(**kwargs)

    def add_sibling(self, pos=None, **kwargs):
        self.check_placement(self.get_parent(), *self._new_unit(kwargs))
        return super().add_sibling(pos, **kwargs)

    def move(self, target, pos=None):
        new_parent = target if pos and pos.endswith("child") else target.get_parent()
        self.check_placement(new_parent, self.level, self.name)
        if new_parent is not None and new_parent.path.startswith(self.path):
            raise ValidationError(_("A unit cannot be moved under one of its own descendants."))
        with transaction.atomic():
            super().move(target, pos)
            moved = OrgUnit.objects.get(pk=self.pk)
            unit_moved.send(sender=OrgUnit, unit=moved, new_parent=moved.get_parent())

    def clean(self):
        if not self.pk:
            return
        self.check_placement(self.get_parent(), self.level, self.name)
        for child in self.get_children():
            self.check_placement(self, child.level, child.name)

    def name_path(self) -> str:
        """'东城区/和平街道/幸福社区': how admins write a unit in spreadsheets."""
        names = [a.name for a in self.get_ancestors() if a.level != levels.CITY]
        return "/".join([*names, self.name])

    @classmethod
    def name_paths(cls) -> dict[int, str]:
        """Every unit's name path by id, in one query (name_path() costs one per unit)."""
        units = list(cls.objects.values("id", "name", "level", "path"))
        by_path = {u["path"]: u for u in units}
        paths = {}
        for unit in units:
            chain = (
                by_path[unit["path"][:i]]
                for i in range(cls.steplen, len(unit["path"]) + 1, cls.steplen)
            )
            paths[unit["id"]] = "/".join(
                u["name"] for u in chain if u["level"] != levels.CITY or u is unit
            )
        return paths

    # Role groups are named "<unit code>:<kind>"; no other group name has a colon.
    ROLE_GROUP_SEPARATOR = ":"
    ROLE_GROUPS = models.Q(name__contains=ROLE_GROUP_SEPARATOR)  # filters Group querysets

    def group_for(self, kind: str) -> Group:
        """The Django group holding the people with role `kind` here (admins, trainers).

        Wagtail's page permissions attach to groups, so a role becomes a membership: it follows
        the role (people/signals.py) and is never given or taken by hand.
        """
        name = f"{self.code}{self.ROLE_GROUP_SEPARATOR}{kind}"
        group, _created = Group.objects.get_or_create(name=name)
        return group

    @classmethod
    def is_role_group(cls, group: Group) -> bool:
        return cls.ROLE_GROUP_SEPARATOR in group.name


class User(AbstractUser):
    """Everyone who logs in. Workers log in with their mobile number."""

    username = models.CharField(
        _("Username"),
        max_length=150,
        unique=True,
        validators=[validate_username],
        help_text=_("Starts with a letter; letters, digits and . _ - only; never all digits."),
        error_messages={"unique": _("This username is already taken.")},
    )
    real_name = models.CharField(_("Real name"), max_length=50)
    phone = models.CharField(
        _("Mobile number"),
        max_length=11,
        unique=True,
        validators=[validate_mainland_mobile],
        error_messages={"unique": _("This mobile number is already used by another account.")},
    )
    email = models.EmailField(_("Email"), blank=True)

    REQUIRED_FIELDS = ["real_name", "phone"]

    @classmethod
    def by_login(cls, typed: str) -> "User | None":
        """The account a mobile number (in any usual spelling) or a username names."""
        typed = typed.strip()
        if looks_like_phone(typed):  # usernames are never all digits
            return cls.objects.filter(phone=normalise_phone(typed)).first()
        return cls.objects.filter(username__iexact=typed).first()

    class Meta:
        verbose_name = _("User")
        verbose_name_plural = _("User")

    def __str__(self):
        return self.real_name or self.username

    def get_full_name(self):
        return self.real_name

    def get_short_name(self):
        return self.real_name


class Role(models.Model):
    """Attaches a user to an org unit with one kind of responsibility."""

    class Kind(models.TextChoices):
        WORKER = "worker", _("Community worker")
        TRAINER = "trainer", _("Trainer")
        JUDGE = "judge", _("Judge")
        ADMIN = "admin", _("Admin")

    # Kinds whose members edit the unit's section in the Wagtail admin.
    EDITING_KINDS = (Kind.ADMIN, Kind.TRAINER)

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="roles")
    kind = models.CharField(_("Role"), max_length=16, choices=Kind.choices)

    class Meta:
        verbose_name = _("Role")
        verbose_name_plural = _("Role")
        constraints = [models.UniqueConstraint(fields=["user", "unit", "kind"], name="unique_role")]

    def __str__(self):
        return f"{self.user} · {self.unit} · {self.get_kind_display()}"


class ActivationCode(models.Model):
    """A one-time code with which a worker imported from a roster sets their first password
    (people/activation.py). Only its SHA-256 is kept; the code itself is on the slip handed out."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="activation_code")
    code_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("Valid until"))
    issued_at = models.DateTimeField(_("Issued"), auto_now_add=True)
    issued_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("Issued by")
    )

    class Meta:
        verbose_name = _("Activation code")
        verbose_name_plural = _("Activation codes")

    def __str__(self):
        return f"{self.user} · {self.expires_at:%Y-%m-%d}"


class WorkerProfile(models.Model):
    """What makes a user a community worker: where and as what they work."""

    class Position(models.TextChoices):
        SECRETARY = "secretary", _("Community Party secretary")
        DIRECTOR = "director", _("Residents' committee director")
        DEPUTY = "deputy", _("Deputy secretary / deputy director")
        MEMBER = "member", _("Committee member")
        FULL_TIME = "full_time", _("Full-time community worker")
        GRID = "grid", _("Grid worker")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="worker_profile")
    community = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="workers",
        limit_choices_to={"level": levels.COMMUNITY},
        verbose_name=_("Community"),
    )
    position = models.CharField(_("Position"), max_length=16, choices=Position.choices)
    worker_number = models.CharField(_("Worker number"), max_length=32, blank=True)
    start_date = models.DateField(_("Start date"), null=True, blank=True)
    # The ID number is stored encrypted; the keyed hash finds a person by it without decrypting.
    id_number_encrypted = models.TextField(_("ID number (encrypted)"), blank=True, editable=False)
    id_number_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)

    class Meta:
        verbose_name = _("Worker profile")
        verbose_name_plural = _("Worker profile")
        permissions = [
            ("view_personal_data", _("Can see ID numbers and mobile numbers in full")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=~models.Q(id_number_hash=""),
                name="unique_id_number",
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.community}"

    @transaction.atomic
    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # A worker profile implies the worker role at that community, kept in one place.
        Role.objects.filter(user=self.user, kind=Role.Kind.WORKER).exclude(
            unit=self.community
        ).delete()
        Role.objects.get_or_create(user=self.user, unit=self.community, kind=Role.Kind.WORKER)

    def clean(self):
        if self.community_id and self.community.level != levels.COMMUNITY:
            raise ValidationError({"community": _("The unit must be a community or village.")})


class AuditQuerySet(models.QuerySet):
    """The audit log is append-only: no bulk change or removal through the ORM."""

    def update(self, **kwargs):
        raise AuditLogIsAppendOnly

    def delete(self):
        raise AuditLogIsAppendOnly


class AuditLogIsAppendOnly(Exception):
    def __str__(self):
        return "the audit log is append-only: entries are never changed or removed"


class AuditEvent(models.Model):
    """One entry of the single audit log: security events and important actions.

    Append-only and hash-chained: each entry's `hash` covers its fields and the previous entry's
    hash, and `AuditChain` keeps the head, so changing, removing or reordering a past entry is
    found by `manage.py verify_audit_log`. people.audit.record is the only writer.
    """

    class Action(models.TextChoices):
        LOGIN = "login", _("Logged in")
        LOGIN_FAILED = "login_failed", _("Failed to log in")
        LOCKED_OUT = "locked_out", _("Locked out after failed logins")
        LOCKOUT_LIFTED = "lockout_lifted", _("Lifted a lock-out")
        ACTIVATION_ISSUE = "activation_issue", _("Issued activation codes")
        ACTIVATED = "activated", _("Activated an account")
        LOGOUT = "logout", _("Logged out")
        PASSWORD_CHANGE = "password_change", _("Changed a password")
        MFA_CHANGE = "mfa_change", _("Changed two-factor authentication")
        ROLE_GRANT = "role_grant", _("Granted a role")
        ROLE_REVOKE = "role_revoke", _("Revoked a role")
        DUTY_CHANGE = "duty_change", _("Changed an administrator duty")
        UNMASK = "unmask", _("Viewed personal data in full")
        EXPORT = "export", _("Exported")
        IMPORT = "import", _("Imported a roster")
        TRANSFER = "transfer", _("Transferred a worker")
        CORRECT = "correct", _("Corrected a record by hand")
        SCORE_CHANGE = "score_change", _("Changed a score")
        RESULT_RELEASE = "result_release", _("Released results")
        APPEAL_DECISION = "appeal_decision", _("Decided an appeal")
        BACKUP = "backup", _("Backed up the site")
        RESTORE = "restore", _("Restored the site from a backup")

    # No database constraint and nothing done on the user's deletion: an entry never changes;
    # `actor_name` keeps who it was.
    actor = models.ForeignKey(
        User,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
        verbose_name=_("Who"),
    )
    actor_name = models.CharField(_("Account"), max_length=150, blank=True)
    at = models.DateTimeField(_("When"), db_index=True)
    action = models.CharField(_("Action"), max_length=24, choices=Action.choices, db_index=True)
    what = models.CharField(_("What"), max_length=300)
    scope = models.CharField(_("Scope"), max_length=500, blank=True)
    count = models.PositiveIntegerField(_("Records"), default=0)
    address = models.GenericIPAddressField(_("Address"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("Audit event")
        verbose_name_plural = _("Audit events")
        ordering = ["-id"]
        permissions = [("export_auditevent", _("Can export the audit log"))]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()} {self.what}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AuditLogIsAppendOnly
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly


class AuditChain(models.Model):
    """The head of the audit log's hash chain: one row, locked by every writer.

    Locking it serialises writers (so two entries never claim the same predecessor), and its
    `length` and `head` let the check find entries removed from the end.
    """

    length = models.PositiveBigIntegerField(default=0)
    head = models.CharField(max_length=64, default="0" * 64)

    def __str__(self):
        return f"{self.length} · {self.head[:12]}"


class RosterImport(models.Model):
    """One uploaded roster file, from upload through preview to the all-or-nothing import."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked, waiting for confirmation")
        REJECTED = "rejected", _("The file cannot be imported")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Import failed; nothing was changed")

    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Restricts the import to this unit's subtree (within the importer's own scope).
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, null=True, blank=True)
    allow_transfer = models.BooleanField(default=False)
    filename = models.CharField(max_length=255)
    # The file itself holds ID numbers: kept encrypted, and dropped once imported.
    file_encrypted = models.BinaryField(blank=True, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CHECKING)
    progress = models.PositiveSmallIntegerField(default=0)
    counts = models.JSONField(default=dict)
    # [{"row": 5, "column": "手机号", "message": "…"}]; the file-level message in `file_error`.
    errors = models.JSONField(default=list)
    file_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("Roster import")
        verbose_name_plural = _("Roster imports")
        ordering = ["-created_at"]

    def __str__(self):
        return self.filename

    @property
    def running(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.IMPORTING)

    @property
    def can_confirm(self) -> bool:
        return self.status == self.Status.CHECKED and not self.errors and not self.file_error


class Transfer(models.Model):
    """A worker moved from a community outside the importer's scope; kept for the record."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="transfers")
    from_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    roster_import = models.ForeignKey(
        RosterImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="transfers"
    )

    class Meta:
        verbose_name = _("Transfer")
        verbose_name_plural = _("Transfers")

    def __str__(self):
        return f"{self.user} {self.from_unit} → {self.to_unit}"
