"""Demo contest: 青禾市's skill competition, from nominations to released results.

Sixty workers (twenty per district) are nominated by their district admins within quotas and
approved by the city; the district round has a written test (the exam engine) and a scenario
stage in two rotating rooms, standardised; the top four of each district go on to the city
final, scored by all seven judges with the highest and lowest dropped. Everything goes through
the same services the pages use (draws, judging, results), so the demo is a rehearsal of a real
contest: draws with recorded seeds, recusal, a re-mark, an appeal, certificates.
"""

import random
import uuid
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from competitions import judging, registration, results, setup
from competitions.models import (
    Appeal,
    Competition,
    Registration,
    Room,
    Round,
    RoundResult,
    ScoreSheet,
    Stage,
)
from people.models import OrgUnit, User, WorkerProfile
from training.models import Exam, ExamAttempt, Question

from .demo_scenarios import load_scenarios
from .models import HomePage
from .sections import ensure_section

TITLE = "2026年青禾市社区工作者职业技能大赛"
PER_DISTRICT = 20
JUDGES = ["judge", "judge2", "judge3", "judge4", "judge5", "judge6", "judge7"]
# Two rotating rooms in the district round; the standardisation evens out their severity.
DISTRICT_ROOMS = {"第一考场": JUDGES[0:4], "第二考场": JUDGES[4:7]}
AWARDS = [
    {"name": "一等奖", "share": "0.1"},
    {"name": "二等奖", "share": "0.2"},
    {"name": "三等奖", "share": "0.3"},
]
NOMINATORS = {"QH01": "district_admin", "QH02": "district2_admin", "QH03": "city_admin"}


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message)


def _people(usernames) -> dict[str, User]:
    return {u.username: u for u in User.objects.filter(username__in=usernames)}


def _nominate(competition: Competition, rng: random.Random, people: dict[str, User]) -> None:
    registration.set_status(competition, Competition.Status.REGISTRATION, people["city_admin"])
    for code, admin in NOMINATORS.items():
        district = OrgUnit.objects.get(code=code)
        registration.set_quota(competition, district, PER_DISTRICT, people["city_admin"])
        candidates = list(
            WorkerProfile.objects.filter(community__path__startswith=district.path)
            .select_related("user", "community")
            .order_by("user__username")
        )
        for profile in rng.sample(candidates, PER_DISTRICT):
            nominee = registration.nominate(competition, profile.user, people[admin])
            registration.approve(nominee, people["city_admin"])
    registration.set_status(competition, Competition.Status.RUNNING, people["city_admin"])


def _written_exam(city: OrgUnit) -> Exam:
    exam, created = Exam.objects.get_or_create(
        owner_unit=city,
        title="2026年技能大赛笔试",
        defaults={"mode": Exam.Mode.FIXED, "time_limit_minutes": 60, "max_attempts": 1},
    )
    if created:
        exam.questions.set(Question.objects.filter(owner_unit=city).order_by("pk")[:30])
    return exam


def _sit_exam(stage: Stage, ability: dict[int, float], rng: random.Random) -> None:
    """Each contestant's one attempt at the written test, already marked."""
    now = timezone.now()
    attempts = []
    for entry in setup.entrants(stage).select_related("registration"):
        worker = entry.registration.worker_id
        score = Decimal(str(round(min(100, max(40, 100 * ability[worker] + rng.gauss(0, 6))))))
        started = now - timedelta(days=12, hours=rng.randint(0, 3))
        attempts.append(
            ExamAttempt(
                exam=stage.exam,
                user_id=worker,
                started_at=started,
                deadline=started + timedelta(minutes=60),
                submitted_at=started + timedelta(minutes=rng.randint(35, 58)),
                score=score,
                passed=score >= 60,
            )
        )
    ExamAttempt.objects.bulk_create(attempts)


def _marks(stage: Stage, quality: float, severity: float, rng: random.Random) -> dict[str, str]:
    """One judge's criterion scores: the contestant's quality, the judge's severity, some noise."""
    values = {}
    for criterion in stage.criteria.all():
        share = min(1.0, max(0.0, quality + severity + rng.gauss(0, 0.05)))
        steps = round(float(criterion.max_points) * share / float(criterion.step))
        values[criterion.code] = str(criterion.step * steps)
    return values


def _score(stage: Stage, ability, severity, rng: random.Random) -> None:
    appearances = stage.appearances.select_related("entry__registration").prefetch_related(
        "assignments__judge"
    )
    for appearance in appearances:
        quality = ability[appearance.entry.registration.worker_id]
        for assignment in appearance.assignments.all():
            judge = assignment.judge
            judging.submit_sheet(
                appearance,
                judge,
                _marks(stage, quality, severity[judge.username], rng),
                uuid.UUID(int=rng.getrandbits(128)),
            )


def _run_stage(stage: Stage, people, ability, severity, rng, seed: str) -> None:
    setup.run_draw(stage, people["city_admin"], seed=seed)
    setup.adopt_rubric(stage)
    setup.open_stage(stage, people["city_admin"])
    if stage.kind != Stage.Kind.WRITTEN:
        _score(stage, ability, severity, rng)


