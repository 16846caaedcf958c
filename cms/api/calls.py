"""The call log: every call to the API, answered or refused, becomes one ApiCall row."""

from functools import wraps

from django.http import Http404
from django.utils.translation import gettext as _

from cms.models.api import ApiCall

from .errors import error_response


def record(request, status: int) -> ApiCall:
    return ApiCall.objects.create(
        client=getattr(request, "api_client", None),
        method=request.method[:8],
        path=request.path[:300],
        query=request.META.get("QUERY_STRING", "")[:500],
        status=status,
        rows=getattr(request, "api_rows", 0),
    )


def not_found(request, *args, **kwargs):
    raise Http404


def logged(view):
    """Wrap a view of the API: log the call, and answer 404 and 405 in JSON like the rest."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            response = error_response(
                404, "not_found", _("There is no such endpoint; see /api/v1/openapi.json.")
            )
        except Exception:
            record(request, 500)
            raise
        if response.status_code == 405 and response.get("Content-Type") != "application/json":
            allowed = response.get("Allow", "GET")
            response = error_response(405, "method_not_allowed", _("This API only reads: use GET."))
            response["Allow"] = allowed
        record(request, response.status_code)
        return response

    return wrapper
