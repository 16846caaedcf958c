import logging

from django.http import Http404, QueryDict
from django.views.defaults import bad_request

logger = logging.getLogger(__name__)


class RefuseNulCharactersMiddleware:
    """NUL characters reach no query: PostgreSQL refuses them in text, which would be a 500.

    Query-string values lose them (a filter with one simply matches nothing); a path with one
    names no page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:
            raise Http404
        if "%00" in request.META.get("QUERY_STRING", "") or any(
            "\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()
        ):
            cleaned = QueryDict(mutable=True)
            for key, values in request.GET.lists():
                cleaned.setlist(key.replace("\x00", ""), [v.replace("\x00", "") for v in values])
            cleaned._mutable = False
            request.GET = cleaned
        return self.get_response(request)


class SQLiteOverflowMiddleware:
    """A 400, not a 500, for a number too large for a 64-bit integer sent to a choice field.

    On SQLite (the embedded database of `make demo`) Django's ModelChoiceField and
    ModelMultipleChoiceField pass such a number to the database, which raises OverflowError
    (PostgreSQL simply finds nothing). Only that message is caught: any other overflow stays a
    500, so a real bug is not hidden.
    """

    MESSAGE = "too large to convert to SQLite INTEGER"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OverflowError) and self.MESSAGE in str(exception):
            logger.warning("Refused a number too large for SQLite: %s", request.path)
            return bad_request(request, exception)
        return None
