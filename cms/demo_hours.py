"""Demo learning hours: the city's yearly requirement, two training bases, past sessions with
attendance (some left early and earned nothing), upcoming ones with a waiting list, and outside
training declared, approved and waiting — so some workers are ahead of their hours and many
behind, as in a real October.
"""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from people.models import OrgUnit, User, WorkerProfile
from training import hours, sessions
from training.models import (
    Attendance,
    CoursePage,
    ExternalTraining,
    HoursCategory,
    HoursRequirement,
    SessionSignup,
    TrainingBase,
    TrainingSession,
)

YEAR = 2026
# (position or "" for everyone, hours, minimum offline share)
REQUIREMENTS = [("", "20", "0.2"), ("secretary", "24", "0.2")]
BASES = [
    (
        "QH01",
        "东湖区社区治理实训基地",
        "东湖区和平街道幸福路88号党群服务中心三楼",
        60,
        "钱丽华",
        "0571-86001234",
    ),
    ("QH03", "南川县乡村治理实训基地", "南川县城关镇文庙街12号", 40, "覃志勇", "13907770101"),
]
# (base index, title, month, day, hours, districts whose workers come)
PAST_SESSIONS = [
    (0, "社区工作者心理调适与压力管理", 3, 15, "6", ("QH01",)),
    (1, "村（居）务公开与议事规则", 7, 10, "6", ("QH03",)),
    (0, "矛盾纠纷调解实务工作坊", 4, 12, "6", ("QH01",)),
    (0, "电动自行车安全治理现场教学", 6, 20, "4", ("QH01", "QH02")),
    (0, "老旧小区加装电梯协商议事实训", 9, 18, "4", ("QH01", "QH02")),
    (1, "业主委员会选举指导实训", 5, 9, "6", ("QH03", "QH02")),
    (1, "网格员入户走访情景演练", 10, 24, "4", ("QH03",)),
]
# (base index, title, days from now, hours, places, sign-ups)
UPCOMING_SESSIONS = [
    (0, "居民议事会主持技巧", 8, "4", 30, 34),
    (1, "社区应急处置桌面推演", 15, "4", 40, 12),
]
EXTERNAL = [
    ("社会工作者职业水平考试考前辅导", "青禾市社会工作协会", 8, ExternalTraining.Status.APPROVED),
    ("基层党组织书记轮训班", "中共青禾市委党校", 12, ExternalTraining.Status.APPROVED),
    ("心理援助热线志愿者培训", "青禾市精神卫生中心", 6, ExternalTraining.Status.PENDING),
    ("社区养老服务专题研修", "省民政厅培训中心", 10, ExternalTraining.Status.REJECTED),
]
# The smallest valid PDF: the proof of a demo declaration.
PROOF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message)


