"""The audit log in the Wagtail admin: the audit administrator lists, searches and exports it
(the export itself recorded); nobody else gets in; entries are shown escaped; the page writes
nothing."""

import io
import re
from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import translation

from people import audit, audit_views, duties
from people.models import AuditChain, AuditEvent, Role
from tests.factories import (
    activate_totp,
    give_role,
    in_english,
    make_admin,
    make_tree,
    make_user,
    make_worker,
)

pytestmark = pytest.mark.django_db
Action = AuditEvent.Action
SHANGHAI = ZoneInfo("Asia/Shanghai")
LIST = "/admin/audit/"
EXPORT = "/admin/audit/export/"


@pytest.fixture
def units():
    return make_tree()


def duty_holder(duty, username):
    user = make_user(username=username)
    duties.grant(user, duty)
    activate_totp(user)  # every duty holder must use two factors
    return in_english(user)


@pytest.fixture
def auditor(units):
    return duty_holder(duties.AUDIT, "auditor_t")


@pytest.fixture
def logged_in(client, auditor):
    client.force_login(auditor)
    return client


def record_at(moment, actor, action, what, **kwargs):
    """An entry written at `moment` (aware), as if then."""
    with mock.patch("people.audit.timezone.now", return_value=moment):
        return audit.record(actor, action, what, **kwargs)


@pytest.fixture
def sample(units):
    """Five entries over two days in Shanghai, by two accounts, from two addresses."""
    zhang = make_user(username="zhang_admin")
    li = make_user(username="li_judge")
    request = mock.Mock(META={"REMOTE_ADDR": "10.1.2.3"}, user=zhang)
    other = mock.Mock(META={"REMOTE_ADDR": "192.168.7.9"}, user=li)
    at = lambda day, hour: datetime(2026, 11, day, hour, 30, tzinfo=SHANGHAI)  # noqa: E731
    return {
        "export": record_at(at(26, 9), zhang, Action.EXPORT, "花名册", count=30, request=request),
        "late": record_at(at(26, 23), zhang, Action.UNMASK, "身份证号 · 王伟", request=request),
        "early": record_at(at(27, 0), li, Action.SCORE_CHANGE, "青禾杯 · A001", request=other),
        "noon": record_at(at(27, 12), li, Action.RESULT_RELEASE, "青禾杯 · 决赛 · v1"),
        "scope": record_at(
            at(27, 15),
            zhang,
            Action.EXPORT,
            "学时台账",
            scope=audit.Scope(paths=(units["TD1"].path,)),
        ),
    }


def shown(response) -> list[str]:
    """The `what` column of the listed rows, top to bottom (just the sample's texts)."""
    page = response.content.decode()
    texts = ("花名册", "身份证号 · 王伟", "青禾杯 · A001", "青禾杯 · 决赛 · v1", "学时台账")
    return [
        t for t, _pos in sorted(((t, page.find(t)) for t in texts if t in page), key=lambda x: x[1])
    ]


# --------------------------------------------------------------------------- who gets in


def test_the_audit_admin_sees_the_log_newest_first_with_the_chain_head(logged_in, sample):
    response = logged_in.get(LIST)
    assert response.status_code == 200
    assert shown(response) == [
        "学时台账",
        "青禾杯 · 决赛 · v1",
        "青禾杯 · A001",
        "身份证号 · 王伟",
        "花名册",
    ]
    page = response.content.decode()
    chain = AuditChain.objects.get()
    assert chain.head in page and "verify_audit_log" in page
    assert "2026-11-27 15:30:00" in page  # Shanghai time, to the second
    assert "10.1.2.3" in page and "zhang_admin" in page
    assert "T第1区" in page  # the scope


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"action": Action.EXPORT}, ["学时台账", "花名册"]),
        ({"account": "LI_J"}, ["青禾杯 · 决赛 · v1", "青禾杯 · A001"]),
        ({"text": "青禾杯 · A"}, ["青禾杯 · A001"]),
        ({"text": "第1区"}, ["学时台账"]),  # found in the scope
        ({"address": "10.1."}, ["身份证号 · 王伟", "花名册"]),
        ({"address": "192.168.7.9"}, ["青禾杯 · A001"]),
        # Days in Shanghai: 23:30 on the 26th is the 26th, 00:30 on the 27th the 27th.
        (
            {"date_from": "2026-11-27", "date_to": "2026-11-27"},
            ["学时台账", "青禾杯 · 决赛 · v1", "青禾杯 · A001"],
        ),
        ({"date_to": "2026-11-26"}, ["身份证号 · 王伟", "花名册"]),
        ({"action": Action.EXPORT, "account": "zhang", "date_from": "2026-11-27"}, ["学时台账"]),
    ],
)
def test_the_search_finds_by_action_account_text_address_and_date(
    logged_in, sample, query, expected
):
    response = logged_in.get(LIST, query)
    assert response.status_code == 200
    assert shown(response) == expected
    # The results alone (Wagtail refreshes them as the filters change) agree.
    assert shown(logged_in.get(reverse("audit_log_results"), query)) == expected


