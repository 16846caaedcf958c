"""Activation codes (people/activation.py): an admin downloads slips for the workers of their
scope who have no password yet; a worker enters mobile number, code and a new password at
/accounts/activate/ and is in. Wrong, expired and used codes get one answer; tries are limited."""

import io
import re
from datetime import timedelta

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from people import activation
from people.models import ActivationCode, AuditEvent
from tests.factories import make_admin, make_tree, make_worker

pytestmark = pytest.mark.django_db
ACTIVATE = "/en/accounts/activate/"
SLIPS = "/roster/activation-codes.xlsx"
GOOD_PASSWORD = "Qinghe-river-2026"


def imported(community, **kwargs):
    """A worker as a roster import leaves them: no password."""
    worker = make_worker(community, **kwargs)
    worker.set_unusable_password()
    worker.save(update_fields=["password"])
    return worker


@pytest.fixture
def units():
    return make_tree()


def slips(client) -> list[list]:
    response = client.post(SLIPS)
    assert response.status_code == 200, response
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return [list(row) for row in book.active.iter_rows(min_row=2, values_only=True)]


def activate(client, phone, code, password=GOOD_PASSWORD, again=None):
    data = {"phone": phone, "code": code, "password1": password, "password2": again or password}
    return client.post(ACTIVATE, data)


def test_slips_for_the_workers_in_scope_without_a_password(client, units):
    admin = make_admin(units["TD1S1"])
    new = imported(units["TD1S1C1"], real_name="张晓梅", phone="13812345678")
    imported(units["TD2S1C1"], real_name="外区人")  # outside the street
    make_worker(units["TD1S1C2"], real_name="已激活")  # has a password
    client.force_login(admin)
    assert "1 worker has not set a password yet." in client.get("/en/roster/").content.decode()

    [row] = slips(client)
    name, phone, community, code, valid_until, url = row
    assert (name, phone) == ("张晓梅", "138****5678")
    assert community.endswith(units["TD1S1C1"].name)
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}", code)
    assert valid_until.date() == (timezone.localdate() + timedelta(days=activation.VALID_DAYS))
    assert url == "http://testserver/accounts/activate/"
    stored = ActivationCode.objects.get(user=new)
    assert stored.code_hash == activation.code_hash(code) and code not in stored.code_hash
    [entry] = AuditEvent.objects.filter(action=AuditEvent.Action.ACTIVATION_ISSUE)
    assert entry.actor_id == admin.pk and entry.count == 1

    # A second download voids the first slip.
    [again] = slips(client)
    assert again[3] != code
    assert activation.find("13812345678", code) is None
    assert activation.find("13812345678", again[3]) is not None


def test_a_worker_activates_with_any_spelling_and_is_logged_in(client, units):
    admin = make_admin(units["TD1S1"])
    worker = imported(units["TD1S1C1"], phone="13812345678")
    staff = Client()
    staff.force_login(admin)
    [row] = slips(staff)
    code = row[3]

    assert "Activate your account" in client.get(ACTIVATE).content.decode()
    typed = code.lower().replace("-", " ")
    response = activate(client, "+86 138-1234-5678", typed)
    assert response.status_code == 302 and response["Location"] == "/en/me/"
    assert client.session["_auth_user_id"] == str(worker.pk)
    worker.refresh_from_db()
    assert worker.check_password(GOOD_PASSWORD)
    assert not ActivationCode.objects.filter(user=worker).exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACTIVATED, actor=worker).count() == 1

    # The code is used up; the worker now logs in with the password.
    other = Client()
    response = activate(other, "13812345678", code)
    assert "activation code is wrong" in response.content.decode()
    response = other.post(
        "/en/accounts/login/", {"login": "13812345678", "password": GOOD_PASSWORD}
    )
    assert response.status_code == 302


@pytest.mark.parametrize("case", ["wrong code", "other phone", "expired", "disabled"])
def test_wrong_expired_or_foreign_codes_get_one_answer_and_change_nothing(client, units, case):
    worker = imported(units["TD1S1C1"], phone="13812345678")
    imported(units["TD1S1C1"], phone="13900001111")
    [(_user, code, _until)] = activation.issue([worker], by=None)
    phone = "13812345678"
    if case == "wrong code":
        code = "ABCDE-23456" if code != "ABCDE-23456" else "ABCDE-23457"
    elif case == "other phone":
        phone = "13900001111"
    elif case == "expired":
        ActivationCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    else:
        worker.is_active = False
        worker.save(update_fields=["is_active"])
    response = activate(client, phone, code)
    assert response.status_code == 200
    assert "The mobile number or activation code is wrong, or the code has expired." in (
        response.content.decode()
    )
    worker.refresh_from_db()
    assert not worker.has_usable_password() and "_auth_user_id" not in client.session


def test_the_new_password_follows_the_rules(client, units):
    worker = imported(units["TD1S1C1"], phone="13812345678")
    [(_user, code, _until)] = activation.issue([worker], by=None)
    weak = activate(client, "13812345678", code, password="13812345678aA!")
    assert "mobile number" in weak.content.decode()  # the policy names what is wrong
    differ = activate(client, "13812345678", code, again="Something-else-2026")
    assert "The two passwords differ." in differ.content.decode()
    assert ActivationCode.objects.filter(user=worker).exists()


def test_tries_are_limited_per_mobile_number(client, units):
    worker = imported(units["TD1S1C1"], phone="13812345678")
    [(_user, code, _until)] = activation.issue([worker], by=None)
    for n in range(5):
        activate(
            client,
            "13812345678",
            f"WRONG-{n}",
        )
    response = activate(Client(REMOTE_ADDR="10.9.9.9"), "138 1234 5678", code)
    assert response.status_code == 429
    assert "Too many tries" in response.content.decode()
    worker.refresh_from_db()
    assert not worker.has_usable_password()


def test_only_admins_issue_and_only_by_post(client, units):
    worker = make_worker(units["TD1S1C1"])
    client.force_login(worker)
    assert client.post(SLIPS).status_code == 403
    client.force_login(make_admin(units["TD1S1"]))
    assert client.get(SLIPS).status_code == 405
    assert not ActivationCode.objects.exists()


def test_nothing_to_issue_says_so(client, units):
    client.force_login(make_admin(units["TD1S1"]))
    make_worker(units["TD1S1C1"])  # has a password
    response = client.post("/en" + SLIPS, follow=True)
    assert "Every worker in the units you manage has set a password." in response.content.decode()
    assert not ActivationCode.objects.exists()


def test_the_login_page_leads_to_activation(client):
    assert 'href="/en/accounts/activate/"' in client.get("/en/accounts/login/").content.decode()


def test_codes_are_read_off_paper_forgivingly():
    code = activation.new_code()
    assert len(code) == 11 and code[5] == "-"
    assert not set(code.replace("-", "")) & set("01IOL")
    spelled = "ＡＢＣＤＥ－２３４５６"  # full-width, as some phone keyboards type
    assert activation.code_hash(spelled) == activation.code_hash("abcde 23456")


def test_the_demo_has_two_workers_waiting_for_their_slips(client):
    from cms.demo import load_demo
    from people.models import User

    load_demo()
    client.force_login(User.objects.get(username="street_admin"))
    page = client.get("/en/roster/").content.decode()
    assert "2 workers have not set a password yet." in page
    assert [row[1] for row in slips(client)] == ["199****0009", "199****0010"]
