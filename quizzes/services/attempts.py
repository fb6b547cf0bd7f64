"""Starting an attempt: its questions and their choice orders fixed, and for an exam its deadline and queued close.

An exam is one at a time: a start while one runs returns the running one (the database's
one_open_exam_per_user / _per_anon constraints hold it under concurrent starts), and a new one
is refused once the lesson's attempts allowed are used.

The exam's close is queued here, by the service that starts it (as the lab's submit queues its
run): the task it queues calls `services.exams.exam_close`, which this module never imports.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.crypto import salted_hmac

from courses.models import Course, Lesson
from quizzes import blueprint as blueprint_mod
from quizzes.exam import grace
from quizzes.identity import Student
from quizzes.models import Attempt, Mode, Question, Role
from quizzes.selectors.bank import current_versions, lesson_test_blueprint, practice_bank
from quizzes.selectors.attempts import attempt_unfinished
from quizzes.selectors.exams import exam_attempts, exam_limit, exam_plan
from quizzes.selectors.responses import question_ids_seen
from quizzes.tasks import close_exam
from quizzes.vocabulary import TYPED_KINDS

log = logging.getLogger(__name__)

# Error code the views turn into a message.
NOTHING_TO_ASK = "nothing_to_ask"
EXAM_ATTEMPTS_USED = "exam_attempts_used"


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
        blueprint=plan,
        seen=question_ids_seen(student=student, lesson=lesson),
        seed=seed,
    )


@transaction.atomic
def attempt_start(
    *, student: Student, lesson: Lesson | None, mode: str, question_ids: list[int] | None = None, course: Course | None = None
) -> Attempt:
    """Start an attempt; its questions and choice orders are fixed now.

    question_ids (practice: a retry of the missed ones; review: the due ones) narrows the set.
    A review with `course` (and no lesson) asks from the active questions of every published lesson
    of the course: the course-wide review, an attempt of the course with no lesson.
    An exam also gets its deadline, and the task that closes it is queued on commit; a start
    while the student's exam runs returns that one, and one past the attempts allowed is refused
    (EXAM_ATTEMPTS_USED).
    """
    if mode == Mode.EXAM:
        running = attempt_unfinished(student=student, lesson=lesson, mode=Mode.EXAM)
        if running is not None:
            return running
        allowed = exam_attempts(student=student, lesson=lesson)
        if allowed.left == 0:
            raise ValidationError(
                "You have used all %(allowed)s attempts at this exam.",
                code=EXAM_ATTEMPTS_USED,
                params={"allowed": allowed.allowed},
            )
    seed = secrets.randbits(31)
    active = Question.objects.filter(lesson=lesson, active=True)
    if course is not None:
        active = Question.objects.filter(lesson__course=course, lesson__published=True, active=True)
    if mode in (Mode.TEST, Mode.EXAM):
        plan = exam_plan(lesson) if mode == Mode.EXAM else lesson_test_blueprint(lesson=lesson)
        ids = _test_draw(student=student, lesson=lesson, seed=seed, plan=plan)
    elif mode == Mode.QUIZ:
        ids = list(active.filter(role=Role.QUIZ).values_list("id", flat=True))
    else:
        pool = practice_bank(lesson=lesson) if mode == Mode.PRACTICE else active
        if question_ids is not None:
            ids = current_versions(question_ids, asked=pool)
        else:
            ids = list(pool.values_list("id", flat=True))
    if not ids:
        raise ValidationError("There are no questions to ask here yet.", code=NOTHING_TO_ASK)
    try:
        with transaction.atomic():  # a savepoint: the violation below leaves the outer transaction usable
            attempt = Attempt.objects.create(
                mode=mode, lesson=lesson, course=course, seed=seed, question_ids=ids, **student.owner_fields()
            )
    except IntegrityError:
        running = attempt_unfinished(student=student, lesson=lesson, mode=mode) if mode == Mode.EXAM else None
        if running is None:
            raise
        return running  # a concurrent start opened the student's exam first: one_open_exam_per_*
    questions = Question.objects.filter(id__in=ids).prefetch_related("choices")
    attempt.choice_orders = _choice_orders(list(questions), attempt=attempt)
    if mode == Mode.EXAM:
        attempt.deadline = attempt.started_at + timedelta(minutes=exam_limit(student=student, lesson=lesson).minutes)
        _exam_close_queue(attempt)
    attempt.save(update_fields=["choice_orders", "deadline"])
    return attempt


def _exam_close_queue(attempt: Attempt) -> None:
    """After the transaction commits, queue the task that closes the exam when its grace period ends."""

    def send():
        try:
            close_exam.apply_async(args=[attempt.pk], eta=attempt.deadline + grace())
        except Exception:  # noqa: BLE001 - a broker that is down must not fail the start
            # The exam still closes: every page that shows it past its deadline closes it first.
            log.warning("could not queue the close of exam attempt %s", attempt.pk, exc_info=True)

    transaction.on_commit(send)
