import pytest
from django.urls import reverse

from people.models import User
from tests.factories import PASSWORD, make_tree, make_user, make_worker

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture
def worker():
    units = make_tree()
    return make_worker(
        units["TD1S1C1"], real_name="张晓梅", phone="13812345678", username="zhangxm"
    )


def post_login(client, login, password=PASSWORD):
    return client.post(LOGIN, {"login": login, "password": password})


@pytest.mark.parametrize(
    "login", ["13812345678", "+86 138-1234-5678", "１３８１２３４５６７８", "zhangxm"]
)
def test_worker_logs_in_with_phone_in_any_usual_form_or_username(client, worker, login):
    response = post_login(client, login)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("me")
    page = client.get(reverse("me"))
    text = page.content.decode()
    assert "张晓梅" in text
    assert "我的学习" in text


def test_malformed_phone_gets_a_chinese_message_naming_the_problem(client, worker):
    response = post_login(client, "1381234")
    assert response.status_code == 200
    text = response.content.decode()
    assert "手机号“1381234”格式不正确" in text
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("login", ["长" * 151, "a" * 100_000])
def test_a_login_longer_than_any_username_is_just_wrong(client, worker, login):
    # On SQLite a case-insensitive match of 100 KB failed inside the database (a 500).
    response = post_login(client, login)
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_wrong_password_gets_a_chinese_message(client, worker):
    response = post_login(client, "13812345678", "wrong-password")
    assert response.status_code == 200
    assert "手机号或密码不正确" in response.content.decode()
    response = post_login(client, "zhangxm", "wrong-password")
    assert "用户名或密码不正确" in response.content.decode()


def test_unknown_phone_is_refused_like_a_wrong_password(client, worker):
    response = post_login(client, "13900009999")
    assert response.status_code == 200
    assert "手机号或密码不正确" in response.content.decode()


def test_too_many_attempts_are_stopped_with_a_chinese_message(client, worker):
    for _ in range(5):
        post_login(client, "13812345678", "wrong-password")
    # Even the right password is refused now: the account is being guessed at.
    response = post_login(client, "13812345678", PASSWORD)
    assert response.status_code in (200, 429)
    assert "登录失败次数过多，请稍后再试" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_empty_form_names_both_fields_in_chinese(client, worker):
    response = client.post(LOGIN, {})
    text = response.content.decode()
    assert "请输入手机号或用户名" in text
    assert "请输入密码" in text


def test_nobody_signs_themselves_up(client):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    assert "注册" in response.content.decode()  # allauth's "sign up closed" page
    client.post(
        "/accounts/signup/",
        {"username": "intruder", "phone": "13700000000", "password1": "Long-enough-1"},
    )
    assert not User.objects.filter(username="intruder").exists()


@pytest.mark.parametrize("door", ["/admin/login/", "/django-admin/login/"])
def test_admin_logins_lead_to_allauth(client, door):
    response = client.get(door + "?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == LOGIN + "?next=/admin/"


def test_wagtail_admin_sends_anonymous_people_to_allauth(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_wagtail_admin_login_form_post_cannot_be_used(client, worker):
    # A POST to the old door must not log anybody in.
    client.post("/admin/login/", {"username": "zhangxm", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_me_requires_login(client):
    response = client.get(reverse("me"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_usernames_may_not_be_all_digits():
    from django.core.exceptions import ValidationError

    user = make_user(username="abc")
    user.username = "13812345678"
    with pytest.raises(ValidationError):
        user.full_clean()


def test_pages_and_collections_offer_no_shared_password(client):
    """A password shared by many is no account: the privacy choices leave it out."""
    from wagtail.models import Collection, Page

    from tests.factories import activate_totp

    admin = make_user("系统管理员", username="sysadmin", is_superuser=True, is_staff=True)
    activate_totp(admin)
    client.force_login(admin)
    page = Page.objects.get(depth=2)
    collection = Collection.get_first_root_node()
    for url in (
        reverse("wagtailadmin_pages:set_privacy", args=[page.pk]),
        reverse("wagtailadmin_collections:set_privacy", args=[collection.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.json()["html"]
        assert 'value="login"' in html and 'value="password"' not in html, url