def test_the_search_stays_in_the_query_string_of_the_pages_and_the_export(logged_in, auditor):
    for n in range(55):
        audit.record(auditor, Action.EXPORT, f"第{n:02d}份")
    response = logged_in.get(LIST, {"action": Action.EXPORT, "account": "auditor"})
    page = response.content.decode()
    assert "第54份" in page and "第04份" not in page  # 50 a page, newest first
    assert re.search(r'href="[^"]*action=export[^"]*account=auditor[^"]*p=2', page) or re.search(
        r'href="[^"]*p=2[^"]*action=export', page
    )
    export_link = re.search(r'href="(/admin/audit/export/\?[^"]*)"', page).group(1)
    assert "action=export" in export_link and "account=auditor" in export_link
    second = logged_in.get(LIST, {"action": Action.EXPORT, "account": "auditor", "p": 2})
    assert "第04份" in second.content.decode() and "第05份" not in second.content.decode()


def test_a_wide_search_says_more_than_the_limit_and_counts_no_further(
    logged_in, auditor, monkeypatch
):
    monkeypatch.setattr(audit_views, "COUNT_LIMIT", 3)
    for n in range(5):
        audit.record(auditor, Action.EXPORT, f"份{n}")
    page = logged_in.get(LIST, {"action": Action.EXPORT}).content.decode()
    assert "More than 3 entries match" in page


