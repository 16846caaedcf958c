"""A worker learning on a phone: plan → lessons → final exam → completed course and hours.

Also what the browser cannot talk the server into: skipping a lesson video, or answering an
exam after its time is up.
"""

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import iri_to_uri
from playwright.sync_api import expect

from tests.browser.helpers import log_in
from tests.factories import (
    make_course,
    make_plan,
    make_sections,
    make_tree,
    make_worker,
)
from training import exams
from training.models import Enrolment, Exam, ExamAttempt, HoursEntry, LessonProgress, Question

pytestmark = [
    pytest.mark.browser,
    # The live server needs committed rows (transactional). The flush after each such test also
    # wipes what migrations created (home page, site, locale), which serialized rollback restores.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORKER_PHONE = "13912345678"
PHONE_WIDTH = 360
# The paper's address, before the test knows the attempt's id.
ATTEMPT_URL = re.compile(r"/training/exams/attempts/\d+/$")


@dataclass(frozen=True)
class Q:
    kind: str
    text: str
    options: tuple[str, ...]
    answer: tuple[int, ...]  # original indexes of the right options


# Option texts are distinct and none contains another, so a text names one option.
QUESTIONS = (
    Q(
        "single",
        "发现居民楼道堆放杂物，网格员首先应当怎么做？",
        ("劝导居民清理并记录", "立即报警", "自行搬走丢弃", "不予理会"),
        (0,),
    ),
    Q(
        "multiple",
        "入户走访时，下列哪些做法是恰当的？",
        ("出示工作证件", "强行进入房间", "说明来意", "拍摄居民证件"),
        (0, 2),
    ),
    Q("true_false", "居民个人信息可以在工作群中随意转发。", ("正确", "错误"), (1,)),
)


# --- helpers -------------------------------------------------------------------------------


def zh(message) -> str:
    """The zh_Hans catalogue's text for a template's {% translate %} string or a lazy message.

    Fails with a clear note while the catalogue lacks the message, rather than letting a
    locator time out on text that never appears.
    """

    def render(language):
        with translation.override(language):
            if not isinstance(message, str):
                return str(message)
            # As {% translate %} looks it up: its msgids have "%" doubled.
            return translation.gettext(message.replace("%", "%%")).replace("%%", "%")

    text, english = render("zh-hans"), render("en")
    assert text != english, f"zh_Hans translation still missing for {english!r}"
    return text


def assert_no_horizontal_overflow(page, width: int = PHONE_WIDTH):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} is {scroll_width}px wide at a {width}px viewport"


def url_of(live_server, page_or_path) -> str:
    path = page_or_path if isinstance(page_or_path, str) else page_or_path.url
    return live_server.url + iri_to_uri(path)


def make_exam(street, *, title="社区工作规范测验", **options) -> Exam:
    exam = Exam.objects.create(
        owner_unit=street,
        title=title,
        mode=Exam.Mode.FIXED,
        pass_mark=60,
        shuffle_options=True,
        **options,
    )
    exam.questions.set(
        [
            Question.objects.create(
                owner_unit=street,
                kind=q.kind,
                text=q.text,
                options=list(q.options),
                answer=list(q.answer),
                category="工作规范",
                explanation=f"{q.text}的解析",
            )
            for q in QUESTIONS
        ]
    )
    exam.save()  # a parental many-to-many is written on save
    return Exam.objects.get(pk=exam.pk)


def shown_options(fieldset) -> list[str]:
    """The option texts of a question as the page shows them, without the A./B. labels."""
    return [
        re.sub(r"^[A-Z]\.\s*", "", text.strip())
        for text in fieldset.locator("label.option").all_inner_texts()
    ]


def answer_correctly(page, question: Q):
    """Tick the right options by their text: the order on the page is shuffled per attempt."""
    fieldset = page.locator("fieldset.question").filter(has_text=question.text)
    expect(fieldset).to_have_count(1)
    shown = shown_options(fieldset)
    assert sorted(shown) == sorted(question.options)
    right = {question.options[i] for i in question.answer}
    for position, text in enumerate(shown):
        if text in right:
            fieldset.locator("label.option").nth(position).locator("input").check()
    return fieldset


