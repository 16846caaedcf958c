import pytest
from django.conf import settings
from django.core.cache import cache


def pytest_report_header(config):
    # CI runs the suite twice; the header says which database this run used.
    return f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """allauth's rate limits live in the cache; one test's failed logins must not leak."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """A request to /en/ leaves English active in the thread; each test starts in Chinese."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


class ManualClock:
    """A `time` module stand-in whose time() moves only when a test moves `now`."""

    def __init__(self):
        import time

        self.now = time.time()

    def time(self):
        return self.now


@pytest.fixture
def session_clock(monkeypatch):
    """people.middleware's clock (idle time-out, the kept two-factor answer), moved by hand."""
    from people import middleware

    clock = ManualClock()
    monkeypatch.setattr(middleware, "time", clock)
    return clock
