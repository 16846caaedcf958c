"""Every URL pattern of the project, with a stable key and a way to build a concrete URL.

The rule for what the inventory lists (``all_patterns()``):

* Every pattern whose view lives in OUR modules (``people``, ``training``, ``competitions``,
  ``cms``) is listed, one entry per pattern. That includes the Wagtail admin URLs we register
  ourselves: ``register_admin_urls`` hooks and viewsets (their views are classes in our
  modules) and the snippets of our models (namespaces ``wagtailsnippets_<our app>_<model>`` and
  ``wagtailsnippetchoosers_<our app>_<model>``), even when a snippet uses Wagtail's stock views.
* The public API is ours too although django-ninja builds its views: cms.api wraps every one of
  them (``cms.api.calls.logged``), and a view is ours when any layer of its wrapping is.
* Everything else (views in ``wagtail.*``, ``allauth.*``, ``django.*`` and other third-party
  packages such as treebeard or taggit) is grouped by package and namespace
  (``third_party_groups()``) instead of listed one by one; only a small set of representative
  entries (``REPRESENTATIVES``: allauth login/logout/MFA pages, the Wagtail admin home and page
  editor, the django-admin index, document serving, Wagtail's ``/_util/login/``, the front-end
  page server) is listed, so the permission matrix checks the doors without copying Wagtail's
  own test suite.
* ``i18n_patterns`` are counted once, in their unprefixed Chinese form (``/en/...`` is the same
  view); concrete URLs are built with the default language active.

Each entry's key is the URL name with its namespace (``competitions:judge_stage``), or the
route string (``admin/login/``) when the pattern has no name. ``Pattern.url(**kwargs)`` builds a
concrete path. ``concrete_urls(world)`` returns ``(key, url)`` for every listed pattern, using
the objects of the permission-matrix world (tests/permission_matrix.py, ``build_world()``).
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import LocalePrefixPattern, RoutePattern
from django.utils import translation

OUR_APPS = ("people", "training", "competitions", "cms")
_ROOT = Path(__file__).resolve().parent.parent
_OUR_SNIPPET = re.compile(rf"^wagtailsnippet(s|choosers)_({'|'.join(OUR_APPS)})_")
# Namespaces of the Wagtail viewsets we register (all their URLs, stock views included).
OUR_VIEWSETS = ("roles",)

# Third-party doors the matrix checks, by key.
REPRESENTATIVES = (
    "account_login",
    "account_logout",
    "account_signup",
    "account_reset_password",
    "account_change_password",
    "mfa_index",
    "mfa_activate_totp",
    "mfa_authenticate",
    "wagtailadmin_home",
    "wagtailadmin_explore_root",
    "wagtailadmin_pages:edit",
    "wagtailadmin_pages:add_subpage",
    "wagtailusers_users:index",
    "admin:index",
    "admin:people_user_changelist",
    "wagtaildocs_serve",
    "wagtailcore_login",
    "wagtail_serve",
    "set_language",
)

_PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Pattern:
    key: str
    route: str  # the full route, without a language prefix
    view: str  # dotted path of the view function or class
    name: str | None  # namespaced URL name, for reverse()
    params: tuple[str, ...] = ()
    ours: bool = True
    group: str = ""  # for third-party patterns: "<package> <namespace>"
    i18n: bool = False
    is_regex: bool = field(default=False, compare=False)

    def url(self, **kwargs) -> str:
        """A concrete path for this pattern, in the default (unprefixed) language."""
        with translation.override(settings.LANGUAGE_CODE):
            if self.name:
                return reverse(self.name, kwargs=kwargs or None)
        path = _PARAM.sub(lambda m: str(kwargs[m["name"]]), self.route)
        return "/" + path


def _view_path(callback) -> str:
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is not None:
        return f"{view_class.__module__}.{view_class.__qualname__}"
    inner = inspect.unwrap(callback)
    return f"{inner.__module__}.{getattr(inner, '__qualname__', type(inner).__name__)}"


def _is_ours(callback) -> bool:
    """True when the view, or any decorator wrapped around it, is defined in our apps."""
    layer = callback
    while layer is not None:
        view_class = getattr(layer, "view_class", None)
        module = (view_class or layer).__module__ or ""
        if module.split(".")[0] in OUR_APPS:
            return True
        code = getattr(layer, "__code__", None)
        if code is not None:
            path = Path(code.co_filename).resolve()
            if path.is_relative_to(_ROOT) and path.relative_to(_ROOT).parts[0] in OUR_APPS:
                return True
        layer = getattr(layer, "__wrapped__", None)
    return False


def _walk(resolver, prefix="", namespace=None, i18n=False):
    for item in resolver.url_patterns:
        if isinstance(item, URLResolver):
            locale = isinstance(item.pattern, LocalePrefixPattern)
            route = "" if locale else str(item.pattern)
            ns = namespace
            if item.namespace:
                ns = f"{namespace}:{item.namespace}" if namespace else item.namespace
            yield from _walk(item, prefix + route, ns, i18n or locale)
        elif isinstance(item, URLPattern):
            yield item, prefix + str(item.pattern), namespace, i18n


def _inventory() -> list[Pattern]:
    found = []
    for item, route, namespace, i18n in _walk(get_resolver()):
        view = _view_path(item.callback)
        name = f"{namespace}:{item.name}" if namespace and item.name else item.name
        ours = (
            _is_ours(item.callback)
            or bool(namespace and _OUR_SNIPPET.match(namespace))
            or namespace in OUR_VIEWSETS
        )
        found.append(
            Pattern(
                key=name or route,
                route=route,
                view=view,
                name=name,
                params=tuple(m["name"] for m in _PARAM.finditer(route)),
                ours=ours,
                group="" if ours else f"{view.split('.')[0]} {namespace or '-'}",
                i18n=i18n,
                is_regex=not isinstance(item.pattern, RoutePattern),
            )
        )
    # reverse() finds the first pattern with a name; a later one under the same name is only
    # reachable by its route, so it gets that as its key.
    seen = set()
    unique = []
    for pattern in found:
        if pattern.key in seen:
            pattern = Pattern(**{**pattern.__dict__, "key": pattern.route, "name": None})
        seen.add(pattern.key)
        unique.append(pattern)
    return unique


def every_pattern() -> list[Pattern]:
    """All patterns of the resolver, ours and third-party, one entry each."""
    return _inventory()


def all_patterns() -> list[Pattern]:
    """The patterns the permission matrix covers: ours, plus the third-party representatives."""
    wanted = set(REPRESENTATIVES)
    return [p for p in _inventory() if p.ours or p.key in wanted]


def third_party_groups() -> dict[str, list[str]]:
    """Third-party patterns grouped by '<package> <namespace>' → keys."""
    groups: dict[str, list[str]] = {}
    for pattern in _inventory():
        if not pattern.ours:
            groups.setdefault(pattern.group, []).append(pattern.key)
    return groups


# --- Concrete URLs ---------------------------------------------------------------------------
# Which world object each URL parameter names, by key. A value is the name of an attribute of
# the world's `inside` / `outside` object sets (its .pk is used), or a literal in a 1-tuple.
# A key with parameters and no entry here fails concrete_urls() loudly.

_COMP = {"pk": "competition"}
_STAGE = {"pk": "stage"}
_ROUND = {"pk": "round"}
_SESSION = {"pk": "session"}

URL_OBJECTS: dict[str, dict[str, object]] = {
    # people / roster / profiles
    "roster_import_detail": {"pk": "roster_import"},
    "roster_import_status": {"pk": "roster_import"},
    "roster_import_confirm": {"pk": "roster_import"},
    "profile_worker": {"user_id": "worker"},
    "profile_pdf": {"user_id": "worker"},
    "profile_xlsx": {"user_id": "worker"},
    "api_client_detail": {"pk": "api_client"},
    "api_client_revoke": {"pk": "api_client"},
    # training
    "lesson_report": {"pk": "lesson"},
    "lesson_complete": {"pk": "lesson"},
    "course_enrol": {"pk": "course"},
    "course_lineage": {"pk": "course"},
    "plan_progress": {"pk": "plan"},
    "plan_nominate": {"pk": "plan"},
    "plan_progress_export": {"pk": "plan"},
    "exam_start": {"exam_id": "exam"},
    "exam_attempt": {"pk": "attempt"},
    "exam_submit": {"pk": "attempt"},
    "exam_review": {"pk": "attempt"},
    "hours_requirement_edit": {"pk": "requirement"},
    "hours_worker": {"user_id": "worker"},
    "hours_correct": {"pk": "hour_entry"},
    "hours_external_proof": {"pk": "external"},
    "hours_external_decide": {"pk": "external"},
    "base_edit": {"pk": "base"},
    "session_detail": _SESSION,
    "session_edit": _SESSION,
    "session_cancel": _SESSION,
    "session_signup": _SESSION,
    "session_signup_cancel": _SESSION,
    "session_qr": _SESSION,
    "session_qr_current": _SESSION,
    "session_attendance": _SESSION,
    "session_paper": _SESSION,
    "session_paper_template": _SESSION,
    "certificate_verify": {"code": "certificate.code"},
    "certificate_download": {"code": "certificate.code"},
    "certificate_revoke": {"code": "certificate.code"},
    # competitions: set-up
    "competitions:competition_detail": _COMP,
    "competitions:competition_edit": _COMP,
    "competitions:competition_status": _COMP,
    "competitions:round_new": _COMP,
    "competitions:round_edit": {"pk": "competition", "round_id": "round"},
    "competitions:round_delete": {"pk": "competition", "round_id": "round"},
    "competitions:stage_new": {"pk": "competition", "round_id": "round"},
    "competitions:stage_edit": {"pk": "competition", "stage_id": "stage"},
    "competitions:stage_delete": {"pk": "competition", "stage_id": "stage"},
    "competitions:stage_rubric": {"pk": "competition", "stage_id": "stage"},
    "competitions:stage_open": {"pk": "competition", "stage_id": "stage"},
    "competitions:stage_rooms": {"pk": "competition", "stage_id": "stage"},
    "competitions:room_edit": {"pk": "competition", "stage_id": "stage", "room_id": "room"},
    "competitions:room_delete": {"pk": "competition", "stage_id": "stage", "room_id": "room"},
    "competitions:stage_draw": {"pk": "competition", "stage_id": "stage"},
    "competitions:conflicts": _COMP,
    "competitions:conflict_delete": {"pk": "competition", "conflict_id": "conflict"},
    "competitions:registrations": _COMP,
    "competitions:registration_nominate": _COMP,
    "competitions:registration_decide": {"pk": "competition", "registration_id": "registration"},
    "competitions:registration_withdraw": {
        "pk": "competition",
        "registration_id": "registration",
    },
    "competitions:quotas": _COMP,
    "competitions:quota_delete": {"pk": "competition", "quota_id": "quota"},
    # competitions: judging
    "competitions:judge_stage": _STAGE,
    "competitions:chief_console": _STAGE,
    "competitions:chief_reopen": _STAGE,
    "competitions:chief_remark": _STAGE,
    "competitions:chief_excuse": _STAGE,
    "competitions:chief_close": _STAGE,
    "competitions:chief_decode": _STAGE,
    "competitions:paper_upload": _STAGE,
    "competitions:paper_confirm": _STAGE,
    "competitions:paper_template": _STAGE,
    "competitions:sheet_history": {"pk": "appearance"},
    # competitions: results, appeals, exports
    "competitions:result_detail": {"pk": "result"},
    "competitions:result_download": {"pk": "result", "kind": ("scores.csv",)},
    "competitions:round_preview": _ROUND,
    "competitions:round_publish": _ROUND,
    "competitions:round_finalise": _ROUND,
    "competitions:stage_files": {"level": ("stage",), "pk": "stage"},
    "competitions:appeal_file": {"pk": "result"},
    "competitions:appeals_console": _COMP,
    "competitions:appeal_decide": {"pk": "appeal"},
    "competitions:scoreboard": _COMP,
    "competitions:scoreboard_data": _COMP,
    "competitions:export_index": _COMP,
    "competitions:export_certificates": _COMP,
    "competitions:export_stage_xlsx": _STAGE,
    "competitions:export_score_sheets_pdf": _STAGE,
    "competitions:export_round_xlsx": _ROUND,
    "competitions:analytics_stage": _STAGE,
    # cms
    "booklet_detail": {"pk": "booklet"},
    "booklet_status": {"pk": "booklet"},
    "booklet_download": {"pk": "booklet"},
    "case_bookmark": {"pk": "case"},
    "case_useful": {"pk": "case"},
    "case_apply": {"pk": "case"},
    # Wagtail admin views we replace or add (people.wagtail_users, people.role_admin)
    "wagtailusers_users:edit": {"pk": "worker"},
    "lift_lockout": {"pk": "worker"},
    "reset_two_factor": {"pk": "worker"},
    # third-party representatives
    "wagtailadmin_pages:edit": {"page_id": "case"},
    "wagtailadmin_pages:add_subpage": {"parent_page_id": "section"},
}

# Snippet and viewset URLs take the object's pk, resolved from the namespace's model.
_SNIPPET_OBJECTS = {
    "training_question": "question",
    "training_exam": "exam",
    "training_trainingplan": "plan",
    "cms_casecategory": "case_category",
}


def _objects_for(pattern: Pattern) -> dict[str, object]:
    if pattern.key in URL_OBJECTS:
        return URL_OBJECTS[pattern.key]
    namespace = (pattern.name or "").rpartition(":")[0]
    if namespace == "roles":
        return {p: "role" for p in pattern.params}
    if _OUR_SNIPPET.match(namespace):
        attr = _SNIPPET_OBJECTS.get(namespace.split("_", 1)[1])
        if attr:
            return {p: attr for p in pattern.params}
    raise KeyError(f"{pattern.key}: no world object for parameters {pattern.params}")


def _value(objects, spec):
    if isinstance(spec, tuple):
        return spec[0]
    attr, _, field_name = spec.partition(".")
    obj = getattr(objects, attr)
    return getattr(obj, field_name) if field_name else obj.pk


def build_url(pattern: Pattern, objects) -> str:
    """A concrete URL for `pattern` whose parameters point at `objects` (one side of a world)."""
    if not pattern.params:
        return pattern.url()
    spec = _objects_for(pattern)
    return pattern.url(**{param: _value(objects, spec[param]) for param in pattern.params})


# Regex patterns (catch-alls, positional groups): their concrete URL, from the objects.
_EXPLICIT = {
    "api_not_found": lambda objects: "/api/no-such-endpoint",
    "api-v1:api-v1-not-found": lambda objects: "/api/v1/no-such-endpoint",
    "wagtail_serve": lambda objects: "/",
    "wagtaildocs_serve": lambda objects: reverse(
        "wagtaildocs_serve", args=[objects.document.pk, objects.document.filename]
    ),
}


def concrete_urls(world, scope: str = "in") -> list[tuple[str, str]]:
    """(key, url) for every pattern of all_patterns(), with objects in (or out of) the world's
    scope A: `scope` is "in" (world.inside) or "out" (world.outside, another district)."""
    objects = world.inside if scope == "in" else world.outside
    return [(p.key, url_for(p, objects)) for p in all_patterns()]


def url_for(pattern: Pattern, objects) -> str:
    explicit = _EXPLICIT.get(pattern.key)
    if explicit:
        with translation.override(settings.LANGUAGE_CODE):
            return explicit(objects)
    return build_url(pattern, objects)
