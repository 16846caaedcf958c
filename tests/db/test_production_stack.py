"""The production settings (cms/settings/production.py) and the stack they describe.

The settings are read in a subprocess with a chosen environment, as gunicorn would read them.
The smoke test starts a real redis-server and gunicorn against the test database (PostgreSQL
only: SQLite's test database lives in the test process's memory) and uses the site over HTTP.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.sessions.models import Session
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

BASE_ENV = {
    "DJANGO_SETTINGS_MODULE": "cms.settings.production",
    "DATABASE_URL": "postgres://zm:secret@db.internal:5432/zhuangma",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "DJANGO_SECRET_KEY": "stack-test-secret-" + "x" * 40,
    "ZHUANGMA_PERSONAL_DATA_KEY": "stack-test-personal-data-key",
    "DJANGO_ALLOWED_HOSTS": "peixun.example.gov.cn, 127.0.0.1",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://peixun.example.gov.cn",
    "ZHUANGMA_MEDIA_ROOT": "/srv/zhuangma/media",
}

# Prints, as JSON, the settings a test looks at (and every plain setting, for comparisons).
READ_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
from django.core.files.storage import storages
plain = {}
def as_json(value):
    # Sets print in a different order in each process (hash randomisation): sort them.
    return sorted(value, key=str) if isinstance(value, (set, frozenset)) else str(value)
for name in dir(settings):
    if name.isupper():
        value = getattr(settings, name)
        try:
            plain[name] = json.loads(json.dumps(value, default=as_json))
        except (TypeError, ValueError):
            plain[name] = repr(value)
media = storages["default"]
plain["_media_class"] = type(media).__module__ + "." + type(media).__name__
plain["_media_url"] = media.url("booklets/案例汇编.pdf")
print(json.dumps(plain))
"""


