"""People using Zhuangma at once: workers learning and reading cases, judges scoring, admins
looking at their roll-ups. Run by scripts/loadtest/run.py, which prepares the plan file
(sessions and addresses) named by $LOADTEST_PLAN and starts the servers.

Each simulated person waits 1–5 s between actions, as people do. Sessions are made by run.py
in advance (people who are already logged in): allauth limits logins to 30 a minute from one
address, and every simulated person here comes from 127.0.0.1.
"""

import itertools
import json
import os
import random
import threading
import uuid

from locust import HttpUser, between, task

with open(os.environ["LOADTEST_PLAN"], encoding="utf-8") as plan_file:
    PLAN = json.load(plan_file)

# Each simulated person takes the next login of their kind, so no two share a session.
_counters = {kind: itertools.count() for kind in PLAN["sessions"]}
_lock = threading.Lock()


def _next_session(kind: str) -> str:
    sessions = PLAN["sessions"][kind]
    with _lock:
        return sessions[next(_counters[kind]) % len(sessions)]


class Person(HttpUser):
    abstract = True
    wait_time = between(1, 5)
    kind = ""

    def on_start(self):
        self.client.cookies.set("sessionid", _next_session(self.kind))
        # Django accepts a CSRF secret sent as both cookie and header; the pages' forms do the same.
        self.csrf = uuid.uuid4().hex
        self.client.cookies.set("csrftoken", self.csrf)

    def post_json(self, url, payload, name):
        return self.client.post(
            url,
            data=json.dumps(payload),
            headers={"Content-Type": "application/json", "X-CSRFToken": self.csrf},
            name=name,
        )


class Worker(Person):
    """A community worker on a phone: 我的学习, lessons, the casebook."""

    weight = 8
    kind = "worker"

    @task(3)
    def my_learning(self):
        self.client.get(PLAN["urls"]["me"], name="我的学习 /me/")

    @task(2)
    def course(self):
        self.client.get(random.choice(PLAN["urls"]["courses"]), name="course page")

    @task(3)
    def lesson(self):
        lesson = random.choice(PLAN["lessons"])
        self.client.get(lesson["url"], name="lesson page")
        start = random.randint(0, 500)
        self.post_json(
            lesson["report"],
            {"intervals": [[start, start + 30]], "position": start + 30},
            name="lesson progress report",
        )

    @task(1)
    def casebook(self):
        self.client.get(PLAN["urls"]["casebook"], name="casebook home")

    @task(2)
    def case(self):
        self.client.get(random.choice(PLAN["urls"]["cases"]), name="case page")

    @task(2)
    def search(self):
        words = random.choice(PLAN["search_words"])
        self.client.get(PLAN["urls"]["search"], params={"q": words}, name="casebook search")


class Judge(Person):
    """A judge with the scoring page open between contestants."""

    weight = 1
    kind = "judge"

    @task
    def scoring_page(self):
        self.client.get(PLAN["urls"]["judge_stage"], name="judge scoring page")

    @task
    def ranking(self):
        self.client.get(PLAN["urls"]["ranking"], name="contest ranking")


class Admin(Person):
    """A street or city admin checking who is behind."""

    weight = 1
    kind = "admin"

    @task(2)
    def rollup(self):
        self.client.get(PLAN["urls"]["rollup"], name="plan roll-up")

    @task(2)
    def dashboard(self):
        self.client.get(PLAN["urls"]["dashboard"], name="dashboard")

    @task(1)
    def hours_behind(self):
        self.client.get(PLAN["urls"]["hours_behind"], name="hours: who is behind")
