"""Hostile input over HTTP, at every URL pattern of the project (tests/url_inventory.py), as an
anonymous visitor, a worker and a city admin of the permission-matrix world.

- GET with hostile values in every query parameter the view's module reads (and q, page, sort,
  unit, year, format, and the fields of the page's own GET forms): XSS, SQL and full-text
  syntax, wildcards, path traversal (plain and percent-encoded), NUL, invalid UTF-8, 100 KB,
  negative, huge and non-numeric numbers;
- POST to every form a page shows, every field filled with the payloads (once with valid choices
  and the text fields hostile, once with every field hostile), files with hostile content, then
  the page that shows what was stored;
- bodies too big, with too many fields, broken multipart, a file part named ../../etc/passwd,
  3 MB files; JSON endpoints with broken JSON and wrong types; the data API with hostile
  parameters;
- path traversal in every file-serving view.

Never a 500, never an exception logged, and the raw XSS payloads never in an HTML page (escaped
is fine). Each request runs in a rolled-back savepoint, so what one stores is checked on the
pages it leads to and the world stays the same for the next. Payloads rotate over the URLs in a
fixed order rather than trying every combination, to keep the suite under three minutes.
"""

import importlib
import inspect
import logging
import re
from contextlib import contextmanager
from datetime import date
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils.html import escape

from cms.api import tokens
from people.models import User
from tests.permission_matrix import build_world
from tests.url_inventory import all_patterns, concrete_urls

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"
XSS_ATTR = '"><img src=x onerror=alert(1)>'
# What must never reach an HTML page unescaped.
RAW_MARKUP = (XSS, "<img src=x onerror=alert(1)>")
HUGE = "长" * 100_000  # 100,000 characters (300 KB of UTF-8)
TEXT_PAYLOADS = [
    XSS_ATTR,
    "' OR '1'='1",
    "1;DROP TABLE people_user--",
    '"foo" AND (bar',
    "*",
    "%",
    "\\",
    "../../../../etc/passwd",
    "\x00",
    "-1",
    "99999999999999999999999999",
    "abc",
    '=HYPERLINK("http://x")',
    HUGE,
]
# Query-string values as they go on the wire (some are deliberately not valid UTF-8).
QUERY_VALUES = [quote(value, safe="") for value in TEXT_PAYLOADS] + [
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%FF%FE%FD",
    "%C0%AF",
    "1e309",
]
GENERIC_PARAMS = ("q", "page", "sort", "unit", "year", "format")
POSTED_FIELDS = ("text", "reason", "note", "value", "code", "name", "title", "status", "next")
_READS = re.compile(r"""\b(?:GET|query_params)(?:\.get(?:list)?\(|\[)\s*["']([\w\-]+)["']""")
ACTORS = ("anon", "worker", "city", "security")  # security: the account and role forms
# Forms never posted: they end the session or switch the language for the pages that follow.
SKIPPED_ACTIONS = ("logout", "/i18n/")
PASSWD = (b"root:x:0:0", b"root:*:0:0")


# --- Looking at responses ---------------------------------------------------------------------


class _Errors(logging.Handler):
    """Records of ERROR and above, except Django's security log, which reports refused hostile
    requests (a body too big, a bad host) by design."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        if not record.name.startswith("django.security"):
            self.records.append(record)


@pytest.fixture
def logged_errors():
    handler = _Errors()
    loggers = [logging.getLogger(), logging.getLogger("django"), logging.getLogger("zhuangma")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler.records
    for logger in loggers:
        logger.removeHandler(handler)


def body_of(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


class Problems(list):
    def check(self, response, what: str, errors: list):
        if response.status_code >= 500:
            self.append(f"{what}: {response.status_code}")
        body = body_of(response)
        if is_html(response):
            text = body.decode("utf-8", "replace")
            for raw in RAW_MARKUP:
                if raw in text:
                    self.append(f"{what}: unescaped {raw!r} in the page")
        for record in errors:
            self.append(f"{what}: logged {record.name}: {record.getMessage()[:200]}")
        errors.clear()
        return body


@contextmanager
def rolled_back():
    """What a request writes is undone, so every URL meets the same world."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# --- Forms ------------------------------------------------------------------------------------


