"""Forms for training bases, sessions, cancelling, hand corrections and the paper sheet.
Choices are limited to what the user's scope allows (training/sessions.py decides)."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from people.models import User
from people.phones import is_mainland_mobile, normalise_phone, to_halfwidth
from people.scope import scope_of
from people.uploads import SPREADSHEETS, check_upload

from . import sessions
from .models import CoursePage, SessionSignup, TrainingBase, TrainingSession

DATETIME_WIDGET = {"type": "datetime-local"}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
# A landline with its area code (0971-8123456, 010 12345678, extension allowed), a local
# number of 7–8 digits, or a 400/800 service number. Loose on purpose: people write them
# in many ways, and it only has to be callable.
_LANDLINE = re.compile(r"^(0\d{9,11}|[2-9]\d{6,7}|[48]00\d{7})$")
_EXTENSION = re.compile(r"(转|ext\.?|x|#)\s*\d{1,6}$", re.IGNORECASE)


def contact_phone_ok(raw: str) -> bool:
    """A mainland mobile or landline number, however it is written."""
    number = normalise_phone(_EXTENSION.sub("", to_halfwidth(raw or "").strip()))
    return is_mainland_mobile(number) or bool(_LANDLINE.match(number))


class DateTimeField(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs=DATETIME_WIDGET, format=DATETIME_FORMAT)


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.get_level_display()}"


class BaseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.unit.name} ({obj.capacity})"


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.real_name or obj.username


class TrainingBaseForm(forms.ModelForm):
    unit = UnitChoiceField(queryset=None, label=_("Unit"))

    class Meta:
        model = TrainingBase
        fields = ["unit", "name", "address", "capacity", "contact_name", "contact_phone", "active"]
        widgets = {"contact_phone": forms.TextInput(attrs={"type": "tel"})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = scope_of(user).units.order_by("path")

    def clean_contact_phone(self):
        phone = to_halfwidth(self.cleaned_data["contact_phone"]).strip()
        if not contact_phone_ok(phone):
            raise ValidationError(
                _(
                    "Write a mobile number (11 digits) or a landline with its area code, such as 0971-8123456."
                )
            )
        return phone


class TrainingSessionForm(forms.ModelForm):
    course = forms.ModelChoiceField(
        queryset=CoursePage.objects.live().order_by("title"),
        required=False,
        label=_("Course"),
        help_text=_("Optional: the course this session teaches; its tier goes with the hours."),
    )
    trainer = PersonChoiceField(queryset=None, label=_("Trainer"))
    base = BaseChoiceField(queryset=None, label=_("Base"))
    starts_at = DateTimeField(label=_("Starts"))
    ends_at = DateTimeField(label=_("Ends"))

    class Meta:
        model = TrainingSession
        fields = [
            "course",
            "title",
            "trainer",
            "starts_at",
            "ends_at",
            "base",
            "place",
            "capacity",
            "hours",
            "min_presence_share",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.trainer if self.instance.trainer_id else None
        self.fields["trainer"].queryset = sessions.trainer_choices(user, current)
        bases = sessions.bases_for_sessions(user)
        if self.instance.base_id:
            bases = bases | TrainingBase.objects.filter(pk=self.instance.base_id)
        self.fields["base"].queryset = bases.select_related("unit").distinct()
        self.fields["title"].required = False
        self.fields["title"].help_text = _("Leave empty to use the course's title.")
        if not self.instance.pk:
            self.initial["trainer"] = self.initial.get("trainer") or user.pk
            only = list(bases[:2])
            if len(only) == 1:
                self.initial["base"] = only[0].pk

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("title"):
            course = cleaned.get("course")
            if course is None:
                self.add_error("title", _("Give the session a title, or choose a course."))
            else:
                cleaned["title"] = course.title
                self.instance.title = course.title
        return cleaned


class CancelSessionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=sessions.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Everyone signed up sees it on the session's page."),
    )


class AttendanceCorrectionForm(forms.Form):
    user = PersonChoiceField(queryset=None, label=_("Person"))
    checked_in_at = DateTimeField(label=_("Checked in"), required=False)
    checked_out_at = DateTimeField(label=_("Checked out"), required=False)
    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=sessions.MAX_REASON,
        help_text=_("Required; kept in the audit log."),
    )

    def __init__(self, *args, session: TrainingSession, **kwargs):
        super().__init__(*args, **kwargs)
        self.session = session
        signed_up = session.signups.exclude(status=SessionSignup.Status.CANCELLED)
        self.fields["user"].queryset = User.objects.filter(
            pk__in=signed_up.values("user_id")
        ).order_by("real_name", "pk")

    def clean(self):
        cleaned = super().clean()
        problem = sessions.attendance_times_problem(
            self.session, cleaned.get("checked_in_at"), cleaned.get("checked_out_at")
        )
        if problem:
            self.add_error(*problem)
        return cleaned


class PaperSheetForm(forms.Form):
    file = forms.FileField(
        label=_("Filled-in sign-in sheet (.xlsx, .xls or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        check_upload(upload, allowed=SPREADSHEETS)
        return upload
