"""Hostile data through every form of the project (issue #10, part 6).

`test_every_form_is_registered` finds every Form/ModelForm class defined in people, training,
competitions and cms (and every Wagtail snippet's admin form) and fails for one missing from
REGISTRY, which says how to build each. For every registered form, hypothesis sends data dicts
made of plausible values (real choices, dates, numbers) mixed with hostile ones (markup, SQL,
paths, NUL bytes, 10,000-character strings, numbers out of range, impossible dates, several
values for a single field, hostile uploads) and checks that is_valid() answers without raising,
that every error is a message on a field of the form or on the form as a whole, and that no
text with a NUL byte is ever accepted.
"""

import importlib
import pkgutil
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.forms.forms import BaseForm
from django.test import RequestFactory
from django.utils import timezone, translation
from django.utils.datastructures import MultiValueDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wagtail.documents import get_document_model
from wagtail.documents.forms import get_document_form
from wagtail.snippets.models import get_snippet_models

from cms.api.admin_views import ApiClientForm
from cms.booklet_views import BookletForm
from cms.casebook import ApplicationReportForm
from competitions import setup_forms
from people.activation_views import ActivationForm
from people.admin import OrgUnitAdmin
from people.audit_views import AuditFilterSet
from people.forms import LoginForm
from people.models import AuditEvent, Role
from people.role_admin import RoleForm
from people.scope import scope_of
from people.views import UploadForm
from people.wagtail_users import UserCreationForm, UserEditForm
from tests.db.test_judging import build_contest
from tests.factories import give_role, make_admin, make_training_session, make_user, make_worker
from tests.unit.test_fuzz_parsers import GOOD_QUESTIONS, HOSTILE_TEXT, JUNK, sheet_bytes
from training import hours_forms, session_forms
from training.exam_admin import QuestionImportForm
from training.models import Exam, HoursRequirement, Question, SessionSignup, TrainingPlan

pytestmark = pytest.mark.django_db

APPS = ("people", "training", "competitions", "cms")
# Settings modules read the environment at import; migrations and wsgi define no forms.
NOT_IMPORTED = re.compile(r"\.(migrations|settings)(\.|$)|\.wsgi$")


# --------------------------------------------------------------------------- finding forms


def our_modules():
    for app in APPS:
        package = importlib.import_module(app)
        yield package
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if not NOT_IMPORTED.search(info.name):
                yield importlib.import_module(info.name)


def found_forms() -> set[str]:
    """Dotted paths of the form classes our modules define, and a key per snippet admin form."""
    found = set()
    for module in our_modules():
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseForm)
                and value.__module__ == module.__name__
            ):
                found.add(f"{module.__name__}.{value.__qualname__}")
    for model in get_snippet_models():
        if model._meta.app_label in APPS:
            found.add(f"snippet:{model._meta.label}")
    return found


# --------------------------------------------------------------------------- the registry


class World:
    """What the forms need, made when first asked for: a tree and a contest (build_contest),
    people with roles, a training session with a worker signed up."""

    @cached_property
    def contest(self):
        return build_contest()

    @property
    def units(self):
        return self.contest.units

    @cached_property
    def city_admin(self):
        return make_admin(self.units["T"])

    @cached_property
    def superuser(self):
        return make_user("系统管理员", is_superuser=True, is_staff=True)

    @cached_property
    def worker(self):
        return make_worker(self.units["TD1S1C1"], real_name="王小红")

    @cached_property
    def session(self):
        trainer = make_user("李讲师")
        give_role(trainer, self.units["TD1"], Role.Kind.TRAINER)
        starts_at = timezone.now() - timedelta(hours=1)
        session = make_training_session(self.units["TD1S1"], trainer, starts_at=starts_at)
        SessionSignup.objects.create(
            session=session, user=self.worker, status="confirmed", signed_up_at=timezone.now()
        )
        return session

    @cached_property
    def request(self):
        request = RequestFactory().post("/en/accounts/login/")
        request.session, request.user = SessionStore(), AnonymousUser()
        return request


