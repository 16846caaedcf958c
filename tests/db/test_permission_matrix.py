"""The permission matrix over every URL (issue #10): each URL of tests/url_inventory.py, asked
by each actor of the world (tests/permission_matrix.py) for an object inside scope A and one
outside it, answers with the status the table MATRIX says.

One test per actor builds the world, walks every URL and reports all mismatches at once. Every
request runs in a savepoint that is rolled back, so a POST that changes something (revoking a
token, closing a stage) does not change what the next URL sees.
"""

import io
import json
import uuid

import pytest
from django.db import transaction

from people.scope import scope_of
from tests.permission_matrix import ACTORS, MATRIX, build_world, expectation
from tests.url_inventory import (
    REPRESENTATIVES,
    all_patterns,
    every_pattern,
    third_party_groups,
    url_for,
)

pytestmark = pytest.mark.django_db


def outcome(response) -> str:
    """The status as the table writes it: a number, or where a redirect leads."""
    if response.status_code in (301, 302):
        location = response["Location"]
        if "/accounts/login/" in location:
            return "login"
        return "302"
    return str(response.status_code)


# Bodies for POSTs whose refusal would otherwise only be a 400 for a missing field.
def _score(objects):
    values = {"listen": "8", "policy": "8", "solve": "15"}
    body = {
        "appearance": objects.appearance.pk,
        "values": values,
        "submission_id": str(uuid.uuid4()),
    }
    return {"data": json.dumps(body), "content_type": "application/json"}


POST_BODIES = {"competitions:api_submit_score": _score}


def _ask(client, method, url, objects, key):
    with transaction.atomic():
        if method == "post":
            body = POST_BODIES.get(key, lambda objects: {})(objects)
            response = client.post(url, **body)
        else:
            response = client.get(url)
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("actor", ACTORS)
def test_every_url_answers_each_actor_as_the_matrix_says(client, actor):
    world = build_world()
    user = world.users[actor]
    if actor != "anon":
        client.force_login(user)
    failures = []
    for pattern in all_patterns():
        row = MATRIX.get(pattern.key)
        if row is None:
            continue  # reported by test_every_pattern_has_a_row
        for scope, objects in (("in", world.inside), ("out", world.outside)):
            if scope == "out" and not (pattern.params or pattern.key in POST_BODIES):
                continue  # the same request as "in"
            expected = expectation(row, actor, scope)
            url = url_for(pattern, objects)
            where = f"{pattern.key} [{actor}, {scope} of scope] {url}"
            if expected is None:
                failures.append(f"{where}: no expectation in the matrix")
                continue
            method = row.split()[0].lower()
            if method == "post" and scope == "in":
                got = outcome(_ask(client, "get", url, objects, pattern.key))
                # An actor refused the POST may be refused before the method is looked at.
                allowed = {"405"} | ({expected} & {"login", "401", "403", "404"})
                if got not in allowed:
                    failures.append(f"{where}: GET on a POST-only view gave {got}, not 405")
            got = outcome(_ask(client, method, url, objects, pattern.key))
            if got != expected:
                failures.append(f"{where}: expected {expected}, got {got}")
    assert not failures, f"{len(failures)} mismatches:\n" + "\n".join(failures)


def test_every_pattern_has_a_row_and_every_row_a_pattern():
    keys = {pattern.key for pattern in all_patterns()}
    missing = sorted(keys - MATRIX.keys())
    stale = sorted(MATRIX.keys() - keys)
    assert not missing, "URL patterns with no row in the permission matrix:\n" + "\n".join(missing)
    assert not stale, "Matrix rows whose URL pattern no longer exists:\n" + "\n".join(stale)


def test_rows_name_only_known_actors_and_methods():
    problems = []
    for key, row in MATRIX.items():
        method, *cells = row.split()
        if method not in ("GET", "POST"):
            problems.append(f"{key}: method {method}")
        for cell in cells:
            actor, _, _ = cell.partition("=")
            if actor not in ACTORS:
                problems.append(f"{key}: unknown actor {actor}")
    assert not problems, "\n".join(problems)