# --- 1. the whole journey ------------------------------------------------------------------


def test_worker_completes_required_course_with_final_exam_on_phone(live_server, phone_page):
    units = make_tree()
    sections = make_sections(units)
    street = units["TD1S1"]
    worker = make_worker(units["TD1S1C1"], real_name="张晓梅", phone=WORKER_PHONE)
    exam = make_exam(street)
    course = make_course(sections["TD1S1"], title="网格工作入门", hours="2.5", lessons=2)
    course.exam = exam
    course.save_revision().publish()
    make_plan(street, [course])
    lesson_1, lesson_2 = course.lessons()
    page = phone_page
    base = live_server.url

    # Log in with the mobile number: 我的学习 lists the required course, not started.
    log_in(page, base, WORKER_PHONE, tap=True)
    expect(page).to_have_url(base + "/me/")
    learning = page.locator("#my-learning")
    expect(learning.get_by_role("heading", name="我的学习")).to_be_visible()
    row = learning.locator("ul.courses > li").filter(has_text=course.title)
    expect(row).to_have_count(1)
    expect(row.locator(".progress-line span")).to_have_text("0%")
    expect(row.locator(".meta")).to_contain_text("必修")
    expect(page.locator("#hours-this-year")).to_have_text("0")
    assert_no_horizontal_overflow(page)

    # The course, then its continue button, leads to the first lesson.
    row.get_by_role("link", name=course.title).tap()
    expect(page).to_have_url(url_of(live_server, course))
    expect(page.get_by_role("heading", level=1)).to_have_text(course.title)
    page.locator("main a.button.primary[href]").filter(has_text=zh("Continue")).tap()
    expect(page).to_have_url(url_of(live_server, lesson_1))
    expect(page.get_by_role("heading", level=1)).to_have_text(lesson_1.title)
    assert_no_horizontal_overflow(page)

    # "I have finished this lesson": on to lesson 2, then back to the course.
    finished = page.locator(".lesson-done button[type=submit]")
    expect(finished).to_have_text(zh("I have finished this lesson"))
    finished.tap()
    expect(page).to_have_url(url_of(live_server, lesson_2))
    expect(page.get_by_role("heading", level=1)).to_have_text(lesson_2.title)
    page.locator(".lesson-done button[type=submit]").tap()
    expect(page).to_have_url(url_of(live_server, course))
    expect(page.locator("ol.lessons > li.done")).to_have_count(2)

    # Lessons done is not the course done: the exam is still to pass.
    assert not Enrolment.objects.get(user=worker, course=course).completed_at

    # The exam: rules page, start, the paper.
    exam_button = page.locator(".exam-line a.button")
    expect(exam_button).to_have_text(zh("Take the exam"))
    exam_button.tap()
    expect(page).to_have_url(url_of(live_server, reverse("exam_start", args=[exam.pk])))
    start = page.locator("main form button[type=submit]")
    expect(start).to_have_text(zh("Start the exam"))
    start.tap()
    expect(page).to_have_url(ATTEMPT_URL)
    attempt = ExamAttempt.objects.get(exam=exam, user=worker)
    expect(page).to_have_url(url_of(live_server, reverse("exam_attempt", args=[attempt.pk])))
    expect(page.locator("fieldset.question")).to_have_count(len(QUESTIONS))
    assert_no_horizontal_overflow(page)

    for question in QUESTIONS:
        answer_correctly(page, question)
    submit = page.locator("form[data-exam-form] button[type=submit]")
    expect(submit).to_have_text(zh("Submit my answers"))
    submit.tap()

    # The result and the review.
    expect(page).to_have_url(url_of(live_server, reverse("exam_review", args=[attempt.pk])))
    expect(page.locator("main p.ok")).to_have_text(zh("Passed."))
    expect(page.locator("dl.counts")).to_contain_text("100.00")
    expect(page.locator("dl.counts")).to_contain_text(f"{len(QUESTIONS)}/{len(QUESTIONS)}")
    reviewed = page.locator("section.question")
    expect(reviewed).to_have_count(len(QUESTIONS))
    for question in QUESTIONS:
        section = reviewed.filter(has_text=question.text)
        expect(section.locator(".verdict.ok")).to_have_text(zh("Right"))
        correct = section.locator("li.correct")
        expect(correct).to_have_count(len(question.answer))
        for index in question.answer:
            expect(correct.filter(has_text=question.options[index])).to_have_count(1)
        # What the worker ticked is what was right.
        expect(section.locator("li.wrong")).to_have_count(0)
        expect(section.locator(".hint")).to_contain_text(f"{question.text}的解析")
    assert_no_horizontal_overflow(page)

    # Back on 我的学习: completed, and the course's hours credited this year.
    page.goto(base + "/me/")
    row = page.locator("#my-learning ul.courses > li").filter(has_text=course.title)
    expect(row).to_have_class(re.compile(r"\bdone\b"))
    expect(row.locator(".progress-line span")).to_have_text("100%")
    expect(row.locator(".meta")).to_contain_text("已完成")
    expect(page.locator("#hours-this-year")).to_have_text("2.5")
    assert_no_horizontal_overflow(page)

    attempt.refresh_from_db()
    assert attempt.passed is True and attempt.score == Decimal("100.00")
    assert Enrolment.objects.get(user=worker, course=course).completed_at is not None
    assert HoursEntry.objects.get(user=worker, course=course).hours == Decimal("2.5")