def _remark_widest(stage: Stage, people, ability, severity, rng) -> None:
    """The chief judge sends the most disputed contestant back to the panel once."""
    disputed = judging.disagreements(stage)
    if not disputed:
        return
    appearance = disputed[0]
    judging.request_remark(
        appearance, people["chief_judge"], "评委总分相差过大，请复核表现后重新评分。"
    )
    quality = ability[appearance.entry.registration.worker_id]
    moderated = {judge: value / 2 for judge, value in severity.items()}
    for sheet in appearance.sheets.filter(status=ScoreSheet.Status.REOPENED).select_related(
        "judge"
    ):
        judging.submit_sheet(
            appearance,
            sheet.judge,
            _marks(stage, quality, moderated[sheet.judge.username], rng),
            uuid.UUID(int=rng.getrandbits(128)),
        )


def _release(round_: Round, people) -> RoundResult:
    for stage in round_.stages.order_by("order"):
        judging.close_stage(stage, people["chief_judge"])
        judging.decode_stage(stage, people["chief_judge"])
    return results.publish(round_, people["city_admin"])


def _appeal_and_finalise(result: RoundResult, people) -> None:
    """One contestant outside the prizes appeals; the chief judge checks the sheets and rejects."""
    row = result.ranking[len(result.ranking) // 2]
    appellant = result.round.competition.registrations.get(pk=row["registration"]).worker
    appeal = results.file_appeal(
        result,
        appellant,
        "本人在情景模拟环节中已按要求提出后续回访安排，但部分评委在“解决方案可行性”一项给分偏低，申请复核。",
    )
    results.decide_appeal(
        appeal,
        people["chief_judge"],
        upheld=False,
        decision="经调阅评分记录并听取评委说明，各评委评分均在评分细则范围内，维持原成绩。",
    )
    # The demo does not wait out the appeal window.
    RoundResult.objects.filter(pk=result.pk).update(
        appeal_deadline=timezone.now() - timedelta(minutes=1)
    )
    results.finalise(result.round, people["city_admin"])


def load_competition_demo(stdout=None) -> Competition:
    existing = Competition.objects.filter(title=TITLE).first()
    if existing is not None:
        return existing
    rng = random.Random(2026)
    people = _people([*JUDGES, "chief_judge", "city_admin", *NOMINATORS.values()])
    city = OrgUnit.objects.get(code="QH")
    cards = load_scenarios(ensure_section(city, HomePage.objects.get()))

    competition = Competition.objects.create(
        title=TITLE,
        year=2026,
        owner_unit=city,
        description="以情景模拟为主、笔试为辅，检验社区工作者调解矛盾、宣传政策、组织居民的实战能力。",
        chief_judge=people["chief_judge"],
        created_by=people["city_admin"],
    )
    competition.arbiters.add(people["judge"], people["judge2"])
    district_round = Round.objects.create(
        competition=competition,
        order=1,
        name="区级复赛",
        group_level="district",
        advance_top_n=4,
        tie_breakers=["scenario"],
        hours=Decimal("4"),
    )
    final = Round.objects.create(
        competition=competition,
        order=2,
        name="市级决赛",
        group_level="city",
        tie_breakers=["scenario"],
        awards=AWARDS,
        hours=Decimal("4"),
    )
    written = Stage.objects.create(
        round=district_round,
        order=1,
        code="written",
        name="笔试",
        kind=Stage.Kind.WRITTEN,
        weight=Decimal("0.3"),
        aggregate=Stage.Aggregate.MEAN,
        exam=_written_exam(city),
    )
    heat = Stage.objects.create(
        round=district_round,
        order=2,
        code="scenario",
        name="情景模拟",
        kind=Stage.Kind.SCENARIO,
        weight=Decimal("0.7"),
        aggregate=Stage.Aggregate.MEAN,
        standardise=True,
    )
    heat.cards.set(cards)
    for name, judges in DISTRICT_ROOMS.items():
        Room.objects.create(stage=heat, name=name).judges.set([people[j] for j in judges])
    final_stage = Stage.objects.create(
        round=final,
        order=1,
        code="scenario",
        name="情景模拟",
        kind=Stage.Kind.SCENARIO,
        weight=Decimal("1"),
        aggregate=Stage.Aggregate.TRIMMED,
        trim=1,
        min_judges=5,
        spread_threshold=Decimal("12"),
    )
    final_stage.cards.set(cards)
    Room.objects.create(stage=final_stage, name="决赛考场").judges.set([people[j] for j in JUDGES])

    _nominate(competition, rng, people)
    workers = Registration.objects.filter(competition=competition).values_list(
        "worker_id", flat=True
    )
    ability = {w: rng.uniform(0.55, 0.92) for w in workers}
    severity = {j: rng.uniform(-0.08, 0.06) for j in JUDGES}

    _run_stage(written, people, ability, severity, rng, seed="qinghe-2026-district-written")
    _sit_exam(written, ability, rng)
    _run_stage(heat, people, ability, severity, rng, seed="qinghe-2026-district-scenario")
    _appeal_and_finalise(_release(district_round, people), people)
    _say(stdout, f"  {TITLE}：区级复赛 {heat.appearances.count()} 人，已公布并定稿")

    _run_stage(final_stage, people, ability, severity, rng, seed="qinghe-2026-city-final")
    _remark_widest(final_stage, people, ability, severity, rng)
    result = _release(final, people)
    RoundResult.objects.filter(pk=result.pk).update(
        appeal_deadline=timezone.now() - timedelta(minutes=1)
    )
    results.finalise(final, people["city_admin"])
    _say(
        stdout,
        f"  {TITLE}：市级决赛 {final_stage.appearances.count()} 人，"
        f"申诉 {Appeal.objects.filter(result__round__competition=competition).count()} 件，结果已发布",
    )
    return competition
