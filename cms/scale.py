"""City-scale data for benchmarks, query budgets and load tests: ``generate(SCALES["city"])``.

Fills an empty, migrated database with a made-up city 规模市 (code "SC"): districts, streets
and communities; workers with profiles; staff with fixed logins; courses and lessons, cases,
a published training plan; enrolments, lesson progress and learning hours; and a contest whose
first round is scored, published and final and whose final round is open for judging.
``python manage.py generate_scale_data --scale city|small|tiny [--seed N]`` runs it.
The first round has one score sheet per contestant and judge, each holding a score per
criterion: at city scale 1,000 × 7 = 7,000 sheets, 56,000 criterion scores (scores.csv rows).

Reproducible: one ``random.Random(seed)`` decides everything, and dates count back from
``today`` (the current date unless given), so the same seed on the same day gives the same
names, progress and scores. Fast: rows go in with multi-row INSERTs (COPY on PostgreSQL),
pages are written straight into Wagtail's tree (paths, url_path, numchild computed here)
rather than through ``add_child``, and one password hash serves every account.

Logins (password ``SCALE_PASSWORD`` for all)::

    scale_city_admin      admin of 规模市 (TOTP set up, see ``totp_secret``)
    scale_district_admin  admin of the first district (TOTP set up)
    scale_street_admin    admin of that district's first street
    scale_trainer         trainer of the city (owns the generated pages)
    scale_chief_judge     chief judge of the contest
    scale_judge_1 …       judges (as many as the scale's ``judges``)
    sw000001 …            workers; sw000001 works in the first community, is enrolled in the
                          plan's courses with progress, has hours and was a contestant

``landmarks()`` reads back what benchmarks and budget tests need; its keys are stable:

    password, city_code, worker, judge, chief_judge, city_admin, district_admin,
    street_admin, trainer               usernames (and the shared password)
    totp_secrets                        {username: base32 TOTP secret} of the MFA admins
    district_code, street_code, community_code   the first unit of each level (sw000001's)
    home_url                            "/"
    course_id, course_url               the plan's first course (sw000001 is enrolled)
    lesson_id, lesson_url               that course's first lesson
    case_id, case_url                   a case whose text has ``search_query``
    search_query, search_url            a two-character word, and /cases/search/?q=…
    plan_id, plan_url                   the city's published plan, its progress page
    competition_id, round_id            the contest and its first round
    result_id, result_url               round 1's published result (the ranking page)
    open_stage_id, judge_stage_url      the final's open stage, scale_judge_1's scoring page
    me_url, dashboard_url               我的 and the admin dashboard
"""

import base64
import hashlib
import json
import random
import time
import uuid
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import batched
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from taggit.models import Tag
from wagtail.models import GroupPagePermission, Page

from competitions import judging, results, setup
from competitions.models import (
    Competition,
    Registration,
    Room,
    Round,
    RoundEntry,
    RoundResult,
    ScenarioPage,
    ScoreChange,
    ScoreSheet,
    Stage,
)
from people import levels
from people.models import OrgUnit, Role, User, WorkerProfile
from training import rules
from training.models import (
    CoursePage,
    Enrolment,
    HoursCategory,
    HoursEntry,
    HoursRequirement,
    LessonPage,
    LessonProgress,
    PlanItem,
    TrainingPlan,
)

from . import scale_text as text
from .demo import GIVEN, SURNAMES
from .demo_cases import CATEGORIES
from .models import CasebookPage, CaseCategory, CasePage, CaseTag, HomePage, SectionPage
from .search import reindex_all
from .sections import SECTION_PERMISSIONS, section_codenames

SCALE_PASSWORD = "zhuangma-scale"
CONTEST_TITLE = "规模测试大赛"
SEARCH_QUERY = "停车"
TZ = ZoneInfo("Asia/Shanghai")
BATCH = 5000


@dataclass(frozen=True)
class Scale:
    """How much to make. Counts are exact, except lessons per course (this is the mean)."""

    name: str
    districts: int
    streets_per_district: int
    communities_per_street: int
    workers: int
    courses: int
    lessons_per_course: int
    cases: int
    lesson_progress: int
    hours_entries: int
    contestants: int
    judges: int
    criteria: int
    finalists: int
    # Share of workers the plan has enrolled so far (the rest are enrolled on their next visit).
    plan_share: float = 0.9

    @property
    def communities(self) -> int:
        return self.districts * self.streets_per_district * self.communities_per_street

    @property
    def lessons(self) -> int:
        return self.courses * self.lessons_per_course

    @property
    def score_sheets(self) -> int:
        return self.contestants * self.judges


SCALES = {
    "tiny": Scale(
        "tiny", districts=2, streets_per_district=2, communities_per_street=2, workers=40,
        courses=4, lessons_per_course=3, cases=12, lesson_progress=160, hours_entries=120,
        contestants=8, judges=3, criteria=4, finalists=4,
    ),
    "small": Scale(
        "small", districts=3, streets_per_district=3, communities_per_street=4, workers=500,
        courses=10, lessons_per_course=5, cases=50, lesson_progress=10_000, hours_entries=5_000,
        contestants=20, judges=3, criteria=8, finalists=6,
    ),
    "city": Scale(
        "city", districts=12, streets_per_district=10, communities_per_street=8, workers=50_000,
        courses=200, lessons_per_course=5, cases=2_000, lesson_progress=1_000_000,
        hours_entries=500_000, contestants=1_000, judges=7, criteria=8, finalists=30,
    ),
}  # fmt: skip


class ScaleDataError(Exception):
    """The generator cannot run here (a database that already holds workers, a bad scale)."""


# --------------------------------------------------------------------------- small helpers


def totp_secret(username: str) -> str:
    """The fixed TOTP secret of a scale admin: load tests compute codes from it."""
    digest = hashlib.sha1(f"zhuangma-scale:{username}".encode()).digest()
    return base64.b32encode(digest).decode()


def _at(day: date, rng: random.Random) -> datetime:
    """A moment of working hours (8:00–21:59) on `day`."""
    minute = 480 + int(rng.random() * 840)
    return datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=TZ)


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


