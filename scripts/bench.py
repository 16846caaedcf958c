"""Server time and queries of the pages people use most, at city scale. Prints a table.

    .venv/bin/python scripts/bench.py [--database URL] [--scale city|small|tiny] [--repeat 30]
                                      [--markdown] [--skip-import]

`make bench` runs it on SQLite and, when PostgreSQL is reachable, on PostgreSQL. The database
is filled once by `manage.py generate_scale_data` (cms/scale.py) and kept for later runs:
SQLite in build/bench/<scale>.sqlite3; a PostgreSQL URL names a database this script may fill
(it refuses one that holds other data).

Each page is requested in-process through Django's whole stack (middleware, sessions, the
test client), as the person it is for, with DEBUG off: a few warm-up requests, then --repeat
timed ones. "ratio" divides a page's median by that of a trivial view (a view returning "ok")
requested by the same logged-in worker in the same run, so the figures can be compared across
machines. Then: ranking the 1,000-contestant round from its stored sheets, computing the city
roll-up from scratch, a large export, and (unless --skip-import) a 10,000-row roster import by
scripts/bench_roster_import.py. Nothing is asserted: targets are shown as met or not.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Targets from issue 9 (milliseconds; queries per page).
DETAIL_MS, LIST_MS, MAX_QUERIES = 15, 30, 15
RANKING_MS, ROLLUP_MS, EXPORT_MS = 300, 1000, 5000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="")
    parser.add_argument("--scale", default="city", choices=["city", "small", "tiny"])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--skip-import", action="store_true", help="leave out the roster import")
    return parser.parse_args()


def database_url(args) -> str:
    if args.database:
        return args.database
    folder = ROOT / "build" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / f'{args.scale}.sqlite3'}"


def ensure_generated(scale: str) -> None:
    """Migrate, and fill the database at the given scale unless it already is."""
    from django.core.management import call_command

    from cms import scale as scale_data
    from people.models import OrgUnit

    call_command("migrate", interactive=False, verbosity=0)
    if OrgUnit.objects.filter(code=scale_data.text.CITY[0]).exists():
        return
    print(f"Filling the database at {scale} scale (once; later runs reuse it) …", flush=True)
    scale_data.generate(scale_data.SCALES[scale], stdout=sys.stdout)


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "cms.settings.bench"
    import django

    django.setup()
    from django.conf import settings
    from django.http import HttpResponse
    from django.urls import path

    import cms.urls

    def trivial(request):
        return HttpResponse("ok")

    # The project's URLs plus the trivial view every ratio is taken against.
    module = types.ModuleType("bench_urls")
    module.urlpatterns = [path("__bench_trivial__/", trivial), *cms.urls.urlpatterns]
    sys.modules["bench_urls"] = module
    settings.ROOT_URLCONF = "bench_urls"


def timed_requests(client, url: str, repeat: int, **extra) -> tuple[list[float], int, int]:
    """Milliseconds of each timed request, the queries of the last one, and its status."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        client.get(url, **extra)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url, **extra)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    return times, len(queries), response.status_code


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def logged_in_client(username: str):
    from django.test import Client

    from people.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def api_token() -> str:
    """A data-API client for the whole city (made once, kept)."""
    from cms.api import tokens
    from cms.models.api import ApiClient
    from people.models import OrgUnit, User

    ApiClient.objects.filter(name="bench").delete()
    _client, token = tokens.create_client(
        name="bench",
        unit=OrgUnit.objects.get(depth=1),
        by=User.objects.get(username="scale_city_admin"),
    )
    return token


def measure_pages(repeat: int) -> tuple[list[dict], dict]:
    from django.urls import reverse

    from cms import scale

    marks = scale.landmarks()
    worker = logged_in_client(marks["worker"])
    judge = logged_in_client(marks["judge"])
    admin = logged_in_client(marks["city_admin"])
    token = api_token()
    pages = [
        ("home page", LIST_MS, worker, "/", {}),
        ("course page", DETAIL_MS, worker, marks["course_url"], {}),
        ("lesson page", DETAIL_MS, worker, marks["lesson_url"], {}),
        ("我的学习 /me/", LIST_MS, worker, reverse("me"), {}),
        ("case page", DETAIL_MS, worker, marks["case_url"], {}),
        (
            f"casebook search “{marks['search_query']}”",
            LIST_MS,
            worker,
            reverse("case_search") + "?q=" + marks["search_query"],
            {},
        ),
        (
            "judge scoring page",
            DETAIL_MS,
            judge,
            reverse("competitions:judge_stage", args=[marks["open_stage_id"]]),
            {},
        ),
        (
            "contest ranking (1,000)",
            LIST_MS,
            worker,
            reverse("competitions:result_detail", args=[marks["result_id"]]),
            {},
        ),
        (
            "city completion roll-up",
            LIST_MS,
            admin,
            reverse("plan_progress", args=[marks["plan_id"]]),
            {},
        ),
        ("dashboard (city)", LIST_MS, admin, reverse("dashboard"), {}),
        (
            "API: workers, page 2",
            LIST_MS,
            worker,
            "/api/v1/workers?page=2",
            {"HTTP_AUTHORIZATION": f"Bearer {token}"},
        ),
    ]
    baseline_times, baseline_queries, _ = timed_requests(worker, "/__bench_trivial__/", repeat)
    baseline = {
        "name": "trivial view (logged in)",
        "median": statistics.median(baseline_times),
        "p95": p95(baseline_times),
        "queries": baseline_queries,
    }
    rows = []
    for name, target, client, url, extra in pages:
        times, queries, status = timed_requests(client, url, repeat, **extra)
        median = statistics.median(times)
        rows.append(
            {
                "name": name,
                "status": status,
                "median": median,
                "p95": p95(times),
                "queries": queries,
                "ratio": median / baseline["median"],
                "target": target,
                "met": status == 200 and median <= target and queries <= MAX_QUERIES,
            }
        )
    return rows, baseline


