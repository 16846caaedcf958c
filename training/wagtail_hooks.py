"""The training area of the Wagtail admin: plans (scoped to the editor's units) and exams."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from people.scope import scope_of

from .exam_admin import TRAINING_MENU_HOOK, ExamViewSet, QuestionViewSet, ScopedChooserViewSet
from .models import TrainingPlan
from .tasks import sync_plan_enrolments


class TrainingPlanViewSet(SnippetViewSet):
    model = TrainingPlan
    icon = "list-ul"
    menu_label = _("Training plans")
    menu_name = "plans"
    list_display = ["title", "owner_unit", "start_date", "end_date", "audience", "published"]
    list_filter = ["published", "audience"]
    # The chooser lists and returns only plans in the editor's scope, like the listing.
    chooser_viewset_class = ScopedChooserViewSet

    def get_queryset(self, request):
        scope = scope_of(request.user)
        return scope.filter(TrainingPlan.objects.select_related("owner_unit"), via="owner_unit")


class TrainingMenu(SnippetViewSetGroup):
    menu_label = _("Training")
    menu_name = "training"
    menu_icon = "folder-open-inverse"
    menu_order = 250
    submenu_hook = TRAINING_MENU_HOOK
    items = (TrainingPlanViewSet, QuestionViewSet, ExamViewSet)


register_snippet(TrainingMenu)


@hooks.register("after_create_snippet")
@hooks.register("after_edit_snippet")
def enrol_plan_audience(request, instance):
    # Required courses reach the whole audience in the background; 我的学习 also enrols lazily.
    if isinstance(instance, TrainingPlan) and instance.published:
        sync_plan_enrolments.enqueue(instance.pk)
