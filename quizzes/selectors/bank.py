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


def current_versions(question_ids, *, asked) -> list[int]:
    """The question of ``asked`` (a queryset of current questions) that each id is a version of, in order,
    once each: an attempt holds the versions it showed, and a retry or a draw asks what an author has made
    of them since (the same lesson and key). Ids of no version of a question in ``asked`` are dropped."""
    current = {(lesson, key): pk for pk, lesson, key in asked.values_list("id", "lesson_id", "key")}
    # every version of the asked questions' lessons, not an IN (...) of the ids: an id posted too large
    # for the database's integer would fail the query
    versions = Question.objects.filter(lesson_id__in={lesson for lesson, _ in current}).values_list("id", "lesson_id", "key")
    version_of = {pk: current.get((lesson, key)) for pk, lesson, key in versions}
    ids: list[int] = []
    for pk in question_ids:
        found = version_of.get(pk)
        if found is not None and found not in ids:
            ids.append(found)
    return ids


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