class FormParser(HTMLParser):
    """The <form>s of a page: action, method, enctype and fields (tag, type, name, value,
    options)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self._form, self._select = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {
                "action": attrs.get("action") or "",
                "method": (attrs.get("method") or "get").lower(),
                "fields": [],
            }
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag in ("input", "textarea", "button"):
            kind = (attrs.get("type") or ("submit" if tag == "button" else "text")).lower()
            if tag == "textarea":
                kind = "textarea"
            self._form["fields"].append(
                {"type": kind, "name": attrs.get("name"), "value": attrs.get("value") or ""}
            )
        elif tag == "select":
            self._select = {"type": "select", "name": attrs.get("name"), "options": []}
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            self._select["options"].append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def forms_of(html: str) -> list[dict]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


# Plausible values for typed inputs when the form should validate.
_VALID = {
    "number": "1",
    "range": "1",
    "date": date(2026, 6, 1).isoformat(),
    "datetime-local": "2026-06-01T09:00",
    "time": "09:00",
    "email": "someone@example.com",
    "url": "https://example.com/",
    "tel": "13800000000",
    "color": "#000000",
    "month": "2026-06",
}


def fill(form: dict, payload: str, *, valid_choices: bool) -> dict:
    """The form's data with `payload` in its fields: with `valid_choices`, selects, boxes and
    typed inputs keep a valid value and only text is hostile; otherwise everything is."""
    data: dict[str, list] = {}
    submitted = False
    for field in form["fields"]:
        name, kind = field["name"], field["type"]
        if not name:
            continue
        if kind == "hidden":
            value = field["value"]
        elif kind in ("submit", "image"):
            if submitted:
                continue
            submitted, value = True, field["value"]
        elif kind in ("button", "reset"):
            continue
        elif kind == "file":
            # (a path in the name would be cut off here: the raw-body test sends one)
            data[name] = [SimpleUploadedFile(f"{payload[:40]}.xlsx", payload.encode())]
            continue
        elif not valid_choices:
            value = payload
        elif kind in ("checkbox", "radio"):
            if name in data:
                continue
            value = field["value"] or "on"
        elif kind == "select":
            options = [option for option in field["options"] if option] or [""]
            value = options[0]
        else:
            value = _VALID.get(kind, payload)
        data.setdefault(name, []).append(value)
    return {name: values if len(values) > 1 else values[0] for name, values in data.items()}


# --- The URLs ---------------------------------------------------------------------------------


def params_read_by(view_path: str) -> set[str]:
    """The query parameters the view's module reads (request.GET["x"], .get("x"), .getlist)."""
    module_path = view_path
    while module_path:
        try:
            module = importlib.import_module(module_path)
            break
        except ImportError:
            module_path = module_path.rpartition(".")[0]
    else:
        return set()
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        return set()
    return set(_READS.findall(source))


def hostile_query(params, value: str) -> str:
    return "&".join(f"{quote(name)}={value}" for name in sorted(params))


def hostile_queries(index: int, response, params: set, own: set) -> list[str]:
    """The hostile query strings the URL at `index` gets: a page the view rendered gets the XSS
    payload and one other in turn in every parameter, and 100 KB in the parameters its view
    reads itself (searches); a file or a refusal (login, 403: the view read nothing) one value
    in turn."""
    values = [QUERY_VALUES[index % len(QUERY_VALUES)]]
    rendered = response.status_code == 200 and is_html(response)
    if rendered:
        values.append(quote(XSS, safe=""))
    queries = [hostile_query(params, value) for value in dict.fromkeys(values)]
    if rendered and own:
        queries.append(hostile_query(own, quote(HUGE, safe="")))
    return queries


