"""The password rules at every door that sets a password (AUTH_PASSWORD_VALIDATORS)."""

import pytest
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.utils import translation

from cms.demo import DEMO_PASSWORD
from cms.scale import SCALE_PASSWORD
from people.models import User
from tests.factories import PASSWORD, activate_totp, make_tree, make_user, make_worker

pytestmark = pytest.mark.django_db

STRONG = "Qinghe#Road-77"


@pytest.fixture
def worker():
    return make_worker(make_tree()["TD1S1C1"], phone="13812345678", username="zhangxm")


def messages_for(password, user=None):
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            validate_password(password, user=user)
        return " ".join(error.value.messages)


def test_each_rule_is_named_in_english(worker):
    assert "at least 10 characters" in messages_for("Ab1!x", worker)
    assert "at least 3 of the four kinds" in messages_for("abcdefghijkl", worker)
    assert "mobile number" in messages_for("Xy!12345678z", worker)
    assert "username" in messages_for("ZhangXM#2026", worker)
    # Django's own list of common passwords still applies.
    assert "too common" in messages_for("Password123", worker)


def test_a_good_password_and_the_test_password_pass(worker):
    validate_password(STRONG, user=worker)
    validate_password(PASSWORD, user=worker)


def test_help_text_states_the_rules():
    with translation.override("en"):
        text = " ".join(password_validators_help_texts())
    assert "at least 10 characters" in text
    assert "mobile number or username" in text


def test_allauth_password_change_applies_the_rules(client, worker):
    client.force_login(worker)
    url = "/en/accounts/password/change/"
    weak = client.post(
        url, {"oldpassword": PASSWORD, "password1": "zhangxm12345", "password2": "zhangxm12345"}
    )
    assert weak.status_code == 200
    text = weak.content.decode()
    assert "must not contain your username" in text
    worker.refresh_from_db()
    assert worker.check_password(PASSWORD)

    good = client.post(url, {"oldpassword": PASSWORD, "password1": STRONG, "password2": STRONG})
    assert good.status_code == 302
    worker.refresh_from_db()
    assert worker.check_password(STRONG)


@pytest.fixture
def system_admin(client):
    admin = make_user("系统管理员", username="sysadmin", is_superuser=True, is_staff=True)
    activate_totp(admin)  # superusers must use two factors
    client.force_login(admin)
    return admin


def user_form(password, **extra):
    return {
        "username": "wangfang",
        "real_name": "王芳",
        "phone": "138-0000-1111",
        "email": "",
        "password1": password,
        "password2": password,
        **extra,
    }


def test_wagtail_user_creation_applies_the_rules_and_takes_name_and_phone(client, system_admin):
    response = client.post("/admin/users/new/", user_form("Wang-00001111"))
    assert response.status_code == 200
    assert not User.objects.filter(username="wangfang").exists()
    errors = response.context["form"].errors.as_data()
    assert [e.code for e in errors.get("password2", [])] == ["password_contains_phone"], errors

    response = client.post("/admin/users/new/", user_form(STRONG))
    assert response.status_code == 302, response.context["form"].errors
    created = User.objects.get(username="wangfang")
    assert (created.real_name, created.phone) == ("王芳", "13800001111")
    assert created.check_password(STRONG)


def test_wagtail_user_edit_applies_the_rules(client, system_admin, worker):
    url = f"/admin/users/edit/{worker.pk}/"
    data = {
        "username": worker.username,
        "real_name": worker.real_name,
        "phone": worker.phone,
        "email": "",
        "is_active": "on",
        "password1": "Aa!12345678",
        "password2": "Aa!12345678",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "password2" in response.context["form"].errors
    worker.refresh_from_db()
    assert worker.check_password(PASSWORD)

    response = client.post(url, {**data, "password1": STRONG, "password2": STRONG})
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.check_password(STRONG)


@pytest.mark.parametrize("password", [DEMO_PASSWORD, SCALE_PASSWORD])
def test_demo_and_scale_passwords_are_weak_but_still_log_in(client, password):
    # Demo and scale data set their one shared password directly (make_password), which the
    # rules do not see: allowed for demo data only, and the accounts can still log in.
    user = make_user("演示用户", username="demo_user", password=password)
    with pytest.raises(ValidationError):
        validate_password(password, user=user)
    response = client.post("/accounts/login/", {"login": "demo_user", "password": password})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
