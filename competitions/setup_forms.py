"""Forms for setting a competition up: the competition, its rounds and stages, rooms, conflicts,
quotas. Choices are limited to what the organiser's scope and the competition's tree allow.
"""

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from people import levels
from people.models import OrgUnit, Role, User
from people.scope import ancestor_paths, scope_of
from training.models import Exam

from . import setup
from .models import Competition, Conflict, Registration, Room, Round, ScenarioPage, Stage

AWARD_ROWS = 3
# A competition's rules that a contest under way must keep.
FROZEN_COMPETITION_FIELDS = ("owner_unit", "recusal_level", "appeal_hours")


def person_label(user) -> str:
    """A name and where the person judges (from prefetched roles), so namesakes can be told apart."""
    units = [r.unit.name for r in user.roles.all() if r.kind == Role.Kind.JUDGE]
    return (
        f"{user.real_name} · {'、'.join(units)}" if units else f"{user.real_name} ({user.username})"
    )


def with_roles(queryset):
    return queryset.prefetch_related(
        Prefetch("roles", queryset=Role.objects.select_related("unit"))
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return person_label(obj)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return person_label(obj)


class WorkerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        profile = getattr(obj, "worker_profile", None)
        return f"{obj.real_name} · {profile.community.name}" if profile else obj.real_name


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.get_level_display()}"


def judges_near_scope(user):
    """Judges in or above any unit the user manages: whom they may seat or name chief judge."""
    scope = scope_of(user)
    if scope.everything:
        return User.objects.filter(roles__kind=Role.Kind.JUDGE, is_active=True).distinct()
    near = Q(pk__in=[])
    for path in scope.paths:
        near |= Q(roles__unit__path__startswith=path) | Q(
            roles__unit__path__in=ancestor_paths(path)
        )
    return (
        User.objects.filter(near, roles__kind=Role.Kind.JUDGE, is_active=True)
        .distinct()
        .order_by("real_name", "pk")
    )


