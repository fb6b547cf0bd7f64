"""Reads of a student's answers: all of them in a lesson, those whose correctness they were told, the questions seen, and one recorded answer as the student gave it."""

from __future__ import annotations

from courses.models import Lesson
from quizzes.grading import letter
from quizzes.identity import Student
from quizzes.models import FEEDBACK_AT_END_MODES, Attempt, Mode, Question, Response
from quizzes.selectors.bank import current_versions


def responses_answered(*, student: Student, lesson: Lesson):
    """The student's answers to the lesson's questions, in any mode, unfinished tests and exams and
    course-wide reviews included (an answer counts in its question's lesson, whatever the attempt's scope)."""
    return Response.objects.filter(
        question__lesson=lesson, answered_at__isnull=False, **{f"attempt__{k}": v for k, v in student.owner_filter().items()}
    )


def responses_revealed(*, student: Student, lesson: Lesson):
    """The student's answers whose correctness they have been told: all but those of a test or exam
    still running. Whatever tells a student how they did (mode lines, the drill) reads these, so
    nothing shows a running test's right and wrong answers before it is finished."""
    return responses_answered(student=student, lesson=lesson).exclude(
        attempt__mode__in=FEEDBACK_AT_END_MODES, attempt__finished_at__isnull=True
    )


def question_ids_seen(*, student: Student, lesson: Lesson) -> set[int]:
    """Questions the student answered in any mode, and every question of their finished tests:
    one skipped there counts as seen, so the next test draws never-seen questions first. A question
    seen in a version an author has since changed counts as seen in its current version too."""
    answered = set(responses_answered(student=student, lesson=lesson).values_list("question_id", flat=True))
    tests = Attempt.objects.filter(lesson=lesson, mode=Mode.TEST, finished_at__isnull=False, **student.owner_filter())
    seen = answered.union(*tests.values_list("question_ids", flat=True))
    return seen.union(current_versions(seen, asked=Question.objects.filter(lesson=lesson, current=True)))


def response_recorded(response: Response) -> str:
    """The recorded answer as the student gave it: the letters they saw ("B", "A, C"), or the text typed."""
    if response.typed_answer:
        return response.typed_answer
    shown = response.shown_choice_ids
    return ", ".join(
        sorted((letter(shown.index(c)) for c in response.chosen_choice_ids if c in shown), key=lambda x: (len(x), x))
    )


def response_same_answer(response: Response, *, letters: list[str], typed: str) -> bool:
    """Whether a submit gives the answer already recorded (a double click, a resent form) rather than another."""
    if response.typed_answer:
        return typed.strip() == response.typed_answer
    return response_recorded(response) == ", ".join(sorted(set(letters), key=lambda x: (len(x), x)))
