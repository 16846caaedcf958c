"""Production: every setting that differs between installations comes from the environment.

docs/deployment.md lists the variables and the processes (gunicorn, the task worker).
"""

import os
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .environment import env_flag, env_int, env_list, required


def _s3_origins(bucket: str, endpoint: str, region: str, style: str) -> list[str]:
    """The origins signed media links point at: the endpoint (path style) and/or the
    bucket's own host name (virtual-hosted style, what "auto" may choose)."""
    if endpoint:
        url = urlsplit(endpoint)
        path_style = f"{url.scheme}://{url.netloc}"
        virtual = f"{url.scheme}://{bucket}.{url.netloc}"
        return {"path": [path_style], "virtual": [virtual]}.get(style, [path_style, virtual])
    hosts = [f"{bucket}.s3.amazonaws.com"] + (
        [f"{bucket}.s3.{region}.amazonaws.com"] * bool(region)
    )
    return [f"https://{host}" for host in hosts]


def _with_media(policy: dict, origins: list[str]) -> dict:
    return {
        **policy,
        "img-src": [*policy["img-src"], *origins],
        "media-src": [*policy.get("media-src", policy["default-src"]), *origins],
    }


DEBUG = False
SECRET_KEY = required("DJANGO_SECRET_KEY")
# Encrypts ID numbers and uploaded rosters; losing it loses them.
PERSONAL_DATA_KEY = required("ZHUANGMA_PERSONAL_DATA_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must name the site's host names")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# PostgreSQL. Connections are kept for a minute (one per gunicorn thread) and checked before
# reuse; behind pgbouncer in transaction mode set DJANGO_CONN_MAX_AGE=0 and
# ZHUANGMA_PGBOUNCER=1 (server-side cursors do not survive transaction pooling).
DATABASES = {
    "default": dj_database_url.parse(
        required("DATABASE_URL"),
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
        conn_health_checks=True,
        disable_server_side_cursors=env_flag("ZHUANGMA_PGBOUNCER"),
    )
}
# base.py adds django.contrib.postgres: it reads the same DATABASE_URL.

# Redis is the cache every app node shares: allauth's login rate limits, the page cache and
# the sessions must be the same on every gunicorn worker and every machine.
REDIS_URL = required("REDIS_URL")
_REDIS_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "zm",
        "OPTIONS": _REDIS_OPTIONS,
    },
    # Sessions: by default the same Redis; REDIS_SESSIONS_URL puts them on an instance that
    # never evicts (the cache's may evict under memory pressure; a session must not).
    "sessions": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("REDIS_SESSIONS_URL") or REDIS_URL,
        "KEY_PREFIX": "zm-session",
        "OPTIONS": _REDIS_OPTIONS,
    },
}
# Sessions live in Redis only, not in PostgreSQL: reading a session is one Redis GET instead of
# a database query on every request, logging in writes nothing to the database, and any app
# node can serve any request. The price is that losing Redis logs everybody out, so Redis
# keeps its data on disk with the append-only file (appendonly yes, appendfsync everysec).
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_CACHE_ALIAS = "sessions"

# Anonymous readers of the casebook get stored pages (cms.page_cache); 0 turns it off.
PAGE_CACHE_SECONDS = env_int("ZHUANGMA_PAGE_CACHE_SECONDS", 600)
MIDDLEWARE = [*MIDDLEWARE, "cms.page_cache.PageCacheMiddleware"]  # noqa: F405

# Static files: `manage.py collectstatic` into STATIC_ROOT, served by WhiteNoise with hashed
# names (base.py's CompressedManifestStaticFilesStorage), so browsers may keep them forever.
STATIC_ROOT = os.environ.get("ZHUANGMA_STATIC_ROOT") or STATIC_ROOT  # noqa: F405