def test_a_wrong_search_is_named_and_lists_nothing(logged_in, sample):
    response = logged_in.get(LIST, {"address": "10.1.<x>", "date_from": "2026-13-40"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "The search cannot be run" in page and "Address" in page and "Date" in page
    assert shown(response) == []
    oversized = logged_in.get(LIST, {"text": "x" * 5000, "action": "no-such-action"})
    assert oversized.status_code == 200 and shown(oversized) == []


def test_entries_are_shown_escaped(logged_in, auditor):
    audit.record(auditor, Action.EXPORT, '<script>alert("x")</script>')
    page = logged_in.get(LIST).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert '<script>alert("x")</script>' not in page


def test_the_viewer_writes_nothing_and_takes_no_post(logged_in, sample):
    length = AuditChain.objects.get().length
    logged_in.get(LIST)
    logged_in.get(LIST, {"action": Action.EXPORT, "p": 2})
    assert AuditChain.objects.get().length == length
    assert logged_in.post(LIST, {"action": Action.EXPORT}).status_code == 405


@pytest.mark.parametrize("who", ["anonymous", "worker", "city_admin", "security_admin", "trainer"])
def test_nobody_else_reads_or_exports_the_log(client, units, sample, who):
    if who != "anonymous":
        user = {
            "worker": lambda: make_worker(units["TD1S1C1"]),
            "city_admin": lambda: make_admin(units["T"]),
            "security_admin": lambda: duty_holder(duties.SECURITY, "security_t"),
            "trainer": lambda: give_role(make_user(), units["TD1"], Role.Kind.TRAINER).user,
        }[who]()
        if not user.authenticator_set.exists():
            activate_totp(user)
        client.force_login(user)
    for url in (LIST, reverse("audit_log_results"), EXPORT):
        response = client.get(url)
        # Wagtail sends those without admin access to the login, others to the admin's home.
        assert response.status_code in (302, 403), (url, response.status_code)
        if response.status_code == 302:
            assert response["Location"].split("?")[0] in ("/accounts/login/", "/admin/")
        assert "花名册" not in response.content.decode()
    assert not AuditEvent.objects.filter(
        action=Action.EXPORT, what__startswith="Audit log"
    ).exists()


def test_the_menu_shows_the_audit_admin_the_log_and_little_else(client, logged_in, auditor, units):
    page = logged_in.get("/admin/").content.decode()
    assert reverse("audit_log") in page
    items = set(re.findall(r'"name": "([\w-]+)"', page))
    # Besides Wagtail's help, account and log-out: the audit log and nothing else (no pages,
    # users, settings, images, documents, training or competitions).
    furniture = {"help", "editor-guide", "keyboard-shortcuts-trigger", "account", "logout"}
    assert items - furniture - {auditor.username} == {"audit-log"}
    for url in ("/admin/pages/", "/admin/users/", "/admin/groups/", "/admin/sites/"):
        assert logged_in.get(url).status_code in (302, 403), url
    city_admin = make_admin(units["T"])
    activate_totp(city_admin)
    client.force_login(city_admin)
    assert reverse("audit_log") not in client.get("/admin/").content.decode()


# --------------------------------------------------------------------------- export


def read(response):
    rows = (
        openpyxl.load_workbook(io.BytesIO(response.content))
        .worksheets[0]
        .iter_rows(values_only=True)
    )
    return list(rows)


def test_the_export_holds_the_found_entries_and_is_itself_recorded(logged_in, auditor, sample):
    audit.record(auditor, Action.CORRECT, '=HYPERLINK("http://x","点我")')
    response = logged_in.get(EXPORT, {"account": "zhang", "date_to": "2026-11-26"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    rows = read(response)
    assert [row[4] for row in rows[1:]] == ["身份证号 · 王伟", "花名册"]
    late = sample["late"]
    with translation.override("en"):  # the auditor's admin language
        label = str(Action.UNMASK.label)
    assert rows[1] == (
        late.pk,
        "2026-11-26 23:30:00",
        "zhang_admin",
        label,
        "身份证号 · 王伟",
        None,  # no scope: an empty cell
        0,
        "10.1.2.3",
        late.hash,
    )
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.actor_id, event.count) == (Action.EXPORT, auditor.pk, 2)
    assert "zhang" in event.what and "2026-11-26" in event.what
    assert audit.verify() == []
    # A formula typed into an entry stays text in the spreadsheet.
    everything = read(logged_in.get(EXPORT, {"action": Action.CORRECT}))
    assert everything[1][4] == '\'=HYPERLINK("http://x","点我")'


def test_export_needs_its_own_permission_and_a_valid_bounded_search(
    units, logged_in, sample, monkeypatch
):
    client = Client()
    reader = make_user(username="reader_t")
    group = Group.objects.create(name="只读审计")
    group.permissions.set(
        Group.objects.get(name=duties.GROUPS[duties.AUDIT]).permissions.exclude(
            codename="export_auditevent"
        )
    )
    reader.groups.add(group)
    client.force_login(reader)
    assert client.get(LIST).status_code == 200
    assert EXPORT not in client.get(LIST).content.decode()
    refused = client.get(EXPORT)
    assert refused.status_code == 302 and refused["Location"] == "/admin/"

    before = AuditChain.objects.get().length
    wrong = logged_in.get(EXPORT, {"address": "<x>"}, follow=True)
    assert "Correct the search" in wrong.content.decode()
    monkeypatch.setattr(audit_views, "EXPORT_LIMIT", 2)
    too_many = logged_in.get(EXPORT, follow=True)
    assert "More than 2 entries match" in too_many.content.decode()
    assert AuditChain.objects.get().length == before  # refused exports write nothing
