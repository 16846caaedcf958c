"""What a search box sends, read the same way on every page that has one."""

from django.utils.functional import cached_property

# Longer search text finds no name and makes a LIKE pattern SQLite refuses (over 50,000 bytes).
MAX_QUERY_LENGTH = 100


def typed_query(request, name: str = "q") -> str:
    return request.GET.get(name, "").strip()[:MAX_QUERY_LENGTH]


class BoundedSearchMixin:
    """For a Wagtail admin listing: its search text cut like every other search box's (SQLite
    refuses a LIKE pattern of tens of kilobytes: a 500)."""

    @cached_property
    def search_query(self):
        return super().search_query.strip()[:MAX_QUERY_LENGTH]