def test_inventory_lists_ours_and_groups_the_rest():
    every = every_pattern()
    ours = [p for p in every if p.ours]
    assert {p.key for p in ours} <= {p.key for p in all_patterns()}
    # Our own modules are all present (a refactor that hid them would empty the matrix).
    for module in ("people.", "training.", "competitions.", "cms."):
        assert any(p.view.startswith(module) for p in ours), module
    # The representative third-party doors still exist under these names.
    third_party = {p.key for p in every if not p.ours}
    assert set(REPRESENTATIVES) <= third_party | {p.key for p in ours}
    grouped = {key for keys in third_party_groups().values() for key in keys}
    assert grouped == third_party
    # i18n patterns are counted once, without the /en/ prefix.
    assert not any(p.route.startswith("en/") for p in every)


def test_the_outside_objects_are_outside_scope_a():
    world = build_world()
    for actor in ("street", "district"):
        scope = scope_of(world.users[actor])
        assert scope.contains(world.inside.unit), actor
        assert not scope.contains(world.outside.unit), actor
    assert scope_of(world.users["city"]).contains(world.outside.unit)
    assert world.inside.appearance.room.judges.filter(pk=world.users["judge"].pk).exists()
    assert not world.outside.appearance.room.judges.filter(pk=world.users["judge"].pk).exists()
    assert world.inside.competition.chief_judge == world.users["chief"]
    assert world.outside.competition.chief_judge != world.users["chief"]


# --------------------------------------------------------------------------- ?unit= selectors
# Pages that take the unit to show from the query string must refuse a unit outside the
# viewer's scope, not show it.

UNIT_PAGES = ("dashboard", "dashboard_export", "hours_behind", "hours_behind_export")


@pytest.mark.parametrize("name", UNIT_PAGES)
def test_unit_selector_refuses_a_unit_outside_scope(client, name):
    from django.urls import reverse

    world = build_world()
    client.force_login(world.users["district"])
    url = reverse(name)
    assert client.get(f"{url}?unit={world.inside.unit.code}").status_code == 200
    for code in ("WD2", world.outside.unit.code, "WD2S1C1", "W"):
        response = client.get(f"{url}?unit={code}")
        assert response.status_code == 404, (name, code, response.status_code)
    # A street admin cannot climb to the district above either.
    client.force_login(world.users["street"])
    assert client.get(f"{url}?unit=WD1").status_code == 404


def test_plan_drill_down_stays_inside_the_viewers_scope(client):
    """A city plan drilled down by a district admin: another district's units are refused."""
    from django.urls import reverse

    from tests.factories import make_plan

    world = build_world()
    plan = make_plan(world.units["W"], [world.inside.course], title="全市培训计划")
    client.force_login(world.users["district"])
    for name in ("plan_progress", "plan_progress_export"):
        url = reverse(name, args=[plan.pk])
        assert client.get(f"{url}?unit=WD1S1").status_code == 200, name
        for code in ("WD2", "WD2S1", "WD2S1C1"):
            response = client.get(f"{url}?unit={code}")
            assert response.status_code == 404, (name, code, response.status_code)


def _text(response) -> str:
    """A page's text, or every cell of an .xlsx download."""
    body = b"".join(response) if response.streaming else response.content
    if not body.startswith(b"PK"):
        return body.decode()
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(body), read_only=True)
    return " ".join(
        str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
    )


def test_roster_search_finds_nobody_outside_scope(client):
    from django.urls import reverse

    world = build_world()
    client.force_login(world.users["street"])
    outsider = world.outside.worker
    community = outsider.worker_profile.community.name
    # Each search names one of the outsider's details; the other must not show up.
    searches = (({"q": outsider.real_name}, community), ({"q": community}, outsider.real_name))
    for name in ("roster", "roster_export"):
        for params, hidden in (*searches, ({"unit": "WD2"}, outsider.real_name)):
            response = client.get(reverse(name), params)
            assert response.status_code == 200, (name, params)
            assert hidden not in _text(response), (name, params)
    # The same search for the insider does find them: the test can fail.
    insider = world.inside.worker
    response = client.get(reverse("roster"), {"q": insider.real_name})
    assert insider.worker_profile.community.name in _text(response)
