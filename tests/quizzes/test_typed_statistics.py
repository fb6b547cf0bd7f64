"""Item statistics of typed-answer questions: facility and discrimination from their marks, each
answer's count, and the most common typed answers that no answer foresees (page and CSV)."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from courses.models import Course, Lesson
from quizzes.grading import letter
from quizzes.identity import Student
from quizzes.models import Choice, LessonQuizSettings, Mode, Question
from quizzes.services.attempts import attempt_start
from quizzes.services.responses import response_submit
from quizzes.stats_selectors import lesson_item_statistics
from quizzes.typed import TOP_UNMATCHED

pytestmark = pytest.mark.django_db

# Per student: right on the choice question? and what they typed for the numeric one.
# The same four as the choice-only matrix of test_item_stats_views (q1 right, right, wrong, wrong;
# the typed question right, wrong, right, wrong), so the typed question's D is 0 and q1's facility 50%.
STUDENTS = [(True, "1,539"), (True, "1536"), (False, "1539"), (False, "2048")]
UNMATCHED = ["2048", "2,048", "512", "3", "1000", "7", "8"]


@pytest.fixture
def lesson(db):
    course = Course.objects.create(title="Course", slug="course")
    lesson = Lesson.objects.create(course=course, slug="stats", title="Stats lesson", published=True)
    LessonQuizSettings.objects.create(lesson=lesson, easy=2, medium=0, hard=0)
    q1 = Question.objects.create(lesson=lesson, key="q1", position=1, stem="Pick?", difficulty="easy")
    Choice.objects.create(question=q1, position=1, text="right", fraction=1)
    Choice.objects.create(question=q1, position=2, text="wrong", fraction=0)
    typed = Question.objects.create(lesson=lesson, key="typed", position=2, stem="How many?", difficulty="easy", kind="numeric")
    Choice.objects.create(question=typed, position=1, text="1539", fraction=1)
    Choice.objects.create(question=typed, position=2, text="1536", fraction=0)
    Choice.objects.create(question=typed, position=3, text="75267", fraction=0)  # never typed
    return lesson


def take_tests(lesson, rows):
    User = get_user_model()
    q1, typed = Question.objects.get(key="q1"), Question.objects.get(key="typed")
    for n, (right, text) in enumerate(rows):
        user = User.objects.create_user(f"s{n}", password="pw-123456789")
        attempt = attempt_start(student=Student(user_id=user.pk), lesson=lesson, mode=Mode.TEST)
        choice = q1.choices.get(text="right" if right else "wrong")
        response_submit(attempt=attempt, question_id=q1.id, letters=[letter(attempt.choice_orders[str(q1.id)].index(choice.id))])
        response_submit(attempt=attempt, question_id=typed.id, typed=text)


def typed_row(stats):
    return next(r for r in stats.rows if r.question.key == "typed")


def test_a_typed_question_gets_facility_and_discrimination_from_its_marks(lesson):
    """Twelve students: facility 50%, discrimination 0 (the rest of the test does not predict it)."""
    take_tests(lesson, STUDENTS * 3)
    row = typed_row(lesson_item_statistics(lesson=lesson))
    assert row.stats.n == 12 and row.stats.facility == pytest.approx(50)
    assert row.stats.discrimination_index == pytest.approx(0, abs=1e-9)


def test_each_answer_is_counted_and_a_never_typed_wrong_answer_is_no_weak_distractor(lesson):
    """1539 typed six times (as 1,539 too), 1536 three times; 75267, never typed, is not flagged: nobody is offered it."""
    take_tests(lesson, STUDENTS * 3)
    row = typed_row(lesson_item_statistics(lesson=lesson))
    assert {c.text: c.count for c in row.choices} == {"1539": 6, "1536": 3, "75267": 0}
    assert all(not c.flags for c in row.choices) and "weak_distractor" not in row.flag_codes


def test_the_most_common_unmatched_typed_answers_are_listed(lesson, client, django_user_model):
    """What students type that no answer foresees, the same number counted together, five at most; on the page and in the CSV."""
    take_tests(lesson, [(n % 2 == 0, text) for n, text in enumerate(UNMATCHED + ["2048", "512"])])
    row = typed_row(lesson_item_statistics(lesson=lesson))
    assert row.unmatched[:2] == [("2048", 3), ("512", 2)] and len(row.unmatched) == TOP_UNMATCHED
    client.force_login(django_user_model.objects.create_superuser("admin", "a@example.com", "pw-123456789"))
    page = client.get(reverse("admin:quizzes_lesson_statistics", args=[lesson.pk])).content.decode()
    assert "Most common typed answers that match no answer" in page and "<td>2048</td><td>3</td>" in page
    rows = list(
        csv.DictReader(io.StringIO(client.get(reverse("admin:quizzes_lesson_statistics_csv", args=[lesson.pk])).content.decode()))
    )
    unmatched = [(r["choice"], r["choice_count"]) for r in rows if r["row"] == "unmatched"]
    assert unmatched[:2] == [("2048", "3"), ("512", "2")] and len(unmatched) == TOP_UNMATCHED
    assert all(r["question"] == "typed" for r in rows if r["row"] == "unmatched")


def test_a_typed_answers_percent_is_of_the_attempts_that_typed_an_answer(lesson):
    """1539 typed 6 times in 10 answers (4 matched nothing) is 60%, not 100% of the matched ones."""
    take_tests(lesson, [(True, "1539")] * 6 + [(False, "2048")] * 4)
    row = typed_row(lesson_item_statistics(lesson=lesson))
    assert {c.text: (c.count, c.percent) for c in row.choices} == {"1539": (6, 60.0), "1536": (0, 0.0), "75267": (0, 0.0)}


def test_answers_only_the_catch_all_matched_are_counted_on_it_and_listed_as_unforeseen(lesson):
    """With Moodle's '*' answer, 2048 matches it: counted on '*', and still listed among the unforeseen answers."""
    Choice.objects.create(question=Question.objects.get(key="typed"), position=4, text="*", fraction=0, feedback="No.")
    take_tests(lesson, [(True, "1539")] * 2 + [(False, "2048")] * 2)
    row = typed_row(lesson_item_statistics(lesson=lesson))
    assert {c.text: c.count for c in row.choices}["*"] == 2 and row.unmatched == [("2048", 2)]