def _moment(day, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _workers_of(codes) -> list[User]:
    units = OrgUnit.objects.filter(code__in=codes)
    profiles = WorkerProfile.objects.none()
    for unit in units:
        profiles |= WorkerProfile.objects.filter(community__path__startswith=unit.path)
    return [p.user for p in profiles.select_related("user").order_by("user__username")]


def _requirements(city: OrgUnit) -> None:
    for position, required, share in REQUIREMENTS:
        HoursRequirement.objects.get_or_create(
            owner_unit=city,
            year=YEAR,
            position=position,
            defaults={"hours": Decimal(required), "min_offline_share": Decimal(share)},
        )


def _bases() -> list[TrainingBase]:
    bases = []
    for code, name, address, capacity, contact, phone in BASES:
        base, _ = TrainingBase.objects.get_or_create(
            name=name,
            defaults={
                "unit": OrgUnit.objects.get(code=code),
                "address": address,
                "capacity": capacity,
                "contact_name": contact,
                "contact_phone": phone,
            },
        )
        bases.append(base)
    return bases


def _past_session(base, title, day, hours_, districts, trainer, rng) -> int:
    """A session that took place: most stayed to the end, some left early, some never came."""
    session = TrainingSession.objects.create(
        base=base,
        title=title,
        trainer=trainer,
        starts_at=_moment(day, 9),
        ends_at=_moment(day, 9) + timedelta(hours=int(Decimal(hours_))),
        place="多功能教室",
        capacity=base.capacity,
        hours=Decimal(hours_),
        course=CoursePage.objects.live().order_by("pk").first(),
    )
    people = rng.sample(_workers_of(districts), min(base.capacity - 5, 45))
    credited = 0
    for person in people:
        SessionSignup.objects.create(
            session=session,
            user=person,
            status=SessionSignup.Status.CONFIRMED,
            signed_up_at=session.starts_at - timedelta(days=rng.randint(3, 14)),
        )
        fate = rng.random()
        if fate < 0.08:
            continue  # signed up, never came
        arrived = session.starts_at - timedelta(minutes=rng.randint(0, 15))
        left_early = fate < 0.18
        length = session.ends_at - session.starts_at
        left = session.starts_at + (length * 0.5 if left_early else length)
        attendance = Attendance.objects.create(
            session=session, user=person, checked_in_at=arrived, checked_out_at=left
        )
        if not left_early:
            hours.credit(
                person,
                session.hours,
                day,
                HoursCategory.OFFLINE,
                source=f"attendance:{attendance.pk}",
                tier=session.course.tier if session.course else "",
                course=session.course,
                note=session.title,
            )
            credited += 1
    return credited


def _upcoming_session(base, title, days, hours_, places, wanted, trainer, rng) -> None:
    day = timezone.localdate() + timedelta(days=days)
    session = TrainingSession.objects.create(
        base=base,
        title=title,
        trainer=trainer,
        starts_at=_moment(day, 14),
        ends_at=_moment(day, 14) + timedelta(hours=int(Decimal(hours_))),
        place="实训教室",
        capacity=places,
        hours=Decimal(hours_),
    )
    for person in rng.sample(_workers_of([base.unit.code]), wanted):
        sessions.sign_up(session, person)


def _external(workers, street_admins, rng) -> None:
    for n, (title, organiser, amount, status) in enumerate(EXTERNAL):
        for person in rng.sample(workers, 3):
            end = timezone.localdate() - timedelta(days=rng.randint(20, 200))
            declaration = ExternalTraining(
                user=person,
                title=title,
                organiser=organiser,
                start_date=end - timedelta(days=2),
                end_date=end,
                hours=Decimal(amount),
            )
            declaration.proof.save(
                f"demo-proof-{n}-{person.pk}.pdf", ContentFile(PROOF), save=False
            )
            declaration.save()
            if status == ExternalTraining.Status.PENDING:
                continue
            declaration.status = status
            declaration.decided_by = street_admins.get(
                person.worker_profile.community.get_parent().pk
            )
            declaration.decided_at = timezone.now() - timedelta(days=3)
            if status == ExternalTraining.Status.REJECTED:
                declaration.reason = "结业证明未加盖培训机构公章，请补充后重新申报。"
            declaration.save()
            if status == ExternalTraining.Status.APPROVED:
                hours.credit(
                    person,
                    declaration.hours,
                    declaration.end_date,
                    HoursCategory.EXTERNAL,
                    source=f"external:{declaration.pk}",
                    note=title,
                    by=declaration.decided_by,
                )


def load_hours_demo(stdout=None) -> dict:
    city = OrgUnit.objects.get(code="QH")
    _requirements(city)
    if TrainingSession.objects.exists():
        return {"sessions": TrainingSession.objects.count()}
    rng = random.Random(2027)
    bases = _bases()
    trainers = {u.username: u for u in User.objects.filter(username__in=["trainer", "trainer_nc"])}
    credited = 0
    for base_index, title, month, day, hours_, districts in PAST_SESSIONS:
        trainer = trainers["trainer" if base_index == 0 else "trainer_nc"]
        credited += _past_session(
            bases[base_index],
            title,
            datetime(YEAR, month, day).date(),
            hours_,
            districts,
            trainer,
            rng,
        )
    for base_index, title, days, hours_, places, wanted in UPCOMING_SESSIONS:
        trainer = trainers["trainer" if base_index == 0 else "trainer_nc"]
        _upcoming_session(bases[base_index], title, days, hours_, places, wanted, trainer, rng)
    street_admins = {
        role_unit: user
        for user in User.objects.filter(username="street_admin")
        for role_unit in user.roles.values_list("unit_id", flat=True)
    }
    _external(_workers_of(["QH0101"]), street_admins, rng)
    summary = {
        "bases": len(bases),
        "sessions": TrainingSession.objects.count(),
        "credited": credited,
        "external": ExternalTraining.objects.count(),
    }
    _say(stdout, f"  学时：{summary}")
    return summary