def inventory(world):
    views = {pattern.key: pattern.view for pattern in all_patterns()}
    return [(key, url, views[key]) for key, url in concrete_urls(world, "in")]


@pytest.fixture
def world():
    return build_world()


def client_for(world, actor: str) -> Client:
    client = Client(raise_request_exception=False, enforce_csrf_checks=True)
    if world.users[actor] is not None:
        client.force_login(world.users[actor])
    return client


# --- The suite --------------------------------------------------------------------------------

# Wagtail's page editor takes its StreamField counts from its JavaScript, not from the HTML: a
# hand-made POST without them is a 500 inside Wagtail (MultiValueDictKeyError), not in our code.
# Our page models' validation is covered by their own tests and by the snippet forms here.
SKIPPED_FORMS = ("wagtailadmin_pages:edit", "wagtailadmin_pages:add")


def _url_name(path: str) -> str:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return ""
    return match.view_name


def _post_forms(client, actor, user, page_url, html, payloads, problems, errors, seen):
    """Post each new form of the page: `payloads` are (payload, with valid choices?)."""
    for form in forms_of(html):
        if form["method"] != "post":
            continue
        action = urljoin(page_url, form["action"] or page_url)
        if urlsplit(action).netloc or any(skip in action for skip in SKIPPED_ACTIONS):
            continue
        if _url_name(action) in SKIPPED_FORMS:
            continue
        fields = tuple(f["name"] for f in form["fields"])
        shape = (re.sub(r"\d+", "N", urlsplit(action).path), fields)
        if shape in seen:
            continue
        seen.add(shape)
        for payload, valid in payloads:
            session = client.cookies.get(settings.SESSION_COOKIE_NAME)
            before = session.value if session else None
            what = f"{actor}: POST {action} ({'valid' if valid else 'hostile'} {payload[:30]!r})"
            with rolled_back():
                response = client.post(
                    action, fill(form, payload, valid_choices=valid), follow=True
                )
                problems.check(response, what, errors)
                landed = response.request.get("PATH_INFO", "")
                if valid and landed != urlsplit(page_url).path:  # where the value is shown
                    problems.check(client.get(page_url), f"{what}, then {page_url}", errors)
            after = client.cookies.get(settings.SESSION_COOKIE_NAME)
            if user is not None and (after.value if after else None) != before:
                client.force_login(user)  # the rolled-back request had cycled the session


def test_the_checks_see_a_500_raw_markup_a_logged_error_and_every_form_field():
    """The suite's own eyes: what it must catch, it catches."""
    problems, errors = Problems(), [logging.makeLogRecord({"name": "x", "msg": "boom"})]
    problems.check(HttpResponse(f"<p>{XSS}</p>"), "raw", errors)
    problems.check(HttpResponse(escape(XSS)), "escaped", [])
    problems.check(HttpResponse(status=500), "broken", [])
    assert problems == [
        f"raw: unescaped {XSS!r} in the page",
        "raw: logged x: boom",
        "broken: 500",
    ]
    (form,) = forms_of(
        '<form method="post" action="/x/"><input type="hidden" name="csrfmiddlewaretoken" '
        'value="t"><input name="title"><textarea name="body"></textarea>'
        '<select name="kind"><option value="">-</option><option value="a">A</option></select>'
        '<input type="checkbox" name="tags" value="1"><input type="checkbox" name="tags" value="2">'
        '<input type="number" name="n"><input type="file" name="f"><button name="go" value="1">'
        "</button></form>"
    )
    valid = fill(form, XSS, valid_choices=True)
    assert {k: v for k, v in valid.items() if k != "f"} == {
        "csrfmiddlewaretoken": "t",
        "title": XSS,
        "body": XSS,
        "kind": "a",
        "tags": "1",
        "n": "1",
        "go": "1",
    }
    hostile = fill(form, "%", valid_choices=False)
    assert hostile["f"].name == "%.xlsx"
    assert {k: v for k, v in hostile.items() if k != "f"} == {
        "csrfmiddlewaretoken": "t",
        "title": "%",
        "body": "%",
        "kind": "%",
        "tags": ["%", "%"],
        "n": "%",
        "go": "1",
    }


