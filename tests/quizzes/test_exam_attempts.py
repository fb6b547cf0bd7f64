"""The exam's attempts allowed (issue 22, finding 14) and one open exam per student and lesson held by
the database (finding 13; the concurrent starts on PostgreSQL are in test_exam_concurrency.py)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from quizzes.identity import Student
from quizzes.models import Attempt, LessonExamSettings
from quizzes.services.accounts import attempts_claim_anonymous
from quizzes.services.attempts import EXAM_ATTEMPTS_USED, attempt_start
from quizzes.services.scores import attempt_finish
from tests.quizzes.test_content import EXAM, load

ANON = Student(None, "anon-attempts")
PASSWORD = "pw-123456789"


@pytest.fixture
def bank(make_question):
    return [make_question(difficulty=d) for d in ["easy"] * 4 + ["medium"] * 5 + ["hard"] * 4]


@pytest.fixture
def signed_in(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("sam", password=PASSWORD))
    return client


def exam_page(client, lesson) -> str:
    return client.get(reverse("quizzes:exam", args=[lesson.slug])).content.decode()


def test_the_attempts_allowed_are_enforced_by_the_start_service(lesson, bank):
    """Three allowed: the fourth start is refused with its code, and no exam is opened."""
    LessonExamSettings.objects.create(lesson=lesson, attempts=3)
    for _ in range(3):
        attempt_finish(attempt=attempt_start(student=ANON, lesson=lesson, mode="exam"))
    with pytest.raises(ValidationError) as exc:
        attempt_start(student=ANON, lesson=lesson, mode="exam")
    assert exc.value.code == EXAM_ATTEMPTS_USED and exc.value.params == {"allowed": 3}
    assert "used all 3 attempts" in exc.value.messages[0]
    assert Attempt.objects.filter(mode="exam").count() == 3
    other = Student(None, "another-student")  # the limit is each student's
    assert attempt_start(student=other, lesson=lesson, mode="exam").mode == "exam"


def test_without_a_setting_exams_are_unlimited(lesson, bank):
    for _ in range(5):
        attempt_finish(attempt=attempt_start(student=ANON, lesson=lesson, mode="exam"))
    assert Attempt.objects.filter(mode="exam", finished_at__isnull=False).count() == 5


def test_a_start_while_an_exam_runs_returns_it_and_uses_no_attempt(lesson, bank):
    LessonExamSettings.objects.create(lesson=lesson, attempts=1)
    running = attempt_start(student=ANON, lesson=lesson, mode="exam")
    assert attempt_start(student=ANON, lesson=lesson, mode="exam").pk == running.pk
    assert Attempt.objects.filter(mode="exam").count() == 1


def test_the_database_refuses_a_second_open_exam(lesson, bank, django_user_model):
    """Not only the service's check: a row written past it violates the constraint, for a user and
    for an anonymous student; a finished exam, or another lesson's or mode's attempt, does not."""
    user = django_user_model.objects.create_user("db", password=PASSWORD)
    for owner in ({"user": user}, {"anon_id": "anon-db"}):
        Attempt.objects.create(mode="exam", lesson=lesson, question_ids=[1], **owner)
        with pytest.raises(IntegrityError), transaction.atomic():
            Attempt.objects.create(mode="exam", lesson=lesson, question_ids=[1], **owner)
        Attempt.objects.filter(mode="exam", **owner).update(finished_at="2026-01-01T00:00Z")
        Attempt.objects.create(mode="exam", lesson=lesson, question_ids=[1], **owner)
        Attempt.objects.create(mode="test", lesson=lesson, question_ids=[1], **owner)
        Attempt.objects.create(mode="test", lesson=lesson, question_ids=[1], **owner)


def test_a_start_that_loses_the_race_returns_the_open_exam(lesson, bank, monkeypatch):
    """The check passes (as for two requests at once), the insert violates the constraint: the
    service returns the exam the other request opened instead of failing or opening a second."""
    from quizzes.services import attempts as service

    first = attempt_start(student=ANON, lesson=lesson, mode="exam")
    calls = []
    real = service.attempt_unfinished

    def check_misses_once(**kw):  # the check sees no open exam once, then the real one
        calls.append(kw)
        return None if len(calls) == 1 else real(**kw)

    monkeypatch.setattr(service, "attempt_unfinished", check_misses_once)
    assert attempt_start(student=ANON, lesson=lesson, mode="exam").pk == first.pk
    assert len(calls) == 2 and Attempt.objects.filter(mode="exam").count() == 1


def test_the_exam_page_says_which_attempt_and_refuses_past_the_last(signed_in, lesson, bank):
    LessonExamSettings.objects.create(lesson=lesson, attempts=2)
    assert "Starting now makes it attempt 1 of 2." in exam_page(signed_in, lesson)
    url = reverse("quizzes:exam", args=[lesson.slug])
    signed_in.post(url)
    assert "This is attempt 1 of 2." in exam_page(signed_in, lesson)
    signed_in.post(reverse("quizzes:finish", args=[Attempt.objects.get().pk]))
    assert "Starting now makes it attempt 2 of 2." in exam_page(signed_in, lesson)
    signed_in.post(url)
    signed_in.post(reverse("quizzes:finish", args=[Attempt.objects.latest("id").pk]))
    page = exam_page(signed_in, lesson)
    assert "You have used all 2." in page and "Start the exam" not in page
    refused = signed_in.post(url, follow=True).content.decode()  # a form posted from an older page
    assert "You have used all 2 attempts at this exam." in refused
    assert Attempt.objects.filter(mode="exam").count() == 2


def test_unlimited_exams_show_no_attempt_count(signed_in, lesson, bank):
    page = exam_page(signed_in, lesson)
    assert 'id="exam-attempts"' not in page and "Start the exam" in page


@pytest.mark.django_db
def test_the_lesson_file_sets_the_attempts_allowed():
    """`exam: {attempts: N}`; an `exam:` without it is unlimited again; out of range is refused."""
    lesson = load(EXAM.replace("exam: {minutes: 20,", "exam: {minutes: 20, attempts: 3,"))
    assert LessonExamSettings.objects.get(lesson=lesson).attempts == 3
    load(EXAM)
    assert LessonExamSettings.objects.get(lesson=lesson).attempts is None
    with pytest.raises(ValidationError) as exc:
        load(EXAM.replace("exam: {minutes: 20,", "exam: {minutes: 20, attempts: 0,"))
    assert "exam.attempts" in exc.value.params["field"] and "below the minimum 1" in exc.value.params["problem"]


def test_logging_in_with_an_exam_running_on_both_sides_keeps_one_open(lesson, bank, django_user_model):
    """The anonymous exam is finished before it joins the account's running exam."""
    user = django_user_model.objects.create_user("both", password=PASSWORD)
    mine = attempt_start(student=Student(user.pk), lesson=lesson, mode="exam")
    anonymous = attempt_start(student=ANON, lesson=lesson, mode="exam")
    assert attempts_claim_anonymous(user=user, anon_id=ANON.anon_id) == 1
    anonymous.refresh_from_db()
    assert anonymous.user_id == user.pk and anonymous.finished and anonymous.score == 0
    assert list(Attempt.objects.filter(mode="exam", finished_at__isnull=True)) == [mine]


def test_staff_set_the_attempts_allowed_in_the_admin(client, lesson, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("admin", "a@example.com", PASSWORD))
    add = reverse("admin:quizzes_lessonexamsettings_add")
    assert 'name="attempts"' in client.get(add).content.decode()
    form = {"lesson": lesson.pk, "minutes": 15, "easy": "", "medium": "", "hard": ""}
    refused = client.post(add, {**form, "attempts": 0}).content.decode()
    assert "greater than or equal to 1" in refused and not LessonExamSettings.objects.exists()
    assert client.post(add, {**form, "attempts": 3}).status_code == 302
    assert LessonExamSettings.objects.get(lesson=lesson).attempts == 3
    listing = client.get(reverse("admin:quizzes_lessonexamsettings_changelist")).content.decode()
    assert "column-attempts" in listing
