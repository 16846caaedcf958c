from django import forms
from django.utils.translation import gettext_lazy as _

from .phones import normalise_phone
from .validators import validate_mainland_mobile


class MobileField(forms.CharField):
    """A mainland mobile number, accepting +86, spaces, dashes and full-width digits."""

    default_validators = [validate_mainland_mobile]

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Mobile number"))
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        return normalise_phone(super().to_python(value))
