"""What a scenario card is made of: roles for the actors, materials, and its rubric."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock


class RoleBlock(blocks.StructBlock):
    """A part played by an actor (a resident, a property manager) and what they say and do."""

    name = blocks.CharBlock(label=_("Role"), max_length=100)
    script = blocks.TextBlock(label=_("Script for the actor"))

    class Meta:
        icon = "user"


class MaterialBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("File"))
    title = blocks.CharBlock(label=_("Title"), required=False, max_length=200)

    class Meta:
        icon = "doc-full"


class BandBlock(blocks.StructBlock):
    """A score band of a criterion and what performance earns it (e.g. 8–10: calms the resident)."""

    low = blocks.DecimalBlock(label=_("From"), min_value=0, decimal_places=2)
    high = blocks.DecimalBlock(label=_("To"), min_value=0, decimal_places=2)
    descriptor = blocks.CharBlock(label=_("What earns it"), max_length=300)

    def clean(self, value):
        value = super().clean(value)
        if value["high"] < value["low"]:
            raise StructBlockValidationError(
                block_errors={
                    "high": ValidationError(_("The band must end above where it starts."))
                }
            )
        return value


class CriterionBlock(blocks.StructBlock):
    code = blocks.RegexBlock(
        regex=r"^[a-z][a-z0-9_]{0,19}$",
        label=_("Code"),
        help_text=_("Short latin letters, e.g. listen; used in score sheets and exports."),
        error_messages={"invalid": _("Use lowercase latin letters, digits and _.")},
    )
    title = blocks.CharBlock(label=_("Criterion"), max_length=100)
    max_points = blocks.DecimalBlock(label=_("Max points"), min_value=0.5, decimal_places=2)
    step = blocks.DecimalBlock(
        label=_("Step"), min_value=0.01, decimal_places=2, default=Decimal("0.5")
    )
    bands = blocks.ListBlock(BandBlock(), label=_("Score bands"))

    def clean(self, value):
        value = super().clean(value)
        if value["max_points"] % value["step"]:
            raise StructBlockValidationError(
                block_errors={
                    "step": ValidationError(_("Max points must be a multiple of the step."))
                }
            )
        for band in value["bands"]:
            if band["high"] > value["max_points"]:
                raise StructBlockValidationError(
                    block_errors={"bands": ValidationError(_("A band ends above the max points."))}
                )
        return value

    class Meta:
        icon = "list-ol"


class RubricBlock(blocks.StreamBlock):
    criterion = CriterionBlock(label=_("Criterion"))

    def clean(self, value):
        value = super().clean(value)
        codes = [child.value["code"] for child in value]
        if len(codes) != len(set(codes)):
            raise blocks.StreamBlockValidationError(
                non_block_errors=[ValidationError(_("Each criterion needs its own code."))]
            )
        return value
