"""Reads of the mistake drill: the common mistakes a student has shown in a lesson, and how far
they are with each (the rule is quizzes/drill.py's). Two queries whatever the history's size."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from courses.models import Lesson
from quizzes.drill import MASTERY, Answer, streak
from quizzes.identity import Student
from quizzes.models import Attempt, Choice, Mistake, Mode, Question, Role
from quizzes.selectors.responses import responses_revealed


@dataclass(frozen=True)
class MistakeProgress:
    mistake: Mistake  # with its question
    streak: int  # right drill answers in a row, 0..MASTERY

    @property
    def done(self) -> bool:
        return self.streak >= MASTERY

    @property
    def needed(self) -> int:
        return MASTERY


def drill_progress(*, student: Student, lesson: Lesson) -> list[MistakeProgress]:
    """Every common mistake of the lesson's active questions that the student has shown, in the
    lesson's order (model quiz, then practice), each with its streak."""
    if not student.known:
        return []
    # Only a wrong choice reveals a mistake; a link on a correct choice is ignored.
    links = {
        c.id: c.mistake
        for c in Choice.objects.filter(
            question__lesson=lesson, question__active=True, mistake__isnull=False, fraction__lte=0
        ).select_related("mistake", "mistake__question")
    }
    if not links:
        return []
    answered = (
        responses_revealed(student=student, lesson=lesson)
        .order_by("answered_at", "id")
        .values_list("question_id", "chosen_choice_ids", "correct", "attempt__mode")
    )
    answers = defaultdict(list)
    for question_id, chosen, correct, mode in answered:
        picked = frozenset(links[c].id for c in chosen if c in links)
        answers[question_id].append(Answer(correct=correct, in_drill=mode == Mode.DRILL, mistake_ids=picked))
    mistakes = sorted(
        {m.id: m for m in links.values()}.values(),
        key=lambda m: (m.question.role != Role.QUIZ, m.question.position, m.question_id, m.position, m.id),
    )
    out = []
    for mistake in mistakes:
        count = streak(mistake.id, answers.get(mistake.question_id, ()))
        if count is not None:
            out.append(MistakeProgress(mistake, count))
    return out


def drill_question_progress(*, attempt: Attempt, question: Question) -> list[MistakeProgress] | None:
    """In a drill, the mistakes the student is working on that this question targets; None elsewhere."""
    if attempt.mode != Mode.DRILL:
        return None
    student = Student(user_id=attempt.user_id, anon_id=attempt.anon_id)
    return [p for p in drill_progress(student=student, lesson=attempt.lesson) if p.mistake.question_id == question.id]


def drill_question_ids(progress: list[MistakeProgress]) -> list[int]:
    """The questions a drill round asks: one per question with a mistake not yet fixed, in order."""
    ids: list[int] = []
    for p in progress:
        if not p.done and p.mistake.question_id not in ids:
            ids.append(p.mistake.question_id)
    return ids
