"""Settings shared by every environment. Environment files override, never repeat."""

import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h]

INSTALLED_APPS = [
    # Ours, upper layer first so our templates override the libraries'.
    "cms",
    "competitions",
    "training",
    "people",
    # Templates for the org tree's Django admin page (people/admin.py uses treebeard's TreeAdmin).
    "treebeard",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "people.apps.WagtailUsersConfig",  # wagtail.users with our user forms
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # Accounts
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Background tasks
    "django_tasks_db",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "cms.csp.AdminPolicyMiddleware",
    "cms.middleware.RefuseNulCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Tells the audit log who is acting and from where (people/audit.py).
    "people.audit.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "people.middleware.IdleTimeoutMiddleware",
    "people.middleware.RequireMFAMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, so that it sees the views' exceptions first.
    "cms.middleware.SQLiteOverflowMiddleware",
]

ROOT_URLCONF = "cms.urls"
WSGI_APPLICATION = "cms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Wagtail's search index uses PostgreSQL's full-text fields, whose checks want the app.
    INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.postgres"]

AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    # Length, three of four kinds of character, not the mobile number or username (等保).
    {"NAME": "people.validators.PasswordPolicyValidator"},
]

# Chinese first; English lives under /en/.
LANGUAGE_CODE = "zh-hans"
# Each language named in its own script, as a language switcher shows it.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

WAGTAIL_I18N_ENABLED = False
WAGTAIL_CONTENT_LANGUAGES = [("zh-hans", "简体中文")]
WAGTAILADMIN_PERMITTED_LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static_collected"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Wagtail
WAGTAIL_SITE_NAME = "壮马"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# Uploads: attachments and lesson videos of these types only, and not too big.
WAGTAILDOCS_EXTENSIONS = [
    "pdf",
    "doc",
    "docx",
    "xls",
    "xlsx",
    "ppt",
    "pptx",
    "wps",
    "txt",
    "csv",
    "zip",
    "mp4",
    "jpg",
    "png",
]
WAGTAILDOCS_DOCUMENT_FORM_BASE = "cms.forms.DocumentForm"
DOCUMENT_MAX_MB = 200
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
# The admin login is allauth's: no second door with weaker rules.
WAGTAILADMIN_LOGIN_URL = "account_login"
# Login-restricted pages send visitors to allauth's login too, not Wagtail's own /_util/login/.
WAGTAIL_FRONTEND_LOGIN_URL = "account_login"
WAGTAIL_PASSWORD_RESET_ENABLED = False
# No shared passwords on pages or document collections: one password for many people is no
# account, has no lock-out and leaves nobody in the audit log (等保: unique identities).
WAGTAIL_PRIVATE_PAGE_OPTIONS = {"SHARED_PASSWORD": False}
WAGTAILDOCS_PRIVATE_COLLECTION_OPTIONS = {"SHARED_PASSWORD": False}
WAGTAILUSERS_PASSWORD_ENABLED = True

# Accounts (allauth). Workers are created by admins or roster imports, never by sign-up.
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "me"
ACCOUNT_ADAPTER = "people.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"phone", "username"}
ACCOUNT_USER_DISPLAY = "people.adapter.user_display"
ACCOUNT_SIGNUP_FIELDS = ["phone*", "username*", "password1*"]
ACCOUNT_PHONE_VERIFICATION_ENABLED = False
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_FORMS = {"login": "people.forms.LoginForm"}
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {
    # allauth's defaults, stated here so a reader sees the guard is on.
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
}
# Activation codes (people/activation.py): tries per address and per mobile number.
ZHUANGMA_ACTIVATION_RATE_LIMITS = "10/m/ip,5/5m/key"
# No SMS gateway: confirming identity again is by password or authenticator, never a texted code.
ACCOUNT_REAUTHENTICATION_METHODS = ["password", "mfa"]
MFA_ADAPTER = "people.adapter.MFAAdapter"
# Who must use two-factor authentication: any of these says so (people.access.requires_mfa).
# Upper layers add their rules by name, so people never imports them.
ZHUANGMA_MFA_RULES = [
    "people.access.is_senior_admin",
    "people.duties.holds_admin_duty",
    "competitions.access.is_active_chief_judge",
]
# A "no authenticator needed" answer is kept in the session this long (a hot path).
ZHUANGMA_MFA_RECHECK_SECONDS = 300
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "壮马"

# Encrypts ID numbers and uploaded rosters; never in the repository. Losing it loses them.
PERSONAL_DATA_KEY = os.environ.get("ZHUANGMA_PERSONAL_DATA_KEY", "")
# Roster files: refused above these sizes, with a message saying so.
ROSTER_MAX_MB = 10
ROSTER_MAX_ROWS = 20_000

# Background work: Django's task framework, stored in the database, run by `db_worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SESSION_COOKIE_HTTPONLY = True
# Session time-outs (等保): logged out after this many idle minutes (people.middleware), and
# SESSION_COOKIE_AGE after logging in whatever the activity.
ZHUANGMA_IDLE_MINUTES = int(os.environ.get("ZHUANGMA_IDLE_MINUTES", "30"))
SESSION_COOKIE_AGE = 12 * 3600
# Cookies: no script reads them (pages carry the CSRF token), and none is sent along with a
# request another site starts, except on following a link. production.py adds Secure.
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Other sites learn where a visitor came from (the origin), never the path or query.
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# No page is framed, by any site; Wagtail's admin (cms.csp) allows its own preview frame.
X_FRAME_OPTIONS = "DENY"
# Wagtail would fetch avatars from gravatar.com and its latest version from wagtail.org: no
# outside host (intranets have none), no e-mail hash sent out.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False

# Content Security Policy (Django's middleware), enforced everywhere: this site's own scripts,
# styles, images and media, and no other host (government intranets have no internet). Inline
# <style> blocks carry the request's nonce ({% csp_nonce_attr %}); there is no inline script
# and no inline event handler (tests/db/test_csp.py scans the templates). production.py adds
# the object-storage host when media lives there.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
# Wagtail's admin (/admin/ only, cms.csp.AdminPolicyMiddleware) writes inline scripts (date
# pickers, inline panels, page editor data) and inline styles, and frames its own preview;
# found with a browser over its pages (it needs no eval and no other host).
ADMIN_CSP = {
    **SECURE_CSP,
    "script-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "frame-ancestors": [CSP.SELF],
}

# Every record goes through one handler, on the root logger, whose filter masks phone and ID
# numbers (people.logfilters): in messages, arguments, tracebacks and request lines alike.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "people.logfilters.MaskPersonalData"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["personal_data"]}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        # Handled by the root logger: no second copy, and no mail to admins (Django's would
        # carry the request's POST data).
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # runserver's request lines (paths with query strings) through the same filter.
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "zhuangma": {"handlers": [], "level": "INFO", "propagate": True},
    },
}