@pytest.fixture
def world():
    return World()


def snippet_form(label: str, instance_of=None):
    """The form Wagtail's snippet admin builds for a model (panels, formsets, our base form)."""

    def build(w, data, files):
        model = next(m for m in get_snippet_models() if m._meta.label == label)
        form_class = model.snippet_viewset.get_form_class()
        instance = (instance_of or model)()
        return form_class(data, files, instance=instance, for_user=w.city_admin)

    return build


@dataclass(frozen=True)
class NotBuilt:
    """A class found but not fuzzed on its own, and why."""

    reason: str


REGISTRY = {
    "cms.api.admin_views.ApiClientForm": lambda w, d, f: ApiClientForm(
        d, scope=scope_of(w.city_admin), may_unmask=True
    ),
    "cms.booklet_views.BookletForm": lambda w, d, f: BookletForm(d, user=w.city_admin),
    "cms.casebook.ApplicationReportForm": lambda w, d, f: ApplicationReportForm(
        d, units=[w.units["TD1S1C1"], w.units["TD1S1"]]
    ),
    "cms.forms.DocumentForm": lambda w, d, f: get_document_form(get_document_model())(
        d, f, user=w.superuser
    ),
    "competitions.setup_forms.CompetitionForm": lambda w, d, f: setup_forms.CompetitionForm(
        d, user=w.city_admin
    ),
    "competitions.setup_forms.ConflictForm": lambda w, d, f: setup_forms.ConflictForm(
        d, competition=w.contest.competition
    ),
    "competitions.setup_forms.DrawForm": lambda w, d, f: setup_forms.DrawForm(d),
    "competitions.setup_forms.QuotaForm": lambda w, d, f: setup_forms.QuotaForm(
        d, competition=w.contest.competition
    ),
    "competitions.setup_forms.RejectForm": lambda w, d, f: setup_forms.RejectForm(d),
    "competitions.setup_forms.RoomForm": lambda w, d, f: setup_forms.RoomForm(
        d, stage=w.contest.stage
    ),
    "competitions.setup_forms.RoundForm": lambda w, d, f: setup_forms.RoundForm(
        d, competition=w.contest.competition
    ),
    "competitions.setup_forms.StageForm": lambda w, d, f: setup_forms.StageForm(
        d, round=w.contest.stage.round, user=w.city_admin
    ),
    "people.admin.OrgUnitForm": lambda w, d, f: OrgUnitAdmin.form(d),
    "people.audit_views.AuditFilterForm": lambda w, d, f: (
        AuditFilterSet(d, queryset=AuditEvent.objects.all(), request=w.request).form
    ),
    "people.forms.LoginForm": lambda w, d, f: LoginForm(d, request=w.request),
    "people.views.UploadForm": lambda w, d, f: UploadForm(
        d, f, scope=scope_of(w.city_admin), max_mb=1
    ),
    "people.activation_views.ActivationForm": lambda w, d, f: ActivationForm(d),
    "people.role_admin.RoleForm": lambda w, d, f: RoleForm(d, for_user=w.superuser),
    "people.wagtail_users.DutiesFormMixin": NotBuilt("a mixin: fuzzed in the two user forms"),
    "people.wagtail_users.UserCreationForm": lambda w, d, f: UserCreationForm(
        d, editor=w.superuser
    ),
    "people.wagtail_users.UserEditForm": lambda w, d, f: UserEditForm(
        d, instance=w.worker, editor=w.superuser
    ),
    "training.exam_admin.ExamForm": snippet_form("training.Exam"),
    "training.exam_admin.QuestionForm": snippet_form("training.Question"),
    "training.exam_admin.QuestionImportForm": lambda w, d, f: QuestionImportForm(
        d, f, user=w.city_admin
    ),
    "training.forms.TrainingPlanForm": snippet_form("training.TrainingPlan"),
    "training.hours_forms.CorrectionForm": lambda w, d, f: hours_forms.CorrectionForm(d),
    "training.hours_forms.ExternalTrainingForm": lambda w, d, f: hours_forms.ExternalTrainingForm(
        d, f
    ),
    "training.hours_forms.RequirementForm": lambda w, d, f: hours_forms.RequirementForm(
        d, instance=HoursRequirement(owner_unit=w.units["T"])
    ),
    "training.models.CoursePageForm": NotBuilt(
        "a Wagtail page edit form: out of scope (Wagtail's own)"
    ),
    "training.session_forms.AttendanceCorrectionForm": lambda w, d, f: (
        session_forms.AttendanceCorrectionForm(d, session=w.session)
    ),
    "training.session_forms.CancelSessionForm": lambda w, d, f: session_forms.CancelSessionForm(d),
    "training.session_forms.PaperSheetForm": lambda w, d, f: session_forms.PaperSheetForm(d, f),
    "training.session_forms.TrainingBaseForm": lambda w, d, f: session_forms.TrainingBaseForm(
        d, user=w.city_admin
    ),
    "training.session_forms.TrainingSessionForm": lambda w, d, f: session_forms.TrainingSessionForm(
        d, user=w.city_admin
    ),
    "snippet:cms.CaseCategory": snippet_form("cms.CaseCategory"),
    "snippet:training.Exam": NotBuilt("its form is training.exam_admin.ExamForm"),
    "snippet:training.Question": NotBuilt("its form is training.exam_admin.QuestionForm"),
    "snippet:training.TrainingPlan": NotBuilt("its form is training.forms.TrainingPlanForm"),
}
BUILT = sorted(key for key, entry in REGISTRY.items() if not isinstance(entry, NotBuilt))


