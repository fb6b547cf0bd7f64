"""The timed exam: the deadline fixed at the start, extensions, the grace period, closing by the
task and by every read, and the pages (countdown, start page, result)."""

import re
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core.exceptions import ValidationError
from django.urls import reverse

from quizzes.selectors.attempts import attempt_get
from quizzes.selectors.exams import exam_limit
from quizzes.services.attempts import attempt_start
from quizzes.services.responses import EXAM_TIME_UP, NO_HINTS_IN_TEST, response_submit, response_use_hint
from quizzes.services.scores import attempt_finish
from quizzes.identity import Student
from quizzes.models import (
    EMPTY_EXTENSION,
    PARTIAL_EXAM_BLUEPRINT,
    Attempt,
    ExamExtension,
    LessonExamSettings,
    LessonQuizSettings,
    Response,
)
from quizzes.tasks import close_exam
from tests.quizzes.test_views import letters_for

ANON = Student(None, "anon-exam")
LIMIT = timedelta(minutes=15)  # the default limit
PASSWORD = "pw-123456789"


@pytest.fixture
def bank(make_question):
    return [make_question(difficulty=d) for d in ["easy"] * 4 + ["medium"] * 5 + ["hard"] * 4]


@pytest.fixture
def student(django_user_model):
    return django_user_model.objects.create_user("sam", password=PASSWORD)


@pytest.fixture
def signed_in(client, student):
    client.force_login(student)
    return client


def start_exam(client, lesson) -> Attempt:
    response = client.post(reverse("quizzes:exam", args=[lesson.slug]))
    assert response.status_code == 302, response
    return Attempt.objects.filter(mode="exam").latest("id")


def post_answer(client, attempt, number=1, correct=True):
    qid = attempt.question_ids[number - 1]
    return client.post(reverse("quizzes:answer", args=[attempt.pk, number]), {"answer": letters_for(attempt, qid, correct)})


# --- the deadline and who gets how long ----------------------------------------------------


def test_an_exam_stores_its_deadline_at_the_start(lesson, bank, clock):
    """Start + 15 minutes by default, or the lesson's own limit; drawn by the test's blueprint."""
    attempt = attempt_start(student=ANON, lesson=lesson, mode="exam")
    assert attempt.deadline == clock.now + LIMIT and attempt.time_limit == LIMIT
    assert len(attempt.question_ids) == 10
    LessonExamSettings.objects.create(lesson=lesson, minutes=40, easy=1, medium=1, hard=0)
    attempt_finish(attempt=attempt)
    second = attempt_start(student=ANON, lesson=lesson, mode="exam")
    assert second.deadline == clock.now + timedelta(minutes=40) and len(second.question_ids) == 2


def test_an_extension_applies_to_exams_started_after_it(lesson, bank, clock, student):
    """Moodle's user override: extra minutes, or another limit plus extra minutes, for one student;
    the exam already running keeps its deadline, other students keep the lesson's limit."""
    me = Student(student.pk)
    running = attempt_start(student=me, lesson=lesson, mode="exam")
    extension = ExamExtension.objects.create(lesson=lesson, user=student, extra_minutes=10, reason="extra time")
    running.refresh_from_db()
    assert running.deadline == clock.now + LIMIT
    attempt_finish(attempt=running)
    assert attempt_start(student=me, lesson=lesson, mode="exam").deadline == clock.now + timedelta(minutes=25)
    assert attempt_start(student=ANON, lesson=lesson, mode="exam").deadline == clock.now + LIMIT
    extension.minutes, extension.extra_minutes = 30, 5
    extension.save()
    assert exam_limit(student=me, lesson=lesson).minutes == 35


def test_an_extension_must_change_something():
    with pytest.raises(ValidationError) as exc:
        ExamExtension(minutes=None, extra_minutes=0).clean()
    assert exc.value.code == EMPTY_EXTENSION
    with pytest.raises(ValidationError) as exc:
        LessonExamSettings(minutes=10, easy=2, medium=None, hard=None).clean()
    assert exc.value.code == PARTIAL_EXAM_BLUEPRINT


