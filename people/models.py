from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from . import levels
from .events import unit_moved
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

    def group_for(self, kind: str) -> Group:
        """The Django group holding the people with role `kind` here (admins, trainers).

        Wagtail's page permissions attach to groups, so a role becomes a membership.
        """
        group, _created = Group.objects.get_or_create(name=f"{self.code}:{kind}")
        return group


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

    class Meta:
        verbose_name = _("Worker profile")
        verbose_name_plural = _("Worker profile")

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
