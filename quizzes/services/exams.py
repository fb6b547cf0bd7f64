"""Closing an exam whose time is over: the one way an exam closes, for the pages that show it and the closing task."""

from __future__ import annotations

from django.utils import timezone

from courses.models import Lesson
from quizzes.exam import answers_closed, time_up
from quizzes.identity import Student
from quizzes.models import Attempt, Mode
from quizzes.services.scores import attempt_finish


def exam_close(*, attempt: Attempt, at_deadline: bool = False) -> Attempt:
    """Finish the exam if its time is over: after the grace period (the task, any read), or, with
    at_deadline, from the deadline on (for pages that show the exam rather than take an answer:
    the student is looking, not answering). Returns the attempt, finished or not."""
    now = timezone.now()
    if attempt.finished or not (time_up(attempt, now) if at_deadline else answers_closed(attempt, now)):
        return attempt
    closed = attempt_finish(attempt=attempt)
    attempt.finished_at, attempt.score = closed.finished_at, closed.score
    return attempt


def exams_close(*, student: Student, lesson: Lesson) -> None:
    """Close the student's exams in this lesson whose time is up (before a page lists them)."""
    if not student.known:
        return
    running = Attempt.objects.filter(
        lesson=lesson, mode=Mode.EXAM, finished_at__isnull=True, deadline__lte=timezone.now(), **student.owner_filter()
    )
    for attempt in running:
        exam_close(attempt=attempt, at_deadline=True)