def test_the_admin_sets_an_extension_for_a_student(client, lesson, bank, student, django_user_model, clock):
    """An admin adds an extension in the Django admin; the student's next exam is longer."""
    admin_user = django_user_model.objects.create_superuser("boss", "boss@example.org", PASSWORD)
    client.force_login(admin_user)
    add = reverse("admin:quizzes_examextension_add")
    refused = client.post(add, {"lesson": lesson.pk, "user": student.pk, "minutes": "", "extra_minutes": "0"})
    assert refused.status_code == 200 and not ExamExtension.objects.exists()
    done = client.post(add, {"lesson": lesson.pk, "user": student.pk, "minutes": "", "extra_minutes": "20", "reason": "dyslexia"})
    assert done.status_code == 302, done.content.decode()[:2000]
    attempt = attempt_start(student=Student(student.pk), lesson=lesson, mode="exam")
    assert attempt.deadline - attempt.started_at == timedelta(minutes=35)


# --- answers against the clock ---------------------------------------------------------------


def test_answers_after_the_grace_period_are_refused_with_a_code(lesson, bank, clock, settings):
    settings.EXAM_GRACE_SECONDS = 30
    attempt = attempt_start(student=ANON, lesson=lesson, mode="exam")
    clock.advance(minutes=15, seconds=31)
    with pytest.raises(ValidationError) as exc:
        response_submit(attempt=attempt, question_id=attempt.question_ids[0], letters=["A"])
    assert exc.value.code == EXAM_TIME_UP
    assert not Response.objects.filter(attempt=attempt).exists()


def test_an_answer_within_the_grace_period_is_accepted(lesson, bank, clock, settings):
    settings.EXAM_GRACE_SECONDS = 30
    attempt = attempt_start(student=ANON, lesson=lesson, mode="exam")
    clock.advance(minutes=15, seconds=29)
    response, created = response_submit(attempt=attempt, question_id=attempt.question_ids[0], letters=["A"])
    assert created and response.answered


def test_no_hints_in_an_exam(lesson, bank):
    attempt = attempt_start(student=ANON, lesson=lesson, mode="exam")
    with pytest.raises(ValidationError) as exc:
        response_use_hint(attempt=attempt, question_id=attempt.question_ids[0])
    assert exc.value.code == NO_HINTS_IN_TEST


def test_the_deadline_holds_against_a_client_that_ignores_the_countdown(signed_in, lesson, bank, clock):
    """Answers posted straight to the server after the deadline and its grace are not saved; the
    exam is over and the result page says how long it took."""
    attempt = start_exam(signed_in, lesson)
    assert post_answer(signed_in, attempt, 1).status_code == 302
    clock.advance(minutes=15, seconds=31)
    refused = post_answer(signed_in, attempt, 2)
    assert refused.status_code == 302 and refused["Location"] == reverse("quizzes:result", args=[attempt.pk])
    assert not Response.objects.filter(attempt=attempt, question_id=attempt.question_ids[1]).exists()
    attempt.refresh_from_db()
    assert attempt.finished and attempt.score == Decimal("0.1")
    page = signed_in.get(refused["Location"]).content.decode()
    assert "Time is up" in page  # the refusal's message
    assert re.search(r"Time used:</span> 15 min 0 s of 15 min 0 s", page)


def test_an_answer_that_arrives_within_the_grace_period_counts(signed_in, lesson, bank, clock):
    attempt = start_exam(signed_in, lesson)
    clock.advance(minutes=15, seconds=10)
    accepted = post_answer(signed_in, attempt, 1)
    assert Response.objects.get(attempt=attempt, question_id=attempt.question_ids[0]).correct
    # the next page the student opens shows the result: time is up
    following = signed_in.get(accepted["Location"])
    assert following.status_code == 302 and following["Location"].startswith(reverse("quizzes:result", args=[attempt.pk]))
    attempt.refresh_from_db()
    assert attempt.finished and attempt.score == Decimal("0.1")


# --- closing by itself -----------------------------------------------------------------------


