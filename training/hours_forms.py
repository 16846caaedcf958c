"""Forms of the learning-hours pages: requirements, corrections, outside training, decisions."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from people.models import WorkerProfile

from . import external
from .models import ExternalTraining, HoursRequirement

FIRST_YEAR, LAST_YEAR = 2000, 2100


class RequirementForm(forms.ModelForm):
    """A city's yearly requirement for one position, or for everyone (blank position).

    The view sets `instance.owner_unit` (the admin's city) before binding.
    """

    class Meta:
        model = HoursRequirement
        fields = ["year", "position", "hours", "min_offline_share"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].validators += [
            MinValueValidator(FIRST_YEAR),
            MaxValueValidator(LAST_YEAR),
        ]
        self.fields["position"].choices = [
            ("", _("Everyone (unless their position has its own)")),
            *WorkerProfile.Position.choices,
        ]
        self.fields["position"].required = False
        share = self.fields["min_offline_share"]
        share.widget.attrs.update({"min": "0", "max": "1", "step": "0.05"})
        self.fields["hours"].widget.attrs.update({"min": "0", "step": "0.5"})

    def clean(self):
        cleaned = super().clean()
        year, position = cleaned.get("year"), cleaned.get("position") or ""
        if year is None or "position" in self.errors:
            return cleaned
        taken = HoursRequirement.objects.filter(
            owner_unit_id=self.instance.owner_unit_id, year=year, position=position
        ).exclude(pk=self.instance.pk)
        if taken.exists():
            self.add_error(
                "position",
                _("There is already a requirement for this position in %(year)s: edit that one.")
                % {"year": year},
            )
        return cleaned


class CorrectionForm(forms.Form):
    hours = forms.DecimalField(
        label=_("Hours to add (negative to take away)"),
        max_digits=5,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.5"}),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The worker sees the reason beside the correction."),
    )

    def clean_hours(self):
        amount = self.cleaned_data["hours"]
        if amount == Decimal(0):
            raise ValidationError(_("A correction must change the hours."))
        return amount


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ExternalTrainingForm(forms.ModelForm):
    class Meta:
        model = ExternalTraining
        fields = ["title", "organiser", "start_date", "end_date", "hours", "proof"]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "hours": forms.NumberInput(attrs={"step": "0.5", "min": "0.5"}),
            "proof": forms.FileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
        }
        help_texts = {
            "proof": _(
                "A certificate, attendance record or notice: PDF, JPEG or PNG, at most 10 MB."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The worker's own file name is replaced by a random one: its length does not matter.
        self.fields["proof"].max_length = None

    def clean_proof(self):
        proof = self.cleaned_data.get("proof")
        try:
            external.check_proof(proof)
        except ValidationError as error:
            raise ValidationError(error.message_dict["proof"]) from None
        return proof

    def clean(self):
        cleaned = super().clean()
        start, end, amount = (cleaned.get(k) for k in ("start_date", "end_date", "hours"))
        if start and end and amount is not None:
            try:
                external.check_dates_and_hours(start, end, amount)
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    self.add_error(field, messages)
        return cleaned
