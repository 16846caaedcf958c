from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from wagtail.admin.forms import WagtailAdminModelForm

from people.scope import scope_of


class TrainingPlanForm(WagtailAdminModelForm):
    """A plan belongs to a unit the editor manages, and never weakens a higher plan."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self, "for_user", None)
        if user is not None and "owner_unit" in self.fields:
            self.fields["owner_unit"].queryset = (
                scope_of(user).units.exclude(level="community").order_by("path")
            )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The plan cannot end before it starts."))
        owner = cleaned.get("owner_unit")
        items = self.formsets.get("items") if hasattr(self, "formsets") else None
        if owner is None or items is None:
            return cleaned
        from .plans import inherited_required

        inherited = inherited_required(owner)
        for form in items.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE") or data.get("course") is None:
                continue
            deadline = data.get("deadline")
            if deadline and start and deadline < start:
                form.add_error("deadline", _("The deadline is before the plan starts."))
            if deadline and end and deadline > end:
                form.add_error("deadline", _("The deadline is after the plan ends."))
            if data["course"].pk in inherited and not data.get("required"):
                form.add_error(
                    "required",
                    ValidationError(
                        _(
                            "“%(course)s” is required by a higher unit's plan and cannot be optional here."
                        )
                        % {"course": data["course"].title}
                    ),
                )
        return cleaned
