import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    """allauth's rate limits live in the cache; one test's failed logins must not leak."""
    cache.clear()
    yield
    cache.clear()
