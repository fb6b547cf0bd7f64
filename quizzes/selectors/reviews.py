"""Reads of the review deck and the progress page: what is due, when the next is, and per lesson how the student stands."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from courses.models import Course, Lesson
from quizzes.identity import Student
from quizzes.models import Attempt, Mode, ReviewItem


def review_due(*, student: Student, lesson: Lesson | None = None, course: Course | None = None, now=None):
    """The student's review items due now, the longest overdue first: all, the lesson's, or those of the
    course's published lessons."""
    if not student.known:
        return ReviewItem.objects.none()
    items = ReviewItem.objects.filter(
        due_at__lte=now or timezone.now(), question__active=True, **student.owner_filter()
    ).select_related("question", "question__lesson")
    return items.filter(**_scope(lesson, course))


def _scope(lesson: Lesson | None, course: Course | None) -> dict:
    if course is not None:
        return {"question__lesson__course": course, "question__lesson__published": True}
    return {"question__lesson": lesson} if lesson else {}


def review_next_due(*, student: Student, lesson: Lesson | None = None, course: Course | None = None):
    if not student.known:
        return None
    return (
        ReviewItem.objects.filter(question__active=True, **_scope(lesson, course), **student.owner_filter())
        .order_by("due_at")
        .first()
    )


@dataclass
class LessonProgress:
    lesson: Lesson
    best_test: Decimal | None = None
    last_test: Decimal | None = None
    tests: int = 0
    practised: int = 0
    due: list = field(default_factory=list)

    @staticmethod
    def percent(value):
        return None if value is None else round(float(value) * 100)

    @property
    def best_percent(self):
        return self.percent(self.best_test)

    @property
    def last_percent(self):
        return self.percent(self.last_test)


def progress(*, student: Student) -> list[LessonProgress]:
    """Per lesson the student has touched: best and last finished test, practice count, due reviews."""
    if not student.known:
        return []
    rows: dict[int, LessonProgress] = {}
    attempts = (
        Attempt.objects.filter(**student.owner_filter()).select_related("lesson", "lesson__course").order_by("started_at", "id")
    )
    for a in attempts:
        if a.lesson_id is None:
            continue  # a course-wide review: neither a test nor practice of one lesson
        row = rows.setdefault(a.lesson_id, LessonProgress(a.lesson))
        if a.mode == Mode.TEST and a.finished:
            row.tests += 1
            row.last_test = a.score
            row.best_test = a.score if row.best_test is None else max(row.best_test, a.score)
        elif a.mode == Mode.PRACTICE:
            row.practised += 1
    for item in review_due(student=student):
        rows.setdefault(item.question.lesson_id, LessonProgress(item.question.lesson)).due.append(item)
    return sorted(rows.values(), key=lambda r: (r.lesson.course_id, r.lesson.position, r.lesson.title))
