"""The read-only data API: /api/v1/ (OpenAPI document at /api/v1/openapi.json, docs at
/api/v1/docs). Every view is wrapped so that each call is logged."""

from django.urls import include, path, re_path
from django.urls.resolvers import URLPattern

from .calls import logged, not_found
from .endpoints import api


def _logged_patterns(patterns) -> list[URLPattern]:
    return [
        URLPattern(pattern.pattern, logged(pattern.callback), pattern.default_args, pattern.name)
        for pattern in patterns
    ]


_patterns, _app_name, _namespace = api.urls
v1_patterns = [
    *_logged_patterns(_patterns),
    re_path(r"^.*$", logged(not_found), name="api-v1-not-found"),
]

urlpatterns = [
    path("v1/", include((v1_patterns, _app_name), namespace=_namespace)),
    re_path(r"^.*$", logged(not_found), name="api_not_found"),
]
