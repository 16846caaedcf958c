"""Several judges submitting at the same moment, and one submission sent twice at once: on
PostgreSQL, where row locks are real, the server must keep exactly one sheet per judge and one
history entry per sheet."""

import threading
import uuid

import pytest
from django.db import connection

from competitions import judging
from competitions.models import ScoreChange, ScoreSheet, Stage
from tests.factories import (
    make_appearance,
    make_competition,
    make_entry,
    make_stage,
    make_tree,
    make_user,
    make_worker,
)

pytestmark = [
    # Serialized like every other transactional test here: a plain flush re-runs post_migrate,
    # whose new content-type ids would collide with the next test's restored ones.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite has no row locks and serialises every write",
    ),
]

GOOD = {"listen": "8.5", "policy": "9", "solve": "15"}
JUDGES = 5


def run_together(calls):
    """Run each call in its own thread, released at the same instant; returns results or
    exceptions in call order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # kept and checked by the test
            results[index] = error
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_concurrent_judges_and_a_doubled_submission():
    units = make_tree("P")
    competition = make_competition(units["P"], chief_judge=make_user("裁判长"))
    stage = make_stage(competition.rounds.get(), status=Stage.Status.OPEN)
    judges = [make_user(f"评委{n}") for n in range(JUDGES)]
    entry = make_entry(competition, make_worker(units["PD1S1C1"]))
    appearance = make_appearance(stage, entry, code="A001", judges=judges)

    # Every judge's device sends its submission twice at once (a resend racing the original).
    ids = {judge.pk: uuid.uuid4() for judge in judges}
    calls = [
        (lambda judge=judge: judging.submit_sheet(appearance, judge, GOOD, ids[judge.pk]))
        for judge in judges
        for _copy in range(2)
    ]
    results = run_together(calls)

    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    created = [created for _sheet, created in results]
    assert created.count(True) == JUDGES and created.count(False) == JUDGES
    assert ScoreSheet.objects.count() == JUDGES
    for judge in judges:
        sheet = ScoreSheet.objects.get(judge=judge)
        assert sheet.submission_id == ids[judge.pk]
        assert ScoreChange.objects.filter(sheet=sheet).count() == 1


def test_two_different_submissions_at_once_keep_the_first():
    units = make_tree("Q")
    competition = make_competition(units["Q"], chief_judge=make_user("裁判长"))
    stage = make_stage(competition.rounds.get(), status=Stage.Status.OPEN)
    judge = make_user("评委")
    entry = make_entry(competition, make_worker(units["QD1S1C1"]))
    appearance = make_appearance(stage, entry, code="A001", judges=[judge])

    other = {**GOOD, "solve": "20"}
    results = run_together(
        [
            lambda: judging.submit_sheet(appearance, judge, GOOD, uuid.uuid4()),
            lambda: judging.submit_sheet(appearance, judge, other, uuid.uuid4()),
        ]
    )
    accepted = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(accepted) == 1 and len(refused) == 1
    assert refused[0].code == "already_submitted"
    sheet = ScoreSheet.objects.get()
    assert sheet.values == accepted[0][0].values
    assert ScoreChange.objects.count() == 1
