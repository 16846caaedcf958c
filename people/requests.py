"""What a search box sends, read the same way on every page that has one."""

# Longer search text finds no name and makes a LIKE pattern SQLite refuses (over 50,000 bytes).
MAX_QUERY_LENGTH = 100


def typed_query(request, name: str = "q") -> str:
    return request.GET.get(name, "").strip()[:MAX_QUERY_LENGTH]
