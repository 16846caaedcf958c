import secrets

from .base import *  # noqa: F403

if not PERSONAL_DATA_KEY:  # noqa: F405
    # A key made on first run and kept beside the checkout (git-ignored), never committed.
    _key_file = BASE_DIR / ".secrets" / "personal-data.key"  # noqa: F405
    if not _key_file.exists():
        _key_file.parent.mkdir(mode=0o700, exist_ok=True)
        _key_file.write_text(secrets.token_urlsafe(32))
        _key_file.chmod(0o600)
    PERSONAL_DATA_KEY = _key_file.read_text().strip()

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
LOGGING["loggers"]["django.tasks"] = {"handlers": [], "level": "WARNING"}  # noqa: F405
