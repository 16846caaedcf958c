"""Enrolling in a course twice at once (a double click on a weak network), and while an admin's
plan makes the course required: one enrolment per person and course, and required it stays."""

from django.test import Client
from django.urls import reverse

from tests.concurrency import TRANSACTIONAL, errors, run_together
from tests.factories import make_course, make_plan, make_sections, make_tree, make_worker
from training import plans, progress
from training.models import Enrolment

pytestmark = TRANSACTIONAL

CLICKS = 3


def test_a_double_click_on_enrol_makes_one_enrolment():
    units = make_tree("P")
    course = make_course(make_sections(units)["P"], title="社区议事协商")
    worker = make_worker(units["PD1S1C1"])
    clients = []
    for _click in range(CLICKS):
        client = Client()
        client.force_login(worker)
        clients.append(client)
    url = reverse("course_enrol", args=[course.pk])

    responses = run_together([lambda c=c: c.post(url) for c in clients])

    assert errors(responses) == []
    assert [r.status_code for r in responses] == [302] * CLICKS
    enrolment = Enrolment.objects.get(user=worker, course=course)
    assert (enrolment.source, enrolment.required) == (Enrolment.Source.SELF, False)


def test_enrolling_while_a_plan_makes_the_course_required():
    units = make_tree("Q")
    course = make_course(make_sections(units)["Q"], title="电动自行车安全治理")
    workers = [make_worker(units[f"QD{d}S1C1"], real_name=f"学员{d}") for d in (1, 2)] + [
        make_worker(units["QD1S2C2"], real_name=f"学员{n}") for n in range(3, 7)
    ]
    plan = make_plan(units["Q"], [course])  # published: its sync is what the admin's save runs

    calls = [lambda: plans.sync_plan(plan)]
    calls += [lambda w=w: progress.enrol(w, course) for w in workers for _click in range(2)]
    results = run_together(calls)

    assert errors(results) == []
    enrolments = Enrolment.objects.filter(course=course)
    assert sorted(enrolments.values_list("user_id", flat=True)) == sorted(w.pk for w in workers)
    # Whoever came first, the plan's rule wins: a worker who chose the course a moment before
    # the plan reached them is required to finish it like everyone else.
    assert set(enrolments.values_list("required", flat=True)) == {True}