def test_the_task_finishes_an_exam_nobody_came_back_to(lesson, bank, clock):
    attempt = attempt_start(student=ANON, lesson=lesson, mode="exam")
    response_submit(attempt=attempt, question_id=attempt.question_ids[0], letters=letters_for(attempt, attempt.question_ids[0]))
    clock.advance(minutes=15, seconds=31)
    close_exam(attempt.pk)
    attempt.refresh_from_db()
    assert attempt.finished and attempt.score == Decimal("0.1")
    finished_at = attempt.finished_at
    clock.advance(minutes=1)
    close_exam(attempt.pk)  # a second delivery of the message changes nothing
    attempt.refresh_from_db()
    assert attempt.finished_at == finished_at and attempt.score == Decimal("0.1")
    close_exam(999_999)  # a deleted attempt: nothing to do


def test_a_task_that_runs_early_tries_again_and_changes_nothing(lesson, bank, clock):
    """A worker whose clock is behind runs the close before the grace period ends: it retries."""
    attempt = attempt_start(student=ANON, lesson=lesson, mode="exam")
    clock.advance(minutes=15, seconds=10)
    with pytest.raises(Retry):
        close_exam(attempt.pk)
    attempt.refresh_from_db()
    assert not attempt.finished


def test_the_close_is_queued_on_commit_for_the_end_of_the_grace_period(
    lesson, bank, clock, settings, django_capture_on_commit_callbacks
):
    settings.EXAM_GRACE_SECONDS = 30
    with mock.patch("quizzes.tasks.close_exam.apply_async") as send:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            attempt = attempt_start(student=ANON, lesson=lesson, mode="exam")
        send.assert_not_called()
        for callback in callbacks:
            callback()
    send.assert_called_once_with(args=[attempt.pk], eta=clock.now + LIMIT + timedelta(seconds=30))
    # and no other mode queues anything
    with mock.patch("quizzes.tasks.close_exam.apply_async") as send, django_capture_on_commit_callbacks(execute=True):
        attempt_start(student=ANON, lesson=lesson, mode="test")
    send.assert_not_called()


def test_the_close_task_runs_on_the_default_queue():
    """`make run`'s worker consumes gpu and default; the lab's tasks alone go to gpu."""
    from config.celery import app

    assert app.amqp.router.route({}, close_exam.name)["queue"].name == "default"


def test_a_broker_that_is_down_does_not_stop_an_exam_from_starting(lesson, bank, django_capture_on_commit_callbacks):
    from kombu.exceptions import OperationalError

    with mock.patch("quizzes.tasks.close_exam.apply_async", side_effect=OperationalError("no broker")):
        with django_capture_on_commit_callbacks(execute=True):
            attempt = attempt_start(student=ANON, lesson=lesson, mode="exam")
    assert Attempt.objects.get(pk=attempt.pk).deadline is not None


def test_every_read_of_an_overdue_exam_finishes_it_first(signed_in, lesson, bank, clock):
    """When the task's message is lost, the student's next look at the exam closes it: the exam
    page, the lesson page's picker and every page of the attempt."""
    attempt = start_exam(signed_in, lesson)
    post_answer(signed_in, attempt, 1)
    clock.advance(minutes=16)
    page = signed_in.get(reverse("quizzes:exam", args=[lesson.slug])).content.decode()
    attempt.refresh_from_db()
    assert attempt.finished and "Your last exam: <strong>10%</strong> in 15 min 0 s" in page
    # each page of an attempt, reached by another way: the question page
    second = start_exam(signed_in, lesson)
    clock.advance(minutes=16)
    assert signed_in.get(reverse("quizzes:question", args=[second.pk, 3])).status_code == 302
    second.refresh_from_db()
    assert second.finished
    # the lesson page's mode picker (closing is idempotent: a later task changes nothing)
    third = start_exam(signed_in, lesson)
    clock.advance(minutes=16)
    picker = signed_in.get(lesson.get_absolute_url()).content.decode()
    third.refresh_from_db()
    assert third.finished and "Last exam: 0%" in picker


