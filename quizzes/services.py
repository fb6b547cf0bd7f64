"""Every write of the quiz app, each in one transaction.

Answers are recorded under a row lock on the attempt, so two submits of the same answer
(a double click, a resent form) record one response, and nothing is written to a
finished attempt.
"""
from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from courses.models import Lesson
from quizzes import blueprint as blueprint_mod
from quizzes import flashcard_services, scheduler
from quizzes.grading import Grade, grade, letter
from quizzes.identity import Student
from quizzes.models import Attempt, Mode, Question, Response, ReviewItem, Role
from quizzes.selectors import attempt_unfinished, lesson_test_blueprint, practice_bank, question_ids_seen
from quizzes.typed import TypedAnswer, TypedGrade, clean_typed, grade_typed, tolerance_decimal
from quizzes.vocabulary import TYPED_KINDS

# Error codes the views turn into messages.
ATTEMPT_FINISHED = "attempt_finished"
NOT_IN_ATTEMPT = "not_in_attempt"
NO_CHOICE = "no_choice"
UNKNOWN_CHOICE = "unknown_choice"
NOTHING_TO_ASK = "nothing_to_ask"
NO_HINTS_IN_TEST = "no_hints_in_test"
EXAM_TIME_UP = "exam_time_up"


class AttemptFinished(ValidationError):
    def __init__(self):
        super().__init__("This attempt is finished; its answers cannot change.", code=ATTEMPT_FINISHED)


def _choice_secret(attempt: Attempt) -> bytes:
    # The attempt's random seed mixed with SECRET_KEY: neither leaves the server. The seed
    # alone would not do: it also orders the visible question draw, and 31 bits can be searched.
    return salted_hmac("quizzes.choice-order", str(attempt.seed)).digest()


def _choice_orders(questions: list[Question], *, attempt: Attempt) -> dict[str, list[int]]:
    """Authored order for the model quiz and true/false; shuffled by a secret of the attempt otherwise.
    A typed question shows no choices: its answers are matched, never listed, so its order is empty."""
    orders = {}
    secret = _choice_secret(attempt)
    for q in questions:
        ids = [] if q.kind in TYPED_KINDS else [c.id for c in q.choices.all()]
        if attempt.mode != Mode.QUIZ and q.kind != "truefalse":
            ids = blueprint_mod.shuffle_choices(ids, secret=secret, question_id=q.id)
        orders[str(q.id)] = ids
    return orders


def _test_draw(*, student: Student, lesson: Lesson, seed: int, plan: dict[str, int]) -> list[int]:
    pool = practice_bank(lesson=lesson).values_list("id", "difficulty")
    return blueprint_mod.draw(
        [blueprint_mod.Candidate(i, d) for i, d in pool],
        blueprint=plan, seen=question_ids_seen(student=student, lesson=lesson),
        seed=seed,
    )


@transaction.atomic
def attempt_start(*, student: Student, lesson: Lesson, mode: str, question_ids: list[int] | None = None) -> Attempt:
    """Start an attempt; its questions and choice orders are fixed now.

    question_ids (practice: a retry of the missed ones; review: the due ones) narrows the set.
    An exam also gets its deadline, and the task that closes it is queued on commit.
    """
    from quizzes import exam

    seed = secrets.randbits(31)
    active = Question.objects.filter(lesson=lesson, active=True)
    if mode in (Mode.TEST, Mode.EXAM):
        plan = exam.exam_plan(lesson) if mode == Mode.EXAM else lesson_test_blueprint(lesson=lesson)
        ids = _test_draw(student=student, lesson=lesson, seed=seed, plan=plan)
    elif mode == Mode.QUIZ:
        ids = list(active.filter(role=Role.QUIZ).values_list("id", flat=True))
    else:
        pool = practice_bank(lesson=lesson) if mode == Mode.PRACTICE else active
        if question_ids is not None:
            # The pool's ids, not an IN (...) of the posted ones: a posted id too large for the
            # database's integer would fail the query.
            wanted = set(pool.values_list("id", flat=True))
            ids = [i for i in question_ids if i in wanted]
        else:
            ids = list(pool.values_list("id", flat=True))
    if not ids:
        raise ValidationError("There are no questions to ask here yet.", code=NOTHING_TO_ASK)
    attempt = Attempt.objects.create(mode=mode, lesson=lesson, seed=seed, question_ids=ids, **student.owner_fields())
    questions = Question.objects.filter(id__in=ids).prefetch_related("choices")
    attempt.choice_orders = _choice_orders(list(questions), attempt=attempt)
    if mode == Mode.EXAM:
        attempt.deadline = attempt.started_at + timedelta(minutes=exam.exam_limit(student=student, lesson=lesson).minutes)
        exam.exam_schedule_close(attempt)
    attempt.save(update_fields=["choice_orders", "deadline"])
    return attempt