# --- 2. a video lesson cannot be skipped ---------------------------------------------------


def test_video_lesson_refuses_a_report_claiming_the_whole_video_at_once(live_server, phone_page):
    units = make_tree()
    sections = make_sections(units)
    worker = make_worker(units["TD1S1C1"], phone=WORKER_PHONE)
    # The document is a few bytes named .mp4: it cannot play, the reports are made by hand.
    course = make_course(sections["TD1S1"], title="消防安全", video_seconds=100)
    make_plan(units["TD1S1"], [course])
    lesson = course.lessons().first()
    report_url = reverse("lesson_report", args=[lesson.pk])
    page = phone_page

    log_in(page, live_server.url, WORKER_PHONE, tap=True)
    expect(page).to_have_url(live_server.url + "/me/")
    page.goto(url_of(live_server, lesson))

    video = page.locator("video[data-report-url]")
    expect(video).to_have_count(1)
    expect(video).to_have_attribute("data-report-url", report_url)
    expect(video).to_have_attribute("data-duration", "100")
    state = page.locator(".lesson-done #lesson-state")
    expect(state).to_contain_text("90%")
    expect(state).to_have_text(
        zh("This lesson is done once you have watched at least 90% of the video.")
    )
    # No way to tick it off by hand.
    expect(page.locator(".lesson-done form")).to_have_count(0)
    expect(page.locator(".lesson-done button")).to_have_count(0)
    assert_no_horizontal_overflow(page)

    def report(intervals, position):
        # As video-progress.js sends it: JSON, same-origin cookies, CSRF token from the page
        # (the cookie is HttpOnly).
        return page.evaluate(
            """async ([url, intervals, position]) => {
                const csrf = document.querySelector("video[data-report-url]").dataset.csrfToken;
                const response = await fetch(url, {
                    method: "POST", credentials: "same-origin",
                    headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
                    body: JSON.stringify({intervals, position}),
                });
                return {status: response.status, body: await response.json()};
            }""",
            [report_url, intervals, position],
        )

    # The whole video "watched" seconds after opening the lesson: refused.
    skipped = report([[0, 100]], 100)
    assert skipped == {"status": 200, "body": {"watched_percent": 0, "completed": False}}

    # An honest few seconds is taken: the refusal above was about the skipping, nothing else.
    honest = report([[0, 4]], 4)
    assert honest == {"status": 200, "body": {"watched_percent": 4, "completed": False}}

    progress = LessonProgress.objects.get(user=worker, lesson=lesson)
    assert progress.completed_at is None
    assert progress.watched == [[0.0, 4.0]]

    # Reloaded, the lesson still waits for the video.
    page.reload()
    expect(page.locator(".lesson-done #lesson-state")).to_contain_text("90%")
    expect(page.locator(".lesson-done button")).to_have_count(0)


