"""Production settings pass `manage.py check --deploy` and send the hardening headers.

Everything runs in a subprocess with the production settings and an environment like a real
installation's (tests/db/test_production_stack.py's), as gunicorn would read them.
"""

import subprocess
import sys
from urllib.parse import urlsplit

from tests.db.test_production_stack import ROOT, clean_env, production_settings, read_settings

YEAR = 365 * 24 * 3600
S3 = {
    "ZHUANGMA_S3_BUCKET": "zhuangma-media",
    "ZHUANGMA_S3_ENDPOINT_URL": "https://oss.example.gov.cn",
    "ZHUANGMA_S3_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "ZHUANGMA_S3_SECRET_ACCESS_KEY": "secret-example",
    "ZHUANGMA_S3_REGION": "cn-north-1",
}


def check_deploy(**changes) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=clean_env(**changes),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing():
    result = check_deploy()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output and "ERRORS" not in output
    # The one silenced check is the HSTS preload reminder, answered in production.py.
    assert "no issues (1 silenced)" in output


def test_check_deploy_with_hsts_preload_silences_nothing():
    result = check_deploy(ZHUANGMA_HSTS_PRELOAD="1")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "no issues (0 silenced)" in output
    assert production_settings(ZHUANGMA_HSTS_PRELOAD="1")["SECURE_HSTS_PRELOAD"] is True


def test_hsts_cookies_and_headers():
    s = production_settings()
    assert s["SECURE_HSTS_SECONDS"] == YEAR
    assert s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert s["SECURE_HSTS_PRELOAD"] is False
    assert s["SILENCED_SYSTEM_CHECKS"] == ["security.W021"]
    for cookie in ("SESSION", "CSRF", "LANGUAGE"):
        assert s[f"{cookie}_COOKIE_SECURE"] is True
        assert s[f"{cookie}_COOKIE_HTTPONLY"] is True
        assert s[f"{cookie}_COOKIE_SAMESITE"] == "Lax"
    assert s["SECURE_REFERRER_POLICY"] == "strict-origin-when-cross-origin"
    assert s["SECURE_CROSS_ORIGIN_OPENER_POLICY"] == "same-origin"
    assert s["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert s["X_FRAME_OPTIONS"] == "DENY"
    assert "django.middleware.csp.ContentSecurityPolicyMiddleware" in s["MIDDLEWARE"]
    assert s["SECURE_CSP"]["frame-ancestors"] == ["'none'"]


def test_plain_http_is_refused_for_a_host_that_is_not_loopback():
    result = read_settings(ZHUANGMA_PLAIN_HTTP="1")  # BASE_ENV names peixun.example.gov.cn
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "ZHUANGMA_PLAIN_HTTP" in result.stderr
    assert "peixun.example.gov.cn" in result.stderr
    plain = production_settings(ZHUANGMA_PLAIN_HTTP="1", DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost")
    assert plain["SECURE_HSTS_SECONDS"] == 0 and plain["SESSION_COOKIE_SECURE"] is False


def test_media_in_object_storage_is_allowed_by_the_csp_and_nothing_else_is():
    local = production_settings()
    assert local["SECURE_CSP"]["img-src"] == ["'self'", "data:"]
    assert "media-src" not in local["SECURE_CSP"]
    for style in ("path", "virtual", ""):
        s = production_settings(**S3, ZHUANGMA_S3_ADDRESSING_STYLE=style)
        # The origin of a real signed link, as the storage makes it.
        link = urlsplit(s["_media_url"])
        origin = f"{link.scheme}://{link.netloc}"
        for name in ("SECURE_CSP", "ADMIN_CSP"):
            policy = s[name]
            assert origin in policy["img-src"] and origin in policy["media-src"], (style, policy)
            added = set(policy["img-src"]) - set(local[name]["img-src"])
            assert added and all(o.endswith("oss.example.gov.cn") for o in added)
        assert "oss.example.gov.cn" not in str(s["SECURE_CSP"]["script-src"])
    named = production_settings(**S3, ZHUANGMA_MEDIA_ORIGIN="https://media.example.gov.cn")
    assert named["SECURE_CSP"]["img-src"] == ["'self'", "data:", "https://media.example.gov.cn"]
