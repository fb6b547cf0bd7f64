"""Timed exams' deadline arithmetic: when answers close, whether time is up, the clock a page shows.

An exam is a test attempt (mode "exam") with a deadline fixed when it starts: the start plus
the lesson's limit, or the limit of the student's extension (Moodle's user override; see
`selectors.exams.exam_limit`). Answers are accepted until the deadline plus a grace period
(setting EXAM_GRACE_SECONDS) for answers already on their way, and refused after it. The exam
closes itself: a Celery task queued for the end of the grace period (when the exam starts,
`services.attempts.attempt_start`) closes it, and every page that shows or takes an answer
of an attempt closes it first, so a lost message changes nothing. Closing is one service,
`services.exams.exam_close`: under the attempt's row lock, and closing twice changes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from quizzes.models import Attempt


def grace() -> timedelta:
    return timedelta(seconds=settings.EXAM_GRACE_SECONDS)


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
