"""The course page's progress columns: each app registers a column that reads the student's standing in a course's lessons.

A column is a label and `read(lessons, request) -> {lesson id: short text}`, one read for all the
course's lessons (a fixed number of queries whatever their number); a lesson missing from the
answer shows "-". Columns appear in the order they are registered (apps in INSTALLED_APPS order).
"""

from collections.abc import Callable
from dataclasses import dataclass

_COLUMNS: list[tuple[str, str, Callable[[list, object], dict[int, str]]]] = []

NOTHING = "-"  # what a column shows for a lesson the student has not touched


@dataclass(frozen=True)
class LessonRow:
    lesson: object
    cells: tuple[tuple[str, str, str], ...]  # (key, label, text) per column


def register_progress_column(key: str, label: str, read: Callable[[list, object], dict[int, str]]) -> None:
    if key not in [k for k, _, _ in _COLUMNS]:
        _COLUMNS.append((key, label, read))


def progress_columns() -> list[tuple[str, str]]:
    return [(key, label) for key, label, _ in _COLUMNS]


def course_progress(lessons: list, request) -> list[LessonRow]:
    """One row per lesson, in the given order, with every column's text for the current student."""
    answers = [(key, label, read(lessons, request)) for key, label, read in _COLUMNS]
    return [
        LessonRow(lesson, tuple((key, label, found.get(lesson.pk, NOTHING)) for key, label, found in answers))
        for lesson in lessons
    ]
