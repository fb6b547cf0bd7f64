"""Reads of a student's standing across a course's lessons, for the course page's progress columns.

"Read" is counted from what the student did, never recorded by a page view (a GET writes
nothing): a lesson counts as read once the student has answered every question of its model
quiz, which closes the lesson's reading part. Each read is one or two queries for all the lessons.
"""

from __future__ import annotations

from django.db.models import Count, Max

from quizzes.identity import Student
from quizzes.models import Attempt, Mode, Question, Response, Role


def _answered(*, student: Student, lessons: list):
    """The student's answers to the lessons' questions, by their question's lesson: a course-wide
    review's answers count in the lesson each question is from."""
    return Response.objects.filter(
        question__lesson__in=lessons, answered_at__isnull=False, **{f"attempt__{k}": v for k, v in student.owner_filter().items()}
    )


def lessons_read(*, student: Student, lessons: list) -> dict[int, bool]:
    """Per lesson with a model quiz: whether the student has answered each of its active questions."""
    quiz = dict(
        Question.objects.filter(lesson__in=lessons, role=Role.QUIZ, active=True)
        .values_list("lesson_id")
        .annotate(n=Count("id"))
        .values_list("lesson_id", "n")
    )
    if not student.known:
        return dict.fromkeys(quiz, False)
    done = dict(
        _answered(student=student, lessons=lessons)
        .filter(question__role=Role.QUIZ, question__active=True)
        .values_list("question__lesson_id")
        .annotate(n=Count("question_id", distinct=True))
        .values_list("question__lesson_id", "n")
    )
    return {lesson_id: done.get(lesson_id, 0) >= n for lesson_id, n in quiz.items()}


def questions_answered(*, student: Student, lessons: list) -> dict[int, int]:
    """Per lesson: how many different questions the student has answered, in any mode."""
    if not student.known:
        return {}
    return dict(
        _answered(student=student, lessons=lessons)
        .values_list("question__lesson_id")
        .annotate(n=Count("question_id", distinct=True))
        .values_list("question__lesson_id", "n")
    )


def best_tests(*, student: Student, lessons: list) -> dict[int, float]:
    """Per lesson: the student's best finished "Test this pattern" score (0 to 1)."""
    if not student.known:
        return {}
    return dict(
        Attempt.objects.filter(lesson__in=lessons, mode=Mode.TEST, finished_at__isnull=False, **student.owner_filter())
        .values_list("lesson_id")
        .annotate(best=Max("score"))
        .values_list("lesson_id", "best")
    )
