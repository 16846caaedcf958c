"""The load test's preparation and its check, run with the same settings as the servers.

    prepare.py plan PLAN.json      sessions for simulated people, addresses, and a burst stage
    prepare.py verify PLAN.json    every burst score stored exactly once? (exit 1 if not)

Expects a database filled by `manage.py generate_scale_data` (cms/scale.py). The burst stage is
a separate competition, "负载测试：评分高峰", in rooms of five judges, made fresh on every run
so that each run's judges submit into empty score sheets.
"""

import json
import os
import sys
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.production")
django.setup()

from importlib import import_module  # noqa: E402

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.db import transaction  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import translation  # noqa: E402

from cms import scale  # noqa: E402
from cms.models import CasePage  # noqa: E402
from competitions.models import (  # noqa: E402
    Appearance,
    Assignment,
    Competition,
    Registration,
    Room,
    Round,
    RoundEntry,
    ScoreSheet,
    Stage,
    StageCriterion,
)
from people.models import OrgUnit, Role, User  # noqa: E402
from training.models import CoursePage, LessonPage  # noqa: E402

BURST_TITLE = "负载测试：评分高峰"
JUDGES_PER_ROOM = 5
CRITERIA = [(f"c{n}", f"评分项{n}", "10", "0.5") for n in range(1, 9)]
SEARCH_WORDS = ["停车", "充电 安全", "电梯 加装", "物业", "业委会 选举", "停车 充电"]


