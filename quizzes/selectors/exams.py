"""Reads of timed exams: each student's time limit for a lesson, their attempts against those allowed, and the exam's blueprint."""

from __future__ import annotations

from dataclasses import dataclass

from courses.models import Lesson
from quizzes.identity import Student
from quizzes.models import EXAM_DEFAULT_MINUTES, Attempt, ExamExtension, LessonExamSettings, Mode
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


@dataclass(frozen=True)
class ExamAttempts:
    """The exams a student has started in a lesson, against the lesson's attempts allowed."""

    used: int
    allowed: int | None  # None: unlimited

    @property
    def left(self) -> int | None:
        return None if self.allowed is None else max(self.allowed - self.used, 0)

    @property
    def next_number(self) -> int:
        """The number the next exam started would have ("attempt 2 of 3")."""
        return self.used + 1


def exam_attempts(*, student: Student, lesson: Lesson) -> ExamAttempts:
    """How many exams the student has started in the lesson (running or finished), and how many are allowed."""
    own = LessonExamSettings.objects.filter(lesson=lesson).first()
    used = Attempt.objects.filter(lesson=lesson, mode=Mode.EXAM, **student.owner_filter()).count() if student.known else 0
    return ExamAttempts(used, own.attempts if own else None)
