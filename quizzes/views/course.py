"""The quiz app's columns on the course page (read, questions answered, test best) and its course-wide study line."""

from django.template.defaultfilters import pluralize
from django.utils import timezone

from quizzes.identity import student_for
from quizzes.selectors.course import best_tests, lessons_read, questions_answered
from quizzes.selectors.flashcards import flashcard_deck
from quizzes.selectors.reviews import review_due

READ = "Read"
NOT_READ = "Not yet"


def read_column(lessons, request) -> dict[int, str]:
    """ "Read" once the student has answered every question of the lesson's model quiz (see selectors.course)."""
    found = lessons_read(student=student_for(request), lessons=lessons)
    return {lesson_id: READ if done else NOT_READ for lesson_id, done in found.items()}


def answered_column(lessons, request) -> dict[int, str]:
    return {k: str(n) for k, n in questions_answered(student=student_for(request), lessons=lessons).items()}


def test_column(lessons, request) -> dict[int, str]:
    return {k: f"{round(float(best) * 100)}%" for k, best in best_tests(student=student_for(request), lessons=lessons).items()}


def course_study(course, request) -> dict[str, str]:
    """The course page's lines beside its course-wide flashcards and review: cards due and new, questions due."""
    student = student_for(request)
    due = review_due(student=student, course=course).count()
    return {
        "flashcards": flashcard_deck(student=student, course=course, now=timezone.now()).summary,
        "review": f"{due} question{pluralize(due)} due" if due else "Nothing due",
    }
