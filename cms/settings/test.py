from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-not-secret-zhuangma"
ALLOWED_HOSTS = ["*"]
PERSONAL_DATA_KEY = "test-only-personal-data-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
MEDIA_ROOT = BASE_DIR / "test-artifacts" / "media"  # noqa: F405
# Serve static files straight from the source folders; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Every Wagtail save runs indexing tasks; their INFO lines drown a failing test's output.
LOGGING["loggers"]["django.tasks"] = {"handlers": [], "level": "WARNING"}  # noqa: F405