# Media (uploads, lesson videos, booklets, renditions): a directory, or S3-compatible object
# storage when ZHUANGMA_S3_BUCKET is set, which every app node then shares.
MEDIA_ROOT = os.environ.get("ZHUANGMA_MEDIA_ROOT") or MEDIA_ROOT  # noqa: F405
# Where the browser fetches media from when it is not this site (the CSP must name it).
MEDIA_ORIGINS = env_list("ZHUANGMA_MEDIA_ORIGIN")
if os.environ.get("ZHUANGMA_S3_BUCKET"):
    MEDIA_ORIGINS = MEDIA_ORIGINS or _s3_origins(
        os.environ["ZHUANGMA_S3_BUCKET"],
        os.environ.get("ZHUANGMA_S3_ENDPOINT_URL", ""),
        os.environ.get("ZHUANGMA_S3_REGION", ""),
        os.environ.get("ZHUANGMA_S3_ADDRESSING_STYLE", ""),
    )
    STORAGES["default"] = {  # noqa: F405
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["ZHUANGMA_S3_BUCKET"],
            "endpoint_url": os.environ.get("ZHUANGMA_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("ZHUANGMA_S3_REGION") or None,
            "access_key": os.environ.get("ZHUANGMA_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("ZHUANGMA_S3_SECRET_ACCESS_KEY") or None,
            # MinIO and most self-hosted stores want path-style addresses.
            "addressing_style": os.environ.get("ZHUANGMA_S3_ADDRESSING_STYLE") or None,
            "signature_version": "s3v4",
            # The bucket stays private: every link is signed and expires (an hour).
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 3600,
            "file_overwrite": False,
        },
    }

# HTTPS: the load balancer or reverse proxy terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The client's address for login rate limits and the audit log: the proxies in front append to
# X-Forwarded-For; without this every login would seem to come from the proxy, and ten failures
# anywhere would lock out everyone.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("ZHUANGMA_TRUSTED_PROXY_COUNT", 1)
SECURE_SSL_REDIRECT = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
# HSTS: browsers that have seen the site once use https only, for a year, on every subdomain
# (a plain-http subdomain would let a network attacker set cookies for this one).
SECURE_HSTS_SECONDS = 365 * 24 * 3600
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preloading puts the registrable domain (e.g. example.gov.cn, with every subdomain) into the
# browsers' built-in https-only lists, which takes months to undo: the owner of that domain
# decides, so it is off unless ZHUANGMA_HSTS_PRELOAD=1. Intranet host names cannot be
# preloaded at all. Without it, check --deploy's reminder (W021) is silenced as answered.
SECURE_HSTS_PRELOAD = env_flag("ZHUANGMA_HSTS_PRELOAD")
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# ZHUANGMA_PLAIN_HTTP=1: plain http, for a load test or a smoke test on loopback only (the
# host names must all be loopback ones). It turns off the Secure flag on cookies, the redirect
# to https and HSTS (a browser told to use https for 127.0.0.1 would refuse every later plain-
# http server there), and nothing else.
PLAIN_HTTP = env_flag("ZHUANGMA_PLAIN_HTTP")
if PLAIN_HTTP:
    _LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
    if not set(ALLOWED_HOSTS) <= _LOOPBACK:
        raise ImproperlyConfigured(
            "ZHUANGMA_PLAIN_HTTP is for loopback only: DJANGO_ALLOWED_HOSTS must name only "
            f"{', '.join(sorted(_LOOPBACK))} (it names {', '.join(ALLOWED_HOSTS)})"
        )
    SECURE_SSL_REDIRECT = False
    SESSION_COOKIE_SECURE = False
    CSRF_COOKIE_SECURE = False
    LANGUAGE_COOKIE_SECURE = False
    SECURE_HSTS_SECONDS = 0

# Media in object storage comes from its own host: pages may show its images and videos.
if MEDIA_ORIGINS:
    SECURE_CSP = _with_media(SECURE_CSP, MEDIA_ORIGINS)  # noqa: F405
    ADMIN_CSP = _with_media(ADMIN_CSP, MEDIA_ORIGINS)  # noqa: F405

# Logs go to stdout, one line each; the process manager or container runtime keeps them.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"},
    },
    # Phone and ID numbers masked in every record (people.logfilters), as in base.py.
    "filters": {"personal_data": {"()": "people.logfilters.MaskPersonalData"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "line",
            "filters": ["personal_data"],
        },
    },
    "root": {"handlers": ["stdout"], "level": os.environ.get("ZHUANGMA_LOG_LEVEL", "INFO")},
    "loggers": {
        # Handled by the root logger: no second copy, no mail to admins.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "zhuangma": {"handlers": [], "level": "INFO", "propagate": True},
    },
}
