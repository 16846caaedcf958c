"""Benchmarks (scripts/bench.py): the production code paths without production's secrets.

DEBUG off and templates cached as in production; the cache is in-process (production uses
Redis: one network round trip more per cache read).
"""

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "bench-only-not-secret-zhuangma"
PERSONAL_DATA_KEY = "bench-only-personal-data-key"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
MEDIA_ROOT = BASE_DIR / "build" / "bench" / "media"  # noqa: F405
# The generator's pages would otherwise queue search-index tasks nobody runs here.
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
LOGGING["loggers"]["django.tasks"] = {"handlers": [], "level": "WARNING"}  # noqa: F405