def test_a_read_leaves_an_overdue_exam_as_stored_and_its_result_page_closes_it_once(signed_in, lesson, bank, clock, student):
    """Reads only read: the attempt selector returns an exam past its grace period as stored, still
    running; the result page closes it with one finishing write and shows the score."""
    attempt = start_exam(signed_in, lesson)
    post_answer(signed_in, attempt, 1)
    clock.advance(minutes=16)
    assert not attempt_get(pk=attempt.pk, student=Student(student.pk)).finished
    attempt.refresh_from_db()
    assert not attempt.finished
    with mock.patch("quizzes.services.exams.attempt_finish", wraps=attempt_finish) as finishing:
        page = signed_in.get(reverse("quizzes:result", args=[attempt.pk]))
    assert page.status_code == 200 and finishing.call_count == 1
    attempt.refresh_from_db()
    assert attempt.finished and attempt.score_percent == 10


# --- pages -----------------------------------------------------------------------------------


def test_the_countdown_is_rendered_from_the_servers_deadline(client, lesson, bank, clock):
    """Without JavaScript the minutes left show; a reload counts from the same deadline; the live
    region starts empty (the script fills it at 10, 5, 1 minutes and 30 s)."""
    attempt = start_exam(client, lesson)
    clock.advance(minutes=5, seconds=20)
    url = reverse("quizzes:question", args=[attempt.pk, 1])
    page = client.get(url).content.decode()
    assert 'data-seconds-left="580"' in page and ">10 min</strong>" in page
    live = re.search(r'<p id="exam-clock-live"[^>]*>(.*?)</p>', page)
    assert 'aria-live="polite"' in live.group(0) and live.group(1) == ""
    assert "quizzes/exam_clock.js" in page
    clock.advance(minutes=1)
    assert 'data-seconds-left="520"' in client.get(url).content.decode()


def test_an_exam_hides_feedback_until_the_result(client, lesson, bank):
    attempt = start_exam(client, lesson)
    response = post_answer(client, attempt, 1, correct=False)
    page = client.get(response["Location"]).content.decode()
    assert "Question 2 of 10" in page and "Incorrect" not in page and "Show a hint" not in page
    client.post(reverse("quizzes:finish", args=[attempt.pk]))
    result = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert "Timed exam: your results" in result and "Breakdown by difficulty" in result and "Pattern strength" in result
    # the one answered question shows its solution; the 9 unanswered show none (issue 22, finding 8)
    assert result.count('class="solution"') == 1 and result.count('data-code="skipped"') == 9
    assert "Time used:" in result and "of 15 min 0 s" in result


def test_an_exam_finished_at_once_reveals_no_solution(client, lesson, bank):
    """As in a test (issue 22, finding 8): no worked step, final answer, quick check or correct
    choice's feedback of any question; each says it was skipped and offers to practise it."""
    attempt = start_exam(client, lesson)
    client.post(reverse("quizzes:finish", args=[attempt.pk]))
    result = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert result.count("not answered (skipped, counts as wrong)") == 10
    for secret in ('class="solution"', "Step title", "Step body", "Final Answer", "Quick Check", "Check it.", "RIGHT-EXPLAINED"):
        assert secret not in result, f"{secret!r} shown for an unanswered exam question"
    assert result.count('data-code="skipped"') == 10 and "Practise question 10" in result
    assert "the solutions of those you answered" in result


def test_the_start_page_shows_the_students_limit_and_resumes_a_running_exam(signed_in, lesson, bank, student):
    ExamExtension.objects.create(lesson=lesson, user=student, extra_minutes=10)
    LessonQuizSettings.objects.create(lesson=lesson, easy=1, medium=1, hard=1)
    page = signed_in.get(reverse("quizzes:exam", args=[lesson.slug])).content.decode()
    assert "<strong>25 minutes</strong> (the exam's 15 minutes, adjusted for you)" in page
    assert "3 questions across easy, medium and hard" in page
    first = start_exam(signed_in, lesson)
    again = signed_in.post(reverse("quizzes:exam", args=[lesson.slug]))
    assert again["Location"] == reverse("quizzes:attempt", args=[first.pk])
    assert Attempt.objects.filter(mode="exam").count() == 1
    assert "Resume the exam" in signed_in.get(reverse("quizzes:exam", args=[lesson.slug])).content.decode()
