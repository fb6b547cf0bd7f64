"""The question bank's changes to many questions at once: duplicate, and a bulk edit of difficulty, active and lesson.

Each goes through `question_save`, which owns what a version is: a duplicate is a first
version under a fresh key; difficulty and active are where a question is asked, so they change
the current version in place (no new version). A lesson file's question is changed only in its
file (refused here with the file's name), an older version never.

Moving a question to another lesson moves every version of its key (the lesson and key name
the question across its versions) and is allowed only while no version has an answer: an
attempt belongs to one lesson, and its answers must stay answers to that lesson's questions.
"""

from __future__ import annotations

from dataclasses import replace

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from courses.models import Lesson
from quizzes.authoring.questions import QuestionPlace, Saved, question_content, question_save
from quizzes.models import Question, Response, Source

# Error codes of a refused bulk edit.
FILE_QUESTION = "file_question"  # a lesson file's question: edit its file
NOT_CURRENT = "not_current"  # an older version, kept as learners saw it
ANSWERED = "answered_question"  # moving a question that has answers
KEY_TAKEN = "key_taken"  # the target lesson already has a question of that key

_COPY = "-copy"


def position_after_last(lesson: Lesson) -> int:
    """The position after the lesson's last current question (1 for an empty lesson)."""
    return (Question.objects.filter(lesson=lesson, current=True).aggregate(m=Max("position"))["m"] or 0) + 1


def place_of(question: Question) -> QuestionPlace:
    return QuestionPlace(role=question.role, position=question.position, difficulty=question.difficulty, active=question.active)


def fresh_key(lesson: Lesson, key: str) -> str:
    """`key-copy`, else `key-copy-2`, ...: a key no version of the lesson's questions has (at most 80 characters)."""
    taken = set(Question.objects.filter(lesson=lesson, key__startswith=key[: 80 - len(_COPY) - 4]).values_list("key", flat=True))
    base = key[: 80 - len(_COPY) - 4] + _COPY
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


@transaction.atomic
def question_duplicate(question: Question) -> Saved:
    """Save a copy of `question` (any version, any source) as a new admin question of its lesson:
    every part copied, under a fresh key, after the lesson's last question, inactive until the
    author ticks Active (a copy asked beside its original would ask the same thing twice)."""
    place = replace(place_of(question), position=position_after_last(question.lesson), active=False)
    return question_save(
        lesson=question.lesson,
        key=fresh_key(question.lesson, question.key),
        content=question_content(question),
        place=place,
        source=Source.ADMIN,
    )


def _editable(question: Question) -> None:
    if question.source == Source.FILE:
        raise ValidationError(
            "%(key)s comes from the lesson file %(file)s: edit it there.",
            code=FILE_QUESTION,
            params={"key": question.key, "file": question.source_file or "of its lesson"},
        )
    if not question.current:
        raise ValidationError(
            "%(key)s version %(version)s is kept as learners saw it: only the current version changes.",
            code=NOT_CURRENT,
            params={"key": question.key, "version": question.version},
        )


@transaction.atomic
def question_bulk_edit(
    question: Question, *, difficulty: str | None = None, active: bool | None = None, lesson: Lesson | None = None
) -> Question:
    """Change what is given (None: leave it) of one current admin or imported question; return
    its current version. Raises ValidationError (FILE_QUESTION, NOT_CURRENT, ANSWERED, KEY_TAKEN)
    and changes nothing then."""
    _editable(question)
    if lesson is not None and lesson.pk != question.lesson_id:
        question = _move(question, lesson)
    place = place_of(question)
    place = replace(place, difficulty=difficulty or place.difficulty, active=place.active if active is None else active)
    return question_save(
        lesson=question.lesson, key=question.key, content=question_content(question), place=place, source=question.source
    ).question


def _move(question: Question, lesson: Lesson) -> Question:
    versions = Question.objects.filter(lesson_id=question.lesson_id, key=question.key)
    if Response.objects.filter(question__in=versions).exists():
        raise ValidationError("%(key)s has answers: it stays in its lesson.", code=ANSWERED, params={"key": question.key})
    if Question.objects.filter(lesson=lesson, key=question.key).exists():
        raise ValidationError(
            "%(lesson)s already has a question %(key)s.", code=KEY_TAKEN, params={"key": question.key, "lesson": lesson.title}
        )
    position = position_after_last(lesson)
    versions.update(lesson=lesson)
    Question.objects.filter(pk=question.pk).update(position=position)
    return Question.objects.get(pk=question.pk)
