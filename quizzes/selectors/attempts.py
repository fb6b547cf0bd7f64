"""Reads of attempts: the student's own attempt, its questions as shown, what is answered, its result.

The question and result pages cost a fixed number of queries whatever the number of choices,
steps, hints and mistakes (prefetching does the work). Nothing here writes: an exam whose time
is over is closed by `services.exams.exam_close`, which the views call before they read.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from courses.models import Course, Lesson
from quizzes.identity import Student
from quizzes.models import Attempt, Choice, Mode, Question, Response, Role
from quizzes.selectors.shown import ShownQuestion, full_questions, shown_question
from quizzes.vocabulary import DIFFICULTIES


VERDICTS = (  # (lowest score, verdict): the first that the score reaches
    (Decimal("0.8"), "Strong: you can use this pattern with confidence."),
    (Decimal("0.6"), "Developing: review the solutions of the ones you missed, then practise again."),
    (Decimal("0"), "Needs work: re-read the lesson and practise with hints before testing again."),
)


def verdict(score: Decimal | None) -> str:
    for low, text in VERDICTS:
        if score is not None and score >= low:
            return text
    return ""


def attempt_get(*, pk: int, student: Student) -> Attempt:
    """The student's own attempt, or 404: nobody sees another student's attempts. An exam past its
    time is returned as it is stored: the views close it first (services.exams.exam_close)."""
    if not student.known:
        raise Http404("No such attempt.")
    return get_object_or_404(
        Attempt.objects.select_related("lesson", "lesson__course", "course"), pk=pk, **student.owner_filter()
    )


def attempt_question(*, attempt: Attempt, number: int) -> ShownQuestion:
    """Question `number` (1-based) of an attempt with its response: 3 queries + 1 to 4 prefetches.

    Only what the page shows is fetched: the worked steps and mistakes once a practice or
    review answer is revealed, the hints outside a test (where they are never offered).
    """
    if not 1 <= number <= len(attempt.question_ids):
        raise Http404("No such question in this attempt.")
    qid = attempt.question_ids[number - 1]
    response = Response.objects.filter(attempt=attempt, question_id=qid).first()
    related = [Prefetch("choices", queryset=Choice.objects.select_related("mistake"))]
    if not attempt.feedback_at_end or response is not None:
        related.append("hints")
    if not attempt.feedback_at_end and response is not None and response.answered:
        related += ["steps", "mistakes"]
    question = get_object_or_404(Question.objects.prefetch_related(*related), pk=qid)
    return shown_question(question, attempt.choice_orders.get(str(qid), []), response, number)


def attempt_answered_count(*, attempt: Attempt) -> int:
    return attempt.responses.filter(answered_at__isnull=False).count()


def attempt_next_number(*, attempt: Attempt) -> int | None:
    """The first question not yet answered (1-based), None when all are."""
    answered = set(attempt.responses.filter(answered_at__isnull=False).values_list("question_id", flat=True))
    for n, qid in enumerate(attempt.question_ids, start=1):
        if qid not in answered:
            return n
    return None


def attempt_questions(*, attempt: Attempt) -> list[ShownQuestion]:
    """Every question of the attempt with its response, in order (result and review pages)."""
    questions = {q.id: q for q in full_questions().filter(id__in=attempt.question_ids)}
    responses = {r.question_id: r for r in attempt.responses.all()}
    return [
        shown_question(questions[qid], attempt.choice_orders.get(str(qid), []), responses.get(qid), n)
        for n, qid in enumerate(attempt.question_ids, start=1)
        if qid in questions
    ]


@dataclass
class Breakdown:
    difficulty: str
    total: int = 0
    correct: int = 0
    marks: Decimal = Decimal("0")

    @property
    def percent(self) -> int:
        return round(float(self.marks) / self.total * 100) if self.total else 0


def breakdown(shown: list[ShownQuestion]) -> list[Breakdown]:
    rows = {d: Breakdown(d) for d in DIFFICULTIES}
    for s in shown:
        row = rows[s.question.difficulty]
        row.total += 1
        if s.answered:
            row.correct += int(s.response.correct)
            row.marks += s.response.marks
    return [r for r in rows.values() if r.total]


def missed_question_ids(*, attempt: Attempt) -> list[int]:
    right = set(attempt.responses.filter(correct=True).values_list("question_id", flat=True))
    return [q for q in attempt.question_ids if q not in right]


def attempt_unfinished(
    *, student: Student, mode: str, lesson: Lesson | None = None, course: Course | None = None
) -> Attempt | None:
    """The student's open attempt of `mode` in the lesson, or (a course-wide review) in the course."""
    if not student.known:
        return None
    return Attempt.objects.filter(
        lesson=lesson, course=course, mode=mode, finished_at__isnull=True, **student.owner_filter()
    ).first()


def attempt_latest(*, student: Student, lesson: Lesson, mode: str) -> Attempt | None:
    if not student.known:
        return None
    return Attempt.objects.filter(lesson=lesson, mode=mode, **student.owner_filter()).first()


def model_quiz(*, student: Student, lesson: Lesson) -> tuple[Attempt | None, list[ShownQuestion]]:
    """The lesson's model quiz as this student last left it (2-4 queries)."""
    attempt = attempt_latest(student=student, lesson=lesson, mode=Mode.QUIZ)
    pinned = set(attempt.question_ids) if attempt else set()
    rows = list(
        Question.objects.filter(Q(lesson=lesson, role=Role.QUIZ, active=True) | Q(id__in=pinned)).prefetch_related(
            Prefetch("choices", queryset=Choice.objects.select_related("mistake"))
        )
    )
    # The version the attempt showed stands for the current one of its key (quizzes/authoring/questions.py).
    shown_version = {q.key: q for q in rows if q.id in pinned}
    questions = [shown_version.get(q.key, q) for q in rows if q.active and q.role == Role.QUIZ]
    responses = {r.question_id: r for r in attempt.responses.all()} if attempt else {}
    orders = attempt.choice_orders if attempt else {}
    shown = [
        shown_question(q, orders.get(str(q.id), [c.id for c in q.choices.all()]), responses.get(q.id), n)
        for n, q in enumerate(questions, start=1)
    ]
    return attempt, shown
