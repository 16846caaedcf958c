"""What the site logs while people use it carries no full mobile or ID number.

caplog's handler sits on the root logger after the site's own handler, whose filter
(people.logfilters) masks each record in place: what caplog sees is what the log file gets.
"""

import logging

import pytest
from django.test import Client

from tests.factories import make_tree, make_worker

pytestmark = pytest.mark.django_db

PHONE = "13912345670"
ID_NUMBER = "11010519491231002X"


def leaks(caplog) -> list[str]:
    lines = [caplog.text, *(r.getMessage() for r in caplog.records)]
    return [line for line in lines if PHONE in line or ID_NUMBER in line]


def test_a_failed_login_with_a_phone_number_logs_no_full_number(caplog):
    make_worker(make_tree()["TD1S1C1"], phone=PHONE)
    caplog.set_level(logging.INFO)
    client = Client()
    for _ in range(7):  # past the rate limit too
        client.post("/en/accounts/login/", {"login": PHONE, "password": "wrong-password-1"})
    refused = Client(enforce_csrf_checks=True)
    refused.post(f"/en/accounts/login/?next=/roster/%3Fq%3D{PHONE}", {"login": PHONE})
    assert any("Forbidden (CSRF" in r.getMessage() for r in caplog.records)
    assert not leaks(caplog)


def test_a_404_with_a_phone_or_id_number_in_the_path_logs_it_masked(client, caplog):
    caplog.set_level(logging.INFO)
    assert client.get(f"/en/roster/{PHONE}/").status_code in (302, 404)
    assert client.get(f"/no-such-page/{PHONE}/{ID_NUMBER}/").status_code == 404
    messages = [r.getMessage() for r in caplog.records if r.name == "django.request"]
    assert any(
        "Not Found" in m and "139****5670" in m and "110105********002X" in m for m in messages
    )
    assert not leaks(caplog)


def test_request_lines_with_a_search_by_phone_are_masked(caplog):
    # runserver logs each request line, query string included, as django.server does here.
    caplog.set_level(logging.INFO)
    logging.getLogger("django.server").info('"GET /roster/?q=%s HTTP/1.1" 200 5120', PHONE)
    logging.getLogger("zhuangma.roster").error("row %d: %s", 3, {"id_number": ID_NUMBER})
    assert len(caplog.records) == 2
    assert not leaks(caplog)