class CompetitionForm(forms.ModelForm):
    owner_unit = UnitChoiceField(queryset=None, label=gettext_lazy("Organiser"))
    chief_judge = PersonChoiceField(
        queryset=None, required=False, label=gettext_lazy("Chief judge")
    )
    arbiters = PeopleChoiceField(
        queryset=None,
        required=False,
        label=gettext_lazy("Arbitration group"),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Competition
        fields = [
            "title",
            "year",
            "owner_unit",
            "description",
            "registration_closes",
            "recusal_level",
            "appeal_hours",
            "chief_judge",
            "arbiters",
        ]
        widgets = {
            "registration_closes": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_unit"].queryset = (
            scope_of(user)
            .units.filter(level__in=[levels.CITY, levels.DISTRICT, levels.STREET])
            .order_by("path")
        )
        judges = with_roles(judges_near_scope(user))
        self.fields["chief_judge"].queryset = judges
        self.fields["arbiters"].queryset = judges
        if not self.instance.pk:
            self.initial.setdefault("year", timezone.localdate().year)
        self.started = bool(self.instance.pk) and setup.competition_started(self.instance)

    def clean(self):
        cleaned = super().clean()
        if self.started:
            for name in FROZEN_COMPETITION_FIELDS:
                if name in self.changed_data:
                    self.add_error(name, _("A stage is already open: this can no longer change."))
        owner = cleaned.get("owner_unit")
        if owner is None:
            return cleaned
        allowed = set(setup.judge_candidates(owner).values_list("pk", flat=True))
        chief = cleaned.get("chief_judge")
        if chief and chief.pk not in allowed:
            self.add_error(
                "chief_judge",
                _("%(name)s is not a judge of %(unit)s or a unit above it.")
                % {"name": chief.real_name, "unit": owner.name},
            )
        for arbiter in cleaned.get("arbiters") or []:
            if arbiter.pk not in allowed:
                self.add_error(
                    "arbiters",
                    _("%(name)s is not a judge of %(unit)s or a unit above it.")
                    % {"name": arbiter.real_name, "unit": owner.name},
                )
        return cleaned


def parse_codes(text: str) -> list[str]:
    return [code for code in re.split(r"[\s,，、;；]+", text or "") if code]


class RoundForm(forms.ModelForm):
    tie_breakers_text = forms.CharField(
        label=gettext_lazy("Tie-breakers"),
        required=False,
        help_text=gettext_lazy(
            "Stage codes, in order, separated by commas, e.g. scenario, written."
        ),
    )

    class Meta:
        model = Round
        fields = ["order", "name", "group_level", "advance_top_n", "advance_share"]

    def __init__(self, *args, competition, **kwargs):
        super().__init__(*args, **kwargs)
        self.competition = competition
        self.instance.competition = competition
        if not self.instance.pk:
            last = competition.rounds.order_by("-order").first()
            self.initial.setdefault("order", last.order + 1 if last else 1)
        self.initial.setdefault("tie_breakers_text", ", ".join(self.instance.tie_breakers or []))
        awards = list(self.instance.awards or [])
        for n in range(1, AWARD_ROWS + 1):
            award = awards[n - 1] if n <= len(awards) else {}
            self.fields[f"award{n}_name"] = forms.CharField(
                label=_("Award %(n)s") % {"n": n},
                required=False,
                max_length=50,
                initial=award.get("name", ""),
            )
            self.fields[f"award{n}_share"] = forms.DecimalField(
                label=_("Share of contestants for award %(n)s") % {"n": n},
                required=False,
                max_digits=4,
                decimal_places=3,
                min_value=Decimal("0.001"),
                max_value=Decimal("1"),
                initial=award.get("share"),
                help_text=gettext_lazy("e.g. 0.1 for the best 10 %"),
            )

    def award_fields(self):
        return [(self[f"award{n}_name"], self[f"award{n}_share"]) for n in range(1, AWARD_ROWS + 1)]

    def clean_order(self):
        order = self.cleaned_data["order"]
        taken = self.competition.rounds.filter(order=order).exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(_("Another round already has this order."))
        return order

    def clean(self):
        cleaned = super().clean()
        try:
            setup.ensure_round_editable(self.instance)
        except ValidationError as error:
            raise ValidationError(error.messages) from error
        codes = parse_codes(cleaned.get("tie_breakers_text", ""))
        stage_codes = (
            self.instance.stages.values_list("code", flat=True) if self.instance.pk else []
        )
        try:
            setup.check_tie_breakers(codes, list(stage_codes), cleaned.get("name") or "")
        except ValidationError as error:
            self.add_error("tie_breakers_text", error)
        self.instance.tie_breakers = codes
        awards = self._awards(cleaned)
        if awards is not None:
            try:
                setup.check_awards(awards)
            except ValidationError as error:
                self.add_error(None, error)
            self.instance.awards = [{"name": a["name"], "share": str(a["share"])} for a in awards]
        return cleaned

    def _awards(self, cleaned) -> list[dict] | None:
        awards = []
        for n in range(1, AWARD_ROWS + 1):
            name = (cleaned.get(f"award{n}_name") or "").strip()
            share = cleaned.get(f"award{n}_share")
            if not name and share is None:
                continue
            if not name or share is None:
                self.add_error(
                    f"award{n}_name",
                    _("Award %(n)s needs both a name and a share.") % {"n": n},
                )
                return None
            awards.append({"name": name, "share": share.normalize()})
        return awards


class StageForm(forms.ModelForm):
    cards = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        label=gettext_lazy("Scenario cards"),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Stage
        fields = [
            "order",
            "code",
            "name",
            "kind",
            "weight",
            "aggregate",
            "trim",
            "min_judges",
            "standardise",
            "spread_threshold",
            "exam",
            "cards",
        ]

    def __init__(self, *args, round, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.round = round
        self.instance.round = round
        # What the stage already uses stays choosable even if it left the user's reach.
        in_scope = scope_of(user).filter(Exam.objects.all(), via="owner_unit").values("pk")
        self.fields["exam"].queryset = Exam.objects.filter(
            Q(pk__in=in_scope) | Q(pk=self.instance.exam_id or 0)
        ).order_by("title")
        chosen = self.instance.cards.values("pk") if self.instance.pk else []
        self.fields["cards"].queryset = ScenarioPage.objects.filter(
            Q(pk__in=ScenarioPage.objects.live().values("pk")) | Q(pk__in=chosen)
        ).order_by("title")
        if not self.instance.pk:
            last = round.stages.order_by("-order").first()
            self.initial.setdefault("order", last.order + 1 if last else 1)

    def _taken(self, **lookup) -> bool:
        return self.round.stages.filter(**lookup).exclude(pk=self.instance.pk).exists()

    def clean_order(self):
        order = self.cleaned_data["order"]
        if self._taken(order=order):
            raise ValidationError(_("Another stage of this round already has this order."))
        return order

    def clean_code(self):
        code = self.cleaned_data["code"]
        if self._taken(code=code):
            raise ValidationError(_("Another stage of this round already has this code."))
        return code

    def clean(self):
        cleaned = super().clean()
        try:
            setup.ensure_round_editable(self.round)
        except ValidationError as error:
            raise ValidationError(error.messages) from error
        kind, exam, cards = cleaned.get("kind"), cleaned.get("exam"), cleaned.get("cards")
        if kind == Stage.Kind.WRITTEN:
            if exam is None:
                self.add_error("exam", _("A written test needs an exam."))
            if cards:
                self.add_error("cards", _("A written test has no scenario cards."))
        elif exam is not None:
            self.add_error("exam", _("Only a written test takes an exam."))
        self._check_trim(cleaned)
        self._check_weight(cleaned.get("weight"))
        return cleaned

    def _check_trim(self, cleaned):
        trim, least = cleaned.get("trim"), cleaned.get("min_judges")
        if cleaned.get("aggregate") == Stage.Aggregate.TRIMMED and trim is not None and least:
            if least <= 2 * trim:
                self.add_error(
                    "min_judges",
                    _("Dropping %(trim)s at each end needs at least %(least)s judges.")
                    % {"trim": trim, "least": 2 * trim + 1},
                )

    def _check_weight(self, weight):
        if weight is None:
            return
        others = self.round.stages.exclude(pk=self.instance.pk)
        total = sum((s.weight for s in others), Decimal(0)) + weight
        if total > 1:
            self.add_error(
                "weight",
                _("The weights of the round's stages would add up to %(total)s, more than 1.")
                % {"total": total.normalize()},
            )


class RoomForm(forms.ModelForm):
    judges = PeopleChoiceField(
        queryset=None,
        required=False,
        label=gettext_lazy("Judges"),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Room
        fields = ["name", "judges"]

    def __init__(self, *args, stage, **kwargs):
        super().__init__(*args, **kwargs)
        self.stage = stage
        self.instance.stage = stage
        competition = stage.round.competition
        self.fields["judges"].queryset = with_roles(setup.judge_candidates(competition.owner_unit))

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if self.stage.rooms.filter(name=name).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("This stage already has a room of this name."))
        return name


class ConflictForm(forms.ModelForm):
    judge = PersonChoiceField(queryset=None, label=gettext_lazy("Judge"))
    worker = WorkerChoiceField(queryset=None, label=gettext_lazy("Contestant"))

    class Meta:
        model = Conflict
        fields = ["judge", "worker", "reason"]

    def __init__(self, *args, competition, **kwargs):
        super().__init__(*args, **kwargs)
        self.competition = competition
        self.instance.competition = competition
        candidates = setup.judge_candidates(competition.owner_unit).values("pk")
        seated = User.objects.filter(judging_rooms__stage__round__competition=competition).values(
            "pk"
        )
        self.fields["judge"].queryset = with_roles(
            User.objects.filter(Q(pk__in=candidates) | Q(pk__in=seated)).order_by("real_name", "pk")
        )
        self.fields["worker"].queryset = (
            User.objects.filter(
                registrations__competition=competition,
                registrations__status__in=[
                    Registration.Status.NOMINATED,
                    Registration.Status.APPROVED,
                ],
            )
            .distinct()
            .select_related("worker_profile__community")
            .order_by("real_name", "pk")
        )

    def clean(self):
        cleaned = super().clean()
        judge, worker = cleaned.get("judge"), cleaned.get("worker")
        if judge and worker:
            if judge == worker:
                self.add_error("worker", _("A judge cannot be their own contestant."))
            elif Conflict.objects.filter(
                competition=self.competition, judge=judge, worker=worker
            ).exists():
                self.add_error("worker", _("This conflict is already declared."))
        return cleaned


class QuotaForm(forms.Form):
    unit = UnitChoiceField(queryset=None, label=gettext_lazy("Unit"))
    seats = forms.IntegerField(label=gettext_lazy("Places"), min_value=0)

    def __init__(self, *args, competition, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = OrgUnit.objects.filter(
            path__startswith=competition.owner_unit.path
        ).order_by("path")


class RejectForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300)


class DrawForm(forms.Form):
    seed = forms.CharField(
        label=gettext_lazy("Seed"),
        required=False,
        max_length=64,
        help_text=gettext_lazy("Leave empty for a random seed, or type one drawn in public."),
    )
