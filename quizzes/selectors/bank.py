"""The lesson's question bank as the modes read it: the published lesson, its practice bank and counts, the test's blueprint."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from courses.models import Lesson
from quizzes.blueprint import DEFAULT_BLUEPRINT, draw_plan
from quizzes.models import Question, Role
from quizzes.vocabulary import DIFFICULTIES


def lesson_get(*, slug: str) -> Lesson:
    return get_object_or_404(Lesson.objects.select_related("course"), slug=slug, published=True)


def lesson_test_blueprint(*, lesson: Lesson) -> dict[str, int]:
    """How many questions of each difficulty the lesson's test draws (its own, or the default)."""
    settings = getattr(lesson, "quiz_settings", None)
    return settings.blueprint() if settings else dict(DEFAULT_BLUEPRINT)


def practice_bank(*, lesson: Lesson, kinds: tuple[str, ...] | None = None):
    """The questions practice and tests ask: the lesson's active practice questions (of `kinds`)."""
    bank = Question.objects.filter(lesson=lesson, role=Role.PRACTICE, active=True)
    return bank if kinds is None else bank.filter(kind__in=kinds)


def practice_bank_counts(*, lesson: Lesson, kinds: tuple[str, ...] | None = None) -> dict[str, int]:
    """Questions in the practice bank per difficulty, every difficulty listed in order (1 query)."""
    found = practice_bank(lesson=lesson, kinds=kinds).values_list("difficulty", flat=True)
    counts = dict.fromkeys(DIFFICULTIES, 0)
    for difficulty in found:
        counts[difficulty] = counts.get(difficulty, 0) + 1
    return counts


def lesson_test_plan(*, lesson: Lesson) -> dict[str, int]:
    """What "Test this pattern" really draws per difficulty from the lesson's bank (blueprint.draw_plan)."""
    return draw_plan(lesson_test_blueprint(lesson=lesson), practice_bank_counts(lesson=lesson))