def spread(total: int, count: int, rng: random.Random, deviation: float, cap: int) -> list[int]:
    """`count` non-negative ints adding up to `total`, each at most `cap`, varied in pairs:
    one of a pair gains what the other loses. The first is never below the mean."""
    if count == 0:
        return []
    base, extra = divmod(total, count)
    if base + (extra > 0) > cap:
        raise ScaleDataError(f"{total} cannot be spread over {count} with at most {cap} each")
    values = [base + (i < extra) for i in range(count)]
    for i in range(0, count - 1, 2):
        room = min(int(values[i] * deviation), values[i + 1], cap - values[i])
        d = rng.randint(0, max(0, room))
        values[i] += d
        values[i + 1] -= d
    return values


def _json(value) -> str:
    # Most rows hold an empty list (a lesson's watched stretches): skip the encoder for them.
    return "[]" if value == [] else json.dumps(value)


def _converter(field):
    """How a Python value becomes a parameter for this column on this database, or None when
    the driver takes it as it is. Django's own adapters, minus their per-value overhead."""
    kind = field.get_internal_type()
    if kind == "JSONField":
        return _json
    if connection.vendor != "sqlite":
        return None
    if kind == "DateTimeField":
        # As sqlite3's adapt_datetimefield_value: naive in the connection's zone, then str.
        zone = connection.timezone
        return lambda value: (
            None if value is None else str(value.astimezone(zone).replace(tzinfo=None))
        )
    if kind == "DateField":
        return lambda value: None if value is None else str(value)
    return None


def write_rows(model, names: list[str], rows) -> int:
    """Insert plain tuples (values in `names` order): COPY on PostgreSQL, multi-row
    executemany elsewhere. No model instances, no signals, no save(): callers give every
    NOT NULL column. Returns the number of rows."""
    fields = [model._meta.get_field(name) for name in names]
    missing = [
        f.name
        for f in model._meta.concrete_fields
        if not f.null and not f.primary_key and f not in fields and not f.has_db_default()
    ]
    if missing:
        raise ScaleDataError(f"{model.__name__}: no value for {', '.join(missing)}")
    convert = [(i, c) for i, f in enumerate(fields) if (c := _converter(f)) is not None]

    def adapted(row):
        row = list(row)
        for i, c in convert:
            row[i] = c(row[i])
        return row

    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    table = quote(model._meta.db_table)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(adapted(row))
                    count += 1
            return count
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
        for batch in batched(rows, BATCH, strict=False):
            cursor.executemany(sql, [adapted(row) for row in batch])
            count += len(batch)
    return count


@contextmanager
def _big_cache():
    """SQLite's default page cache (2 MB) thrashes on a million-row index; use 256 MB here."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute("PRAGMA cache_size = -262144")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


class _Reporter:
    """Prints each phase's time and what it made."""

    def __init__(self, stdout, counts: Counter):
        self.stdout = stdout
        self.counts = counts
        self.timings: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str):
        before = Counter(self.counts)
        started = time.perf_counter()
        with transaction.atomic():  # a savepoint: generate() runs in one transaction
            yield
        seconds = time.perf_counter() - started
        self.timings[name] = round(seconds, 2)
        made = ", ".join(
            f"{key} {value - before[key]:,}"
            for key, value in self.counts.items()
            if value != before[key]
        )
        self.say(f"  {name:<9} {seconds:7.1f} s  {made}")

    def say(self, message: str):
        if self.stdout is not None:
            self.stdout.write(message)


# --------------------------------------------------------------------------- pages


@dataclass
class _Node:
    """A page already in the tree (or about to be), as its children need it."""

    pk: int | None
    path: str
    depth: int
    url_path: str
    next_step: int = 1
    numchild: int = 0
    added: int = 0


class PageWriter:
    """Writes live pages straight into Wagtail's tree, many at a time.

    ``add_child`` costs a dozen queries and a revision per page; here each page gets its
    treebeard path (steplen 4), depth, url_path, slug, locale and a reproducible translation
    key in memory, the Page rows go in with one bulk insert per batch, the specific rows
    (CasePage …) with ``_insert`` (Django's bulk_create refuses multi-table models), and the
    parents' numchild is updated once. Pages have no revision: Wagtail edits the live page.
    """

    def __init__(self, rng: random.Random, owner_id: int | None, locale_id: int):
        self.rng = rng
        self.owner_id = owner_id
        self.locale_id = locale_id
        self.pending: dict[type, list[Page]] = defaultdict(list)
        self.parents: dict[str, _Node] = {}

    @staticmethod
    def node_of(page: Page) -> _Node:
        last = page.get_last_child()
        next_step = Page._str2int(last.path[-Page.steplen :]) + 1 if last else 1
        return _Node(page.pk, page.path, page.depth, page.url_path, next_step, page.numchild)

    def add(self, parent: _Node, model, *, title: str, slug: str, published: datetime, **fields):
        """An unsaved `model` page under `parent`; returns it and its _Node (for children)."""
        path = Page._get_path(parent.path, parent.depth + 1, parent.next_step)
        parent.next_step += 1
        parent.added += 1
        self.parents[parent.path] = parent
        url_path = f"{parent.url_path}{slug}/"
        page = model(
            title=title,
            draft_title=title,
            slug=slug,
            path=path,
            depth=parent.depth + 1,
            numchild=0,
            url_path=url_path,
            live=True,
            has_unpublished_changes=False,
            first_published_at=published,
            last_published_at=published,
            owner_id=self.owner_id,
            locale_id=self.locale_id,
            translation_key=uuid.UUID(int=self.rng.getrandbits(128)),
            content_type=ContentType.objects.get_for_model(model),
            **fields,
        )
        self.pending[model].append(page)
        return page, _Node(None, path, parent.depth + 1, url_path)

    def flush(self) -> int:
        """Insert every pending page; sets their pks. Returns how many were written."""
        written = 0
        for model, pages in self.pending.items():
            for batch in batched(pages, 500, strict=False):
                # The Page rows (bulk_create sets each page's id); then the specific rows.
                Page.objects.bulk_create(batch)
                for page in batch:
                    page.page_ptr_id = page.pk = page.id
                model.objects._insert(batch, fields=model._meta.local_concrete_fields)
            written += len(pages)
        for node in self.parents.values():
            node.numchild += node.added
            node.added = 0
            Page.objects.filter(path=node.path).update(numchild=node.numchild)
        self.pending.clear()
        self.parents.clear()
        return written