def test_every_form_is_registered():
    found = found_forms()
    assert found - set(REGISTRY) == set(), "a new form: say in REGISTRY how to build it"
    assert set(REGISTRY) - found == set(), "a registered form no longer exists"
    # The snippet forms are built from our base classes; the aliases above rely on it.
    assert issubclass(TrainingPlan.snippet_viewset.get_form_class(), BaseForm)
    for model in (Exam, Question):
        assert model.snippet_viewset.get_form_class().__mro__[1].__module__.startswith("training")


# --------------------------------------------------------------------------- hostile data

NUMBERS = ["0", "1", "2", "0.5", "-1", "2026", "1e5", "1e999999999", "99999999999999999999", "NaN"]
DATES = ["2026-05-01", "0001-01-01", "9999-12-31", "2026-02-30", "2026-13-01", "05/01/2026"]
DATETIMES = [
    "2026-05-01T09:00",
    "2026-05-01 09:00:00",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2026-05-01T25:61",
]
TEXTS = ["正常文本", "13812345678", "0971-8123456", "A001", "a@example.com", "10.1.2."]
UPLOAD_NAMES = ["roster.xlsx", "proof.pdf", "../../etc/passwd.png", "<script>.csv", "a" * 300]
GOOD_XLSX = sheet_bytes("xlsx", GOOD_QUESTIONS)[0]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def plausible(field) -> list[str]:
    """Values a browser could send that this field might accept."""
    if isinstance(field, forms.ModelChoiceField):  # also the multiple kind
        return [str(pk) for pk in field.queryset.values_list("pk", flat=True)[:3]] + ["999999"]
    if isinstance(field, forms.ChoiceField):
        return [str(key) for key, _label in _flat_choices(field.choices)][:6]
    if isinstance(field, forms.BooleanField):
        return ["on", "", "false"]
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return NUMBERS
    if isinstance(field, forms.DateTimeField):
        return DATETIMES
    if isinstance(field, forms.DateField):
        return DATES
    return TEXTS


def _flat_choices(choices):
    for key, label in choices:
        if isinstance(label, list | tuple):
            yield from label
        else:
            yield key, label


def keys_of(name: str, widget) -> list[str]:
    """The keys a widget reads from the data: one, or one per part of a multi-widget."""
    if hasattr(widget, "suffixes"):  # django-filter's range widgets
        return [widget.suffixed(name, suffix) for suffix in widget.suffixes]
    if isinstance(widget, forms.MultiWidget):
        return [name + suffix for suffix in widget.widgets_names]
    return [name]


