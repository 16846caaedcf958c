"""Wagtail admin for the exam engine: the question bank, exams, and importing a bank from a file.

Imported by ``training/wagtail_hooks.py``; everything registers at import time.

Who manages what goes through ``scope_of`` only: a user manages the questions and exams owned
by units in their admin scope or their trainer scope (``scope_of(user)`` and
``scope_of(user, "trainer")`` combined); a superuser manages all. The permission policy below
answers Wagtail's questions from that scope (not from Django model permissions), so listing,
editing, deleting, bulk actions and the chooser all agree with it.
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.generic import FormView
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.views.chooser import (
    ChooseResultsView,
    ChooseView,
    SnippetChooserViewSet,
    SnippetChosenView,
)
from wagtail.snippets.views.snippets import SnippetViewSet

from people import levels
from people.models import OrgUnit, Role, User
from people.roster.reader import RosterFileError
from people.scope import scope_of
from people.uploads import SPREADSHEETS, check_upload

from . import question_import
from .models import Exam, Question

# --------------------------------------------------------------------------- scope


def _scopes(user):
    return scope_of(user, Role.Kind.ADMIN), scope_of(user, Role.Kind.TRAINER)


def manages_any(user) -> bool:
    """Whether `user` manages questions and exams somewhere (an admin or trainer role)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or any(not scope.is_empty for scope in _scopes(user))


def scoped(queryset, user, via: str = "owner_unit"):
    """Rows whose unit (reached through `via`) lies in the user's admin or trainer scope."""
    admin, trainer = _scopes(user)
    if admin.everything or trainer.everything:
        return queryset
    return (admin.filter(queryset, via) | trainer.filter(queryset, via)).distinct()


def managed_units(user):
    """The units whose bank and exams `user` manages: publishing units (city, district, street)
    in scope; communities have no bank of their own."""
    admin, trainer = _scopes(user)
    if admin.everything or trainer.everything:
        units = OrgUnit.objects.all()
    else:
        units = (admin.units | trainer.units).distinct()
    return units.filter(level__in=levels.PUBLISHING).order_by("path")


def in_scope(user, unit) -> bool:
    if unit is None:
        return False
    return any(scope.contains(unit) for scope in _scopes(user))


def usable_questions(user):
    """Questions `user` may put on an exam: those in scope and those of the units above
    (banks cascade downwards, as for drawn exams)."""
    admin, trainer = _scopes(user)
    if admin.everything or trainer.everything:
        return Question.objects.all()
    roots = (*admin.paths, *trainer.paths)
    step = OrgUnit.steplen
    above = {root[:i] for root in roots for i in range(step, len(root), step)}
    return Question.objects.filter(
        Q(pk__in=scoped(Question.objects.all(), user).values("pk")) | Q(owner_unit__path__in=above)
    )


class ScopedPolicy(ModelPermissionPolicy):
    """Add, change, delete and view for whoever manages some units; per object, only for
    objects owned by a unit in scope."""

    ACTIONS = ("add", "change", "delete", "view")

    def user_has_permission(self, user, action):
        if not user.is_authenticated or not user.is_active:
            return False
        if user.is_superuser:
            return True
        return action in self.ACTIONS and manages_any(user)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def user_has_permission_for_instance(self, user, action, instance):
        if not self.user_has_permission(user, action):
            return False
        return user.is_superuser or in_scope(user, getattr(instance, "owner_unit", None))

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return any(self.user_has_permission_for_instance(user, a, instance) for a in actions)

    def instances_user_has_any_permission_for(self, user, actions):
        if not self.user_has_any_permission(user, actions):
            return self.model.objects.none()
        return scoped(self.model.objects.all(), user)

    def users_with_any_permission(self, actions):
        if not set(actions) & set(self.ACTIONS):
            return User.objects.filter(is_active=True, is_superuser=True)
        return User.objects.filter(
            Q(is_superuser=True) | Q(roles__kind__in=[Role.Kind.ADMIN, Role.Kind.TRAINER]),
            is_active=True,
        ).distinct()


register_permission_policy(Question, ScopedPolicy(Question), exact_class=True)
register_permission_policy(Exam, ScopedPolicy(Exam), exact_class=True)


# --------------------------------------------------------------------------- forms


_KIND_WORDS = {
    Question.Kind.SINGLE: "单选",
    Question.Kind.MULTIPLE: "多选",
    Question.Kind.TRUE_FALSE: "判断",
}
_FORM_FIELD = {
    "kind": "kind",
    "text": "text",
    "option_a": "options_text",
    "answer": "answer_letters",
    "category": "category",
    "difficulty": "difficulty",
}


