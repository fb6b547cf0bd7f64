"""Answers: recording one (graded now), revealing a hint, and the inline model quiz's answer.

Answers are recorded under a row lock on the attempt, so two submits of the same answer
(a double click, a resent form) record one response, and nothing is written to a
finished attempt or to an exam whose time and grace period are over.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from courses.models import Lesson
from quizzes import exam
from quizzes.identity import Student
from quizzes.models import Attempt, Mode, Question, Response
from quizzes.selectors.attempts import attempt_unfinished
from quizzes.selectors.shown import NO_CHOICE, UNKNOWN_CHOICE, answer_grade  # noqa: F401 (the codes are this service's too)
from quizzes.services.attempts import attempt_start
from quizzes.services.reviews import review_record
from quizzes.services.scores import attempt_score
from quizzes.typed import clean_typed
from quizzes.vocabulary import TYPED_KINDS

# Error codes the views turn into messages.
ATTEMPT_FINISHED = "attempt_finished"
NOT_IN_ATTEMPT = "not_in_attempt"
NO_HINTS_IN_TEST = "no_hints_in_test"
EXAM_TIME_UP = "exam_time_up"


class AttemptFinished(ValidationError):
    def __init__(self):
        super().__init__("This attempt is finished; its answers cannot change.", code=ATTEMPT_FINISHED)


def _locked(attempt: Attempt, question_id: int) -> Attempt:
    locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if exam.answers_closed(locked, timezone.now()):
        raise ValidationError(
            "Time is up: this exam ended at %(deadline)s UTC, so this answer was not saved. The answers you sent in time are kept.",
            code=EXAM_TIME_UP,
            params={"deadline": f"{locked.deadline:%H:%M:%S}"},
        )
    if locked.finished:
        raise AttemptFinished()
    if question_id not in locked.question_ids:
        raise ValidationError("That question is not part of this attempt.", code=NOT_IN_ATTEMPT)
    return locked


@transaction.atomic
def response_use_hint(*, attempt: Attempt, question_id: int) -> Response:
    """Reveal one more hint for a question not yet answered; the count is kept on the response."""
    locked = _locked(attempt, question_id)
    if not locked.offers_hints:
        raise ValidationError(
            "Hints are not available here: a test, an exam or a drill is answered on your own.", code=NO_HINTS_IN_TEST
        )
    response, _ = Response.objects.get_or_create(
        attempt=locked, question_id=question_id, defaults={"shown_choice_ids": locked.choice_orders.get(str(question_id), [])}
    )
    hint_count = Question.objects.get(pk=question_id).hints.count()
    if not response.answered and response.hints_used < hint_count:
        response.hints_used += 1
        response.save(update_fields=["hints_used"])
    return response


@transaction.atomic
def response_submit(*, attempt: Attempt, question_id: int, letters: list[str] = (), typed: str = "") -> tuple[Response, bool]:
    """Grade and record an answer: the letters the student saw, or for a typed question what
    they typed (an empty, overlong or, for a numeric question, non-numeric text is refused
    with quizzes.typed's code and nothing is saved).

    Returns (response, created). A second submit for the same question returns the first
    response unchanged with created=False. Raises AttemptFinished on a finished attempt.
    """
    locked = _locked(attempt, question_id)
    order = locked.choice_orders.get(str(question_id), [])
    question = Question.objects.prefetch_related("choices").get(pk=question_id)
    chosen, result = answer_grade(question=question, order=order, letters=letters, typed=typed)

    # One INSERT (or one UPDATE after a hint): the attempt's row lock keeps other writers out.
    response = Response.objects.filter(attempt=locked, question_id=question_id).first()
    if response is None:
        response = Response(attempt=locked, question_id=question_id, shown_choice_ids=order)
    elif response.answered:
        return response, False
    response.question = question  # loaded above; the review deck reads its key and version
    now = timezone.now()
    previous = locked.responses.filter(answered_at__isnull=False).order_by("-answered_at").first()
    since = max(locked.started_at, previous.answered_at) if previous else locked.started_at
    response.chosen_choice_ids = chosen
    response.typed_answer = clean_typed(typed) if question.kind in TYPED_KINDS else ""
    response.correct = result.correct
    response.marks = result.marks
    response.answered_at = now
    response.time_taken = now - since
    response.save()
    if not locked.feedback_at_end:  # a test's or exam's answers reach the deck when it is finished (attempt_score)
        review_record(attempt=locked, response=response, now=now)
    if locked.responses.filter(answered_at__isnull=False).count() >= len(locked.question_ids):
        attempt_score(locked, now)
    return response, True


@transaction.atomic
def quiz_response_submit(
    *, student: Student, lesson: Lesson, question_id: int, letters: list[str] = (), typed: str = ""
) -> tuple[Response, bool]:
    """Answer the inline model quiz: into the student's open quiz attempt, starting one if
    needed. A refused answer saves nothing, not even the new attempt."""
    attempt = attempt_unfinished(student=student, lesson=lesson, mode=Mode.QUIZ)
    if attempt is None:
        attempt = attempt_start(student=student, lesson=lesson, mode=Mode.QUIZ)
    return response_submit(attempt=attempt, question_id=question_id, letters=letters, typed=typed)