def fits_sqlite(value: str) -> bool:
    """Django's ModelMultipleChoiceField lets SQLite's OverflowError out for a pk past 64 bits;
    PostgreSQL, which production runs, answers "not a valid choice" (tested there)."""
    try:
        return abs(int(value)) < 2**63
    except ValueError:
        return True


@st.composite
def uploads(draw):
    content = draw(st.one_of(JUNK, st.sampled_from([GOOD_XLSX, PDF, b""])))
    return SimpleUploadedFile(draw(st.sampled_from(UPLOAD_NAMES)), content)


@st.composite
def form_data(draw, form):
    """(data, files) for `form`: each key missing, given once or given several times."""
    data, files, multiple = {}, {}, set()
    fields = [(form.add_prefix(name), field) for name, field in form.fields.items()]
    for formset in getattr(form, "formsets", {}).values():  # Wagtail's inline panels
        # INITIAL_FORMS stays 0 (a new object has no rows yet): modelcluster raises KeyError
        # for a forged count, before any of our code runs.
        total = st.one_of(st.sampled_from(["0", "1", "2"]), HOSTILE_TEXT)
        data[f"{formset.prefix}-TOTAL_FORMS"] = [draw(total)]
        data[f"{formset.prefix}-INITIAL_FORMS"] = ["0"]
        for i in range(2):
            row = formset.form(prefix=f"{formset.prefix}-{i}")
            fields += [(row.add_prefix(name), field) for name, field in row.fields.items()]
    for key, field in fields:
        if isinstance(field, forms.FileField):
            if draw(st.booleans()):
                files[key] = [draw(uploads())]
            continue
        if getattr(field.widget, "allow_multiple_selected", False):
            multiple.add(key)
        values = st.one_of(st.sampled_from(plausible(field)), HOSTILE_TEXT)
        if isinstance(field, forms.ModelMultipleChoiceField) and connection.vendor == "sqlite":
            values = values.filter(fits_sqlite)
        for part in keys_of(key, field.widget):
            data[part] = draw(st.lists(values, max_size=3))
    if draw(st.booleans()):  # as parsed from a POST body: a single field gets the last value
        return MultiValueDict(data), MultiValueDict(files)
    # As a dict (a view building a form itself): lists only where the widget takes several.
    return (
        {k: v if k in multiple else v[-1] for k, v in data.items() if v},
        {k: v[0] for k, v in files.items()},
    )


def rows_errors(formset):
    """The messages of an inline formset: about the rows as a whole, then each row's."""
    yield from formset.non_form_errors()
    for row in formset.forms:
        for messages in row.errors.values():
            yield from messages


def texts(value):
    """Every str inside a cleaned value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple | set | dict):
        for item in value.values() if isinstance(value, dict) else value:
            yield from texts(item)


@pytest.mark.parametrize("key", BUILT)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st_data=st.data())
def test_hostile_data_gives_a_verdict_and_messages(world, key, st_data):
    build = REGISTRY[key]
    data, files = st_data.draw(form_data(build(world, None, None)), label="data, files")
    with translation.override("en"):
        form = build(world, data, files)
        valid = form.is_valid()
        errors = {field: [str(m) for m in messages] for field, messages in form.errors.items()}
        in_rows = [
            str(m)
            for formset in getattr(form, "formsets", {}).values()
            for m in rows_errors(formset)
        ]
    assert valid is (not errors and not in_rows)
    for field, messages in errors.items():
        assert field == NON_FIELD_ERRORS or field in form.fields, field
        assert messages and all(m.strip() for m in messages), (field, messages)
    assert all(m.strip() for m in in_rows)
    for name, field in form.fields.items():
        received = field.widget.value_from_datadict(data, files, form.add_prefix(name))
        if isinstance(field, forms.CharField) and not field.disabled and "\x00" in str(received):
            assert name in errors, f"{name} accepted a NUL byte"
    if valid:
        for value in form.cleaned_data.values():
            assert not any("\x00" in text for text in texts(value))
