"""Timed exams: each student's time limit, the deadline it fixes, and closing an exam when time is up.

An exam is a test attempt (mode "exam") with a deadline fixed when it starts: the start plus
the lesson's limit, or the limit of the student's extension (Moodle's user override). Answers
are accepted until the deadline plus a grace period (setting EXAM_GRACE_SECONDS) for answers
already on their way, and refused after it. The exam closes itself: a Celery task queued for
the end of the grace period finishes it, and every read of an attempt past that point finishes
it first, so a lost message changes nothing. Closing is `services.scores.attempt_finish`: under the
attempt's row lock, and closing twice changes nothing.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from courses.models import Lesson
from quizzes import selectors
from quizzes.identity import Student
from quizzes.models import EXAM_DEFAULT_MINUTES, Attempt, ExamExtension, LessonExamSettings, Mode

log = logging.getLogger(__name__)


def grace() -> timedelta:
    return timedelta(seconds=settings.EXAM_GRACE_SECONDS)


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
    return (own and own.blueprint()) or selectors.lesson_test_blueprint(lesson=lesson)


def answers_closed(attempt: Attempt, now: datetime) -> bool:
    """Past the deadline and its grace period: answers are refused and the exam is closed."""
    return attempt.deadline is not None and now > attempt.deadline + grace()


def time_up(attempt: Attempt, now: datetime) -> bool:
    return attempt.deadline is not None and now >= attempt.deadline


@dataclass(frozen=True)
class ExamClock:
    """What the question page shows: the server's deadline and the whole seconds left."""

    deadline: datetime
    seconds_left: int
    grace_seconds: int

    @property
    def minutes_left(self) -> int:
        return math.ceil(self.seconds_left / 60)


def exam_clock(attempt: Attempt, now: datetime | None = None) -> ExamClock | None:
    if attempt.deadline is None:
        return None
    left = (attempt.deadline - (now or timezone.now())).total_seconds()
    return ExamClock(attempt.deadline, max(0, math.floor(left)), settings.EXAM_GRACE_SECONDS)


def exam_schedule_close(attempt: Attempt) -> None:
    """After the transaction commits, queue the task that closes the exam when its grace period ends."""
    from quizzes.tasks import close_exam

    def send():
        try:
            close_exam.apply_async(args=[attempt.pk], eta=attempt.deadline + grace())
        except Exception:  # noqa: BLE001 - a broker that is down must not fail the start
            # The exam still closes: every read of it past its deadline finishes it first.
            log.warning("could not queue the close of exam attempt %s", attempt.pk, exc_info=True)

    transaction.on_commit(send)


def exam_close(*, attempt: Attempt, at_deadline: bool = False) -> Attempt:
    """Finish the exam if its time is over: after the grace period (the task, any read), or, with
    at_deadline, from the deadline on (for pages that show the exam rather than take an answer:
    the student is looking, not answering). Returns the attempt, finished or not."""
    now = timezone.now()
    if attempt.finished or not (time_up(attempt, now) if at_deadline else answers_closed(attempt, now)):
        return attempt
    from quizzes.services.scores import attempt_finish

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