def session_for(user) -> str:
    """A logged-in session in the configured store, as a login through the form would leave."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


@transaction.atomic
def make_burst_stage(judge_count: int) -> list[dict]:
    """A fresh open stage: judge_count judges in rooms of five, one contestant per room."""
    Competition.objects.filter(title=BURST_TITLE).delete()
    city = OrgUnit.objects.get(code=scale.text.CITY[0])
    competition = Competition.objects.create(
        title=BURST_TITLE, year=2026, owner_unit=city, status=Competition.Status.RUNNING
    )
    round_ = Round.objects.create(competition=competition, order=1, name="决赛", group_level="city")
    stage = Stage.objects.create(
        round=round_,
        order=1,
        code="scenario",
        name="情景模拟",
        kind=Stage.Kind.SCENARIO,
        weight=1,
        status=Stage.Status.OPEN,
    )
    StageCriterion.objects.bulk_create(
        StageCriterion(stage=stage, order=n, code=c, title=t, max_points=m, step=s)
        for n, (c, t, m, s) in enumerate(CRITERIA, 1)
    )
    judges = _burst_judges(judge_count, city)
    rooms = (judge_count + JUDGES_PER_ROOM - 1) // JUDGES_PER_ROOM
    workers = list(User.objects.filter(worker_profile__isnull=False).order_by("pk")[:rooms])
    jobs = []
    for number in range(rooms):
        room = Room.objects.create(stage=stage, name=f"第{number + 1}考场")
        panel = judges[number * JUDGES_PER_ROOM : (number + 1) * JUDGES_PER_ROOM]
        room.judges.add(*panel)
        worker = workers[number]
        registration = Registration.objects.create(
            competition=competition,
            worker=worker,
            unit=worker.worker_profile.community,
            status=Registration.Status.APPROVED,
        )
        entry = RoundEntry.objects.create(round=round_, registration=registration)
        appearance = Appearance.objects.create(
            stage=stage, entry=entry, blind_code=f"B{number + 1:03d}", order=number + 1, room=room
        )
        Assignment.objects.bulk_create(Assignment(appearance=appearance, judge=j) for j in panel)
        for judge in panel:
            jobs.append({"judge": judge.username, "appearance": appearance.pk})
    return jobs, stage.pk


def _burst_judges(count: int, city) -> list[User]:
    judges = []
    for number in range(1, count + 1):
        judge, _ = User.objects.get_or_create(
            username=f"burst_judge_{number:03d}",
            # 1990009xxxx: the fake range the demo and scale data use, clear of theirs.
            defaults={"real_name": f"评委{number:03d}", "phone": f"1990009{number:04d}"},
        )
        Role.objects.get_or_create(user=judge, unit=city, kind=Role.Kind.JUDGE)
        judges.append(judge)
    return judges


def _half_points(seed: int) -> str:
    """A valid mark between 0 and 10 in steps of 0.5, different across judges and criteria."""
    halves = seed % 21
    return str(halves // 2) + (".5" if halves % 2 else "")


def plan(path: Path, judge_count: int) -> None:
    marks = scale.landmarks()
    translation.activate(settings.LANGUAGE_CODE)
    workers = list(User.objects.filter(worker_profile__isnull=False).order_by("pk")[:1000])
    street_admin = User.objects.get(username=marks["street_admin"])
    city_admin = User.objects.get(username=marks["city_admin"])
    judge = User.objects.get(username=marks["judge"])
    courses = list(CoursePage.objects.live().order_by("path")[:50])
    lessons = list(LessonPage.objects.live().order_by("path")[:200])
    cases = list(CasePage.objects.live().order_by("path")[:300])
    jobs, burst_stage = make_burst_stage(judge_count)
    burst_sessions = {job["judge"]: None for job in jobs}
    for username in burst_sessions:
        burst_sessions[username] = session_for(User.objects.get(username=username))
    for number, job in enumerate(jobs):
        job["session"] = burst_sessions[job["judge"]]
        job["values"] = {
            code: _half_points(number * 7 + n * 3) for n, (code, *_) in enumerate(CRITERIA)
        }
    data = {
        "sessions": {
            "worker": [session_for(w) for w in workers],
            "judge": [session_for(judge) for _ in range(20)],
            "admin": [session_for(street_admin) for _ in range(10)]
            + [session_for(city_admin) for _ in range(10)],
        },
        "urls": {
            "me": reverse("me"),
            "courses": [course.url for course in courses],
            "casebook": reverse("casebook_home"),
            "cases": [case.url for case in cases],
            "search": reverse("case_search"),
            "judge_stage": marks["judge_stage_url"],
            "ranking": marks["result_url"],
            "rollup": marks["plan_url"],
            "dashboard": marks["dashboard_url"],
            "hours_behind": reverse("hours_behind"),
            "submit_score": reverse("competitions:api_submit_score"),
        },
        "lessons": [
            {"url": lesson.url, "report": reverse("lesson_report", args=[lesson.pk])}
            for lesson in lessons
        ],
        "search_words": SEARCH_WORDS,
        "burst": {"stage": burst_stage, "jobs": jobs},
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def verify(path: Path) -> bool:
    """Exactly one submitted sheet per (judge, appearance) of the burst, holding what was sent."""
    burst = json.loads(path.read_text(encoding="utf-8"))["burst"]
    sheets = ScoreSheet.objects.filter(appearance__stage_id=burst["stage"])
    stored = {(s.judge.username, s.appearance_id): s for s in sheets.select_related("judge")}
    expected = {(job["judge"], job["appearance"]): job["values"] for job in burst["jobs"]}
    missing = [key for key in expected if key not in stored]
    extra = sheets.count() - len(stored) + len([key for key in stored if key not in expected])
    wrong = [
        key
        for key, values in expected.items()
        if key in stored
        and (
            stored[key].status != ScoreSheet.Status.SUBMITTED
            or {c: str(v) for c, v in stored[key].values.items()} != values
        )
    ]
    print(
        json.dumps(
            {
                "expected": len(expected),
                "stored": sheets.count(),
                "missing": len(missing),
                "extra": extra,
                "wrong": len(wrong),
            }
        )
    )
    return not missing and not extra and not wrong


if __name__ == "__main__":
    command, plan_path = sys.argv[1], Path(sys.argv[2])
    if command == "plan":
        plan(plan_path, int(os.environ.get("LOADTEST_BURST_JUDGES", "200")))
    elif command == "verify":
        sys.exit(0 if verify(plan_path) else 1)
    else:
        sys.exit(f"unknown command {command}")
