from .base import *  # noqa: F403

DEBUG = True
SECRET_KEY = "dev-only-not-secret-zhuangma"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
# Serve static files straight from the source folders; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# The task worker logs every task at INFO; in the demo that buries the printed logins.
LOGGING["loggers"]["django.tasks"] = {"handlers": ["console"], "level": "WARNING"}  # noqa: F405
