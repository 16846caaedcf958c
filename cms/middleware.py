from django.http import Http404, QueryDict


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