def _locked(attempt: Attempt, question_id: int) -> Attempt:
    from quizzes import exam

    locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if exam.answers_closed(locked, timezone.now()):
        raise ValidationError(
            "Time is up: this exam ended at %(deadline)s UTC, so this answer was not saved. The answers you sent in time are kept.",
            code=EXAM_TIME_UP, params={"deadline": f"{locked.deadline:%H:%M:%S}"},
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
        raise ValidationError("Hints are not available here: a test, an exam or a drill is answered on your own.", code=NO_HINTS_IN_TEST)
    response, _ = Response.objects.get_or_create(
        attempt=locked, question_id=question_id,
        defaults={"shown_choice_ids": locked.choice_orders.get(str(question_id), [])},
    )
    hint_count = Question.objects.get(pk=question_id).hints.count()
    if not response.answered and response.hints_used < hint_count:
        response.hints_used += 1
        response.save(update_fields=["hints_used"])
    return response


def _grade_letters(question: Question, order: list[int], letters: list[str]) -> tuple[list[int], Grade]:
    by_letter = {letter(i): choice_id for i, choice_id in enumerate(order)}
    if not letters:
        raise ValidationError("Choose an answer first.", code=NO_CHOICE)
    if any(x not in by_letter for x in letters):
        raise ValidationError("That choice is not one of this question's.", code=UNKNOWN_CHOICE)
    chosen = [by_letter[x] for x in sorted(set(letters), key=lambda x: (len(x), x))]
    return chosen, grade(question.kind, {c.id: c.fraction for c in question.choices.all()}, chosen)


def _grade_typed(question: Question, typed: str) -> tuple[list[int], TypedGrade]:
    """The typed answer graded against the question's answers: [the answer it matched] (or []) and the grade."""
    answers = [TypedAnswer(c.id, c.text, c.fraction, tolerance_decimal(c.tolerance)) for c in question.choices.all()]
    result = grade_typed(question.kind, answers, typed)
    return ([result.answer_id] if result.answer_id is not None else []), result


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
    if question.kind in TYPED_KINDS:
        chosen, result = _grade_typed(question, typed)
    else:
        chosen, result = _grade_letters(question, order, letters)

    # One INSERT (or one UPDATE after a hint): the attempt's row lock keeps other writers out.
    response = Response.objects.filter(attempt=locked, question_id=question_id).first()
    if response is None:
        response = Response(attempt=locked, question_id=question_id, shown_choice_ids=order)
    elif response.answered:
        return response, False
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
    if not locked.feedback_at_end:  # a test's or exam's answers reach the deck when it is finished (see _finish)
        _review_record(attempt=locked, response=response, now=now)
    if locked.responses.filter(answered_at__isnull=False).count() >= len(locked.question_ids):
        _finish(locked, now)
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


def _finish(attempt: Attempt, now) -> None:
    """Score the attempt and close it. A test's answers enter the review deck only now, all
    together: until then a due count that moved would tell a right answer from a wrong one."""
    answered = list(attempt.responses.filter(answered_at__isnull=False).order_by("answered_at", "id"))
    total = sum((r.marks for r in answered), Decimal("0"))
    attempt.score = (total / len(attempt.question_ids)).quantize(Decimal("0.00001")) if attempt.question_ids else Decimal("0")
    attempt.finished_at = now
    attempt.save(update_fields=["score", "finished_at"])
    if attempt.feedback_at_end:
        for response in answered:
            _review_record(attempt=attempt, response=response, now=now)


@transaction.atomic
def attempt_finish(*, attempt: Attempt) -> Attempt:
    """Finish now (unanswered questions score 0). Finishing twice changes nothing."""
    locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if not locked.finished:
        _finish(locked, timezone.now())
    return locked


def _review_record(*, attempt: Attempt, response: Response, now) -> None:
    """Reschedule the answered question in the student's deck (FSRS, rated from the answer)."""
    owner = Student.owning(attempt)
    item = ReviewItem.objects.filter(question_id=response.question_id, **owner.owner_filter()).first()
    if item is None and not scheduler.needs_review(correct=response.correct, hints_used=response.hints_used):
        return
    if item is None:
        item = ReviewItem(question_id=response.question_id, due_at=now, **owner.owner_fields())
    rating = scheduler.rating_for_answer(correct=response.correct, hints_used=response.hints_used)
    item.remember(scheduler.review(item.memory(), rating, now))
    item.save()


@transaction.atomic
def attempts_claim_anonymous(*, user, anon_id: str) -> int:
    """Give a student's anonymous attempts, review deck and flashcard schedules to their
    account (on sign-up or log-in). Where both have the same question in the deck or the
    same card scheduled, the account's schedule wins."""
    if not anon_id:
        return 0
    flashcard_services.schedules_claim_anonymous(user=user, anon_id=anon_id)
    moved = Attempt.objects.filter(user__isnull=True, anon_id=anon_id).update(user=user, anon_id="")
    have = set(ReviewItem.objects.filter(user=user).values_list("question_id", flat=True))
    anon_items = ReviewItem.objects.filter(user__isnull=True, anon_id=anon_id)
    anon_items.filter(question_id__in=have).delete()
    anon_items.update(user=user, anon_id="")
    return moved