def _hostile_visit(world, actor, problems, errors) -> tuple[int, int]:
    """Every URL as `actor`: plain, with hostile queries, and its forms posted. Returns how many
    answered 200 and how many forms were posted."""
    client, user = client_for(world, actor), world.users[actor]
    poster = Client(raise_request_exception=False)  # for views without a form to take a token from
    if user is not None:
        poster.force_login(user)
    seen_forms, reached = set(), 0
    for index, (key, url, view) in enumerate(inventory(world)):
        with rolled_back():
            response = client.get(url)
            body = problems.check(response, f"{actor}: GET {url} [{key}]", errors)
        reached += response.status_code == 200
        html = body.decode("utf-8", "replace") if is_html(response) else ""
        own = params_read_by(view)
        params = set(GENERIC_PARAMS) | own
        for form in forms_of(html):
            if form["method"] == "get":
                params |= {f["name"] for f in form["fields"] if f["name"]}
        path = url.split("?")[0]
        for query in hostile_queries(index, response, params, own):
            with rolled_back():
                hostile = client.get(f"{path}?{query}")
                problems.check(hostile, f"{actor}: GET {path}?{query[:120]} [{key}]", errors)
        if html and response.status_code == 200:
            payloads = [(XSS, True), (TEXT_PAYLOADS[index % len(TEXT_PAYLOADS)], False)]
            _post_forms(client, actor, user, url, html, payloads, problems, errors, seen_forms)
        elif response.status_code == 405:  # POST only: every payload in the usual field names
            # All of them, not one in turn: which one a view got used to depend on its place
            # in the URL list, so a new URL elsewhere could reveal (or hide) a bug here.
            for payload in (XSS, *TEXT_PAYLOADS):
                data = dict.fromkeys(POSTED_FIELDS, payload)
                with rolled_back():
                    posted = poster.post(url, data, follow=True)
                    where = f"{actor}: POST {url} {payload[:30]!r} [{key}]"
                    problems.check(posted, where, errors)
    return reached, len(seen_forms)


def test_hostile_queries_and_forms_never_break_a_page(world, logged_errors):
    """As anonymous, a worker and a city admin (one world: building it is the slow part)."""
    problems = Problems()
    seen = {actor: _hostile_visit(world, actor, problems, logged_errors) for actor in ACTORS}
    assert not problems, "\n".join(problems)
    # The admin really reached the pages (not a login or 2FA wall) and posted their forms; the
    # worker their own.
    (city_pages, city_forms), (worker_pages, _forms) = seen["city"], seen["worker"]
    assert city_pages > 60 and city_forms > 20 and worker_pages > 10, seen
    assert seen["security"][1] >= 3, seen  # account and role forms posted


# --- Bodies -----------------------------------------------------------------------------------

# Views that read a posted body (forms, uploads), by inventory key.
BODY_TARGETS = (
    "roster_import",
    "competitions:paper_upload",
    "session_paper",
    "competitions:appeal_file",
    "competitions:competition_edit",
    "hours_external_new",
    "api_client_new",
    "exam_question_import",
)
TOO_BIG = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
MULTIPART = "multipart/form-data; boundary=zmb"


