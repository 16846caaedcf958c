"""The competitions area of the Wagtail admin.

The "Competitions" menu group sits after the training group. Other competition admin pages
join it through COMPETITIONS_MENU_HOOK, as training's pages join theirs.
"""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from .access import works_on_competitions
from .judging import EXCUSE_ACTION

COMPETITIONS_MENU_HOOK = "register_competitions_menu_item"


def shows_menu(request) -> bool:
    """Asked once per request (every item asks)."""
    if not hasattr(request, "_works_on_competitions"):
        request._works_on_competitions = works_on_competitions(request.user)
    return request._works_on_competitions


class CompetitionsMenuItem(MenuItem):
    """A link for competition staff, to a named URL resolved when shown.

    Resolving late follows the admin user's language and lets an item whose page does not
    exist yet (another part still being built) simply stay hidden.
    """

    def __init__(self, label, url_name, **kwargs):
        super().__init__(label, "", **kwargs)
        self.url_name = url_name

    def resolve(self) -> str | None:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return None

    def is_shown(self, request):
        return shows_menu(request) and self.resolve() is not None

    def render_component(self, request):
        self.url = self.resolve()
        return super().render_component(request)


@hooks.register(COMPETITIONS_MENU_HOOK)
def _home_item():
    return CompetitionsMenuItem(
        _("Competitions home"),
        "competitions:home",
        name="competitions-home",
        icon_name="home",
        order=100,
    )


@hooks.register(COMPETITIONS_MENU_HOOK)
def _library_item():
    return CompetitionsMenuItem(
        _("Scenario library"),
        "competitions:scenario_library",
        name="scenario-library",
        icon_name="clipboard-list",
        order=200,
    )


@hooks.register("register_admin_menu_item")
def _competitions_menu():
    return SubmenuMenuItem(
        _("Competitions"),
        Menu(register_hook_name=COMPETITIONS_MENU_HOOK),
        name="competitions",
        icon_name="tasks",
        order=260,  # after the training group (250)
    )


@hooks.register("register_log_actions")
def _log_actions(actions):
    label = _("Excused a judge")
    actions.register_action(EXCUSE_ACTION, label, label)