class QuestionForm(WagtailAdminModelForm):
    """Options as lines, the answer as letters: checked by the same rules as the import."""

    options_text = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "One option per line, in the order A, B, C … (at most 6). A true-or-false question needs none."
        ),
    )
    answer_letters = forms.CharField(
        label=_("Answer"),
        max_length=20,
        help_text=_(
            "The letters of the right options, such as A or ABD; for a true-or-false question 对 or 错."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        if "owner_unit" in self.fields:
            units = managed_units(user) if user is not None else OrgUnit.objects.none()
            self.fields["owner_unit"].queryset = units
        question = self.instance
        if question.pk and not self.is_bound:
            options = question.options if isinstance(question.options, list) else []
            answer = [i for i in question.answer or [] if isinstance(i, int)]
            if question.kind == Question.Kind.TRUE_FALSE:
                self.initial["answer_letters"] = "对" if answer == [0] else "错"
            else:
                self.initial["options_text"] = "\n".join(str(o) for o in options)
                letters = question_import.OPTION_LETTERS
                self.initial["answer_letters"] = "".join(
                    letters[i] for i in sorted(answer) if i < len(letters)
                )

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if not kind:
            return cleaned
        lines = [line.strip() for line in (cleaned.get("options_text") or "").splitlines()]
        lines = [line for line in lines if line]
        if kind != Question.Kind.TRUE_FALSE and len(lines) > len(question_import.OPTION_KEYS):
            self.add_error("options_text", _("At most 6 options (A to F)."))
            return cleaned
        raw = {
            "kind": _KIND_WORDS.get(kind, kind),
            "text": cleaned.get("text") or "",
            "answer": cleaned.get("answer_letters") or "",
            "category": cleaned.get("category") or "",
            "difficulty": str(cleaned.get("difficulty") or ""),
            **dict(zip(question_import.OPTION_KEYS, lines, strict=False)),
        }
        parsed, problems = question_import.parse_row(raw)
        for key, code, params in problems:
            field = _FORM_FIELD.get(key)
            if field in self.fields and field not in self.errors:
                reason = question_import.RowError(code=code, params=params).reason
                self.add_error(field, reason)
        if parsed is not None:
            self.instance.options = parsed.options
            self.instance.answer = parsed.answer
        return cleaned


class ExamForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        if "owner_unit" in self.fields:
            units = managed_units(user) if user is not None else OrgUnit.objects.none()
            self.fields["owner_unit"].queryset = units
        if "questions" in self.fields:
            usable = usable_questions(user) if user is not None else Question.objects.none()
            current = [q.pk for q in self.instance.questions.all()] if self.instance.pk else []
            self.fields["questions"].queryset = Question.objects.filter(
                Q(pk__in=usable.values("pk")) | Q(pk__in=current)
            ).select_related("owner_unit")


QUESTION_PANELS = [
    FieldPanel("owner_unit"),
    FieldPanel("kind"),
    FieldPanel("text"),
    FieldPanel("options_text"),
    FieldPanel("answer_letters"),
    FieldPanel("explanation"),
    MultiFieldPanel([FieldPanel("category"), FieldPanel("difficulty")], heading=_("Draw")),
]


# --------------------------------------------------------------------------- viewsets


class _InScope:
    """A single-object admin view that 404s for an object outside the user's scope."""

    def get_object(self, *args, **kwargs):
        obj = super().get_object(*args, **kwargs)
        user = self.request.user
        if not user.is_superuser and not in_scope(user, getattr(obj, "owner_unit", None)):
            raise Http404
        return obj


def _scoped_view(view_class):
    return type(f"Scoped{view_class.__name__}", (_InScope, view_class), {})


class _ScopedChooseMixin:
    def get_object_list(self):
        return scoped(super().get_object_list(), self.request.user)


class ScopedChooseView(_ScopedChooseMixin, ChooseView):
    pass


class ScopedChooseResultsView(_ScopedChooseMixin, ChooseResultsView):
    pass


class ScopedChosenView(SnippetChosenView):
    def get_object(self, pk):
        obj = super().get_object(pk)
        user = self.request.user
        if not user.is_superuser and not in_scope(user, getattr(obj, "owner_unit", None)):
            raise Http404
        return obj


class ScopedChooserViewSet(SnippetChooserViewSet):
    choose_view_class = ScopedChooseView
    choose_results_view_class = ScopedChooseResultsView
    chosen_view_class = ScopedChosenView


class ScopedSnippetViewSet(SnippetViewSet):
    chooser_viewset_class = ScopedChooserViewSet
    edit_view_class = _scoped_view(SnippetViewSet.edit_view_class)
    delete_view_class = _scoped_view(SnippetViewSet.delete_view_class)
    copy_view_class = _scoped_view(SnippetViewSet.copy_view_class)
    usage_view_class = _scoped_view(SnippetViewSet.usage_view_class)
    history_view_class = _scoped_view(SnippetViewSet.history_view_class)
    inspect_view_class = _scoped_view(SnippetViewSet.inspect_view_class)

    def get_queryset(self, request):
        return scoped(self.model.objects.select_related("owner_unit"), request.user)


class QuestionViewSet(ScopedSnippetViewSet):
    model = Question
    icon = "help"
    menu_label = _("Question bank")
    menu_name = "questions"
    list_display = ["text", "kind", "category", "difficulty", "owner_unit"]
    list_filter = ["kind", "difficulty"]
    search_fields = ["text", "category"]
    edit_handler = ObjectList(QUESTION_PANELS, base_form_class=QuestionForm)


class ExamViewSet(ScopedSnippetViewSet):
    model = Exam
    icon = "tasks"
    menu_label = _("Exams")
    menu_name = "exams"
    list_display = ["title", "mode", "time_limit_minutes", "pass_mark", "owner_unit"]
    list_filter = ["mode"]
    search_fields = ["title"]
    edit_handler = ObjectList(
        [
            FieldPanel("owner_unit"),
            FieldPanel("title"),
            FieldPanel("mode"),
            FieldPanel("questions"),
            InlinePanel("draw_rules", label=_("Random draw")),
            MultiFieldPanel(
                [
                    FieldPanel("time_limit_minutes"),
                    FieldPanel("max_attempts"),
                    FieldPanel("pass_mark"),
                    FieldPanel("shuffle_options"),
                ],
                heading=_("Rules"),
            ),
            MultiFieldPanel(
                [FieldPanel("opens_at"), FieldPanel("closes_at")], heading=_("Open between")
            ),
        ],
        base_form_class=ExamForm,
    )


#: Other training admin pages join the 培训 menu group (defined in wagtail_hooks) through this hook.
TRAINING_MENU_HOOK = "register_training_menu_item"


# --------------------------------------------------------------------------- bank import

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class QuestionImportForm(forms.Form):
    file = forms.FileField(
        label=_("Question bank file"),
        help_text=_(
            ".xlsx, .xls or .csv with the headers 题型, 题目, 选项A … 选项F, 答案, 解析, 分类, 难度"
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )
    unit = forms.ModelChoiceField(label=_("Add to the bank of"), queryset=OrgUnit.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        units = managed_units(user)
        self.fields["unit"].queryset = units
        if units.count() == 1:
            self.fields["unit"].initial = units.first()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        check_upload(upload, allowed=SPREADSHEETS)
        return upload


class QuestionImportView(WagtailAdminTemplateMixin, FormView):
    template_name = "training/exam_question_import.html"
    form_class = QuestionImportForm
    page_title = _("Import questions")
    header_icon = "upload"

    def dispatch(self, request, *args, **kwargs):
        if not manages_any(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        unit = form.cleaned_data["unit"]
        if upload.size > MAX_UPLOAD_BYTES:
            error = RosterFileError(
                "too_large",
                max_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
                size_mb=round(upload.size / (1024 * 1024), 1),
            )
            result = question_import.ImportResult(
                created=0, errors=[question_import.RowError(code=error.code, params=error.params)]
            )
        else:
            result = question_import.import_questions(upload.read(), upload.name, owner_unit=unit)
        done = None
        if result.ok:
            done = ngettext(
                "%(count)s question imported.", "%(count)s questions imported.", result.created
            ) % {"count": result.created}
            form = self.get_form_class()(user=self.request.user)
        return self.render_to_response(
            self.get_context_data(form=form, result=result, done=done, unit=unit)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["questions_url"] = reverse(Question.snippet_viewset.get_url_name("list"))
        return context


@hooks.register("register_admin_urls")
def _import_urls():
    return [
        path(
            "training/questions/import/",
            QuestionImportView.as_view(),
            name="exam_question_import",
        )
    ]


class _ManagersMenuItem(MenuItem):
    def is_shown(self, request):
        return manages_any(request.user)


@hooks.register(TRAINING_MENU_HOOK)
def _import_menu_item():
    return _ManagersMenuItem(
        _("Import questions"),
        reverse("exam_question_import"),
        name="question-import",
        icon_name="upload",
        order=300,
    )
