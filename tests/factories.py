"""Small builders for tests: a tree, people with roles, sections. Each call makes new rows."""

import itertools
from contextlib import contextmanager

from django.db import transaction

from cms.models import HomePage
from cms.sections import ensure_section
from people.models import OrgUnit, Role, User, WorkerProfile

PASSWORD = "Zhuangma-test-2026"
_seq = itertools.count(1)


def next_phone() -> str:
    return f"139{next(_seq):08d}"


def make_user(real_name="测试用户", *, phone=None, username=None, password=PASSWORD, **extra):
    n = next(_seq)
    return User.objects.create_user(
        username=username or f"user{n}",
        password=password,
        real_name=real_name,
        phone=phone or next_phone(),
        **extra,
    )


def make_tree(prefix="T"):
    """city → 2 districts → 2 streets each → 2 communities each; returns a dict by code."""
    units = {}
    city = OrgUnit.add_root(code=f"{prefix}", name=f"{prefix}市", level="city")
    units[city.code] = city
    for d in (1, 2):
        district = city.add_child(code=f"{prefix}D{d}", name=f"{prefix}第{d}区", level="district")
        units[district.code] = district
        for s in (1, 2):
            street = district.add_child(
                code=f"{prefix}D{d}S{s}", name=f"{prefix}{d}区{s}街道", level="street"
            )
            units[street.code] = street
            for c in (1, 2):
                community = street.add_child(
                    code=f"{prefix}D{d}S{s}C{c}", name=f"{prefix}{d}-{s}-{c}社区", level="community"
                )
                units[community.code] = community
    return {code: OrgUnit.objects.get(pk=u.pk) for code, u in units.items()}


def give_role(user, unit, kind):
    return Role.objects.create(user=user, unit=unit, kind=kind)


def make_admin(unit, **kwargs):
    user = make_user(f"{unit.name}管理员", **kwargs)
    give_role(user, unit, Role.Kind.ADMIN)
    return user


def make_worker(community, *, position="full_time", **kwargs):
    user = make_user(kwargs.pop("real_name", "张晓梅"), **kwargs)
    WorkerProfile.objects.create(user=user, community=community, position=position)
    return user


def make_sections(units):
    """A section page for every publishing unit in `units`, mirroring the tree."""
    home = HomePage.objects.get()
    return {
        code: ensure_section(unit, home)
        for code, unit in units.items()
        if unit.level in ("city", "district", "street")
    }


def in_english(user):
    """The Wagtail admin speaks each user's chosen language: English, to assert messages."""
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"
    profile.save()
    return user