def clean_env(**changes) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ZHUANGMA_"))}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update(BASE_ENV)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def read_settings(**changes):
    result = subprocess.run(
        [sys.executable, "-c", READ_SETTINGS],
        env=clean_env(**changes),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result


def production_settings(**changes) -> dict:
    result = read_settings(**changes)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


# --------------------------------------------------------------------------------------
# Settings from the environment
# --------------------------------------------------------------------------------------


def test_redis_is_the_cache_and_the_session_store():
    s = production_settings()
    redis = "django.core.cache.backends.redis.RedisCache"
    assert s["CACHES"]["default"]["BACKEND"] == redis
    assert s["CACHES"]["default"]["LOCATION"] == BASE_ENV["REDIS_URL"]
    assert s["SESSION_ENGINE"] == "django.contrib.sessions.backends.cache"
    sessions = s["CACHES"][s["SESSION_CACHE_ALIAS"]]
    assert sessions["BACKEND"] == redis and sessions["LOCATION"] == BASE_ENV["REDIS_URL"]
    # Sessions and cached pages never share keys, even in one Redis.
    assert sessions["KEY_PREFIX"] != s["CACHES"]["default"]["KEY_PREFIX"]
    assert "cms.page_cache.PageCacheMiddleware" == s["MIDDLEWARE"][-1]
    assert s["PAGE_CACHE_SECONDS"] == 600


def test_a_separate_redis_for_sessions_when_asked():
    s = production_settings(REDIS_SESSIONS_URL="redis://sessions.internal:6379/0")
    assert s["CACHES"]["sessions"]["LOCATION"] == "redis://sessions.internal:6379/0"
    assert s["CACHES"]["default"]["LOCATION"] == BASE_ENV["REDIS_URL"]


def test_database_hosts_secrets_and_static_files_come_from_the_environment():
    s = production_settings(DJANGO_CONN_MAX_AGE="0", ZHUANGMA_PGBOUNCER="1")
    db = s["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["HOST"], db["USER"]) == ("zhuangma", "db.internal", "zm")
    assert db["CONN_MAX_AGE"] == 0 and db["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert "django.contrib.postgres" in s["INSTALLED_APPS"]
    assert s["DEBUG"] is False
    assert s["SECRET_KEY"] == BASE_ENV["DJANGO_SECRET_KEY"]
    assert s["PERSONAL_DATA_KEY"] == BASE_ENV["ZHUANGMA_PERSONAL_DATA_KEY"]
    assert s["ALLOWED_HOSTS"] == ["peixun.example.gov.cn", "127.0.0.1"]
    assert s["CSRF_TRUSTED_ORIGINS"] == ["https://peixun.example.gov.cn"]
    assert s["STORAGES"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in s["MIDDLEWARE"]
    assert s["TASKS"]["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    # Logs: one handler, to stdout, for everything.
    assert s["LOGGING"]["handlers"]["stdout"]["stream"] == "ext://sys.stdout"
    assert s["LOGGING"]["root"]["handlers"] == ["stdout"]


def test_media_on_the_filesystem_by_default():
    s = production_settings()
    assert s["_media_class"] == "django.core.files.storage.filesystem.FileSystemStorage"
    assert s["MEDIA_ROOT"] == "/srv/zhuangma/media"


def test_media_in_s3_compatible_storage_when_a_bucket_is_named():
    s = production_settings(
        ZHUANGMA_S3_BUCKET="zhuangma-media",
        ZHUANGMA_S3_ENDPOINT_URL="https://oss.example.gov.cn",
        ZHUANGMA_S3_ACCESS_KEY_ID="AKIDEXAMPLE",
        ZHUANGMA_S3_SECRET_ACCESS_KEY="secret-example",
        ZHUANGMA_S3_REGION="cn-north-1",
        ZHUANGMA_S3_ADDRESSING_STYLE="path",
    )
    options = s["STORAGES"]["default"]["OPTIONS"]
    assert s["STORAGES"]["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert s["_media_class"] == "storages.backends.s3.S3Storage"
    assert options["bucket_name"] == "zhuangma-media"
    assert options["querystring_auth"] is True and options["default_acl"] is None
    # A signed, expiring link at the endpoint, path-style; made locally, no request sent.
    url = s["_media_url"]
    assert url.startswith("https://oss.example.gov.cn/zhuangma-media/booklets/")
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=3600" in url


def test_plain_http_switch_changes_the_secure_flags_the_redirect_and_hsts_only():
    # Plain http is for loopback only (tests/db/test_deploy_checks.py: other hosts refused).
    secure = production_settings(DJANGO_ALLOWED_HOSTS="127.0.0.1")
    plain = production_settings(ZHUANGMA_PLAIN_HTTP="1", DJANGO_ALLOWED_HOSTS="127.0.0.1")
    flags = {
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "LANGUAGE_COOKIE_SECURE",
    }
    assert all(secure[name] is True for name in flags)
    assert all(plain[name] is False for name in flags)
    assert secure["SECURE_HSTS_SECONDS"] > 0 and plain["SECURE_HSTS_SECONDS"] == 0
    changed = {name for name in secure if secure[name] != plain.get(name)}
    assert changed == flags | {"PLAIN_HTTP", "SECURE_HSTS_SECONDS"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DJANGO_SECRET_KEY", None),
        ("ZHUANGMA_PERSONAL_DATA_KEY", ""),
        ("DATABASE_URL", None),
        ("REDIS_URL", None),
        ("DJANGO_ALLOWED_HOSTS", " , "),
        ("ZHUANGMA_PLAIN_HTTP", "maybe"),
        ("ZHUANGMA_PAGE_CACHE_SECONDS", "ten minutes"),
    ],
)
def test_a_missing_or_bad_variable_is_named(name, value):
    result = read_settings(**{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and name in result.stderr


# --------------------------------------------------------------------------------------
# The real thing: redis-server and gunicorn on loopback
# --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, seconds=90, what="the server"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # not up yet
            pass
        time.sleep(0.3)
    raise AssertionError(f"{what} did not come up within {seconds} s")


def database_url() -> str:
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.fixture
def redis_server():
    import redis

    port = free_port()
    process = subprocess.Popen(
        [
            shutil.which("redis-server"),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    try:
        wait_until(client.ping, 30, "redis-server")
        yield port, client
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def gunicorn(redis_server, tmp_path):
    port, _ = redis_server
    env = clean_env(
        DATABASE_URL=database_url(),
        REDIS_URL=f"redis://127.0.0.1:{port}/0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        ZHUANGMA_PLAIN_HTTP="1",
        ZHUANGMA_STATIC_ROOT=str(tmp_path / "static"),
        ZHUANGMA_MEDIA_ROOT=str(tmp_path / "media"),
        DJANGO_SECRET_KEY=f"smoke-{uuid.uuid4().hex}{uuid.uuid4().hex}",
    )
    python = str(VENV_BIN / "python")
    subprocess.run(
        [python, "manage.py", "collectstatic", "--noinput", "-v0"],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=300,
    )
    http_port = free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "cms.wsgi:application",
            "--bind",
            f"127.0.0.1:{http_port}",
            "--workers",
            "1",
            "--threads",
            "2",
            "--no-control-socket",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{http_port}"
    try:
        wait_until(lambda: requests.get(f"{base}/static/css/site.css", timeout=5).ok)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()
        print((tmp_path / "gunicorn.log").read_text()[-3000:])


def login(session: requests.Session, base: str, login_name: str, password: str):
    form = session.get(f"{base}/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    return session.post(
        f"{base}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "login": login_name, "password": password},
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: gunicorn cannot reach SQLite's in-memory test database",
)
@pytest.mark.skipif(
    shutil.which("redis-server") is None,
    reason="needs redis-server (apt-get install redis-server; .ci/run installs it)",
)
@pytest.mark.skipif(not (VENV_BIN / "gunicorn").exists(), reason="needs gunicorn (pyproject.toml)")
def test_gunicorn_redis_and_postgresql_serve_the_site(redis_server, gunicorn):
    from tests.db.test_casebook import make_case
    from tests.factories import PASSWORD, make_sections, make_tree, make_worker

    _, redis_client = redis_server
    units = make_tree("SM")
    sections = make_sections(units)
    case = make_case(sections["SMD1S1"], title="冒烟测试：楼道充电")
    worker = make_worker(units["SMD1S1C1"], real_name="烟测员")
    # The test settings hash with MD5, which production does not accept.
    worker.password = PBKDF2PasswordHasher().encode(PASSWORD, "smoketestsalt")
    worker.save(update_fields=["password"])
    base = gunicorn

    home = requests.get(f"{base}/", timeout=30)
    assert home.status_code == 200, home.text[:2000]
    # Static files under hashed names, cached by browsers for good (WhiteNoise).
    css = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', home.text).group(1)
    static = requests.get(f"{base}{css}", timeout=30)
    assert static.status_code == 200 and "immutable" in static.headers["Cache-Control"]

    reader = requests.Session()
    first = reader.get(f"{base}{case.url}", timeout=30)
    second = reader.get(f"{base}{case.url}", timeout=30)
    assert first.status_code == second.status_code == 200
    assert "冒烟测试：楼道充电" in second.text
    assert (first.headers["X-Page-Cache"], second.headers["X-Page-Cache"]) == ("miss", "hit")
    assert redis_client.keys("zm:1:page_cache:*")

    person = requests.Session()
    signed_in = login(person, base, worker.phone, PASSWORD)
    assert signed_in.status_code == 302, signed_in.text[:2000]
    me = person.get(f"{base}/me/", timeout=30)
    assert me.status_code == 200 and "烟测员" in me.text
    # The session is in Redis, and only there.
    session_key = person.cookies["sessionid"]
    stored = [key.decode() for key in redis_client.keys("zm-session:*")]
    assert any(key.endswith(session_key) for key in stored)
    assert not Session.objects.exists()
    # Signed in, the case page is rendered for this person, never taken from the cache.
    mine = person.get(f"{base}{case.url}", timeout=30)
    assert mine.status_code == 200 and "X-Page-Cache" not in mine.headers
    assert "烟测员" in mine.text
