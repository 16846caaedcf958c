"""The permission-matrix world: one org tree, one user per kind of actor, and for every
object-bearing URL an object inside scope A (district 1) and one outside it (district 2).

`build_world()` makes it (about a second); tests/db/test_permission_matrix.py holds the table of
expected statuses. tests/url_inventory.concrete_urls(world) builds a URL for every pattern from
`world.inside` or `world.outside`.

Scope A is street WD1S1 of district WD1 (objects owned by units sit at that street, so street,
district and city admins all hold them); the worker lives in its community WD1S1C1. Outside is
the same shape in district WD2, with its own worker, trainer, judge and chief judge.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.core.files.base import ContentFile
from django.utils import timezone

from people.models import OrgUnit, Role
from tests.factories import (
    activate_totp,
    give_role,
    make_admin,
    make_appearance,
    make_competition,
    make_course,
    make_document,
    make_entry,
    make_plan,
    make_sections,
    make_stage,
    make_tree,
    make_user,
    make_worker,
)

# The actors of the matrix, in the order the tests report them.
ACTORS = (
    "anon",
    "worker",
    "trainer",
    "judge",
    "chief",
    "street",
    "district",
    "city",
    "auditor",
    "security",
)


def _side(units, sections, street_code, *, worker, trainer, judge, chief, creator, category, n):
    """Every object-bearing thing once, owned by `street_code` and its first community."""
    from cms.models import Booklet, CasePage
    from cms.models.api import ApiClient
    from competitions.models import (
        Appeal,
        Competition,
        Conflict,
        Quota,
        Round,
        RoundResult,
        Stage,
    )
    from people.models import RosterImport
    from training.models import (
        Certificate,
        Exam,
        ExamAttempt,
        ExternalTraining,
        HoursEntry,
        Question,
        TrainingBase,
        TrainingSession,
    )

    street = units[street_code]
    section = sections[street_code]
    now = timezone.now()
    question = Question.objects.create(
        owner_unit=street,
        kind=Question.Kind.TRUE_FALSE,
        text=f"社区议事会由居民推选产生 {n}",
        options=["对", "错"],
        answer=[0],
        category="基础",
    )
    exam = Exam.objects.create(owner_unit=street, title=f"结业考试 {n}")
    exam.questions.add(question)
    course = make_course(section, f"社区治理实务 {n}", exam=exam)
    lesson = course.lessons().first()
    plan = make_plan(street, [course], title=f"培训计划 {n}")
    attempt = ExamAttempt.objects.create(
        exam=exam,
        user=worker,
        started_at=now,
        deadline=now + timedelta(minutes=30),
        paper=[{"question": question.pk, "order": [0, 1]}],
    )
    base = TrainingBase.objects.create(
        unit=street,
        name=f"实训基地 {n}",
        address="东关大街1号",
        capacity=30,
        contact_name="王主任",
        contact_phone="0971-8123456",
    )
    session = TrainingSession.objects.create(
        base=base,
        course=course,
        trainer=trainer,
        title=f"矛盾纠纷调解实训 {n}",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(minutes=95),
        capacity=5,
        hours=Decimal("3"),
        created_by=trainer,
    )
    external = ExternalTraining(
        user=worker,
        title="外部培训",
        organiser="省委党校",
        start_date=date(2026, 3, 1),
        end_date=date(2026, 3, 2),
        hours=Decimal("8"),
    )
    external.proof.save("proof.pdf", ContentFile(b"%PDF-1.4 proof"), save=True)
    hour_entry = HoursEntry.objects.create(
        user=worker, hours=Decimal("2"), earned_on=date(2026, 3, 3), note="线下培训"
    )
    certificate = Certificate.objects.create(
        code=f"PM{n}CERT{n:04d}",
        kind=Certificate.Kind.COURSE,
        holder=worker,
        title=course.title,
        achievement="完成全部课程",
        issuer=street,
        issued_on=date(2026, 3, 4),
        source=f"matrix:{n}",
    )

    competition = make_competition(
        street, title=f"技能大赛 {n}", chief_judge=chief, status=Competition.Status.RUNNING
    )
    round_ = competition.rounds.get()
    round_.status = Round.Status.NOTICE
    round_.save(update_fields=["status"])
    stage = make_stage(round_, status=Stage.Status.OPEN)
    entry = make_entry(competition, worker)
    appearance = make_appearance(stage, entry, judges=[judge])
    room = appearance.room
    registration = entry.registration
    conflict = Conflict.objects.create(
        competition=competition, judge=judge, worker=creator, reason="同事", declared_by=chief
    )
    quota = Quota.objects.create(competition=competition, unit=street, seats=3)
    result = RoundResult.objects.create(
        round=round_,
        version=1,
        published_at=now,
        published_by=chief,
        appeal_deadline=now + timedelta(days=3),
        ranking=[],
        scores_csv="",
        rules_json="{}",
        ranking_csv="",
        sha256="0" * 64,
    )
    # The worker is ranked, so the result page offers them an appeal (one is already waiting).
    result.ranking = [
        {
            "rank": 1,
            "registration": registration.pk,
            "contestant": str(registration.pk),
            "name": worker.real_name,
            "unit": registration.unit.name,
            "street": street.name,
            "district": street.get_parent().name,
            "stages": {stage.code: "30.00"},
            "total": "30.00",
            "award": "",
        }
    ]
    result.save(update_fields=["ranking"])
    appeal = Appeal.objects.create(result=result, registration=registration, text="请复核评分。")

    case = CasePage(
        title=f"停车难治理 {n}", summary="议事会摸清需求。", category=category, year=2025
    )
    section.add_child(instance=case)
    case.save_revision().publish()
    case = CasePage.objects.get(pk=case.pk)
    booklet = Booklet.objects.create(
        title=f"案例汇编 {n}", created_by=trainer, case_order=[case.pk]
    )
    booklet.cases.add(case)
    api_client = ApiClient.objects.create(
        name=f"数据中台 {n}", unit=street, token_hash=f"{n:064d}", token_hint="abcd"
    )
    roster_import = RosterImport.objects.create(
        created_by=creator, unit=street, filename="名册.xlsx", status=RosterImport.Status.REJECTED
    )
    return SimpleNamespace(
        unit=street,
        section=section,
        worker=worker,
        question=question,
        exam=exam,
        course=course,
        lesson=lesson,
        plan=plan,
        attempt=attempt,
        base=base,
        session=session,
        external=external,
        hour_entry=hour_entry,
        certificate=certificate,
        competition=competition,
        round=round_,
        stage=stage,
        room=room,
        appearance=appearance,
        registration=registration,
        conflict=conflict,
        quota=quota,
        result=result,
        appeal=appeal,
        case=case,
        case_category=category,
        booklet=booklet,
        api_client=api_client,
        roster_import=roster_import,
        role=trainer.roles.get(),
        document=make_document(f"附件 {n}"),
    )


def _role_user(name, unit, kind):
    user = make_user(name)
    give_role(user, unit, kind)
    return user


def build_world(prefix="W") -> SimpleNamespace:
    """The tree, the actors (world.users[actor], None for anonymous) and both sides' objects."""
    from cms.models import CaseCategory

    units = make_tree(prefix)
    sections = make_sections(units)
    a, b = f"{prefix}D1S1", f"{prefix}D2S1"
    users = {
        "anon": None,
        "worker": make_worker(units[f"{a}C1"], real_name="张晓梅"),
        "trainer": _role_user("李讲师", units[a], Role.Kind.TRAINER),
        "judge": _role_user("王评委", units[a], Role.Kind.JUDGE),
        "chief": _role_user("孙裁判长", units[a], Role.Kind.JUDGE),
        "street": make_admin(units[a]),
        "district": make_admin(units[f"{prefix}D1"]),
        "city": make_admin(units[prefix]),
        "auditor": _duty_holder("审计管理员", "AUDIT"),
        "security": _duty_holder("安全管理员", "SECURITY"),
    }
    for actor in ("chief", "district", "city", "auditor", "security"):
        if users[actor] is not None:
            activate_totp(users[actor])
    category = CaseCategory.objects.create(name="停车管理", slug="parking", sort_order=1)
    inside = _side(
        units,
        sections,
        a,
        worker=users["worker"],
        trainer=users["trainer"],
        judge=users["judge"],
        chief=users["chief"],
        creator=users["street"],
        category=category,
        n=1,
    )
    outside = _side(
        units,
        sections,
        b,
        worker=make_worker(units[f"{b}C1"], real_name="赵敏"),
        trainer=_role_user("周讲师", units[b], Role.Kind.TRAINER),
        judge=_role_user("吴评委", units[b], Role.Kind.JUDGE),
        chief=_role_user("郑裁判长", units[b], Role.Kind.JUDGE),
        creator=make_admin(units[b]),
        category=category,
        n=2,
    )
    # Hours requirements belong to cities: the outside one to a second city.
    other_city = OrgUnit.add_root(code=f"{prefix}X", name=f"{prefix}X市", level="city")
    inside.requirement = _requirement(units[prefix])
    outside.requirement = _requirement(other_city)
    return SimpleNamespace(
        units=units, sections=sections, users=users, inside=inside, outside=outside
    )


