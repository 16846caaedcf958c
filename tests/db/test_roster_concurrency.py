"""Two imports of the same roster at once: two admins confirming the same file, one admin
clicking twice, overlapping files. No person twice, no update lost, each import done or
refused whole, and one audit entry per import that wrote something."""

from people.models import AuditEvent, Role, RosterImport, User, WorkerProfile
from people.roster import jobs
from tests.concurrency import TRANSACTIONAL, errors, run_together
from tests.db.test_roster_import import HEADER
from tests.factories import make_admin, make_tree, make_worker
from tests.unit.roster_files import xlsx_bytes

pytestmark = TRANSACTIONAL

DONE = RosterImport.Status.DONE
HOME = "T第1区/T1区1街道/T1-1-1社区"
NEIGHBOUR = "T第1区/T1区1街道/T1-1-2社区"


def row(n, *, community=HOME, position="网格员", number=""):
    return [f"工作者{n}", f"1381234{n:04d}", "", community, position, number, "2023-05-01"]


def upload(user, name, *rows) -> RosterImport:
    """Upload and preview, as the page does: outside a transaction the check runs at once."""
    job = jobs.start(user, name, xlsx_bytes([HEADER, *rows]))
    job.refresh_from_db()
    assert job.can_confirm, job.errors or job.file_error
    return job


def imports():
    return AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT).order_by("id")


def assert_one_of_each(phones):
    people = User.objects.filter(phone__in=phones)
    assert people.count() == len(phones)
    assert WorkerProfile.objects.filter(user__in=people).count() == len(phones)
    assert Role.objects.filter(user__in=people, kind=Role.Kind.WORKER).count() == len(phones)


def test_two_admins_confirming_the_same_roster_import_it_once():
    units = make_tree()
    known = make_worker(units["TD1S1C1"], real_name="工作者1", phone="13812340001")
    rows = [row(n) for n in range(1, 7)]  # worker 1 is known: the file changes their position
    admins = [make_admin(units["T"]), make_admin(units["TD1"]), make_admin(units["TD1S1"])]
    jobs_ = [upload(admin, f"花名册{i}.xlsx", *rows) for i, admin in enumerate(admins)]
    assert all(job.counts["new"] == 5 and job.counts["updated"] == 1 for job in jobs_)

    results = run_together([lambda job=job: jobs.confirm(job) for job in jobs_])

    assert errors(results) == [] and results == [True] * 3
    for job in jobs_:
        job.refresh_from_db()
    assert [job.status for job in jobs_] == [DONE] * 3
    assert_one_of_each([r[1] for r in rows])
    known.worker_profile.refresh_from_db()
    assert known.worker_profile.position == "grid"
    # The first import to take the lock wrote everything; the others found it all written.
    first = [job for job in jobs_ if job.counts["unchanged"] == 0]
    assert len(first) == 1 and (first[0].counts["new"], first[0].counts["updated"]) == (5, 1)
    assert all(job.counts["unchanged"] == 6 for job in jobs_ if job is not first[0])
    entry = imports().get()
    assert (entry.what, entry.count, entry.actor_id) == (
        first[0].filename,
        6,
        first[0].created_by_id,
    )


def test_a_double_click_on_confirm_imports_once():
    units = make_tree()
    job = upload(make_admin(units["TD1S1"]), "花名册.xlsx", *[row(n) for n in range(1, 5)])

    results = run_together([lambda: jobs.confirm(job), lambda: jobs.confirm(job)])

    assert sorted(results) == [False, True]
    job.refresh_from_db()
    assert job.status == DONE and job.counts["new"] == 4
    assert_one_of_each([row(n)[1] for n in range(1, 5)])
    assert imports().get().count == 4


def test_overlapping_rosters_end_as_if_one_came_after_the_other():
    units = make_tree()
    admin = make_admin(units["TD1S1"])
    a = upload(admin, "a.xlsx", *[row(n, number=f"A-{n}") for n in (1, 2, 3, 4)])
    b = upload(
        admin,
        "b.xlsx",
        *[row(n, community=NEIGHBOUR, position="书记", number=f"B-{n}") for n in (3, 4, 5, 6)],
    )

    results = run_together([lambda: jobs.confirm(a), lambda: jobs.confirm(b)])

    assert results == [True, True]
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.status) == (DONE, DONE)
    assert_one_of_each([row(n)[1] for n in range(1, 7)])
    # Whichever import came second updated the shared people with all of its row, and said so.
    first_name, second_name = imports().values_list("what", flat=True)
    first, second = (a, b) if first_name == "a.xlsx" else (b, a)
    assert second.filename == second_name
    assert (first.counts["new"], second.counts["new"], second.counts["updated"]) == (4, 2, 2)
    prefix = "A" if second is a else "B"
    shared = WorkerProfile.objects.filter(user__phone__in=[row(n)[1] for n in (3, 4)])
    assert sorted(shared.values_list("worker_number", flat=True)) == [f"{prefix}-3", f"{prefix}-4"]
    expected = ("grid", "T1-1-1社区") if second is a else ("secretary", "T1-1-2社区")
    assert set(shared.values_list("position", "community__name")) == {expected}