def _bodies() -> list[tuple[str, bytes, str]]:
    """(what, body, content type): each one Django or the view must refuse with a 4xx."""
    fields = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1
    return [
        ("too big", b"a=" + b"x" * TOO_BIG, "application/x-www-form-urlencoded"),
        ("too many fields", "&".join(f"f{i}=1" for i in range(fields)).encode(), "application/x-www-form-urlencoded"),
        ("unterminated multipart", b'--zmb\r\nContent-Disposition: form-data; name="a"\r\n\r\nx', MULTIPART),
        ("multipart without boundary", b"--zmb\r\n\r\n", "multipart/form-data"),
        ("multipart garbage", b"\x00\xff" * 1000, MULTIPART),
        ("file part with a traversal name", (
            b'--zmb\r\nContent-Disposition: form-data; name="file"; filename="../../../etc/passwd"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\nroot:x:0:0\r\n--zmb--\r\n"
        ), MULTIPART),
        ("JSON to a form", b'{"a": [1, {"b": null}]}', "application/json"),
        ("invalid UTF-8 form", b"name=%FF%FE&text=\xff\xfe", "application/x-www-form-urlencoded"),
    ]  # fmt: skip


def _big_files(page_html: str) -> dict:
    """The first form's fields with every file field holding 3 MB that is not a spreadsheet."""
    for form in forms_of(page_html):
        if form["method"] == "post" and any(f["type"] == "file" for f in form["fields"]):
            data = fill(form, "x", valid_choices=True)
            for field in form["fields"]:
                if field["type"] == "file":
                    junk = b"PK\x03\x04" + b"\x00" * (3 * 1024 * 1024)
                    data[field["name"]] = SimpleUploadedFile("名册.xlsx", junk)
            return data
    return {}


def test_oversized_and_malformed_bodies_are_refused_cleanly(world, logged_errors):
    urls = dict(concrete_urls(world, "in"))
    targets = [urls[key] for key in BODY_TARGETS if key in urls]
    assert len(targets) >= 5, "the views that read bodies have moved: update BODY_TARGETS"
    client = Client(raise_request_exception=False)  # no CSRF check: the view itself reads
    client.force_login(world.users["city"])
    problems = Problems()
    for url in targets:
        for what, body, content_type in _bodies():
            with rolled_back():
                response = client.generic("POST", url, body, content_type=content_type)
                problems.check(response, f"POST {url} ({what})", logged_errors)
        with rolled_back():
            page = client.get(url)
            files = _big_files(page.content.decode("utf-8", "replace")) if is_html(page) else {}
            if files:
                response = client.post(url, files, follow=True)
                problems.check(response, f"POST {url} (3 MB file)", logged_errors)
    assert not problems, "\n".join(problems)


# --- JSON -------------------------------------------------------------------------------------

BROKEN_JSON = [
    b"",
    b"{",
    b"null",
    b"[]",
    b'"text"',
    b"1e999",
    b"\xff\xfe",
    b"[" * 100_000 + b"]" * 100_000,  # nested deeper than the parser's recursion limit
    b'{"intervals": "x", "position": "y"}',
    b'{"intervals": [[0, "a"], [1]], "position": null}',
    b'{"intervals": [[1e309, -1e309]], "position": -1}',
    b'{"intervals": {"a": 1}}',
    b'{"appearance": true, "values": []}',
    b'{"appearance": "99999999999999999999999", "values": {}}',
    b'{"appearance": -1, "values": {"listen": "1e9999"}}',
    b'{"appearance": "APPEARANCE", "values": "x", "submission_id": ["x"]}',
    b'{"appearance": "APPEARANCE", "values": {"listen": [1], "<script>": 1}}',
    b'{"appearance": "APPEARANCE", "values": {"listen": "NaN"}, "submission_id": "'
    + b"x" * 5000
    + b'"}',
]


def test_json_endpoints_answer_broken_json_and_wrong_types_with_a_4xx(world, logged_errors):
    inside = world.inside
    endpoints = [
        ("worker", f"/training/lessons/{inside.lesson.pk}/report/"),
        ("judge", "/competitions/api/scores/"),
    ]
    problems = Problems()
    for actor, url in endpoints:
        client = Client(raise_request_exception=False)
        client.force_login(world.users[actor])
        for body in BROKEN_JSON:
            body = body.replace(b"APPEARANCE", str(inside.appearance.pk).encode())
            with rolled_back():
                response = client.generic("POST", url, body, content_type="application/json")
                problems.check(response, f"{actor}: POST {url} {body[:60]!r}", logged_errors)
            if response.status_code not in (200, 400, 403, 404, 409):
                problems.append(f"{actor}: POST {url} {body[:60]!r} gave {response.status_code}")
    assert not problems, "\n".join(problems)


