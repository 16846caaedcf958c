"""Load test: gunicorn + PostgreSQL + Redis on loopback, people acting as people do.

    .venv/bin/python scripts/loadtest/run.py --database postgres://zhuangma:zhuangma@127.0.0.1/zm_scale
        [--users 100] [--duration 120] [--ramp 150,200,300,400,600] [--step 60]
        [--burst-judges 200] [--port 8100]

The database must have been filled by `manage.py generate_scale_data --scale city` (or small).
The script starts its own Redis (a free port, nothing saved to disk), collects static files,
starts gunicorn with the production settings (ZHUANGMA_PLAIN_HTTP=1: cookies without the
Secure flag, for http on loopback only) and runs, with locust headless:

1. the mix (workers 80 %, judges 10 %, admins 10 %; 1–5 s between actions) at --users people
   for --duration seconds: throughput, errors, median and p95;
2. the ramp: the same mix at each number of --ramp people for --step seconds, until p95 passes
   1 s, to find where that happens;
3. the burst: --burst-judges judges submit their scores at the same moment (a barrier), each
   sending the same submission twice as a phone on a bad network would; then the database is
   checked: every score stored exactly once.

It prints a table and writes it as JSON (--out). It asserts nothing about time; locust runs on
the same two cores as the servers, so the figures are a floor for what the servers could do.
"""

import argparse
import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database: str, redis_url: str) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        DATABASE_URL=database,
        REDIS_URL=redis_url,
        DJANGO_SECRET_KEY=env.get("DJANGO_SECRET_KEY", "loadtest-only-" + uuid.uuid4().hex),
        ZHUANGMA_PERSONAL_DATA_KEY=env.get("ZHUANGMA_PERSONAL_DATA_KEY", "loadtest-only-key"),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        ZHUANGMA_PLAIN_HTTP="1",
    )
    return env


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except Exception:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s")