def activate_totp(user) -> str:
    """Give `user` an authenticator app, as required of city and district admins. Returns the secret."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def ensure_totp(user) -> None:
    """An authenticator for `user` unless they have one (tests that log in with force_login)."""
    from allauth.mfa.utils import is_mfa_enabled

    if not is_mfa_enabled(user):
        activate_totp(user)


def make_course(
    section,
    title="社区治理实务",
    *,
    hours="4",
    lessons=2,
    video_seconds=None,
    exam=None,
    publish=True,
):
    """A course under `section` with `lessons` text lessons (the first with a video if asked)."""
    from training.models import CoursePage, LessonPage

    course = CoursePage(title=title, hours=hours, exam=exam)
    section.add_child(instance=course)
    for n in range(1, lessons + 1):
        body = [("text", f"<p>{title} 第{n}课内容</p>")]
        if video_seconds and n == 1:
            body.insert(
                0,
                (
                    "video",
                    {"video": make_document(), "duration_seconds": video_seconds, "caption": ""},
                ),
            )
        lesson = LessonPage(title=f"{title} 第{n}课", body=body)
        course.add_child(instance=lesson)
        if publish:
            lesson.save_revision().publish()
    if publish:
        course.save_revision().publish()
    return CoursePage.objects.get(pk=course.pk)


def make_document(title="课程视频"):
    from django.core.files.base import ContentFile
    from wagtail.documents.models import Document

    document = Document(title=title)
    document.file.save("lesson.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42"), save=True)
    return document


def make_plan(
    owner_unit,
    courses,
    *,
    required=True,
    audience="everyone",
    deadline=None,
    published=True,
    title=None,
):
    from datetime import date

    from training.models import PlanItem, TrainingPlan

    plan = TrainingPlan.objects.create(
        owner_unit=owner_unit,
        title=title or f"{owner_unit.name}培训计划",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        audience=audience,
        published=published,
    )
    for course in courses:
        PlanItem.objects.create(plan=plan, course=course, required=required, deadline=deadline)
    return plan


# --- Competitions ---------------------------------------------------------------------------

SCENARIO_RUBRIC = [
    # (code, title, max, step)
    ("listen", "倾听与共情", "10", "0.5"),
    ("policy", "政策把握", "10", "0.5"),
    ("solve", "解决方案", "20", "1"),
]


def rubric_stream(criteria=SCENARIO_RUBRIC):
    """A ScenarioPage.rubric value: one criterion block per (code, title, max, step)."""
    return [
        (
            "criterion",
            {
                "code": code,
                "title": title,
                "max_points": max_points,
                "step": step,
                "bands": [
                    {"low": "0", "high": max_points, "descriptor": f"{title}：按表现给分"},
                ],
            },
        )
        for code, title, max_points, step in criteria
    ]


def make_scenario(section, title="邻里噪音纠纷调解", *, criteria=SCENARIO_RUBRIC, public=False):
    from competitions.models import ScenarioPage

    page = ScenarioPage(
        title=title,
        brief="<p>楼上住户深夜装修，楼下老人多次投诉无果，双方在社区办公室争执。</p>",
        task="请在8分钟内调解双方矛盾并提出后续安排。",
        rubric=rubric_stream(criteria),
        public=public,
    )
    section.add_child(instance=page)
    page.save_revision().publish()
    return page


def make_competition(owner_unit, *, title="青禾杯社区工作者技能大赛", chief_judge=None, **extra):
    from competitions.models import Competition, Round

    competition = Competition.objects.create(
        title=title, year=2026, owner_unit=owner_unit, chief_judge=chief_judge, **extra
    )
    if chief_judge is not None:
        ensure_totp(chief_judge)  # chief judges of unfinished contests must use two factors
    Round.objects.create(competition=competition, order=1, name="决赛", group_level="city")
    return competition


def make_stage(
    round_, *, code="scenario", name="情景模拟", weight="1", criteria=SCENARIO_RUBRIC, **extra
):
    """A stage with its criteria already copied in (as opening a stage does)."""
    from competitions.models import Stage, StageCriterion

    stage = Stage.objects.create(
        round=round_,
        order=round_.stages.count() + 1,
        code=code,
        name=name,
        kind=extra.pop("kind", Stage.Kind.SCENARIO),
        weight=weight,
        **extra,
    )
    for order, (ccode, title, max_points, step) in enumerate(criteria, 1):
        StageCriterion.objects.create(
            stage=stage, order=order, code=ccode, title=title, max_points=max_points, step=step
        )
    return stage


def make_entry(competition, worker, round_=None):
    """An approved registration entered in the round (the first round by default)."""
    from competitions.models import Registration, RoundEntry

    registration = Registration.objects.create(
        competition=competition,
        worker=worker,
        unit=worker.worker_profile.community,
        status=Registration.Status.APPROVED,
    )
    return RoundEntry.objects.create(
        round=round_ or competition.rounds.order_by("order").first(), registration=registration
    )


def make_appearance(stage, entry, *, code=None, room=None, judges=()):
    """An appearance in `room` (made if missing) scored by `judges`, as a draw would leave it."""
    from competitions.models import Appearance, Assignment, Room

    if room is None:
        room, _ = Room.objects.get_or_create(stage=stage, name="第一考场")
    room.judges.add(*judges)
    order = stage.appearances.count() + 1
    appearance = Appearance.objects.create(
        stage=stage, entry=entry, blind_code=code or f"A{order:03d}", order=order, room=room
    )
    Assignment.objects.bulk_create([Assignment(appearance=appearance, judge=j) for j in judges])
    return appearance


def data_events():
    """Audit entries about personal data and records (unmask, export, import, transfer,
    correct), without the logins and role grants that building a test's world writes."""
    from people.models import AuditEvent

    Action = AuditEvent.Action
    kinds = [Action.UNMASK, Action.EXPORT, Action.IMPORT, Action.TRANSFER, Action.CORRECT]
    return AuditEvent.objects.filter(action__in=kinds)


def make_training_base(unit, **extra):
    from training.models import TrainingBase

    values = {
        "name": "东关实训基地",
        "address": "东关大街1号",
        "capacity": 30,
        "contact_name": "王主任",
        "contact_phone": "0971-8123456",
        **extra,
    }
    return TrainingBase.objects.create(unit=unit, **values)


def make_training_session(unit, trainer, *, starts_at, minutes=120, base=None, **extra):
    """An offline session at `base`, or at a new training base of `unit`."""
    from datetime import timedelta
    from decimal import Decimal

    from training.models import TrainingSession

    values = {
        "title": "社区议事协商实训",
        "capacity": 10,
        "hours": Decimal("2"),
        "min_presence_share": Decimal("0.8"),
        **extra,
    }
    return TrainingSession.objects.create(
        base=base or make_training_base(unit),
        trainer=trainer,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        **values,
    )


@contextmanager
def kept_for_the_module(django_db_blocker):
    """For a module-scoped fixture: what is made inside stays for the module's tests and is
    rolled back after them (loading the demo takes seconds, too long to repeat per test)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)