def _requirement(city):
    from training.models import HoursRequirement

    return HoursRequirement.objects.create(owner_unit=city, year=2026, hours=Decimal("40"))


def _duty_holder(name, duty):
    """An administrator of one duty (三员分立): audit or security."""
    from people import duties

    user = make_user(name)
    duties.grant(user, getattr(duties, duty))
    return user


# --- The matrix ------------------------------------------------------------------------------
# key: "METHOD actor=status ...". A status is the HTTP code, "login" for a redirect to the login
# page, "302" for any other redirect (Wagtail's "permission denied" sends admins to /admin/;
# a successful POST goes back to its page). "a/b" is a/inside scope A, b/outside; one value is
# both. POST rows are POST-only views: their GET must answer 405, and the status is the POST's
# (sent without a CSRF token, with an empty body unless the test gives one).

MATRIX: dict[str, str] = {
    # Third-party doors. Wagtail answers a logged-in user without the right permission with a
    # redirect to /admin/ (302); django-admin is for superusers only (302 to its login).
    "admin/login/": "GET anon=login worker=login trainer=login judge=login chief=login street=login district=login city=login auditor=login security=login",
    "django-admin/login/": "GET anon=login worker=login trainer=login judge=login chief=login street=login district=login city=login auditor=login security=login",
    "admin:index": "GET anon=302 worker=302 trainer=302 judge=302 chief=302 street=302 district=302 city=302 auditor=302 security=302",
    "admin:people_user_changelist": "GET anon=302 worker=302 trainer=302 judge=302 chief=302 street=302 district=302 city=302 auditor=302 security=302",
    # The audit log (people.audit_views): the audit administrator only (三员分立).
    "audit_log": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=200 security=302",
    "audit_log_results": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=200 security=302",
    "audit_log_export": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=200 security=302",
    # Roles and lock-outs (people.role_admin, people.wagtail_users): the security administrator
    # only; a role is granted or revoked, never edited.
    "lift_lockout": "POST anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    "reset_two_factor": "POST anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    "roles:index": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=200",
    "roles:index_results": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=200",
    "roles:add": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=200",
    "roles:edit": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    "roles:delete": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=200",
    "roles:inspect": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=200",
    "roles:history": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=200",
    "roles:history_results": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=200",
    "roles:usage": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    # Wagtail admin: trainers and admins (and the audit administrator, who has admin access)
    # enter; workers, judges and chief judges hold no admin access and are sent to log in.
    "wagtailadmin_home": "GET anon=login worker=login trainer=200 judge=login chief=login street=200 district=200 city=200 auditor=200 security=200",
    "wagtailadmin_explore_root": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    "wagtailadmin_pages:edit": "GET anon=login worker=login trainer=200/302 judge=login chief=login street=200/302 district=200/302 city=200 auditor=302 security=302",
    "wagtailadmin_pages:add_subpage": "GET anon=login worker=login trainer=200/302 judge=login chief=login street=200/302 district=200/302 city=200 auditor=302 security=302",
    "exam_question_import": "GET anon=login worker=login trainer=200 judge=login chief=login street=200 district=200 city=200 auditor=302 security=302",
    "wagtailsnippets_cms_casecategory:list": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    "wagtailsnippets_cms_casecategory:list_results": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    "wagtailsnippets_cms_casecategory:add": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    "wagtailsnippets_cms_casecategory:edit": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    "wagtailsnippets_cms_casecategory:delete": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    "wagtailsnippets_cms_casecategory:usage": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    "wagtailsnippets_cms_casecategory:history": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    "wagtailsnippets_cms_casecategory:history_results": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    "wagtailsnippets_cms_casecategory:copy": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    # Choosers list only what is in the chooser's scope (an empty list for the auditor); case
    # categories are a shared taxonomy, not scoped.
    "wagtailsnippetchoosers_cms_casecategory:choose": "GET anon=login worker=login trainer=200 judge=login chief=login street=200 district=200 city=200 auditor=200 security=200",
    "wagtailsnippetchoosers_cms_casecategory:choose_results": "GET anon=login worker=login trainer=200 judge=login chief=login street=200 district=200 city=200 auditor=200 security=200",
    "wagtailsnippetchoosers_cms_casecategory:chosen": "GET anon=login worker=login trainer=200 judge=login chief=login street=200 district=200 city=200 auditor=200 security=200",
    "wagtailsnippetchoosers_cms_casecategory:chosen_multiple": "GET anon=login worker=login trainer=200 judge=login chief=login street=200 district=200 city=200 auditor=200 security=200",
    "wagtailsnippetchoosers_cms_casecategory:create": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    "wagtailsnippets_training_trainingplan:list": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    "wagtailsnippets_training_trainingplan:list_results": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    "wagtailsnippets_training_trainingplan:add": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    "wagtailsnippets_training_trainingplan:edit": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    "wagtailsnippets_training_trainingplan:delete": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    "wagtailsnippets_training_trainingplan:usage": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    "wagtailsnippets_training_trainingplan:history": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    "wagtailsnippets_training_trainingplan:history_results": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    "wagtailsnippets_training_trainingplan:copy": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    "wagtailsnippetchoosers_training_trainingplan:choose": "GET anon=login worker=login trainer=200 judge=login chief=login street=200 district=200 city=200 auditor=200 security=200",
    "wagtailsnippetchoosers_training_trainingplan:choose_results": "GET anon=login worker=login trainer=200 judge=login chief=login street=200 district=200 city=200 auditor=200 security=200",
    "wagtailsnippetchoosers_training_trainingplan:chosen": "GET anon=login worker=login trainer=200/404 judge=login chief=login street=200/404 district=200/404 city=200 auditor=404 security=404",
    "wagtailsnippetchoosers_training_trainingplan:chosen_multiple": "GET anon=login worker=login trainer=200 judge=login chief=login street=200 district=200 city=200 auditor=200 security=200",
    "wagtailsnippetchoosers_training_trainingplan:create": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=302",
    "wagtailsnippets_training_question:list": "GET anon=login worker=login trainer=200 judge=login chief=login street=200 district=200 city=200 auditor=302 security=302",
    "wagtailsnippets_training_question:list_results": "GET anon=login worker=login trainer=200 judge=login chief=login street=200 district=200 city=200 auditor=302 security=302",
    "wagtailsnippets_training_question:add": "GET anon=login worker=login trainer=200 judge=login chief=login street=200 district=200 city=200 auditor=302 security=302",
    "wagtailsnippets_training_question:edit": "GET anon=login worker=login trainer=200/404 judge=login chief=login street=200/404 district=200/404 city=200 auditor=404 security=404",
    "wagtailsnippets_training_question:delete": "GET anon=login worker=login trainer=200/404 judge=login chief=login street=200/404 district=200/404 city=200 auditor=404 security=404",
    "wagtailsnippets_training_question:usage": "GET anon=login worker=login trainer=200/404 judge=login chief=login street=200/404 district=200/404 city=200 auditor=404 security=404",
    "wagtailsnippets_training_question:history": "GET anon=login worker=login trainer=200/404 judge=login chief=login street=200/404 district=200/404 city=200 auditor=404 security=404",
    "wagtailsnippets_training_question:history_results": "GET anon=login worker=login trainer=200/404 judge=login chief=login street=200/404 district=200/404 city=200 auditor=404 security=404",
    "wagtailsnippets_training_question:copy": "GET anon=login worker=login trainer=200/302 judge=login chief=login street=200/302 district=200/302 city=200 auditor=302 security=302",
    "wagtailsnippetchoosers_training_question:choose": "GET anon=login worker=login trainer=200 judge=login chief=login street=200 district=200 city=200 auditor=200 security=200",
    "wagtailsnippetchoosers_training_question:choose_results": "GET anon=login worker=login trainer=200 judge=login chief=login street=200 district=200 city=200 auditor=200 security=200",
    "wagtailsnippetchoosers_training_question:chosen": "GET anon=login worker=login trainer=200/404 judge=login chief=login street=200/404 district=200/404 city=200 auditor=404 security=404",
    "wagtailsnippetchoosers_training_question:chosen_multiple": "GET anon=login worker=login trainer=200 judge=login chief=login street=200 district=200 city=200 auditor=200 security=200",
    "wagtailsnippetchoosers_training_question:create": "GET anon=login worker=login trainer=200 judge=login chief=login street=200 district=200 city=200 auditor=302 security=302",
    "wagtailsnippets_training_exam:list": "GET anon=login worker=login trainer=200 judge=login chief=login street=200 district=200 city=200 auditor=302 security=302",
    "wagtailsnippets_training_exam:list_results": "GET anon=login worker=login trainer=200 judge=login chief=login street=200 district=200 city=200 auditor=302 security=302",
    "wagtailsnippets_training_exam:add": "GET anon=login worker=login trainer=200 judge=login chief=login street=200 district=200 city=200 auditor=302 security=302",
    "wagtailsnippets_training_exam:edit": "GET anon=login worker=login trainer=200/404 judge=login chief=login street=200/404 district=200/404 city=200 auditor=404 security=404",
    "wagtailsnippets_training_exam:delete": "GET anon=login worker=login trainer=200/404 judge=login chief=login street=200/404 district=200/404 city=200 auditor=404 security=404",
    "wagtailsnippets_training_exam:usage": "GET anon=login worker=login trainer=200/404 judge=login chief=login street=200/404 district=200/404 city=200 auditor=404 security=404",
    "wagtailsnippets_training_exam:history": "GET anon=login worker=login trainer=200/404 judge=login chief=login street=200/404 district=200/404 city=200 auditor=404 security=404",
    "wagtailsnippets_training_exam:history_results": "GET anon=login worker=login trainer=200/404 judge=login chief=login street=200/404 district=200/404 city=200 auditor=404 security=404",
    "wagtailsnippets_training_exam:copy": "GET anon=login worker=login trainer=200/302 judge=login chief=login street=200/302 district=200/302 city=200 auditor=302 security=302",
    "wagtailsnippetchoosers_training_exam:choose": "GET anon=login worker=login trainer=200 judge=login chief=login street=200 district=200 city=200 auditor=200 security=200",
    "wagtailsnippetchoosers_training_exam:choose_results": "GET anon=login worker=login trainer=200 judge=login chief=login street=200 district=200 city=200 auditor=200 security=200",
    "wagtailsnippetchoosers_training_exam:chosen": "GET anon=login worker=login trainer=200/404 judge=login chief=login street=200/404 district=200/404 city=200 auditor=404 security=404",
    "wagtailsnippetchoosers_training_exam:chosen_multiple": "GET anon=login worker=login trainer=200 judge=login chief=login street=200 district=200 city=200 auditor=200 security=200",
    "wagtailsnippetchoosers_training_exam:create": "GET anon=login worker=login trainer=200 judge=login chief=login street=200 district=200 city=200 auditor=302 security=302",
    # Accounts: the security administrator (三员分立); the edit page also shows lock-outs.
    "wagtailusers_groups:index": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=200",
    "wagtailusers_groups:index_results": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=200",
    "wagtailusers_users:index": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=200",
    "wagtailusers_users:index_results": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=200",
    "wagtailusers_users:add": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=200",
    "wagtailusers_users:edit": "GET anon=login worker=login trainer=302 judge=login chief=login street=302 district=302 city=302 auditor=302 security=200",
    # Documents in the root collection are public (lesson videos, case attachments).
    "wagtaildocs_serve": "GET anon=200 worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "set_language": "GET anon=302 worker=302 trainer=302 judge=302 chief=302 street=302 district=302 city=302 auditor=302 security=302",
    # The data API answers API tokens only: a browser session is not a credential (401).
    "api-v1:openapi-json": "GET anon=200 worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "api-v1:openapi-view": "GET anon=200 worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "api-v1:units": "GET anon=401 worker=401 trainer=401 judge=401 chief=401 street=401 district=401 city=401 auditor=401 security=401",
    "api-v1:workers": "GET anon=401 worker=401 trainer=401 judge=401 chief=401 street=401 district=401 city=401 auditor=401 security=401",
    "api-v1:hours": "GET anon=401 worker=401 trainer=401 judge=401 chief=401 street=401 district=401 city=401 auditor=401 security=401",
    "api-v1:completions": "GET anon=401 worker=401 trainer=401 judge=401 chief=401 street=401 district=401 city=401 auditor=401 security=401",
    "api-v1:certificates": "GET anon=401 worker=401 trainer=401 judge=401 chief=401 street=401 district=401 city=401 auditor=401 security=401",
    "api-v1:contest_results": "GET anon=401 worker=401 trainer=401 judge=401 chief=401 street=401 district=401 city=401 auditor=401 security=401",
    "api-v1:api-root": "GET anon=404 worker=404 trainer=404 judge=404 chief=404 street=404 district=404 city=404 auditor=404 security=404",
    "api-v1:api-v1-not-found": "GET anon=404 worker=404 trainer=404 judge=404 chief=404 street=404 district=404 city=404 auditor=404 security=404",
    "api_not_found": "GET anon=404 worker=404 trainer=404 judge=404 chief=404 street=404 district=404 city=404 auditor=404 security=404",
    "account_login": "GET anon=200 worker=302 trainer=302 judge=302 chief=302 street=302 district=302 city=302 auditor=302 security=302",
    # First password with an activation code (people.activation_views): visitors only.
    "account_activate": "GET anon=200 worker=302 trainer=302 judge=302 chief=302 street=302 district=302 city=302 auditor=302 security=302",
    "account_logout": "GET anon=302 worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "account_signup": "GET anon=200 worker=302 trainer=302 judge=302 chief=302 street=302 district=302 city=302 auditor=302 security=302",
    "account_change_password": "GET anon=login worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "account_reset_password": "GET anon=200 worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "mfa_index": "GET anon=login worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "mfa_authenticate": "GET anon=login worker=302 trainer=302 judge=302 chief=302 street=302 district=302 city=302 auditor=302 security=302",
    "mfa_activate_totp": "GET anon=login worker=302 trainer=302 judge=302 chief=302 street=302 district=302 city=302 auditor=302 security=302",
    # Profiles, dashboards, rosters: admins see their subtree; a worker only their own record.
    "me": "GET anon=login worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "profile_mine": "GET anon=login worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "profile_worker": "GET anon=login worker=200/404 trainer=404 judge=404 chief=404 street=200/404 district=200/404 city=200 auditor=404 security=404",
    "profile_pdf": "GET anon=login worker=200/404 trainer=404 judge=404 chief=404 street=200/404 district=200/404 city=200 auditor=404 security=404",
    "profile_xlsx": "GET anon=login worker=200/404 trainer=404 judge=404 chief=404 street=200/404 district=200/404 city=200 auditor=404 security=404",
    "dashboard": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200 district=200 city=200 auditor=403 security=403",
    "dashboard_export": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200 district=200 city=200 auditor=403 security=403",
    "api_client_list": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200 district=200 city=200 auditor=403 security=403",
    "api_client_new": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200 district=200 city=200 auditor=403 security=403",
    "api_client_detail": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200/404 district=200/404 city=200 auditor=403 security=403",
    "api_client_revoke": "POST anon=login worker=403 trainer=403 judge=403 chief=403 street=302/404 district=302/404 city=302 auditor=403 security=403",
    "roster": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200 district=200 city=200 auditor=403 security=403",
    "roster_template": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200 district=200 city=200 auditor=403 security=403",
    "roster_export": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200 district=200 city=200 auditor=403 security=403",
    # Nobody in the world lacks a password: nothing to issue, back to the roster.
    "roster_activation_codes": "POST anon=login worker=403 trainer=403 judge=403 chief=403 street=302 district=302 city=302 auditor=403 security=403",
    "staffing": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200 district=200 city=200 auditor=403 security=403",
    "staffing_export": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200 district=200 city=200 auditor=403 security=403",
    "roster_import": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200 district=200 city=200 auditor=403 security=403",
    # A roster import shows personal data: only the admin who uploaded it sees it (404).
    "roster_import_detail": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200/404 district=404 city=404 auditor=403 security=403",
    "roster_import_status": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200/404 district=404 city=404 auditor=403 security=403",
    "roster_import_confirm": "POST anon=login worker=403 trainer=403 judge=403 chief=403 street=302/404 district=404 city=404 auditor=403 security=403",
    # Courses, exams and sessions are open to every logged-in worker; managing them is scoped.
    # An empty POST that is allowed answers 400 (missing input) or 302 back to its page.
    "course_list": "GET anon=200 worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "lesson_report": "POST anon=login worker=400 trainer=400 judge=400 chief=400 street=400 district=400 city=400 auditor=400 security=400",
    "lesson_complete": "POST anon=login worker=302 trainer=302 judge=302 chief=302 street=302 district=302 city=302 auditor=302 security=302",
    "course_enrol": "POST anon=login worker=302 trainer=302 judge=302 chief=302 street=302 district=302 city=302 auditor=302 security=302",
    "course_lineage": "GET anon=login worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "plan_list": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200 district=200 city=200 auditor=403 security=403",
    "plan_progress": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200/404 district=200/404 city=200 auditor=403 security=403",
    "plan_nominate": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=403/404 district=403/404 city=403 auditor=403 security=403",
    "plan_progress_export": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200/404 district=200/404 city=200 auditor=403 security=403",
    "exam_start": "GET anon=login worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "exam_attempt": "GET anon=login worker=200/404 trainer=404 judge=404 chief=404 street=404 district=404 city=404 auditor=404 security=404",
    "exam_submit": "POST anon=login worker=302/404 trainer=404 judge=404 chief=404 street=404 district=404 city=404 auditor=404 security=404",
    "exam_review": "GET anon=login worker=302/404 trainer=404 judge=404 chief=404 street=404 district=404 city=404 auditor=404 security=404",
    "my_hours": "GET anon=login worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "hours_requirements": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=403 district=403 city=200 auditor=403 security=403",
    "hours_requirement_add": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=403 district=403 city=200 auditor=403 security=403",
    "hours_requirement_edit": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=403 district=403 city=200/404 auditor=403 security=403",
    "hours_behind": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200 district=200 city=200 auditor=403 security=403",
    "hours_behind_export": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200 district=200 city=200 auditor=403 security=403",
    "hours_worker": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200/404 district=200/404 city=200 auditor=403 security=403",
    "hours_correct": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200/404 district=200/404 city=200 auditor=403 security=403",
    "hours_external": "GET anon=login worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "hours_external_new": "GET anon=login worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "hours_external_review": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200 district=200 city=200 auditor=403 security=403",
    "hours_external_proof": "GET anon=login worker=200/404 trainer=404 judge=404 chief=404 street=200/404 district=200/404 city=200 auditor=404 security=404",
    "hours_external_decide": "POST anon=login worker=403 trainer=403 judge=403 chief=403 street=302/404 district=302/404 city=302 auditor=403 security=403",
    "session_list": "GET anon=login worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "session_new": "GET anon=login worker=403 trainer=200 judge=403 chief=403 street=200 district=200 city=200 auditor=403 security=403",
    "session_scan": "GET anon=login worker=400 trainer=400 judge=400 chief=400 street=400 district=400 city=400 auditor=400 security=400",
    "base_list": "GET anon=login worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "base_new": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200 district=200 city=200 auditor=403 security=403",
    "base_edit": "GET anon=login worker=404 trainer=404 judge=404 chief=404 street=200/404 district=200/404 city=200 auditor=404 security=404",
    "session_detail": "GET anon=login worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "session_edit": "GET anon=login worker=403 trainer=200/403 judge=403 chief=403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "session_cancel": "GET anon=login worker=403 trainer=200/403 judge=403 chief=403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "session_signup": "POST anon=login worker=302 trainer=302 judge=302 chief=302 street=302 district=302 city=302 auditor=302 security=302",
    "session_signup_cancel": "POST anon=login worker=302 trainer=302 judge=302 chief=302 street=302 district=302 city=302 auditor=302 security=302",
    "session_qr": "GET anon=login worker=403 trainer=200/403 judge=403 chief=403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "session_qr_current": "GET anon=login worker=403 trainer=200/403 judge=403 chief=403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "session_attendance": "GET anon=login worker=403 trainer=200/403 judge=403 chief=403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "session_paper": "GET anon=login worker=403 trainer=200/403 judge=403 chief=403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "session_paper_template": "GET anon=login worker=403 trainer=200/403 judge=403 chief=403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "certificate_lookup": "GET anon=200 worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "certificate_verify": "GET anon=200 worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "my_certificates": "GET anon=login worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "certificate_download": "GET anon=login worker=200/404 trainer=404 judge=404 chief=404 street=200/404 district=200/404 city=200 auditor=404 security=404",
    "certificate_revoke": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    # Competitions: organisers are admins whose scope holds the owner unit; the chief judge
    # runs the console, papers, exports and appeals of their own competition; a judge scores
    # only appearances in their room. An allowed POST with no body answers 404 (no sheet or
    # worker named) or 302 back to the console.
    "competitions:home": "GET anon=200 worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "competitions:competition_new": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200 district=200 city=200 auditor=403 security=403",
    "competitions:competition_detail": "GET anon=login worker=403 trainer=403 judge=403 chief=200/403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "competitions:competition_edit": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "competitions:competition_status": "POST anon=login worker=403 trainer=403 judge=403 chief=403 street=302/403 district=302/403 city=302 auditor=403 security=403",
    "competitions:round_new": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "competitions:round_edit": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "competitions:round_delete": "POST anon=login worker=403 trainer=403 judge=403 chief=403 street=302/403 district=302/403 city=302 auditor=403 security=403",
    "competitions:stage_new": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "competitions:stage_edit": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "competitions:stage_delete": "POST anon=login worker=403 trainer=403 judge=403 chief=403 street=302/403 district=302/403 city=302 auditor=403 security=403",
    "competitions:stage_rubric": "POST anon=login worker=403 trainer=403 judge=403 chief=403 street=302/403 district=302/403 city=302 auditor=403 security=403",
    "competitions:stage_open": "POST anon=login worker=403 trainer=403 judge=403 chief=302/403 street=302/403 district=302/403 city=302 auditor=403 security=403",
    "competitions:stage_rooms": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "competitions:room_edit": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "competitions:room_delete": "POST anon=login worker=403 trainer=403 judge=403 chief=403 street=302/403 district=302/403 city=302 auditor=403 security=403",
    "competitions:stage_draw": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "competitions:conflicts": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "competitions:conflict_delete": "POST anon=login worker=403 trainer=403 judge=403 chief=403 street=302/403 district=302/403 city=302 auditor=403 security=403",
    "competitions:registrations": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "competitions:registration_nominate": "POST anon=login worker=403 trainer=403 judge=403 chief=403 street=404/403 district=404/403 city=404 auditor=403 security=403",
    "competitions:registration_decide": "POST anon=login worker=403 trainer=403 judge=403 chief=403 street=302/403 district=302/403 city=302 auditor=403 security=403",
    "competitions:registration_withdraw": "POST anon=login worker=403 trainer=403 judge=403 chief=403 street=302/403 district=302/403 city=302 auditor=403 security=403",
    "competitions:quotas": "GET anon=login worker=403 trainer=403 judge=403 chief=403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "competitions:quota_delete": "POST anon=login worker=403 trainer=403 judge=403 chief=403 street=302/403 district=302/403 city=302 auditor=403 security=403",
    "competitions:judge_home": "GET anon=login worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "competitions:judge_stage": "GET anon=login worker=404 trainer=404 judge=200/404 chief=404 street=404 district=404 city=404 auditor=404 security=404",
    "competitions:api_submit_score": "POST anon=401 worker=403 trainer=403 judge=200/403 chief=403 street=403 district=403 city=403 auditor=403 security=403",
    "competitions:chief_console": "GET anon=login worker=403 trainer=403 judge=403 chief=200/403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "competitions:chief_reopen": "POST anon=login worker=403 trainer=403 judge=403 chief=404/403 street=404/403 district=404/403 city=404 auditor=403 security=403",
    "competitions:chief_remark": "POST anon=login worker=403 trainer=403 judge=403 chief=404/403 street=404/403 district=404/403 city=404 auditor=403 security=403",
    "competitions:chief_excuse": "POST anon=login worker=403 trainer=403 judge=403 chief=404/403 street=404/403 district=404/403 city=404 auditor=403 security=403",
    "competitions:chief_close": "POST anon=login worker=403 trainer=403 judge=403 chief=302/403 street=302/403 district=302/403 city=302 auditor=403 security=403",
    "competitions:chief_decode": "POST anon=login worker=403 trainer=403 judge=403 chief=302/403 street=302/403 district=302/403 city=302 auditor=403 security=403",
    "competitions:paper_upload": "GET anon=login worker=403 trainer=403 judge=403 chief=200/403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "competitions:paper_confirm": "POST anon=login worker=403 trainer=403 judge=403 chief=302/403 street=302/403 district=302/403 city=302 auditor=403 security=403",
    "competitions:paper_template": "GET anon=login worker=403 trainer=403 judge=403 chief=200/403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "competitions:sheet_history": "GET anon=login worker=403 trainer=403 judge=403 chief=200/403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    # Published results, their files and the scoreboard are public notice (公示).
    "competitions:results_list": "GET anon=200 worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "competitions:result_detail": "GET anon=200 worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "competitions:result_download": "GET anon=200 worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "competitions:round_preview": "GET anon=login worker=403 trainer=403 judge=403 chief=200/403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "competitions:round_publish": "POST anon=login worker=403 trainer=403 judge=403 chief=302/403 street=302/403 district=302/403 city=302 auditor=403 security=403",
    "competitions:round_finalise": "POST anon=login worker=403 trainer=403 judge=403 chief=302/403 street=302/403 district=302/403 city=302 auditor=403 security=403",
    "competitions:stage_files": "GET anon=login worker=403 trainer=403 judge=403 chief=302/403 street=302/403 district=302/403 city=302 auditor=403 security=403",
    "competitions:appeal_file": "POST anon=login worker=302/403 trainer=403 judge=403 chief=403 street=403 district=403 city=403 auditor=403 security=403",
    "competitions:appeals_console": "GET anon=login worker=403 trainer=403 judge=403 chief=200/403 street=403 district=403 city=403 auditor=403 security=403",
    "competitions:appeal_decide": "POST anon=login worker=403 trainer=403 judge=403 chief=302/403 street=403 district=403 city=403 auditor=403 security=403",
    "competitions:scoreboard": "GET anon=200 worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "competitions:scoreboard_data": "GET anon=200 worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "competitions:export_index": "GET anon=login worker=403 trainer=403 judge=403 chief=200/403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "competitions:export_certificates": "GET anon=login worker=403 trainer=403 judge=403 chief=200/403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "competitions:export_stage_xlsx": "GET anon=login worker=403 trainer=403 judge=403 chief=200/403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "competitions:export_score_sheets_pdf": "GET anon=login worker=403 trainer=403 judge=403 chief=302/403 street=302/403 district=302/403 city=302 auditor=403 security=403",
    "competitions:export_round_xlsx": "GET anon=login worker=403 trainer=403 judge=403 chief=200/403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "competitions:analytics_stage": "GET anon=login worker=403 trainer=403 judge=403 chief=200/403 street=200/403 district=200/403 city=200 auditor=403 security=403",
    "competitions:scenario_library": "GET anon=200 worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "casebook_home": "GET anon=302 worker=302 trainer=302 judge=302 chief=302 street=302 district=302 city=302 auditor=302 security=302",
    # Booklets are their author's own (404 for anyone else).
    "booklet_list": "GET anon=login worker=403 trainer=200 judge=403 chief=403 street=200 district=200 city=200 auditor=403 security=403",
    "booklet_new": "GET anon=login worker=403 trainer=200 judge=403 chief=403 street=200 district=200 city=200 auditor=403 security=403",
    "booklet_detail": "GET anon=login worker=404 trainer=200/404 judge=404 chief=404 street=404 district=404 city=404 auditor=404 security=404",
    "booklet_status": "GET anon=login worker=404 trainer=200/404 judge=404 chief=404 street=404 district=404 city=404 auditor=404 security=404",
    "booklet_download": "GET anon=login worker=404 trainer=404 judge=404 chief=404 street=404 district=404 city=404 auditor=404 security=404",
    "case_search": "GET anon=200 worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    "case_bookmark": "POST anon=login worker=302 trainer=302 judge=302 chief=302 street=302 district=302 city=302 auditor=302 security=302",
    "case_useful": "POST anon=login worker=302 trainer=302 judge=302 chief=302 street=302 district=302 city=302 auditor=302 security=302",
    "case_apply": "POST anon=login worker=400 trainer=400 judge=400 chief=400 street=400 district=400 city=400 auditor=302 security=302",
    "my_bookmarks": "GET anon=login worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
    # Wagtail's page-privacy login is replaced by a redirect to allauth's login (cms.urls).
    "_util/login/": "GET anon=login worker=login trainer=login judge=login chief=login street=login district=login city=login auditor=login security=login",
    "wagtailcore_login": "GET anon=login worker=login trainer=login judge=login chief=login street=login district=login city=login auditor=login security=login",
    "wagtail_serve": "GET anon=200 worker=200 trainer=200 judge=200 chief=200 street=200 district=200 city=200 auditor=200 security=200",
}


def expectation(row: str, actor: str, scope: str) -> str | None:
    """The status `row` expects for `actor` on the object in ("in") or out of ("out") scope."""
    for cell in row.split()[1:]:
        name, _, statuses = cell.partition("=")
        if name == actor:
            inside, _, outside = statuses.partition("/")
            return inside if scope == "in" else (outside or inside)
    return None
