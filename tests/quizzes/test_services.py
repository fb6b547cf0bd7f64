"""Writes: attempts, answers, hints, finishing, the review deck, carrying anonymous work over."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from quizzes.selectors.reviews import review_due
from quizzes.services.accounts import attempts_claim_anonymous
from quizzes.services.attempts import NOTHING_TO_ASK, attempt_start
from quizzes.services.responses import (
    ATTEMPT_FINISHED,
    NOT_IN_ATTEMPT,
    NO_CHOICE,
    NO_HINTS_IN_TEST,
    UNKNOWN_CHOICE,
    response_submit,
    response_use_hint,
)
from quizzes.services.scores import attempt_finish
from quizzes.grading import letter
from quizzes.identity import Student
from quizzes.models import Attempt, Response, ReviewItem

ANON = Student(None, "anon-1")


def correct_letter(attempt, question):
    order = attempt.choice_orders[str(question.id)]
    return next(letter(i) for i, cid in enumerate(order) if question.choices.get(id=cid).is_correct)


def wrong_letter(attempt, question):
    order = attempt.choice_orders[str(question.id)]
    return next(letter(i) for i, cid in enumerate(order) if not question.choices.get(id=cid).is_correct)


@pytest.fixture
def bank(make_question):
    return [make_question(difficulty=d) for d in ["easy"] * 4 + ["medium"] * 5 + ["hard"] * 4]


def test_double_submit_records_one_response(lesson, bank):
    """Submitting the same question twice keeps the first answer and records one response."""
    attempt = attempt_start(student=ANON, lesson=lesson, mode="practice")
    q = bank[0]
    first, created = response_submit(attempt=attempt, question_id=q.id, letters=[correct_letter(attempt, q)])
    second, created_again = response_submit(attempt=attempt, question_id=q.id, letters=[wrong_letter(attempt, q)])
    assert created and not created_again
    assert second.pk == first.pk and second.correct
    assert Response.objects.filter(attempt=attempt, question=q).count() == 1


def test_finished_attempt_cannot_change(lesson, bank):
    """After finishing, answers and hints are refused and the score stays."""
    attempt = attempt_start(student=ANON, lesson=lesson, mode="test")
    qid = attempt.question_ids[0]
    attempt_finish(attempt=attempt)
    with pytest.raises(ValidationError) as exc:
        response_submit(attempt=attempt, question_id=qid, letters=["A"])
    assert exc.value.code == ATTEMPT_FINISHED
    with pytest.raises(ValidationError):
        response_use_hint(attempt=attempt, question_id=qid)
    attempt.refresh_from_db()
    assert attempt.score == 0 and not attempt.responses.exists()
    finished_at = attempt.finished_at
    attempt_finish(attempt=attempt)
    attempt.refresh_from_db()
    assert attempt.finished_at == finished_at


def test_test_attempt_draws_blueprint_and_stores_choice_orders(lesson, bank):
    attempt = attempt_start(student=ANON, lesson=lesson, mode="test")
    difficulties = Counter(q.difficulty for q in bank if q.id in attempt.question_ids)
    assert difficulties == {"easy": 3, "medium": 4, "hard": 3}
    stored = Attempt.objects.get(pk=attempt.pk)
    for qid in stored.question_ids:
        assert sorted(stored.choice_orders[str(qid)]) == sorted(c.id for q in bank if q.id == qid for c in q.choices.all())


def test_second_test_prefers_unseen_questions(lesson, bank):
    """Questions answered in the first test come back only after the unseen ones."""
    first = attempt_start(student=ANON, lesson=lesson, mode="test")
    for qid in first.question_ids:
        response_submit(attempt=first, question_id=qid, letters=["A"])
    second = attempt_start(student=ANON, lesson=lesson, mode="test")
    unseen = {q.id for q in bank} - set(first.question_ids)
    assert unseen <= set(second.question_ids)


def test_answers_record_choices_time_hints_and_score(lesson, bank):
    attempt = attempt_start(student=ANON, lesson=lesson, mode="practice", question_ids=[bank[0].id, bank[1].id])
    q = bank[0]
    response_use_hint(attempt=attempt, question_id=q.id)
    response_use_hint(attempt=attempt, question_id=q.id)
    response_use_hint(attempt=attempt, question_id=q.id)  # only 2 hints exist
    response, _ = response_submit(attempt=attempt, question_id=q.id, letters=[correct_letter(attempt, q)])
    assert response.hints_used == 2
    assert response.shown_choice_ids == attempt.choice_orders[str(q.id)]
    assert response.chosen_choice_ids == [c.id for c in q.choices.all() if c.is_correct]
    assert response.correct and response.marks == 1 and response.time_taken >= timedelta(0)
    response_submit(attempt=attempt, question_id=bank[1].id, letters=[wrong_letter(attempt, bank[1])])
    attempt.refresh_from_db()
    assert attempt.finished and attempt.score == 0.5


def test_no_hints_in_a_test(lesson, bank):
    attempt = attempt_start(student=ANON, lesson=lesson, mode="test")
    with pytest.raises(ValidationError) as exc:
        response_use_hint(attempt=attempt, question_id=attempt.question_ids[0])
    assert exc.value.code == NO_HINTS_IN_TEST


def test_bad_answers_are_refused(lesson, bank):
    attempt = attempt_start(student=ANON, lesson=lesson, mode="practice")
    for letters, code in [([], NO_CHOICE), (["Q"], UNKNOWN_CHOICE)]:
        with pytest.raises(ValidationError) as exc:
            response_submit(attempt=attempt, question_id=bank[0].id, letters=letters)
        assert exc.value.code == code
    other = attempt_start(student=ANON, lesson=lesson, mode="practice", question_ids=[bank[1].id])
    with pytest.raises(ValidationError) as exc:
        response_submit(attempt=other, question_id=bank[0].id, letters=["A"])
    assert exc.value.code == NOT_IN_ATTEMPT


def test_misses_and_hints_enter_the_review_deck(lesson, bank, clock):
    """A miss (Again) is due in a minute, a hinted correct answer (Hard) in 5.5 minutes, a clean
    answer adds nothing; the missed one, answered right twice in review, is due days later."""
    attempt = attempt_start(student=ANON, lesson=lesson, mode="practice")
    missed, hinted, clean = bank[:3]
    response_submit(attempt=attempt, question_id=missed.id, letters=[wrong_letter(attempt, missed)])
    response_use_hint(attempt=attempt, question_id=hinted.id)
    response_submit(attempt=attempt, question_id=hinted.id, letters=[correct_letter(attempt, hinted)])
    response_submit(attempt=attempt, question_id=clean.id, letters=[correct_letter(attempt, clean)])
    items = {i.question_id: i for i in ReviewItem.objects.filter(anon_id="anon-1")}
    assert set(items) == {missed.id, hinted.id}
    assert items[missed.id].due_at - items[missed.id].last_reviewed_at == timedelta(minutes=1)
    assert items[hinted.id].due_at - items[hinted.id].last_reviewed_at == timedelta(minutes=5.5)
    assert not review_due(student=ANON, lesson=lesson).exists()
    # a minute later the missed one is due; right in review, it takes its 10-minute learning step
    clock.advance(timedelta(minutes=1))
    assert [i.question_id for i in review_due(student=ANON, lesson=lesson)] == [missed.id]
    for wait in (timedelta(minutes=10), None):
        review = attempt_start(student=ANON, lesson=lesson, mode="review", question_ids=[missed.id])
        response_submit(attempt=review, question_id=missed.id, letters=[correct_letter(review, missed)])
        item = ReviewItem.objects.get(anon_id="anon-1", question=missed)
        if wait:
            assert (item.state, item.step, item.due_at - item.last_reviewed_at) == (ReviewItem.State.LEARNING, 1, wait)
            clock.advance(wait)
    assert item.state == ReviewItem.State.REVIEW and item.due_at > timezone.now() + timedelta(hours=23)


def test_claiming_anonymous_work(lesson, bank, django_user_model):
    """On sign-up or log-in the anonymous attempts and deck move to the account."""
    user = django_user_model.objects.create_user("ann", password="pw-123456789")
    attempt = attempt_start(student=ANON, lesson=lesson, mode="practice")
    response_submit(attempt=attempt, question_id=bank[0].id, letters=[wrong_letter(attempt, bank[0])])
    response_submit(attempt=attempt, question_id=bank[1].id, letters=[wrong_letter(attempt, bank[1])])
    mine = attempt_start(student=Student(user.pk), lesson=lesson, mode="practice")
    response_submit(attempt=mine, question_id=bank[0].id, letters=[wrong_letter(mine, bank[0])])
    assert attempts_claim_anonymous(user=user, anon_id="anon-1") == 1
    attempt.refresh_from_db()
    assert attempt.user == user and attempt.anon_id == ""
    assert sorted(ReviewItem.objects.filter(user=user).values_list("question_id", flat=True)) == [bank[0].id, bank[1].id]
    assert not ReviewItem.objects.filter(anon_id="anon-1").exists()


def test_quiz_attempt_keeps_authored_order(lesson, make_question):
    q = make_question(role="quiz")
    attempt = attempt_start(student=ANON, lesson=lesson, mode="quiz")
    assert attempt.question_ids == [q.id]
    assert attempt.choice_orders[str(q.id)] == [c.id for c in q.choices.all()]


def test_nothing_to_ask(lesson):
    with pytest.raises(ValidationError) as exc:
        attempt_start(student=ANON, lesson=lesson, mode="practice")
    assert exc.value.code == NOTHING_TO_ASK