def timed(function, repeat: int = 5) -> float:
    """Median milliseconds of `function()` over `repeat` runs (after one warm-up)."""
    function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure_jobs() -> list[dict]:
    from django.urls import reverse

    from cms import scale
    from competitions import results
    from competitions.models import RoundResult
    from training import rollup
    from training.models import TrainingPlan

    marks = scale.landmarks()
    round_ = RoundResult.objects.get(pk=marks["result_id"]).round
    frame = results.scores_frame(round_)
    rules = results.rules_for(round_)
    plan = TrainingPlan.objects.get(pk=marks["plan_id"])
    admin = logged_in_client(marks["city_admin"])
    export_url = reverse("plan_progress_export", args=[plan.pk])
    places = rollup.enrolment_rows(
        plan, plan.owner_unit, scope_of_user(marks["city_admin"])
    ).count()
    jobs = [
        {
            "name": f"ranking: {frame['contestant'].nunique():,} contestants, "
            f"{len(frame):,} scores (engine only)",
            "ms": timed(lambda: results._rank(frame, rules)),
            "target": RANKING_MS,
        },
        {
            "name": "ranking recomputed from the stored sheets",
            "ms": timed(lambda: results.compute(round_)),
            "target": None,
        },
        {
            "name": "city completion roll-up from scratch",
            "ms": timed(lambda: rollup.completion_by_community(plan)),
            "target": ROLLUP_MS,
        },
        {
            "name": f"plan export, whole city ({places:,} rows, .xlsx, through the view)",
            "ms": timed(lambda: admin.get(export_url).content, repeat=3),
            "target": EXPORT_MS,
        },
    ]
    for job in jobs:
        job["met"] = job["target"] is None or job["ms"] <= job["target"]
    return jobs


def scope_of_user(username: str):
    from people.models import User
    from people.scope import scope_of

    return scope_of(User.objects.get(username=username))


def roster_import() -> str:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_roster_import.py"), "--rows", "10000"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
    )
    return completed.stdout.strip() or completed.stderr.strip()[-2000:]


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def print_table(vendor: str, rows, baseline, jobs, markdown: bool) -> None:
    if markdown:
        print(f"\n| page ({vendor}) | median ms | p95 ms | queries | ratio | target | |")
        print("|---|---:|---:|---:|---:|---:|---|")
        print(
            f"| {baseline['name']} | {baseline['median']:.1f} | {baseline['p95']:.1f} | "
            f"{baseline['queries']} | 1.0 | | |"
        )
        for row in rows:
            print(
                f"| {row['name']} | {row['median']:.1f} | {row['p95']:.1f} | {row['queries']} | "
                f"{row['ratio']:.1f} | ≤ {row['target']} ms, ≤ {MAX_QUERIES} q | "
                f"{verdict(row['met'])} |"
            )
        print(f"\n| job ({vendor}) | median ms | target | |\n|---|---:|---:|---|")
        for job in jobs:
            target = f"≤ {job['target']} ms" if job["target"] else ""
            print(f"| {job['name']} | {job['ms']:.0f} | {target} | {verdict(job['met'])} |")
        return
    print(f"\n{vendor}")
    print(f"{'page':<40}{'median':>8}{'p95':>8}{'queries':>9}{'ratio':>7}  target")
    print(
        f"{baseline['name']:<40}{baseline['median']:>8.1f}{baseline['p95']:>8.1f}"
        f"{baseline['queries']:>9}{1:>7.1f}"
    )
    for row in rows:
        status = "" if row["status"] == 200 else f" (HTTP {row['status']})"
        print(
            f"{row['name']:<40}{row['median']:>8.1f}{row['p95']:>8.1f}{row['queries']:>9}"
            f"{row['ratio']:>7.1f}  ≤{row['target']} ms: {verdict(row['met'])}{status}"
        )
    print(f"\n{'job':<60}{'median ms':>10}  target")
    for job in jobs:
        target = f"≤{job['target']} ms: {verdict(job['met'])}" if job["target"] else ""
        print(f"{job['name']:<60}{job['ms']:>10.0f}  {target}")


def main() -> None:
    args = parse_args()
    setup_django(database_url(args))
    ensure_generated(args.scale)
    from django.db import connection

    vendor = f"{connection.vendor} ({args.scale} scale, {os.cpu_count()} cores)"
    rows, baseline = measure_pages(args.repeat)
    jobs = measure_jobs()
    print_table(vendor, rows, baseline, jobs, args.markdown)
    if not args.skip_import:
        print("\nRoster import (scripts/bench_roster_import.py --rows 10000, fresh SQLite):")
        print(roster_import())


if __name__ == "__main__":
    main()