# --------------------------------------------------------------------------- the generator


@dataclass
class _Unit:
    pk: int
    code: str
    name: str
    level: str
    path: str


class _Generator:
    def __init__(self, scale: Scale, seed: int, today: date, counts: Counter):
        self.scale = scale
        self.rng = random.Random(seed)
        self.seed = seed
        self.today = today
        self.year = today.year
        self.counts = counts

    # ----------------------------------------------------------------- the org tree

    def tree(self):
        scale, rng = self.scale, self.rng
        last_root = OrgUnit.get_last_root_node()
        root_step = OrgUnit._str2int(last_root.path[: OrgUnit.steplen]) + 1 if last_root else 1
        city_path = OrgUnit._get_path(None, 1, root_step)
        units = [
            OrgUnit(
                code=text.CITY[0],
                name=text.CITY[1],
                level=levels.CITY,
                path=city_path,
                depth=1,
                numchild=scale.districts,
            )
        ]
        for d in range(1, scale.districts + 1):
            name = text.DISTRICTS[(d - 1) % len(text.DISTRICTS)]
            if d > len(text.DISTRICTS):
                name = f"{name[:-1]}{d}{name[-1]}"
            county = name.endswith("县")
            d_code = f"{text.CITY[0]}{d:02d}"
            d_path = OrgUnit._get_path(city_path, 2, d)
            units.append(
                OrgUnit(
                    code=d_code,
                    name=name,
                    level=levels.DISTRICT,
                    path=d_path,
                    depth=2,
                    numchild=scale.streets_per_district,
                )
            )
            street_words = rng.sample(text.PLACE_WORDS, scale.streets_per_district)
            for s, word in enumerate(street_words, 1):
                suffix = rng.choice(text.TOWN_SUFFIXES) if county else text.STREET_SUFFIX
                s_code, s_path = f"{d_code}{s:02d}", OrgUnit._get_path(d_path, 3, s)
                units.append(
                    OrgUnit(
                        code=s_code,
                        name=word + suffix,
                        level=levels.STREET,
                        path=s_path,
                        depth=3,
                        numchild=scale.communities_per_street,
                    )
                )
                for c, c_word in enumerate(
                    rng.sample(text.PLACE_WORDS, scale.communities_per_street), 1
                ):
                    village = county and rng.random() < 0.5
                    units.append(
                        OrgUnit(
                            code=f"{s_code}{c:03d}",
                            name=c_word
                            + (text.VILLAGE_SUFFIX if village else text.COMMUNITY_SUFFIX),
                            level=levels.COMMUNITY,
                            path=OrgUnit._get_path(s_path, 4, c),
                            depth=4,
                            numchild=0,
                            population=rng.randrange(3000, 15000, 100),
                        )
                    )
        OrgUnit.objects.bulk_create(units, batch_size=1000)
        saved = OrgUnit.objects.filter(path__startswith=city_path).order_by("path")
        self.units = [_Unit(u.pk, u.code, u.name, u.level, u.path) for u in saved]
        self.by_code = {u.code: u for u in self.units}
        self.communities = [u for u in self.units if u.level == levels.COMMUNITY]
        self.counts["org_units"] = len(self.units)

    def sections(self):
        """A section page per city, district and street (as cms.sections.ensure_section would
        make), with its groups' page permissions; and the casebook's home page."""
        home = HomePage.objects.get()
        self.writer = PageWriter(self.rng, owner_id=None, locale_id=home.locale_id)
        home_node = PageWriter.node_of(home)
        published = _at(date(self.year - 5, 1, 4), self.rng)
        self.section_nodes: dict[str, _Node] = {}
        sections = []
        for unit in self.units:
            if unit.level not in levels.PUBLISHING:
                continue
            parent = self.section_nodes.get(unit.code[:-2], home_node)
            page, node = self.writer.add(
                parent,
                SectionPage,
                title=unit.name,
                slug=unit.code.lower(),
                published=published,
                unit_id=unit.pk,
            )
            self.section_nodes[unit.code] = node
            sections.append(page)
        if not CasebookPage.objects.exists():
            self.writer.add(
                home_node,
                CasebookPage,
                title="案例库",
                slug="anli",
                published=published,
                intro="<p>各街道、乡镇在基层治理中摸索出来的好办法。</p>",
            )
        self.counts["pages"] += self.writer.flush()
        self._grant(sections)
        self.counts["sections"] = len(sections)

    def _grant(self, sections: list[SectionPage]):
        """The rows cms.sections.grant_section_permissions makes per section, in bulk: a group
        per unit and kind (named as OrgUnit.group_for names it) with admin access, and its
        page permissions at the section."""
        unit_of = {u.pk: u for u in self.units}
        access_admin = Permission.objects.get(
            content_type__app_label="wagtailadmin", codename="access_admin"
        )
        page_permissions = {
            p.codename: p.pk
            for p in Permission.objects.filter(content_type=ContentType.objects.get_for_model(Page))
        }
        wanted = {
            f"{unit_of[page.unit_id].code}:{kind}": (page, kind)
            for page in sections
            for kind in SECTION_PERMISSIONS
        }
        Group.objects.bulk_create([Group(name=name) for name in wanted], ignore_conflicts=True)
        groups = dict(Group.objects.filter(name__in=wanted).values_list("name", "pk"))
        Group.permissions.through.objects.bulk_create(
            [
                Group.permissions.through(group_id=pk, permission_id=access_admin.pk)
                for pk in groups.values()
            ],
            ignore_conflicts=True,
        )
        GroupPagePermission.objects.bulk_create(
            GroupPagePermission(
                group_id=groups[name], page_id=page.pk, permission_id=page_permissions[codename]
            )
            for name, (page, kind) in wanted.items()
            for codename in section_codenames(kind, unit_of[page.unit_id].level)
        )

    # ----------------------------------------------------------------- people

    def _names(self):
        given = [GIVEN[i : i + 2] for i in range(0, len(GIVEN) - 1, 2)]
        given += list("伟芳敏静磊洋勇杰涛超")
        rng = self.rng
        while True:
            yield rng.choice(SURNAMES) + rng.choice(given)

    def people(self):
        scale, rng = self.scale, self.rng
        password = make_password(SCALE_PASSWORD)  # hashing is slow on purpose: once for all
        joined = datetime(self.year - 6, 1, 1, tzinfo=TZ)
        names = self._names()
        sizes = spread(scale.workers, len(self.communities), rng, 0.4, scale.workers)
        users, profiles, self.home_of = [], [], []
        positions = WorkerProfile.Position.values
        n = 0
        for community, size in zip(self.communities, sizes, strict=True):
            for k in range(size):
                n += 1
                username = f"sw{n:06d}"
                users.append(user_row(username, next(names), f"1992{n:07d}", password, joined))
                position = positions[k] if k < 2 else rng.choice(positions[2:])
                start = date(rng.randint(self.year - 15, self.year - 1), rng.randint(1, 12), 1)
                profiles.append(
                    [
                        username,
                        community.pk,
                        position,
                        f"{community.code}-{k + 1:03d}",
                        start,
                        "",
                        "",
                    ]
                )
                self.home_of.append(community)
        staff = self._staff_rows(password, joined, names)
        write_rows(User, USER_FIELDS, users + [row for row, _kind, _unit in staff])
        ids = dict(User.objects.filter(username__startswith="s").values_list("username", "pk"))
        self.worker_ids = [ids[row[0]] for row in users]
        for profile in profiles:
            profile[0] = ids[profile[0]]
        write_rows(
            WorkerProfile,
            [
                "user",
                "community",
                "position",
                "worker_number",
                "start_date",
                "id_number_encrypted",
                "id_number_hash",
            ],
            profiles,
        )
        write_rows(
            Role, ["user", "unit", "kind"], ((p[0], p[1], Role.Kind.WORKER) for p in profiles)
        )
        self._staff_roles(ids, staff)
        self.counts["workers"] = len(users)
        self.counts["users"] = len(users) + len(staff)

    def _staff_rows(self, password, joined, names):
        district = self.units[1]
        street = next(u for u in self.units if u.level == levels.STREET)
        city = self.units[0]
        staff = [
            ("scale_city_admin", Role.Kind.ADMIN, city),
            ("scale_district_admin", Role.Kind.ADMIN, district),
            ("scale_street_admin", Role.Kind.ADMIN, street),
            ("scale_trainer", Role.Kind.TRAINER, city),
            ("scale_chief_judge", Role.Kind.JUDGE, city),
            *((f"scale_judge_{j}", Role.Kind.JUDGE, city) for j in range(1, self.scale.judges + 1)),
        ]
        return [
            (user_row(username, next(names), f"1991{n:07d}", password, joined), kind, unit)
            for n, (username, kind, unit) in enumerate(staff, 1)
        ]

    def _staff_roles(self, ids, staff):
        """Roles one by one: their signals give admins and trainers their groups."""
        from allauth.mfa.totp.internal.auth import TOTP

        viewer = Permission.objects.get(
            content_type__app_label="people", codename="view_personal_data"
        )
        self.staff = {}
        for row, kind, unit in staff:
            user = User.objects.get(pk=ids[row[0]])
            Role.objects.create(user=user, unit_id=unit.pk, kind=kind)
            self.staff[user.username] = user
            if kind == Role.Kind.ADMIN and unit.level in (levels.CITY, levels.STREET):
                user.user_permissions.add(viewer)
            if kind == Role.Kind.ADMIN and unit.level in levels.MFA_REQUIRED:
                TOTP.activate(user, totp_secret(user.username))
        self.owner = self.staff["scale_trainer"]

    # ----------------------------------------------------------------- courses and cases

    def _course_owners(self) -> list[_Unit]:
        """Which section publishes each course: a tenth at the city (at least two, for the
        plan), a third of the rest in the districts, the others in the streets, in turn."""
        n = self.scale.courses
        n_city = max(2, n // 10)
        n_district = (n - n_city) // 3
        districts = [u for u in self.units if u.level == levels.DISTRICT]
        streets = [u for u in self.units if u.level == levels.STREET]
        owners = [self.units[0]] * n_city
        owners += [districts[i % len(districts)] for i in range(n_district)]
        owners += [streets[i % len(streets)] for i in range(n - n_city - n_district)]
        return owners

    def courses(self):
        scale, rng = self.scale, self.rng
        self.writer.owner_id = self.owner.pk
        lesson_counts = spread(scale.lessons, scale.courses, rng, 0.4, 2 * scale.lessons_per_course)
        self.course_pages, course_lessons = [], []
        for n, (unit, lessons) in enumerate(
            zip(self._course_owners(), lesson_counts, strict=True), 1
        ):
            theme = text.COURSE_THEMES[(n - 1) % len(text.COURSE_THEMES)]
            title = f"{theme}（{unit.name}·第{(n - 1) // len(text.COURSE_THEMES) + 1}期）"
            day = _day_between(rng, date(self.year - 3, 1, 1), date(self.year, 3, 1))
            tier = rules.TIER_BY_LEVEL[unit.level]
            course, node = self.writer.add(
                self.section_nodes[unit.code],
                CoursePage,
                title=title,
                slug=f"course-{n:03d}",
                published=_at(day, rng),
                owner_unit_id=unit.pk,
                tier=tier,
                hours=Decimal(rng.choice(["2", "3", "4", "6"])),
                audience_positions=[],
                intro=f"<p>{rng.choice(text.LESSON_SENTENCES)}{rng.choice(text.LESSON_SENTENCES)}</p>",
            )
            pages = []
            for k in range(1, lessons + 1):
                topic = text.LESSON_TOPICS[(k - 1) % len(text.LESSON_TOPICS)]
                body = "".join(f"<p>{s}</p>" for s in rng.sample(text.LESSON_SENTENCES, 3))
                lesson, _node = self.writer.add(
                    node,
                    LessonPage,
                    title=f"第{k}课 {topic}",
                    slug=f"lesson-{k}",
                    published=_at(day, rng),
                    body=[("text", body)],
                    required=True,
                    minutes=rng.choice([10, 15, 20, 30]),
                )
                pages.append(lesson)
            self.course_pages.append(course)
            course_lessons.append(pages)
        self.counts["pages"] += self.writer.flush()
        self.lessons_of = [[lesson.pk for lesson in pages] for pages in course_lessons]
        self.counts["courses"] = len(self.course_pages)
        self.counts["lessons"] = sum(len(p) for p in self.lessons_of)

    def _case_sentences(self, category_slug: str) -> tuple[str, list[str]]:
        rng = self.rng
        main = rng.choice(text.CATEGORY_TOPICS[category_slug])
        others = rng.sample([t for t in text.TOPICS if t != main], 2)
        sentences = rng.sample(text.TOPICS[main]["sentences"], 3)
        for other in others[: rng.randint(0, 2)]:
            sentences.append(rng.choice(text.TOPICS[other]["sentences"]))
        rng.shuffle(sentences)
        return main, sentences

    def _case_fields(self, category) -> dict:
        rng = self.rng
        main, sentences = self._case_sentences(category.slug)
        difficulties = [
            (
                "difficulty",
                {
                    "title": f"难点{i}：{rng.choice(text.TOPICS[main]['titles'])}",
                    "description": sentences[i],
                    "solutions": [
                        {
                            "title": f"解法{i}",
                            "detail": f"<p>{rng.choice(text.MEASURE_SENTENCES)}</p>",
                        }
                    ],
                },
            )
            for i in range(1, 3)
        ]
        label, unit, (low, high) = rng.choice(text.RESULT_LABELS)
        return {
            "summary": sentences[0] + sentences[-1],
            "background": "".join(f"<p>{s}</p>" for s in sentences),
            "difficulties": difficulties,
            "measures": "".join(f"<p>{s}</p>" for s in rng.sample(text.MEASURE_SENTENCES, 2)),
            "results": [
                ("figure", {"label": label, "value": str(rng.randint(low, high)), "unit": unit})
            ],
            "lessons": f"<p>{rng.choice(text.LESSON_SENTENCES)}</p>",
            "contact": "",
            "view_count": rng.randint(0, 500),
            "search_text": "",
        }, main

    def cases(self):
        scale, rng = self.scale, self.rng
        categories = self._categories()
        owners = [u for u in self.units if u.level in (levels.DISTRICT, levels.STREET)]
        streets = [u for u in owners if u.level == levels.STREET]
        pages = []
        for n in range(1, scale.cases + 1):
            unit = rng.choice(streets) if rng.random() < 0.8 else rng.choice(owners)
            category = rng.choice(categories)
            fields, main = self._case_fields(category)
            year = rng.randint(self.year - 4, self.year)
            day = _day_between(rng, date(year, 1, 1), min(date(year, 12, 28), self.today))
            title = f"{unit.name}{rng.choice(text.TOPICS[main]['titles'])}（{n}）"
            page, _node = self.writer.add(
                self.section_nodes[unit.code],
                CasePage,
                title=title,
                slug=f"case-{n:04d}",
                published=_at(day, rng),
                category_id=category.pk,
                unit_id=unit.pk,
                year=year,
                **fields,
            )
            pages.append(page)
        self.counts["pages"] += self.writer.flush()
        tags = [Tag.objects.get_or_create(name=name)[0] for name in text.CASE_TAGS]
        CaseTag.objects.bulk_create(
            CaseTag(content_object_id=page.pk, tag=tag)
            for page in pages
            for tag in rng.sample(tags, rng.randint(0, 2))
        )
        indexed, _seconds = reindex_all()
        self.case_pages = pages
        self.counts["cases"] = len(pages)
        self.counts["indexed"] = indexed

    def _categories(self) -> list[CaseCategory]:
        for order, (slug, name) in enumerate(CATEGORIES, 1):
            CaseCategory.objects.get_or_create(
                slug=slug, defaults={"name": name, "sort_order": order * 10}
            )
        return list(
            CaseCategory.objects.filter(slug__in=[slug for slug, _name in CATEGORIES]).order_by(
                "sort_order"
            )
        )

    # ----------------------------------------------------------------- plan and learning

    def plan(self):
        city = self.units[0]
        year = self.year
        self.plan_courses = [
            i for i, c in enumerate(self.course_pages) if c.owner_unit_id == city.pk
        ][:2]
        self.plan_obj = TrainingPlan.objects.create(
            owner_unit_id=city.pk,
            title=f"{year}年{city.name}社区工作者全员培训计划",
            start_date=date(year, 1, 1),
            end_date=date(year, 12, 31),
            audience=TrainingPlan.Audience.EVERYONE,
            published=True,
        )
        self.deadline = date(year, 12, 20)
        for order, index in enumerate(self.plan_courses):
            PlanItem.objects.create(
                plan=self.plan_obj,
                course_id=self.course_pages[index].pk,
                required=True,
                deadline=self.deadline,
                sort_order=order,
            )
        for position, hours in (("", "48"), (WorkerProfile.Position.SECRETARY, "60")):
            HoursRequirement.objects.create(
                owner_unit_id=city.pk,
                year=year,
                position=position,
                hours=Decimal(hours),
                min_offline_share=Decimal("0.25"),
            )

    def _local_courses(self) -> dict[str, list[int]]:
        by_unit = defaultdict(list)
        code_of = {u.pk: u.code for u in self.units}
        for i, course in enumerate(self.course_pages):
            if i not in self.plan_courses:
                by_unit[code_of[course.owner_unit_id]].append(i)
        return by_unit

    def _sequence(self, w: int, in_plan: bool, budget: int, by_unit) -> list[int]:
        """The courses worker `w` takes, in order: the plan's, then their street's, district's
        and city's electives, then any other if they study more than that."""
        code = self.home_of[w].code
        local = by_unit[code[:-3]] + by_unit[code[:-5]] + by_unit[code[:-7]]
        sequence = (self.plan_courses if in_plan else []) + self.rng.sample(
            local, min(8, len(local))
        )
        capacity = sum(len(self.lessons_of[i]) for i in sequence)
        if capacity < budget:
            others = [i for i in range(len(self.course_pages)) if i not in sequence]
            for i in self.rng.sample(others, len(others)):
                sequence.append(i)
                capacity += len(self.lessons_of[i])
                if capacity >= budget:
                    break
        return sequence

    def _takes(self, sequence: list[int], budget: int) -> list[tuple[int, int]]:
        """(course, lessons done) along the sequence, spending exactly `budget` lessons:
        a course is finished (all its lessons) or left part-way. Plan courses are always
        enrolled, even untouched."""
        rng = self.rng
        capacity = sum(len(self.lessons_of[i]) for i in sequence)
        taken = []
        for i in sequence:
            size = len(self.lessons_of[i])
            capacity -= size
            if budget == 0:
                if i in self.plan_courses:
                    taken.append((i, 0))
                    continue
                break
            if budget >= size and rng.random() < 0.55:
                rows = size
            else:
                rows = rng.randint(1, max(1, min(size - 1, budget)))
            rows = min(size, budget, max(rows, budget - capacity))
            taken.append((i, rows))
            budget -= rows
        return taken

    def _when(self, course: int, year: int) -> tuple[date, date]:
        """When an enrolment began and the last day its worker studied."""
        if course in self.plan_courses:
            start = min(
                self.today, _day_between(self.rng, date(self.year, 1, 1), date(self.year, 2, 28))
            )
            return start, min(self.today, self.deadline)
        start = min(self.today, _day_between(self.rng, date(year, 1, 1), date(year, 12, 1)))
        return start, min(self.today, start + timedelta(days=90))

    def learning(self):
        scale, rng = self.scale, self.rng
        total = sum(len(lessons) for lessons in self.lessons_of)
        budgets = spread(scale.lesson_progress, scale.workers, rng, 0.8, total)
        by_unit = self._local_courses()
        self.completions = 0
        enrolments = progress = 0
        workers = list(range(scale.workers))
        for chunk in batched(workers, 2000, strict=False):
            e_rows, p_plan = [], []
            for w in chunk:
                in_plan = w == 0 or rng.random() < scale.plan_share
                sequence = self._sequence(w, in_plan, budgets[w], by_unit)
                for course, rows in self._takes(sequence, budgets[w]):
                    e_row, lessons = self._enrolment(w, course, rows)
                    e_rows.append(e_row)
                    p_plan.append((w, course, lessons))
            enrolments += write_rows(Enrolment, ENROLMENT_FIELDS, e_rows)
            progress += write_rows(LessonProgress, PROGRESS_FIELDS, self._progress_rows(p_plan))
            self._credit_completions([self.worker_ids[w] for w in chunk], e_rows)
        self.counts.update(enrolments=enrolments, lesson_progress=progress)

    def _enrolment(self, w: int, course: int, rows: int):
        plan = course in self.plan_courses
        start, end = self._when(course, self.rng.randint(self.year - 3, self.year))
        begun = _at(start, self.rng)
        span = max(60, int((_at(end, self.rng) - begun).total_seconds() // 60))
        size = len(self.lessons_of[course])
        # Lessons done one after another across the span; the last one begun may be unfinished.
        times = [begun + timedelta(minutes=span * (k + 1) // (size + 1)) for k in range(rows)]
        completed = times[-1] if rows == size else None
        row = (
            self.worker_ids[w],
            self.course_pages[course].pk,
            self.plan_obj.pk if plan else None,
            Enrolment.Source.PLAN if plan else Enrolment.Source.SELF,
            plan,
            self.deadline if plan else None,
            begun,
            completed,
        )
        finished = rows if rows == size else rows - 1
        lessons = [(self.lessons_of[course][k], times[k], k < finished) for k in range(rows)]
        return row, lessons

    def _progress_rows(self, plan):
        for w, _course, lessons in plan:
            user = self.worker_ids[w]
            for lesson, at, done in lessons:
                yield (user, lesson, [], 0.0, None, at if done else None, at)

    def _credit_completions(self, users: list[int], e_rows):
        """The hours a finished course earns, as training.progress credits them."""
        done = {(r[0], r[1]): r[7] for r in e_rows if r[7] is not None}
        if not done:
            return
        ids = Enrolment.objects.filter(user_id__in=users, completed_at__isnull=False).values_list(
            "user_id", "course_id", "pk"
        )
        course_by_pk = {c.pk: c for c in self.course_pages}
        rows = []
        for user, course_id, pk in ids:
            at = done[(user, course_id)]
            course = course_by_pk[course_id]
            day = timezone.localdate(at)
            rows.append(
                (
                    user,
                    course.hours,
                    day,
                    day.year,
                    HoursCategory.ONLINE,
                    course.tier,
                    course_id,
                    pk,
                    f"enrolment:{pk}",
                    course.title[:200],
                    at,
                )
            )
        self.completions += write_rows(HoursEntry, HOURS_FIELDS, rows)

    def hours(self):
        scale, rng = self.scale, self.rng
        remaining = scale.hours_entries - self.completions
        if remaining < 0:
            raise ScaleDataError(
                f"{self.completions} finished courses already earn more than {scale.hours_entries} hours entries"
            )
        counts = spread(remaining, scale.workers, rng, 0.8, remaining)
        categories = list(FILLER_HOURS)
        weights = [FILLER_HOURS[c][0] for c in categories]
        years = list(range(self.year - 4, self.year + 1))

        def rows():
            n = 0
            for w, count in enumerate(counts):
                user = self.worker_ids[w]
                for _k in range(count):
                    n += 1
                    category = rng.choices(categories, weights)[0]
                    _weight, low, high, note = FILLER_HOURS[category]
                    year = rng.choices(years, YEAR_WEIGHTS[-len(years) :])[0]
                    day = _day_between(rng, date(year, 1, 1), min(date(year, 12, 31), self.today))
                    hours = Decimal(rng.randint(low * 2, high * 2)) / 2
                    yield (
                        user,
                        hours,
                        day,
                        year,
                        category,
                        "",
                        None,
                        None,
                        f"scale:{n}",
                        note,
                        _at(day, rng),
                    )

        written = write_rows(HoursEntry, HOURS_FIELDS, rows())
        self.counts["hours_entries"] = self.completions + written


USER_FIELDS = ["username", "real_name", "phone", "email", "password", "first_name", "last_name",
               "is_staff", "is_active", "is_superuser", "date_joined"]  # fmt: skip


def user_row(username, real_name, phone, password, joined) -> tuple:
    """A USER_FIELDS row of an ordinary account: no e-mail, not staff, active."""
    return (username, real_name, phone, "", password, "", "", False, True, False, joined)


ENROLMENT_FIELDS = [
    "user",
    "course",
    "plan",
    "source",
    "required",
    "deadline",
    "enrolled_at",
    "completed_at",
]
PROGRESS_FIELDS = [
    "user",
    "lesson",
    "watched",
    "position",
    "last_report_at",
    "completed_at",
    "updated_at",
]
HOURS_FIELDS = [
    "user",
    "hours",
    "earned_on",
    "year",
    "category",
    "tier",
    "course",
    "enrolment",
    "source",
    "note",
    "created_at",
]
# category: (weight, lowest hours, highest hours, note)
FILLER_HOURS = {
    HoursCategory.OFFLINE: (45, 2, 8, "线下培训"),
    HoursCategory.ONLINE: (30, 1, 4, "线上学习"),
    HoursCategory.EXTERNAL: (15, 4, 16, "外部培训"),
    HoursCategory.CONTEST: (10, 2, 4, "技能竞赛"),
}
YEAR_WEIGHTS = [1, 2, 3, 4, 5]


AWARDS = [
    {"name": "一等奖", "share": "0.1"},
    {"name": "二等奖", "share": "0.2"},
    {"name": "三等奖", "share": "0.3"},
]


class _Contest:
    """规模测试大赛 through the real services: draw, rubric, opening, closing, decoding,
    publishing and finalising. Only the first round's many score sheets go in as bulk rows
    (each as judging.submit_sheet would store it, with its history line)."""

    def __init__(self, gen: _Generator):
        self.gen = gen
        self.rng = gen.rng
        self.admin = gen.staff["scale_city_admin"]
        self.chief = gen.staff["scale_chief_judge"]
        self.judges = [gen.staff[f"scale_judge_{j}"] for j in range(1, gen.scale.judges + 1)]

    def run(self):
        gen = self.gen
        city = OrgUnit.objects.get(pk=gen.units[0].pk)
        self.card = self._card(city)
        competition = Competition.objects.create(
            title=CONTEST_TITLE,
            year=gen.year,
            owner_unit=city,
            chief_judge=self.chief,
            description="以情景模拟检验社区工作者调解矛盾、宣传政策、组织居民的能力。",
            status=Competition.Status.RUNNING,
            created_by=self.admin,
        )
        first = Round.objects.create(
            competition=competition,
            order=1,
            name="初赛",
            group_level="city",
            advance_top_n=gen.scale.finalists,
            tie_breakers=["scenario"],
        )
        final = Round.objects.create(
            competition=competition,
            order=2,
            name="决赛",
            group_level="city",
            tie_breakers=["scenario"],
            awards=AWARDS,
        )
        ability = self._register(competition, first)
        stage = self._open(first, "first")
        sheets = self._score_everyone(stage, ability)
        judging.close_stage(stage, self.chief)
        judging.decode_stage(stage, self.chief)
        result = results.publish(first, self.admin)
        # Nobody appealed; the window is not waited out here.
        RoundResult.objects.filter(pk=result.pk).update(
            appeal_deadline=timezone.now() - timedelta(minutes=1)
        )
        results.finalise(first, self.admin)
        open_stage = self._open(final, "final")
        partial = self._score_some(open_stage, ability)
        gen.counts.update(contestants=len(ability), score_sheets=sheets, final_sheets=partial)

    def _card(self, city) -> ScenarioPage:
        criteria = text.CRITERIA[: self.gen.scale.criteria]
        rubric = [
            (
                "criterion",
                {
                    "code": f"c{n}",
                    "title": title,
                    "max_points": "10",
                    "step": "0.5",
                    "bands": [{"low": "0", "high": "10", "descriptor": f"{title}：按表现给分"}],
                },
            )
            for n, title in enumerate(criteria, 1)
        ]
        card = ScenarioPage(
            title="邻里停车纠纷调解",
            brief="<p>两户居民为一个车位争执多日，一方把车堵在另一方门口。</p>",
            task="请在8分钟内了解双方诉求，提出化解方案并说明后续安排。",
            rubric=rubric,
            owner=self.admin,
        )
        SectionPage.objects.get(unit=city).add_child(instance=card)
        card.save_revision(user=self.admin).publish()
        return card

    def _register(self, competition, first) -> dict[int, float]:
        """Approved registrations entered in the first round; sw000001 is one of them."""
        gen, rng = self.gen, self.rng
        chosen = [0, *rng.sample(range(1, gen.scale.workers), gen.scale.contestants - 1)]
        now = timezone.now()
        registrations = Registration.objects.bulk_create(
            Registration(
                competition=competition,
                worker_id=gen.worker_ids[w],
                unit_id=gen.home_of[w].pk,
                status=Registration.Status.APPROVED,
                nominated_by=self.admin,
                decided_by=self.admin,
                decided_at=now,
            )
            for w in sorted(chosen)
        )
        RoundEntry.objects.bulk_create(
            RoundEntry(round=first, registration=registration) for registration in registrations
        )
        return {r.pk: rng.uniform(0.5, 0.95) for r in registrations}

    def _open(self, round_, name: str) -> Stage:
        stage = Stage.objects.create(
            round=round_,
            order=1,
            code="scenario",
            name="情景模拟",
            kind=Stage.Kind.SCENARIO,
            weight=Decimal("1"),
            aggregate=Stage.Aggregate.TRIMMED,
            trim=1,
            min_judges=5,
        )
        stage.cards.set([self.card])
        Room.objects.create(stage=stage, name="第一考场").judges.set(self.judges)
        setup.run_draw(stage, self.admin, seed=f"scale-{self.gen.seed}-{name}")
        setup.adopt_rubric(stage)
        return setup.open_stage(stage, self.admin)

    def _marks(self, criteria, quality: float, severity: float) -> dict[str, str]:
        values = {}
        for criterion in criteria:
            share = min(1.0, max(0.0, quality + severity + self.rng.gauss(0, 0.05)))
            steps = round(float(criterion.max_points) * share / float(criterion.step))
            values[criterion.code] = judging.plain(criterion.step * steps)
        return values

    def _appearances(self, stage):
        return (
            stage.appearances.select_related("entry")
            .prefetch_related("assignments")
            .order_by("order")
        )

    def _score_everyone(self, stage: Stage, ability) -> int:
        criteria = list(stage.criteria.all())
        severity = {j.pk: self.rng.uniform(-0.06, 0.06) for j in self.judges}
        now = timezone.now()
        sheets = []
        for appearance in self._appearances(stage):
            quality = ability[appearance.entry.registration_id]
            for assignment in sorted(appearance.assignments.all(), key=lambda a: a.judge_id):
                values = self._marks(criteria, quality, severity[assignment.judge_id])
                sheets.append(
                    ScoreSheet(
                        appearance=appearance,
                        judge_id=assignment.judge_id,
                        status=ScoreSheet.Status.SUBMITTED,
                        source=ScoreSheet.Source.ONLINE,
                        values=values,
                        total=sum(Decimal(v) for v in values.values()),
                        submission_id=uuid.UUID(int=self.rng.getrandbits(128)),
                        submitted_at=now,
                        entered_by_id=assignment.judge_id,
                    )
                )
        ScoreSheet.objects.bulk_create(sheets, batch_size=2000)
        ScoreChange.objects.bulk_create(
            (
                ScoreChange(
                    sheet=sheet,
                    kind=ScoreChange.Kind.SUBMITTED,
                    by_id=sheet.judge_id,
                    new_values=sheet.values,
                )
                for sheet in sheets
            ),
            batch_size=2000,
        )
        return len(sheets)

    def _score_some(self, stage: Stage, ability) -> int:
        """The other judges have scored the first half of the final; scale_judge_1 none yet."""
        criteria = list(stage.criteria.all())
        appearances = list(self._appearances(stage))
        made = 0
        for appearance in appearances[: len(appearances) // 2]:
            quality = ability[appearance.entry.registration_id]
            for judge in self.judges[1:]:
                values = self._marks(criteria, quality, 0.0)
                judging.submit_sheet(
                    appearance, judge, values, uuid.UUID(int=self.rng.getrandbits(128))
                )
                made += 1
        return made


# --------------------------------------------------------------------------- entry points


def check_empty() -> None:
    """Refuse a database that already holds workers or the scale city: never mix the two."""
    if WorkerProfile.objects.exists():
        raise ScaleDataError(
            _(
                "The database already holds workers: generate scale data into an empty, migrated database."
            )
        )
    if (
        OrgUnit.objects.filter(code=text.CITY[0]).exists()
        or User.objects.filter(username__startswith="scale_").exists()
    ):
        raise ScaleDataError(_("The database already holds scale data."))


def generate(scale: Scale, seed: int = 2026, *, today: date | None = None, stdout=None) -> dict:
    """Fill an empty, migrated database at `scale`; returns the counts of what was made and
    the seconds per phase (under "timings"). All or nothing: one transaction."""
    started = time.perf_counter()
    counts = Counter()
    reporter = _Reporter(stdout, counts)
    reporter.say(
        f"generate_scale_data: scale={scale.name} seed={seed} database={connection.vendor}"
    )
    with transaction.atomic(), _big_cache():
        check_empty()
        gen = _Generator(scale, seed, today or timezone.localdate(), counts)
        with reporter.phase("tree"):
            gen.tree()
            gen.sections()
        with reporter.phase("people"):
            gen.people()
        with reporter.phase("courses"):
            gen.courses()
        with reporter.phase("cases"):
            gen.cases()
        with reporter.phase("learning"):
            gen.plan()
            gen.learning()
        with reporter.phase("hours"):
            gen.hours()
        with reporter.phase("contest"):
            _Contest(gen).run()
    seconds = round(time.perf_counter() - started, 1)
    reporter.say(f"  total     {seconds:7.1f} s")
    return {**counts, "seconds": seconds, "timings": reporter.timings}


def landmarks() -> dict:
    """What benchmarks and budget tests need, read from the database (keys: module docstring)."""
    city = OrgUnit.objects.get(code=text.CITY[0])
    worker = (
        WorkerProfile.objects.filter(community__path__startswith=city.path)
        .select_related("user", "community")
        .order_by("user__username")
        .first()
    )
    community = worker.community
    plan = TrainingPlan.objects.filter(owner_unit=city, published=True).order_by("pk").first()
    course = plan.items.order_by("sort_order").first().course
    lesson = course.lessons().first()
    case = (
        CasePage.objects.live()
        .filter(unit__path__startswith=city.path, search_text__contains=f" {SEARCH_QUERY} ")
        .order_by("path")
        .first()
    )
    competition = Competition.objects.get(owner_unit=city, title=CONTEST_TITLE)
    first_round = competition.rounds.order_by("order").first()
    result = results.current_result(first_round)
    open_stage = (
        Stage.objects.filter(round__competition=competition, status=Stage.Status.OPEN)
        .order_by("round__order", "order")
        .first()
    )
    admins = ("scale_city_admin", "scale_district_admin")
    return {
        "password": SCALE_PASSWORD,
        "city_code": city.code,
        "district_code": community.code[:-5],
        "street_code": community.code[:-3],
        "community_code": community.code,
        "worker": worker.user.username,
        "judge": "scale_judge_1",
        "chief_judge": "scale_chief_judge",
        "city_admin": "scale_city_admin",
        "district_admin": "scale_district_admin",
        "street_admin": "scale_street_admin",
        "trainer": "scale_trainer",
        "totp_secrets": {username: totp_secret(username) for username in admins},
        "home_url": "/",
        "course_id": course.pk,
        "course_url": course.url,
        "lesson_id": lesson.pk,
        "lesson_url": lesson.url,
        "case_id": case.pk,
        "case_url": case.url,
        "search_query": SEARCH_QUERY,
        "search_url": f"{reverse('case_search')}?q={quote(SEARCH_QUERY)}",
        "plan_id": plan.pk,
        "plan_url": reverse("plan_progress", args=[plan.pk]),
        "competition_id": competition.pk,
        "round_id": first_round.pk,
        "result_id": result.pk,
        "result_url": reverse("competitions:result_detail", args=[result.pk]),
        "open_stage_id": open_stage.pk,
        "judge_stage_url": reverse("competitions:judge_stage", args=[open_stage.pk]),
        "me_url": reverse("me"),
        "dashboard_url": reverse("dashboard"),
    }