def run_locust(host: str, env: dict, users: int, seconds: int, prefix: Path) -> dict:
    spawn_rate = max(5, users // 10)
    subprocess.run(
        [
            str(VENV_BIN / "locust"),
            "-f",
            str(HERE / "locustfile.py"),
            "--headless",
            "--only-summary",
            "--host",
            host,
            "-u",
            str(users),
            "-r",
            str(spawn_rate),
            "-t",
            f"{seconds}s",
            "--csv",
            str(prefix),
            "--loglevel",
            "WARNING",
        ],
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
    )
    return read_stats(Path(f"{prefix}_stats.csv"))


def read_stats(path: Path) -> dict:
    """Locust's aggregated row: requests, failures, throughput, median, p95 (ms)."""
    rows = {row["Name"]: row for row in csv.DictReader(path.open(encoding="utf-8"))}
    total = rows["Aggregated"]
    pages = {
        name: {"requests": int(row["Request Count"]), "p95": float(row["95%"] or 0)}
        for name, row in rows.items()
        if name != "Aggregated"
    }
    return {
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "median": float(total["Median Response Time"]),
        "p95": float(total["95%"]),
        "pages": pages,
    }


def fire_burst(host: str, jobs: list[dict], submit_url: str) -> dict:
    """Every judge sends at the same moment, then sends the same submission again."""
    import requests

    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def judge(index: int, job: dict) -> None:
        session = requests.Session()
        csrf = uuid.uuid4().hex
        session.cookies.set("sessionid", job["session"])
        session.cookies.set("csrftoken", csrf)
        payload = json.dumps(
            {
                "appearance": job["appearance"],
                "values": job["values"],
                "submission_id": str(uuid.uuid4()),
            }
        )
        headers = {"Content-Type": "application/json", "X-CSRFToken": csrf}
        barrier.wait()
        outcomes = []
        for _ in range(2):
            started = time.perf_counter()
            try:
                response = session.post(
                    host + submit_url, data=payload, headers=headers, timeout=60
                )
                status = response.status_code
                answer = response.json().get("status") if status == 200 else response.text[:200]
            except Exception as error:  # a refused connection counts as an error, not a crash
                status, answer = 0, str(error)[:200]
            outcomes.append((status, answer, (time.perf_counter() - started) * 1000))
        results[index] = outcomes

    threads = [threading.Thread(target=judge, args=(i, job)) for i, job in enumerate(jobs)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    firsts = sorted(outcome[0][2] for outcome in results)
    statuses = [o[0] for outcome in results for o in outcome]
    answers = [o[1] for outcome in results for o in outcome if o[0] == 200]
    return {
        "judges": len(jobs),
        "requests": len(statuses),
        "errors": sum(1 for s in statuses if s != 200),
        "accepted": answers.count("accepted"),
        "duplicate": answers.count("duplicate"),
        "p95": firsts[int(0.95 * (len(firsts) - 1))],
        "max": firsts[-1],
        "seconds": elapsed,
        "error_samples": [o[1] for outcome in results for o in outcome if o[0] != 200][:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--duration", type=int, default=120)
    parser.add_argument("--ramp", default="150,200,300,400,600")
    parser.add_argument("--step", type=int, default=60)
    parser.add_argument("--burst-judges", type=int, default=200)
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "4")))
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--out", default=str(ROOT / "build" / "loadtest.json"))
    args = parser.parse_args()
    if not args.database.startswith("postgres"):
        raise SystemExit("--database must be a PostgreSQL URL filled by generate_scale_data")
    redis_server = shutil.which("redis-server")
    if not redis_server:
        raise SystemExit("redis-server is missing: apt-get install redis-server")

    work = Path(tempfile.mkdtemp(prefix="zm-loadtest-"))
    redis_port = free_port()
    env = server_env(args.database, f"redis://127.0.0.1:{redis_port}/0")
    env["LOADTEST_PLAN"] = str(work / "plan.json")
    env["LOADTEST_BURST_JUDGES"] = str(args.burst_judges)
    host = f"http://127.0.0.1:{args.port}"
    processes = []
    try:
        processes.append(
            subprocess.Popen(
                [redis_server, "--port", str(redis_port), "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL,
            )
        )
        manage = [str(VENV_BIN / "python"), str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
        subprocess.run(
            [*manage, "collectstatic", "--noinput", "-v0"], env=env, check=True, cwd=ROOT
        )
        print("Preparing sessions and the burst stage …", flush=True)
        subprocess.run(
            [str(VENV_BIN / "python"), str(HERE / "prepare.py"), "plan", env["LOADTEST_PLAN"]],
            env=env,
            check=True,
            cwd=ROOT,
        )
        gunicorn = [
            str(VENV_BIN / "gunicorn"),
            "cms.wsgi:application",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--no-control-socket",
            "--access-logfile",
            "-" if os.environ.get("LOADTEST_ACCESS_LOG") else "/dev/null",
        ]
        processes.append(subprocess.Popen(gunicorn, env=env, cwd=ROOT))
        wait_for(host + "/")
        report = {"workers": args.workers, "threads": args.threads}
        print(f"Mix: {args.users} people for {args.duration} s …", flush=True)
        report["mix"] = {
            "users": args.users,
            **run_locust(host, env, args.users, args.duration, work / "mix"),
        }
        report["ramp"] = []
        for users in [int(u) for u in args.ramp.split(",") if u]:
            print(f"Ramp: {users} people for {args.step} s …", flush=True)
            step = {
                "users": users,
                **run_locust(host, env, users, args.step, work / f"ramp{users}"),
            }
            step.pop("pages")
            report["ramp"].append(step)
            if step["p95"] > 1000:
                break
        plan = json.loads(Path(env["LOADTEST_PLAN"]).read_text(encoding="utf-8"))
        print(f"Burst: {len(plan['burst']['jobs'])} judges submit at once …", flush=True)
        report["burst"] = fire_burst(host, plan["burst"]["jobs"], plan["urls"]["submit_score"])
        check = subprocess.run(
            [str(VENV_BIN / "python"), str(HERE / "prepare.py"), "verify", env["LOADTEST_PLAN"]],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        report["burst"]["stored"] = json.loads(check.stdout.strip().splitlines()[-1])
        report["burst"]["exactly_once"] = check.returncode == 0
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print_report(report)


def print_report(report: dict) -> None:
    mix = report["mix"]
    print(f"\ngunicorn: {report['workers']} workers × {report['threads']} threads")
    print(f"\n{'page':<28}{'requests':>10}{'p95 ms':>10}")
    for name, page in sorted(mix["pages"].items()):
        print(f"{name:<28}{page['requests']:>10}{page['p95']:>10.0f}")
    print(
        f"\nMix at {mix['users']} people: {mix['requests']} requests, {mix['rps']:.1f}/s, "
        f"{mix['failures']} errors, median {mix['median']:.0f} ms, p95 {mix['p95']:.0f} ms"
    )
    print(f"\n{'people':>8}{'req/s':>8}{'errors':>8}{'median':>8}{'p95':>8}")
    for step in report["ramp"]:
        print(
            f"{step['users']:>8}{step['rps']:>8.1f}{step['failures']:>8}"
            f"{step['median']:>8.0f}{step['p95']:>8.0f}"
        )
    passed = [s["users"] for s in report["ramp"] if s["p95"] > 1000]
    print(
        "p95 passes 1 s at "
        + (f"{passed[0]} people" if passed else "none of the steps (raise --ramp)")
    )
    burst = report["burst"]
    print(
        f"\nBurst: {burst['judges']} judges, {burst['requests']} requests (each sent twice), "
        f"{burst['errors']} errors, {burst['accepted']} accepted + {burst['duplicate']} duplicates, "
        f"p95 {burst['p95']:.0f} ms, all done in {burst['seconds']:.1f} s; stored exactly once: "
        f"{'yes' if burst['exactly_once'] else 'NO'} {burst['stored']}"
    )


if __name__ == "__main__":
    main()
