"""The Content Security Policy: strict on the site, relaxed only under Wagtail's /admin/.

The template scan reads every template file of the project and fails on any inline script
without a nonce, inline event handler, style attribute or <style> without a nonce: with the
policy enforced, each of those would be refused by the browser.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

from cms import charts
from tests.factories import activate_totp, make_admin, make_sections, make_tree

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
CSP_HEADER = "Content-Security-Policy"


def directives(response) -> dict[str, list[str]]:
    policy = response[CSP_HEADER]
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.fixture
def site():
    units = make_tree()
    make_sections(units)
    return units


@pytest.mark.parametrize("path", ["/", "/en/", "/accounts/login/", "/cases/search/", "/training/"])
def test_public_pages_get_the_strict_policy(client, site, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no inline script on these pages: no nonce
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    header = response[CSP_HEADER]
    assert "unsafe" not in header and "http" not in header and "*" not in header
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_an_inline_style_block_carries_the_nonce_of_its_response(client, site):
    response = client.get("/training/verify/")
    assert response.status_code == 200
    nonces = re.findall(r'<style nonce="([^"]+)">', response.content.decode())
    assert nonces, "the page has a <style> block"
    assert directives(response)["style-src"] == ["'self'", f"'nonce-{nonces[0]}'"]
    assert set(nonces) == {nonces[0]}
    again = client.get("/training/verify/")
    assert directives(again)["style-src"] != directives(response)["style-src"]  # per response


def test_wagtail_admin_gets_the_relaxed_policy_and_only_there(client, site):
    admin = make_admin(site["T"])
    activate_totp(admin)
    client.force_login(admin)
    response = client.get("/admin/")
    assert response.status_code == 200
    policy = directives(response)
    assert "'unsafe-inline'" in policy["script-src"] and "'unsafe-inline'" in policy["style-src"]
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["default-src"] == ["'self'"]
    assert "http" not in response[CSP_HEADER]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    # The same person elsewhere on the site: strict again.
    mine = client.get("/me/")
    assert "unsafe" not in mine[CSP_HEADER]
    assert directives(mine)["frame-ancestors"] == ["'none'"]


def test_a_wagtail_preview_keeps_the_strict_policy_but_may_be_framed_by_the_admin(site):
    from cms.models import SectionPage

    response = SectionPage.objects.get(unit=site["TD1"]).make_preview_request()
    assert response.status_code == 200
    policy = directives(response)
    assert policy["frame-ancestors"] == ["'self'"]
    assert "unsafe" not in response[CSP_HEADER]
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_the_django_admin_keeps_the_strict_policy(client, site):
    response = client.get("/django-admin/")
    assert "unsafe" not in response[CSP_HEADER]


# --------------------------------------------------------------------------------------
# Templates: nothing inline that the policy would refuse
# --------------------------------------------------------------------------------------

_SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)
_STYLE_ELEMENT = re.compile(r"<style\b([^>]*)>", re.I)
# An attribute named on… (onclick, onload …) or style, in a tag, whatever the quoting.
_EVENT_HANDLER = re.compile(r"<[a-zA-Z][^>]*?\son[a-z]+\s*=", re.S)
_STYLE_ATTRIBUTE = re.compile(r"<[a-zA-Z][^>]*?\sstyle\s*=", re.S)
_JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)
_NONCE = re.compile(r"nonce=|\{%\s*csp_nonce_attr\s*%\}")


def template_files() -> list[Path]:
    folders = [Path(d) for engine in settings.TEMPLATES for d in engine.get("DIRS", [])]
    folders += [ROOT / app / "templates" for app in ("cms", "competitions", "training", "people")]
    return sorted(f for folder in folders if folder.is_dir() for f in folder.rglob("*.html"))


def problems_in(text: str) -> list[str]:
    found = []
    for match in _SCRIPT.finditer(text):
        attributes = match.group(1)
        if "src=" not in attributes and not _NONCE.search(attributes):
            found.append(f"inline script without a nonce: {match.group()}")
    for match in _STYLE_ELEMENT.finditer(text):
        if not _NONCE.search(match.group(1)):
            found.append(f"<style> without a nonce: {match.group()}")
    found += [f"inline event handler: {m.group()[:80]}" for m in _EVENT_HANDLER.finditer(text)]
    found += [f"style attribute: {m.group()[:80]}" for m in _STYLE_ATTRIBUTE.finditer(text)]
    found += [f"javascript: URL: {m.group()}" for m in _JS_URL.finditer(text)]
    return found


def test_the_scan_finds_what_the_policy_refuses():
    bad = [
        "<script>alert(1)</script>",
        '<script type="text/javascript">x()</script>',
        "<style>p{color:red}</style>",
        '<button type="button" onclick="go()">Go</button>',
        "<body\n  onload='start()'>",
        '<div class="x" style="color: red">',
        '<a href="javascript:void(0)">',
    ]
    for sample in bad:
        assert problems_in(sample), sample
    good = [
        '<script src="/static/js/progress.js"></script>',
        '<script nonce="{{ csp_nonce }}">x()</script>',
        "<style {% csp_nonce_attr %}>p{}</style>",
        '<p class="online">',
        '<input name="once">',
    ]
    for sample in good:
        assert not problems_in(sample), sample


def test_no_template_has_what_the_policy_refuses():
    files = template_files()
    assert len(files) > 50  # the scan sees the project's templates
    found = {
        str(f.relative_to(ROOT)): problems
        for f in files
        if (problems := problems_in(f.read_text()))
    }
    assert not found, found


def test_charts_carry_no_inline_style_and_their_stylesheet_is_up_to_date():
    svg = charts.bar("完成率", ["一街道", "二街道"], [80, 95])
    assert not problems_in(svg)
    assert "<script" not in svg
    stylesheet = ROOT / "static" / charts.STYLESHEET
    assert stylesheet.read_text() == charts.stylesheet(), (
        "static/css/charts.css is out of date: write cms.charts.stylesheet() into it"
    )