def test_the_data_api_answers_hostile_parameters_with_json_errors(world, logged_errors):
    _client, token = tokens.create_client(
        name="数据中台", unit=world.units["W"], by=world.users["city"]
    )
    endpoints = [
        url
        for key, url in concrete_urls(world, "in")
        if key.startswith("api-v1:") and "{" not in url and "docs" not in key
    ]
    assert len(endpoints) >= 6
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {token}")
    params = ("page", "page_size", "unit", "year", "since", "status", "code", "q")
    problems = Problems()
    for index, url in enumerate(endpoints):
        for value in (QUERY_VALUES[index % len(QUERY_VALUES)], "-1", "0", quote(XSS)):
            query = hostile_query(params, value)
            with rolled_back():
                response = client.get(f"{url}?{query}")
                problems.check(response, f"GET {url}?{query[:100]}", logged_errors)
    assert not problems, "\n".join(problems)


# --- Path traversal ---------------------------------------------------------------------------

TRAVERSALS = [
    "..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..%252F..%252F..%252Fetc%252Fpasswd",
    "....%2F%2F....%2F%2Fetc%2Fpasswd",
    "..%5C..%5C..%5Cpyproject.toml",
    "..%2F..%2Fpyproject.toml",
    "%2Fetc%2Fpasswd",
    "..%00.pdf",
]
# Something of the project's own files that must never be served.
SECRETS = (*PASSWD, b"[tool.pytest.ini_options]", b"PERSONAL_DATA_KEY")


def test_file_serving_views_serve_nothing_outside_their_storage(world, logged_errors):
    inside = world.inside
    doc = inside.document
    templates = [
        f"/documents/{doc.pk}/{{x}}",
        f"/documents/{doc.pk}/../../../../{{x}}",
        "/training/certificates/{x}/download/",
        "/training/verify/{x}/",
        f"/competitions/results/{inside.result.pk}/{{x}}",
        f"/competitions/results/files/{{x}}/{inside.stage.pk}.zip",
        "/static/{x}",
        "/static/../{x}",
        "/media/{x}",
        "/media/../{x}",
        f"/cases/booklets/{inside.booklet.pk}/download/?file={{x}}",
        f"/training/hours/external/{inside.external.pk}/proof/?name={{x}}",
    ]
    problems = Problems()
    for actor in ("anon", "city", "worker"):
        client = client_for(world, actor)
        for template in templates:
            for traversal in TRAVERSALS:
                url = template.format(x=traversal)
                with rolled_back():
                    response = client.get(url)
                    body = problems.check(response, f"{actor}: GET {url}", logged_errors)
                if any(secret in body for secret in SECRETS):
                    problems.append(f"{actor}: GET {url} served a file outside the storage")
    assert not problems, "\n".join(problems)


def test_a_number_too_large_for_a_choice_field_is_a_bad_request_not_a_crash(client):
    """SQLite raises OverflowError for it inside Django's choice fields (cms.middleware);
    PostgreSQL finds no such choice and the form says so."""
    from django.db import connection

    from people import duties
    from tests.factories import activate_totp, make_user

    security = make_user(username="security_t")
    duties.grant(security, duties.SECURITY)
    activate_totp(security)
    client.force_login(security)
    huge = "99999999999999999999999999"
    response = client.post(
        "/admin/users/new/",
        {"username": "newbie", "real_name": "新人", "phone": "13812345678", "groups": [huge]},
    )
    expected = 400 if connection.vendor == "sqlite" else 200
    assert response.status_code == expected
    assert not User.objects.filter(username="newbie").exists()
