"""The item statistics CSV opens safely in a spreadsheet (OWASP CSV injection): text cells that a
spreadsheet would read as a formula are neutralised with a leading quote; our numbers stay numbers."""

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from courses.models import Course, Lesson
from quizzes.identity import Student
from quizzes.models import Choice, LessonQuizSettings, Mode, Question
from quizzes.services.attempts import attempt_start
from quizzes.services.responses import response_submit
from quizzes.stats_report import statistics_csv
from quizzes.stats_selectors import lesson_item_statistics

pytestmark = pytest.mark.django_db

DANGEROUS = ['=HYPERLINK("http://evil.example","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\tcmd", "\rcmd"]


@pytest.fixture
def lesson(db):
    course = Course.objects.create(title="Course", slug="course")
    lesson = Lesson.objects.create(course=course, slug="csv", title="CSV lesson", published=True)
    LessonQuizSettings.objects.create(lesson=lesson, easy=1, medium=0, hard=0)
    return lesson


def rows(lesson):
    return list(csv.DictReader(io.StringIO(statistics_csv(lesson_item_statistics(lesson=lesson)))))


@pytest.mark.parametrize("text", DANGEROUS)
def test_a_choice_text_that_starts_a_formula_gets_a_leading_quote(lesson, text):
    """=, +, -, @, tab and carriage return at the start of a choice's text: written behind a single quote."""
    q = Question.objects.create(lesson=lesson, key="q", position=1, stem="Pick?", difficulty="easy")
    Choice.objects.create(question=q, position=1, text="safe", fraction=1)
    Choice.objects.create(question=q, position=2, text=text, fraction=0)
    assert [r["choice"] for r in rows(lesson) if r["row"] == "choice"] == ["safe", "'" + text]


@pytest.mark.parametrize("typed", ['=HYPERLINK("http://evil.example","x")', "+1+1", "-1+1", "@SUM(A1)"])
def test_what_a_student_typed_is_neutralised(lesson, typed):
    """A typed answer no answer matched is listed as text behind a quote, never as a live formula."""
    q = Question.objects.create(lesson=lesson, key="shape", position=1, stem="What shape?", difficulty="easy", kind="short")
    Choice.objects.create(question=q, position=1, text="1000 x 512", fraction=1)
    user = get_user_model().objects.create_user("s1", password="pw-123456789")
    attempt = attempt_start(student=Student(user_id=user.pk), lesson=lesson, mode=Mode.TEST)
    response_submit(attempt=attempt, question_id=q.id, typed=typed)
    assert [r["choice"] for r in rows(lesson) if r["row"] == "unmatched"] == ["'" + typed]


def test_negative_numbers_we_write_stay_numbers(lesson):
    """A negative credit is our own formatted number, not text: '-50.00', no quote, so it sorts and sums."""
    q = Question.objects.create(lesson=lesson, key="pick-two", position=1, stem="Which?", difficulty="easy", kind="multiple")
    for n, fraction in enumerate(["0.5", "0.5", "-0.5"], start=1):
        Choice.objects.create(question=q, position=n, text=f"choice {n}", fraction=Decimal(fraction))
    assert [r["choice_credit"] for r in rows(lesson) if r["row"] == "choice"] == ["50.00", "50.00", "-50.00"]