# --- 3. the exam's time limit is the server's ----------------------------------------------


def test_exam_answers_sent_after_the_deadline_are_refused(live_server, phone_page):
    units = make_tree()
    street = units["TD1S1"]
    worker = make_worker(units["TD1S1C1"], phone=WORKER_PHONE)
    exam = make_exam(street, time_limit_minutes=30)
    page = phone_page

    log_in(page, live_server.url, WORKER_PHONE, tap=True)
    expect(page).to_have_url(live_server.url + "/me/")
    page.goto(url_of(live_server, reverse("exam_start", args=[exam.pk])))
    page.locator("main form button[type=submit]").tap()
    expect(page).to_have_url(ATTEMPT_URL)
    attempt = ExamAttempt.objects.get(exam=exam, user=worker)
    expect(page).to_have_url(url_of(live_server, reverse("exam_attempt", args=[attempt.pk])))
    expect(page.locator("fieldset.question")).to_have_count(len(QUESTIONS))
    for question in QUESTIONS:
        answer_correctly(page, question)

    # The paper stayed open past the time limit and its grace (a phone left on the table).
    ExamAttempt.objects.filter(pk=attempt.pk).update(
        deadline=timezone.now() - exams.GRACE - timedelta(minutes=1)
    )
    page.locator("form[data-exam-form] button[type=submit]").tap()

    # Refused with a clear message, back on the exam's page.
    expect(page).to_have_url(url_of(live_server, reverse("exam_start", args=[exam.pk])))
    expect(page.locator(".messages li.error")).to_have_text(zh(exams.MESSAGES["over_time"]))

    attempt.refresh_from_db()
    assert attempt.submitted_at is None
    assert attempt.score is None
    assert attempt.passed is None
    assert exams.token_of(attempt), "the answers were not recorded: the token is unused"

    # The paper itself now says the time is over and offers no form to send.
    page.goto(url_of(live_server, reverse("exam_attempt", args=[attempt.pk])))
    expect(page.locator("main [role=alert]")).to_have_text(
        zh("The time for this attempt is over and it was not submitted.")
    )
    expect(page.locator("form[data-exam-form]")).to_have_count(0)


def test_exam_paper_sends_itself_when_the_countdown_ends(live_server, phone_page):
    units = make_tree()
    worker = make_worker(units["TD1S1C1"], phone=WORKER_PHONE)
    exam = make_exam(units["TD1S1"], time_limit_minutes=30)
    page = phone_page

    log_in(page, live_server.url, WORKER_PHONE, tap=True)
    expect(page).to_have_url(live_server.url + "/me/")
    # The phone's clock is Playwright's from here on: the countdown can be run forward.
    page.clock.install()
    page.goto(url_of(live_server, reverse("exam_start", args=[exam.pk])))
    page.locator("main form button[type=submit]").tap()
    expect(page).to_have_url(ATTEMPT_URL)
    attempt = ExamAttempt.objects.get(exam=exam, user=worker)
    for question in QUESTIONS:
        answer_correctly(page, question)

    timer = page.locator("[data-exam-timer]")
    display = timer.locator("[data-exam-timer-display]")
    expect(display).to_have_text(re.compile(r"^(30:00|29:5\d)$"))
    page.clock.fast_forward("29:30")
    expect(display).to_have_text(re.compile(r"^00:[23]\d$"))
    expect(timer).to_have_class(re.compile(r"\bending\b"))

    # At zero the page sends the ticked answers itself; the server's deadline has not passed.
    page.clock.fast_forward("00:40")
    expect(page).to_have_url(url_of(live_server, reverse("exam_review", args=[attempt.pk])))
    expect(page.locator("main p.ok")).to_have_text(zh("Passed."))
    attempt.refresh_from_db()
    assert attempt.submitted_at is not None and attempt.passed is True
