"""Fixtures for the quiz app: a bare lesson, a question factory, a clock that moves on."""
from datetime import timedelta
from decimal import Decimal

import pytest

from courses.models import Course, Lesson
from quizzes.models import Choice, Hint, Mistake, Question, SolutionStep


@pytest.fixture
def lesson(db):
    course = Course.objects.create(slug="c", title="Course", track="ml")
    return Lesson.objects.create(course=course, slug="l", title="Lesson")


@pytest.fixture
def make_question(lesson):
    counter = {"n": 0}

    def make(*, role="practice", difficulty="easy", kind="single", choices=4, correct=(0,), steps=2, hints=2,
             mistakes=1, lesson=lesson, key=None):
        counter["n"] += 1
        q = Question.objects.create(
            lesson=lesson, key=key or f"q{counter['n']}", role=role, position=counter["n"], difficulty=difficulty,
            kind=kind, stem=f"Stem {counter['n']}?", quick_check="Check it.",
        )
        ms = [Mistake.objects.create(question=q, position=i, text=f"Mistake {i}") for i in range(mistakes)]
        share = Decimal(1) / len(correct)
        for i in range(choices):
            Choice.objects.create(
                question=q, position=i, text=f"Choice text {i}",
                fraction=share if i in correct else (Decimal(-1) / len(correct) if kind == "multiple" else 0),
                feedback=f"Feedback {i}: " + ("RIGHT-EXPLAINED" if i in correct else "wrong-explained"),
                mistake=ms[0] if ms and i not in correct else None,
            )
        for i in range(steps):
            SolutionStep.objects.create(question=q, position=i, title=f"Step title {i}", body=f"Step body {i}")
        for i in range(hints):
            Hint.objects.create(question=q, position=i, text=f"Hint text {i}")
        return q

    return make


class Clock:
    """The site's clock (django.utils.timezone.now), which a test moves forward."""

    def __init__(self, real_now):
        self._real_now, self._offset = real_now, timedelta(0)

    def now(self):
        return self._real_now() + self._offset

    def advance(self, delta: timedelta) -> None:
        self._offset += delta


@pytest.fixture
def clock(monkeypatch):
    """Pages, services and auto_now fields all read timezone.now, so advancing this moves them on together."""
    from django.utils import timezone

    clock = Clock(timezone.now)
    monkeypatch.setattr(timezone, "now", clock.now)
    return clock
