"""Reads of timed exams: each student's time limit for a lesson and the exam's blueprint."""
from __future__ import annotations

from dataclasses import dataclass

from courses.models import Lesson
from quizzes.identity import Student
from quizzes.models import EXAM_DEFAULT_MINUTES, ExamExtension, LessonExamSettings
from quizzes.selectors.bank import lesson_test_blueprint


@dataclass(frozen=True)
class ExamLimit:
    """A student's time limit for one lesson's exam, in minutes."""

    minutes: int  # what this student gets
    lesson_minutes: int  # the lesson's limit
    extension: ExamExtension | None = None


def exam_limit(*, student: Student, lesson: Lesson) -> ExamLimit:
    """The lesson's limit (default EXAM_DEFAULT_MINUTES), changed by the student's extension if any."""
    own = LessonExamSettings.objects.filter(lesson=lesson).first()
    base = own.minutes if own else EXAM_DEFAULT_MINUTES
    extension = ExamExtension.objects.filter(lesson=lesson, user_id=student.user_id).first() if student.user_id else None
    if extension is None:
        return ExamLimit(base, base)
    return ExamLimit((extension.minutes or base) + extension.extra_minutes, base, extension)


def exam_plan(lesson: Lesson) -> dict[str, int]:
    """Questions per difficulty: the exam's own blueprint, else the test's."""
    own = LessonExamSettings.objects.filter(lesson=lesson).first()
    return (own and own.blueprint()) or lesson_test_blueprint(lesson=lesson)
