"""The exam engine on the database: attempts, time, tokens, grading, review, pages, bank import,
and the scoped admin."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from people.models import Role
from tests.factories import (
    activate_totp,
    give_role,
    make_sections,
    make_tree,
    make_user,
    make_worker,
)
from tests.unit.roster_files import csv_bytes, png_bytes, xls_bytes, xlsx_bytes
from training import exam_rules, exams
from training.exams import GRACE, TOKEN_KEY, ExamError
from training.models import DrawRule, Exam, ExamAttempt, Question
from training.question_import import import_questions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def passes(monkeypatch):
    """Calls to training.progress.exam_passed, which is replaced by a recorder."""
    calls = []

    def record(user, exam):
        calls.append((user.pk, exam.pk))

    import training.progress as progress

    monkeypatch.setattr(progress, "exam_passed", record)
    return calls


@pytest.fixture
def units():
    return make_tree()


@pytest.fixture
def worker(units):
    return make_worker(units["TD1S1C1"])


def question(
    unit, kind="single", *, options=("甲", "乙", "丙", "丁"), answer=(1,), category="消防", **extra
):
    if kind == "true_false":
        options = ("正确", "错误")
    return Question.objects.create(
        owner_unit=unit,
        kind=kind,
        text=extra.pop("text", f"{category}题目"),
        options=list(options),
        answer=list(answer),
        category=category,
        **extra,
    )


@pytest.fixture
def exam(units):
    """A fixed exam: a single-choice, a multiple-choice and a true/false question."""
    street = units["TD1S1"]
    exam = Exam.objects.create(
        owner_unit=street, title="消防安全测验", time_limit_minutes=20, max_attempts=2, pass_mark=60
    )
    exam.questions.set(
        [
            question(street, "single", answer=[1], explanation="乙是对的"),
            question(street, "multiple", answer=[0, 2]),
            question(street, "true_false", answer=[1]),
        ]
    )
    exam.save()  # a parental many-to-many is written on save
    return Exam.objects.get(pk=exam.pk)


NOW = datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def right_answers(attempt, *, wrong=()):
    """The shown positions of the right options, for every question (wrong ones: none ticked)."""
    answers = {}
    for item in attempt.paper:
        q = Question.objects.get(pk=item["question"])
        if q.pk in wrong:
            # Tick the first shown option that is not part of the answer.
            answers[str(q.pk)] = [p for p, o in enumerate(item["order"]) if o not in q.answer][:1]
        else:
            answers[str(q.pk)] = exam_rules.to_shown(item["order"], q.answer)
    return answers


def submit(attempt, answers=None, *, now=None, token=None):
    token = exams.token_of(attempt) if token is None else token
    return exams.submit_attempt(
        attempt, right_answers(attempt) if answers is None else answers, token=token, now=now or NOW
    )


def code_of(call):
    with pytest.raises(ExamError) as caught:
        call()
    return caught.value.code


# --------------------------------------------------------------------------- starting


def test_start_draws_the_paper_and_fixes_the_deadline(worker, exam):
    attempt = exams.start_attempt(worker, exam, now=NOW)
    assert attempt.started_at == NOW
    assert attempt.deadline == NOW + timedelta(minutes=20)
    assert attempt.submitted_at is None
    assert sorted(item["question"] for item in attempt.paper) == sorted(
        exam.questions.values_list("id", flat=True)
    )
    for item in attempt.paper:
        q = Question.objects.get(pk=item["question"])
        assert sorted(item["order"]) == list(range(len(q.options)))
        if q.kind == "true_false":
            assert item["order"] == [0, 1]
    assert len(exams.token_of(attempt)) >= 20


def test_start_again_resumes_the_attempt_in_progress(worker, exam):
    first = exams.start_attempt(worker, exam, now=NOW)
    again = exams.start_attempt(worker, exam, now=NOW + timedelta(minutes=19))
    assert again.pk == first.pk
    assert ExamAttempt.objects.count() == 1
    # Past its deadline and grace, it is over: the next start is a new attempt.
    later = exams.start_attempt(worker, exam, now=first.deadline + GRACE + timedelta(seconds=1))
    assert later.pk != first.pk


def test_attempts_are_limited(worker, exam):
    for minute in (0, 30):
        attempt = exams.start_attempt(worker, exam, now=NOW + timedelta(minutes=minute))
        submit(attempt, {}, now=NOW + timedelta(minutes=minute + 1))
    assert code_of(lambda: exams.start_attempt(worker, exam, now=NOW + timedelta(hours=2))) == (
        "no_attempts_left"
    )
    assert ExamAttempt.objects.count() == 2
    standing = exams.standing(worker, exam, now=NOW + timedelta(hours=2))
    assert (standing.used, standing.left) == (2, 0)


def test_an_attempt_in_progress_counts_as_used(worker, exam):
    exams.start_attempt(worker, exam, now=NOW)
    standing = exams.standing(worker, exam, now=NOW + timedelta(minutes=5))
    assert standing.live is not None and (standing.used, standing.left) == (1, 1)


def test_an_attempt_left_to_expire_still_counts(worker, exam):
    # Otherwise opening papers and letting them lapse would be a way to read the bank.
    first = exams.start_attempt(worker, exam, now=NOW)
    after = first.deadline + GRACE + timedelta(seconds=1)
    second = exams.start_attempt(worker, exam, now=after)
    assert second.pk != first.pk
    later = second.deadline + GRACE + timedelta(seconds=1)
    assert code_of(lambda: exams.start_attempt(worker, exam, now=later)) == "no_attempts_left"
    assert exams.standing(worker, exam, now=later).left == 0


def test_attempts_are_per_person(worker, exam, units):
    other = make_worker(units["TD2S1C1"], real_name="李明")
    mine = exams.start_attempt(worker, exam, now=NOW)
    theirs = exams.start_attempt(other, exam, now=NOW)
    assert mine.pk != theirs.pk


def test_exam_window(worker, exam):
    exam.opens_at = NOW + timedelta(days=1)
    exam.closes_at = NOW + timedelta(days=2)
    exam.save()
    assert code_of(lambda: exams.start_attempt(worker, exam, now=NOW)) == "not_open"
    assert code_of(lambda: exams.start_attempt(worker, exam, now=exam.closes_at)) == "closed"
    assert not ExamAttempt.objects.exists()
    # Ten minutes before closing, the deadline is the closing time, not the time limit.
    attempt = exams.start_attempt(worker, exam, now=exam.closes_at - timedelta(minutes=10))
    assert attempt.deadline == exam.closes_at


def test_exam_without_questions_is_refused(worker, units):
    empty = Exam.objects.create(owner_unit=units["TD1S1"], title="空")
    assert code_of(lambda: exams.start_attempt(worker, empty, now=NOW)) == "no_questions"
    drawn = Exam.objects.create(owner_unit=units["TD1S1"], title="空", mode=Exam.Mode.DRAWN)
    assert code_of(lambda: exams.start_attempt(worker, drawn, now=NOW)) == "no_questions"


@pytest.fixture
def drawn(units):
    street = units["TD1S1"]
    exam = Exam.objects.create(owner_unit=street, title="抽题考试", mode=Exam.Mode.DRAWN)
    DrawRule.objects.create(exam=exam, category="消防", count=3)
    DrawRule.objects.create(exam=exam, category="民政", count=1)
    return exam


def test_drawn_exam_uses_the_bank_of_its_unit_and_the_units_above(worker, drawn, units):
    own = [question(units["TD1S1"], category="消防") for _ in range(2)]
    city = [question(units["T"], category="消防")]
    district = [question(units["TD1"], category="民政")]
    # Not the bank of another district, nor of a street below another one.
    question(units["TD2"], category="消防")
    question(units["TD1S2"], category="消防")
    attempt = exams.start_attempt(worker, drawn, now=NOW)
    ids = [item["question"] for item in attempt.paper]
    assert sorted(ids[:3]) == sorted(q.pk for q in own + city)
    assert ids[3:] == [district[0].pk]


def test_drawn_exam_with_a_short_bank_is_refused(worker, drawn, units):
    for _ in range(3):
        question(units["TD1S1"], category="消防")
    with pytest.raises(ExamError) as caught:
        exams.start_attempt(worker, drawn, now=NOW)
    assert caught.value.code == "short_bank"
    assert caught.value.params == {"category": "民政", "needed": 1, "available": 0}
    assert "民政" in caught.value.message
    assert not ExamAttempt.objects.exists()


def test_each_drawn_attempt_gets_its_own_paper(units, drawn):
    for _ in range(30):
        question(units["TD1S1"], category="消防")
    question(units["TD1S1"], category="民政")
    papers = set()
    for i in range(6):
        person = make_worker(units["TD1S1C1"], real_name=f"工作者{i}")
        attempt = exams.start_attempt(person, drawn, now=NOW)
        paper = tuple(item["question"] for item in attempt.paper)
        assert len(set(paper)) == 4
        papers.add(paper)
    assert len(papers) > 1


def test_options_are_not_shuffled_when_the_exam_says_so(worker, exam):
    exam.shuffle_options = False
    exam.save()
    attempt = exams.start_attempt(worker, exam, now=NOW)
    assert all(item["order"] == sorted(item["order"]) for item in attempt.paper)


# --------------------------------------------------------------------------- submitting


def test_all_right_scores_100_and_reports_the_pass(worker, exam, passes):
    attempt = exams.start_attempt(worker, exam, now=NOW)
    submitted = submit(attempt, now=NOW + timedelta(minutes=5))
    assert submitted.score == Decimal("100.00") and submitted.passed is True
    assert submitted.submitted_at == NOW + timedelta(minutes=5)
    assert passes == [(worker.pk, exam.pk)]


def test_grading_no_partial_credit_and_pass_mark(worker, exam, passes):
    attempt = exams.start_attempt(worker, exam, now=NOW)
    multiple = exam.questions.get(kind="multiple")
    single = exam.questions.get(kind="single")
    answers = right_answers(attempt)
    # Only one of the two right options of the multiple-choice question: wrong.
    order = next(i["order"] for i in attempt.paper if i["question"] == multiple.pk)
    answers[str(multiple.pk)] = exam_rules.to_shown(order, [0])
    submitted = submit(attempt, answers, now=NOW)
    assert submitted.score == Decimal("66.67") and submitted.passed is True

    attempt = exams.start_attempt(worker, exam, now=NOW + timedelta(hours=1))
    answers = right_answers(attempt, wrong={multiple.pk, single.pk})
    submitted = submit(attempt, answers, now=NOW + timedelta(hours=1))
    assert submitted.score == Decimal("33.33") and submitted.passed is False
    assert passes == [(worker.pk, exam.pk)]  # only the first attempt passed


def test_answers_are_stored_as_original_indexes_and_the_token_is_spent(worker, exam):
    attempt = exams.start_attempt(worker, exam, now=NOW)
    submitted = submit(attempt, now=NOW)
    assert TOKEN_KEY not in submitted.answers
    for q in exam.questions.all():
        assert submitted.answers[str(q.pk)] == sorted(q.answer)


def test_submission_within_the_grace_is_accepted(worker, exam):
    attempt = exams.start_attempt(worker, exam, now=NOW)
    submitted = submit(attempt, now=attempt.deadline + GRACE)
    assert submitted.submitted_at is not None


def test_submission_after_the_grace_is_over_time(worker, exam, passes):
    attempt = exams.start_attempt(worker, exam, now=NOW)
    late = attempt.deadline + GRACE + timedelta(seconds=1)
    assert code_of(lambda: submit(attempt, now=late)) == "over_time"
    attempt.refresh_from_db()
    assert attempt.submitted_at is None and attempt.score is None
    assert passes == []


def test_submission_after_the_exam_closed_is_refused(worker, exam):
    attempt = exams.start_attempt(worker, exam, now=NOW)
    # The organiser closes the exam early, while the attempt still has time.
    exam.closes_at = NOW + timedelta(minutes=5)
    exam.save()
    assert code_of(lambda: submit(attempt, now=NOW + timedelta(minutes=6))) == "closed"
    attempt.refresh_from_db()
    assert attempt.submitted_at is None


def test_replayed_submission_is_refused(worker, exam, passes):
    attempt = exams.start_attempt(worker, exam, now=NOW)
    token = exams.token_of(attempt)
    submit(attempt, now=NOW, token=token)
    assert code_of(lambda: submit(attempt, {}, now=NOW, token=token)) == "already_submitted"
    attempt.refresh_from_db()
    assert attempt.score == Decimal("100.00")
    assert len(passes) == 1


@pytest.mark.parametrize("token", ["", "forged", None])
def test_wrong_token_is_refused(worker, exam, token):
    attempt = exams.start_attempt(worker, exam, now=NOW)
    call = lambda: exams.submit_attempt(attempt, right_answers(attempt), token=token, now=NOW)  # noqa: E731
    assert code_of(call) == "bad_token"
    attempt.refresh_from_db()
    assert attempt.submitted_at is None


def test_the_token_of_another_attempt_does_not_fit(worker, exam, units):
    other = exams.start_attempt(make_worker(units["TD1S1C2"], real_name="李明"), exam, now=NOW)
    attempt = exams.start_attempt(worker, exam, now=NOW)
    assert code_of(lambda: submit(attempt, now=NOW, token=exams.token_of(other))) == "bad_token"


def test_two_concurrent_submissions_are_accepted_once(worker, exam, passes):
    attempt = exams.start_attempt(worker, exam, now=NOW)
    # Two requests loaded the same unsubmitted attempt before either was saved.
    first = ExamAttempt.objects.get(pk=attempt.pk)
    second = ExamAttempt.objects.get(pk=attempt.pk)
    token = exams.token_of(first)
    exams.submit_attempt(first, right_answers(first), token=token, now=NOW)
    with pytest.raises(ExamError) as caught:
        exams.submit_attempt(second, {}, token=token, now=NOW)
    assert caught.value.code == "already_submitted"
    attempt.refresh_from_db()
    assert attempt.score == Decimal("100.00")
    assert passes == [(worker.pk, exam.pk)]


def test_garbled_answers_count_as_unanswered(worker, exam):
    attempt = exams.start_attempt(worker, exam, now=NOW)
    answers = right_answers(attempt)
    garbled = {key: "A" for key in answers}
    garbled["nonsense"] = [1]
    submitted = submit(attempt, garbled, now=NOW)
    assert submitted.score == Decimal("0.00")
    assert submitted.answers == {}


# --------------------------------------------------------------------------- review


def test_review_only_after_submission(worker, exam):
    attempt = exams.start_attempt(worker, exam, now=NOW)
    assert code_of(lambda: exams.review(attempt)) == "not_submitted"
    multiple = exam.questions.get(kind="multiple")
    answers = right_answers(attempt, wrong={multiple.pk})
    submitted = submit(attempt, answers, now=NOW)
    items = exams.review(submitted)
    assert [item.question_id for item in items] == [i["question"] for i in attempt.paper]
    for item, entry in zip(items, attempt.paper, strict=True):
        q = Question.objects.get(pk=item.question_id)
        assert [o.text for o in item.options] == [q.options[i] for i in entry["order"]]
        assert item.correct == exam_rules.to_shown(entry["order"], q.answer)
        assert item.chosen == answers[str(q.pk)]
        assert item.right is (q.pk != multiple.pk)
        assert [o.position for o in item.options if o.correct] == item.correct
    single = next(i for i in items if i.kind == "single")
    assert single.explanation == "乙是对的"


# --------------------------------------------------------------------------- pages


@pytest.fixture
def as_worker(client, worker):
    client.force_login(worker)
    return client


def test_pages_need_a_login(client, exam):
    response = client.get(reverse("exam_start", args=[exam.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_start_page_then_start(as_worker, exam):
    url = reverse("exam_start", args=[exam.pk])
    page = as_worker.get(url)
    assert page.status_code == 200
    assert page.context["standing"].left == 2
    assert page.context["question_count"] == 3
    assert page.context["may_start"]
    response = as_worker.post(url)
    attempt = ExamAttempt.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("exam_attempt", args=[attempt.pk])
    # Pressing start again resumes.
    assert as_worker.post(url)["Location"] == reverse("exam_attempt", args=[attempt.pk])
    assert ExamAttempt.objects.count() == 1


def test_start_refused_shows_the_reason(as_worker, exam):
    exam.opens_at = timezone.now() + timedelta(days=1)
    exam.save()
    response = as_worker.post(reverse("exam_start", args=[exam.pk]))
    assert response.status_code == 200
    assert response.context["error"] and response.context["window_error"]
    assert not response.context["may_start"]
    assert not ExamAttempt.objects.exists()


def test_paper_page_shows_inputs_token_and_countdown(as_worker, worker, exam):
    attempt = exams.start_attempt(worker, exam)
    page = as_worker.get(reverse("exam_attempt", args=[attempt.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert exams.token_of(attempt) in html
    assert 'type="checkbox"' in html and 'type="radio"' in html
    assert "js/exam-timer.js" in html
    assert 1190 <= page.context["seconds_left"] <= 1200
    multiple = exam.questions.get(kind="multiple")
    assert html.count(f'name="q{multiple.pk}"') == 4
    assert "乙是对的" not in html  # no explanation before submission


def _form(attempt, answers, token=None):
    data = {"token": exams.token_of(attempt) if token is None else token}
    for qid, positions in answers.items():
        data[f"q{qid}"] = [str(p) for p in positions]
    return data


def test_submit_through_the_page_then_review(as_worker, worker, exam, passes):
    attempt = exams.start_attempt(worker, exam)
    response = as_worker.post(
        reverse("exam_submit", args=[attempt.pk]), _form(attempt, right_answers(attempt))
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("exam_review", args=[attempt.pk])
    attempt.refresh_from_db()
    assert attempt.score == Decimal("100.00") and attempt.passed
    assert passes == [(worker.pk, exam.pk)]
    review = as_worker.get(reverse("exam_review", args=[attempt.pk]))
    assert review.status_code == 200
    assert "乙是对的" in review.content.decode()
    assert len(review.context["items"]) == 3
    # The paper of a submitted attempt leads to its review; a second submission is refused.
    paper = as_worker.get(reverse("exam_attempt", args=[attempt.pk]))
    assert paper["Location"] == reverse("exam_review", args=[attempt.pk])
    again = as_worker.post(reverse("exam_submit", args=[attempt.pk]), _form(attempt, {}))
    assert again["Location"] == reverse("exam_review", args=[attempt.pk])
    assert len(passes) == 1


def test_garbled_form_is_graded_as_unanswered_not_a_500(as_worker, worker, exam):
    attempt = exams.start_attempt(worker, exam)
    ids = [item["question"] for item in attempt.paper]
    data = {
        "token": exams.token_of(attempt),
        f"q{ids[0]}": ["x"],
        f"q{ids[1]}": ["99", "-1"],
        f"q{ids[2]}": [""],
        "q-junk": "1",
    }
    response = as_worker.post(reverse("exam_submit", args=[attempt.pk]), data)
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.score == Decimal("0.00") and attempt.submitted_at is not None


def test_submit_with_a_wrong_token_goes_back_to_the_paper(as_worker, worker, exam):
    attempt = exams.start_attempt(worker, exam)
    response = as_worker.post(
        reverse("exam_submit", args=[attempt.pk]), _form(attempt, right_answers(attempt), "x")
    )
    assert response["Location"] == reverse("exam_attempt", args=[attempt.pk])
    attempt.refresh_from_db()
    assert attempt.submitted_at is None


def test_late_submit_through_the_page_is_refused(as_worker, worker, exam):
    attempt = exams.start_attempt(worker, exam, now=timezone.now() - timedelta(hours=1))
    response = as_worker.post(
        reverse("exam_submit", args=[attempt.pk]), _form(attempt, right_answers(attempt))
    )
    assert response["Location"] == reverse("exam_start", args=[exam.pk])
    attempt.refresh_from_db()
    assert attempt.submitted_at is None
    # Its page says the time is over and offers no form.
    page = as_worker.get(reverse("exam_attempt", args=[attempt.pk]))
    assert page.status_code == 200 and page.context["expired"]
    assert reverse("exam_submit", args=[attempt.pk]) not in page.content.decode()


def test_review_before_submission_goes_to_the_paper(as_worker, worker, exam):
    attempt = exams.start_attempt(worker, exam)
    response = as_worker.get(reverse("exam_review", args=[attempt.pk]))
    assert response["Location"] == reverse("exam_attempt", args=[attempt.pk])


def test_an_attempt_is_visible_only_to_its_owner(client, worker, exam, units):
    attempt = exams.start_attempt(worker, exam)
    submitted = exams.start_attempt(make_worker(units["TD1S1C1"], real_name="王芳"), exam)
    stranger = make_worker(units["TD1S1C2"], real_name="李明")
    client.force_login(stranger)
    for name in ("exam_attempt", "exam_review"):
        assert client.get(reverse(name, args=[attempt.pk])).status_code == 404
    response = client.post(reverse("exam_submit", args=[attempt.pk]), _form(attempt, {}))
    assert response.status_code == 404
    attempt.refresh_from_db()
    assert attempt.submitted_at is None
    assert client.get(reverse("exam_review", args=[submitted.pk])).status_code == 404


def test_bad_addresses_are_404_or_405(as_worker, worker, exam):
    assert as_worker.get(reverse("exam_start", args=[999999])).status_code == 404
    assert as_worker.get(reverse("exam_attempt", args=[999999])).status_code == 404
    assert as_worker.get("/training/exams/attempts/99999999999999999999999/").status_code == 404
    attempt = exams.start_attempt(worker, exam)
    assert as_worker.get(reverse("exam_submit", args=[attempt.pk])).status_code == 405


# --------------------------------------------------------------------------- bank import

HEADER = ["题型", "题目", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "分类", "难度"]


def bank(*rows, header=HEADER):
    return xlsx_bytes([["青禾市社区工作者题库"], header, *rows], merges=("A1:J1",))


GOOD_ROWS = [
    [
        "单选",
        "电动自行车应在哪里充电？",
        "楼道",
        "集中充电点",
        "家中",
        None,
        "B",
        "严禁入户充电",
        "消防",
        "易",
    ],
    ["多选题", "哪些属于消防通道？", "楼梯", "走廊", "阳台", "安全出口", "A,B、D", "", "消防", 3],
    ["判断", "社区工作者可以代替居民签字。", None, None, None, None, "×", "", "民政", None],
    ["判断题", "网格员应定期走访。", None, None, None, None, "对", "", "民政", "中"],
    # Options with a gap: the answer letter names the column.
    ["单选", "问题五", "甲", None, "丙", None, "C", "", "综合", "1"],
]


def test_import_a_good_file(units):
    result = import_questions(bank(*GOOD_ROWS), "题库.xlsx", owner_unit=units["TD1"])
    assert result.errors == [] and result.created == 5
    questions = list(Question.objects.order_by("id"))
    assert all(q.owner_unit == units["TD1"] for q in questions)
    first, multiple, tf_false, tf_true, gap = questions
    assert (first.kind, first.options, first.answer) == (
        "single",
        ["楼道", "集中充电点", "家中"],
        [1],
    )
    assert (first.explanation, first.category, first.difficulty) == ("严禁入户充电", "消防", 1)
    assert (multiple.kind, multiple.answer, multiple.difficulty) == ("multiple", [0, 1, 3], 3)
    assert (tf_false.kind, tf_false.options, tf_false.answer) == (
        "true_false",
        ["正确", "错误"],
        [1],
    )
    assert tf_false.difficulty == Question.Difficulty.MEDIUM
    assert tf_true.answer == [0]
    assert (gap.options, gap.answer) == (["甲", "丙"], [1])


def test_import_csv_and_xls(units):
    rows = [HEADER, GOOD_ROWS[0], GOOD_ROWS[2]]
    data = csv_bytes(rows, encoding="gbk")
    assert import_questions(data, "bank.csv", owner_unit=units["TD1"]).created == 2
    assert import_questions(xls_bytes(rows), "bank.xls", owner_unit=units["TD1"]).created == 2
    assert Question.objects.count() == 4


@pytest.mark.parametrize(
    ("row", "column", "code"),
    [
        (["单选", None, "甲", "乙", None, None, "A", "", "消防", ""], "题目", "missing_text"),
        (["填空", "题", "甲", "乙", None, None, "A", "", "消防", ""], "题型", "unknown_kind"),
        ([None, "题", "甲", "乙", None, None, "A", "", "消防", ""], "题型", "missing_kind"),
        (["单选", "题", "甲", None, None, None, "A", "", "消防", ""], "选项A", "too_few_options"),
        (["单选", "题", "甲", "乙", None, None, None, "", "消防", ""], "答案", "missing_answer"),
        (
            ["多选", "题", "甲", "乙", None, None, "AC", "", "消防", ""],
            "答案",
            "answer_not_an_option",
        ),
        (
            ["单选", "题", "甲", "乙", None, None, "G", "", "消防", ""],
            "答案",
            "answer_not_an_option",
        ),
        (
            ["单选", "题", "甲", "乙", "丙", None, "AB", "", "消防", ""],
            "答案",
            "single_with_many_answers",
        ),
        (["单选", "题", "甲", "乙", None, None, "1", "", "消防", ""], "答案", "invalid_answer"),
        (
            ["判断", "题", None, None, None, None, "也许", "", "消防", ""],
            "答案",
            "invalid_true_false",
        ),
        (["单选", "题", "甲", "乙", None, None, "A", "", None, ""], "分类", "missing_category"),
        (
            ["单选", "题", "甲", "乙", None, None, "A", "", "类" * 51, ""],
            "分类",
            "category_too_long",
        ),
        (
            ["单选", "题", "甲", "乙", None, None, "A", "", "消防", "很难"],
            "难度",
            "unknown_difficulty",
        ),
    ],
)
def test_each_bad_row_is_reported_and_nothing_is_written(units, row, column, code):
    result = import_questions(bank(GOOD_ROWS[0], row), "题库.xlsx", owner_unit=units["TD1"])
    assert result.created == 0
    assert [(e.row, e.column, e.code) for e in result.errors] == [(4, column, code)]
    assert not Question.objects.exists()
    message = result.errors[0].message
    assert "4" in message and column in message


def test_every_problem_of_every_row_is_reported(units):
    rows = [
        GOOD_ROWS[0],
        [None, None, None, None, None, None, None, None, None, None, "备注"],  # blank: skipped
        ["单选", None, "甲", None, None, None, "AB", "", None, ""],
    ]
    result = import_questions(bank(*rows), "题库.xlsx", owner_unit=units["TD1"])
    assert [(e.row, e.code) for e in result.errors] == [
        (5, "missing_text"),
        (5, "too_few_options"),
        (5, "single_with_many_answers"),
        (5, "missing_category"),
    ]
    assert not Question.objects.exists()


def test_file_problems_are_reported(units):
    unit = units["TD1"]
    result = import_questions(png_bytes(), "bank.xlsx", owner_unit=unit)
    assert [e.code for e in result.errors] == ["not_spreadsheet"] and result.errors[0].row is None
    result = import_questions(
        xlsx_bytes([["题型", "题目", "选项A", "选项B"], ["单选", "题", "甲", "乙"]]),
        "b.xlsx",
        owner_unit=unit,
    )
    assert [e.code for e in result.errors] == ["missing_columns"]
    assert "答案" in result.errors[0].message and "分类" in result.errors[0].message
    result = import_questions(bank(), "b.xlsx", owner_unit=unit)
    assert [e.code for e in result.errors] == ["no_questions"]
    result = import_questions(xlsx_bytes([["甲", "乙"], ["1", "2"]]), "b.xlsx", owner_unit=unit)
    assert [e.code for e in result.errors] == ["no_header"]
    assert "题型" in result.errors[0].message
    assert not Question.objects.exists()


def test_headers_with_marks_and_aliases_are_recognised(units):
    header = ["*题型", "题干", "A", "B", "正确答案", "知识点", "难易程度"]
    data = xlsx_bytes([header, ["单选题", "题", "甲", "乙", "b", "消防", "难"]])
    result = import_questions(data, "b.xlsx", owner_unit=units["TD1"])
    assert result.created == 1
    assert Question.objects.get().answer == [1]


# --------------------------------------------------------------------------- admin


@pytest.fixture
def admin_site(units):
    make_sections(units)
    return units


def trainer_of(unit):
    user = make_user(f"{unit.name}讲师")
    give_role(user, unit, Role.Kind.TRAINER)
    return user


def test_admin_querysets_follow_the_scope(client, admin_site):
    units = admin_site
    mine = question(units["TD1S1"], text="本街道的题")
    below = question(units["TD1S1C1"], text="本社区的题")
    sibling = question(units["TD1S2"], text="隔壁街道的题")
    above = question(units["TD1"], text="区里的题")
    exam_mine = Exam.objects.create(owner_unit=units["TD1S1"], title="本街道考试")
    exam_other = Exam.objects.create(owner_unit=units["TD2"], title="别区考试")

    trainer = trainer_of(units["TD1S1"])
    client.force_login(trainer)
    listing = client.get(reverse("wagtailsnippets_training_question:list"))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert mine.text in html and below.text in html
    assert sibling.text not in html and above.text not in html
    exams_page = client.get(reverse("wagtailsnippets_training_exam:list")).content.decode()
    assert exam_mine.title in exams_page and exam_other.title not in exams_page

    edit = "wagtailsnippets_training_question:edit"
    assert client.get(reverse(edit, args=[mine.pk])).status_code == 200
    assert client.get(reverse(edit, args=[sibling.pk])).status_code == 404
    delete = "wagtailsnippets_training_question:delete"
    assert client.post(reverse(delete, args=[sibling.pk])).status_code == 404
    assert Question.objects.filter(pk=sibling.pk).exists()
    exam_edit = "wagtailsnippets_training_exam:edit"
    assert client.get(reverse(exam_edit, args=[exam_other.pk])).status_code == 404

    # An admin's scope and a trainer's combine.
    give_role(trainer, units["TD2"], Role.Kind.ADMIN)
    activate_totp(trainer)
    client.force_login(trainer)
    exams_page = client.get(reverse("wagtailsnippets_training_exam:list")).content.decode()
    assert exam_other.title in exams_page


def test_superuser_sees_every_question(client, admin_site):
    units = admin_site
    texts = [question(units[code], text=f"{code}的题").text for code in ("T", "TD1S2", "TD2")]
    root = make_user("超级管理员", is_superuser=True, is_staff=True)
    activate_totp(root)
    client.force_login(root)
    html = client.get(reverse("wagtailsnippets_training_question:list")).content.decode()
    assert all(text in html for text in texts)


def test_a_worker_has_no_bank(client, admin_site, worker):
    question(admin_site["TD1S1"])
    client.force_login(worker)
    response = client.get(reverse("wagtailsnippets_training_question:list"))
    assert response.status_code in (302, 403)
    assert client.get(reverse("exam_question_import")).status_code in (302, 403)


def test_question_form_takes_lines_and_letters(client, admin_site):
    units = admin_site
    client.force_login(trainer_of(units["TD1S1"]))
    url = reverse("wagtailsnippets_training_question:add")
    data = {
        "owner_unit": units["TD1S1"].pk,
        "kind": "multiple",
        "text": "哪些是消防器材？",
        "options_text": "灭火器\n\n消防栓\n拖把\n",
        "answer_letters": "A,B",
        "explanation": "",
        "category": "消防",
        "difficulty": 2,
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    saved = Question.objects.get()
    assert (saved.options, saved.answer) == (["灭火器", "消防栓", "拖把"], [0, 1])

    bad = {**data, "kind": "single", "answer_letters": "AD"}
    response = client.post(url, bad)
    assert response.status_code == 200
    assert "answer_letters" in response.context["form"].errors
    # A unit outside the scope is not a choice.
    response = client.post(url, {**data, "owner_unit": units["TD2"].pk})
    assert "owner_unit" in response.context["form"].errors
    assert Question.objects.count() == 1


def test_import_page(client, admin_site):
    units = admin_site
    client.force_login(trainer_of(units["TD1S1"]))
    url = reverse("exam_question_import")
    assert client.get(url).status_code == 200
    from django.core.files.uploadedfile import SimpleUploadedFile

    def upload(data, unit):
        file = SimpleUploadedFile("题库.xlsx", data)
        return client.post(url, {"file": file, "unit": unit.pk})

    response = upload(bank(*GOOD_ROWS), units["TD1S1"])
    assert response.status_code == 200
    assert response.context["result"].created == 5 and response.context["done"]
    assert Question.objects.filter(owner_unit=units["TD1S1"]).count() == 5

    bad = bank(GOOD_ROWS[0], ["单选", None, "甲", "乙", None, None, "A", "", "消防", ""])
    response = upload(bad, units["TD1S1"])
    assert [e.code for e in response.context["result"].errors] == ["missing_text"]
    assert Question.objects.count() == 5

    response = upload(bank(*GOOD_ROWS), units["TD2"])  # outside the trainer's scope
    assert "unit" in response.context["form"].errors
    assert Question.objects.count() == 5


def test_exam_form_offers_usable_questions_and_saves(client, admin_site):
    units = admin_site
    mine = question(units["TD1S1"], text="本街道的题")
    city = question(units["T"], text="市里的题")  # banks cascade down: usable, not editable
    sibling = question(units["TD1S2"], text="隔壁街道的题")
    client.force_login(trainer_of(units["TD1S1"]))
    url = reverse("wagtailsnippets_training_exam:add")
    page = client.get(url)
    assert page.status_code == 200
    choices = set(page.context["form"].fields["questions"].queryset)
    assert choices == {mine, city}
    data = {
        "owner_unit": units["TD1S1"].pk,
        "title": "新考试",
        "mode": "fixed",
        "questions": [mine.pk, city.pk],
        "time_limit_minutes": 15,
        "max_attempts": 2,
        "pass_mark": 80,
        "shuffle_options": "on",
        "draw_rules-TOTAL_FORMS": 0,
        "draw_rules-INITIAL_FORMS": 0,
        "draw_rules-MIN_NUM_FORMS": 0,
        "draw_rules-MAX_NUM_FORMS": 1000,
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    exam = Exam.objects.get(title="新考试")
    assert set(exam.questions.all()) == {mine, city}
    assert client.post(url, {**data, "questions": [sibling.pk]}).status_code == 200
    assert Exam.objects.count() == 1


def test_chooser_and_menu_follow_the_scope(client, admin_site):
    units = admin_site
    mine = question(units["TD1S1"], text="本街道的题")
    sibling = question(units["TD1S2"], text="隔壁街道的题")
    client.force_login(trainer_of(units["TD1S1"]))
    viewset = Question.snippet_viewset.chooser_viewset
    html = client.get(reverse(viewset.get_url_name("choose"))).json()["html"]
    assert mine.text in html and sibling.text not in html
    chosen = viewset.get_url_name("chosen")
    assert client.get(reverse(chosen, args=[mine.pk])).status_code == 200
    assert client.get(reverse(chosen, args=[sibling.pk])).status_code == 404
    dashboard = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("exam_question_import") in dashboard
    assert reverse("wagtailsnippets_training_question:list") in dashboard
