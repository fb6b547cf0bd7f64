"""The review deck's one write: reschedule an answered question in the student's deck (FSRS)."""

from __future__ import annotations

from quizzes import scheduler
from quizzes.identity import Student
from quizzes.models import Attempt, Question, Response, ReviewItem


def review_record(*, attempt: Attempt, response: Response, now) -> None:
    """Reschedule the answered question in the student's deck (FSRS, rated from the answer).
    Runs inside the caller's transaction; a right answer to a question not in the deck adds nothing."""
    owner = Student.owning(attempt)
    deck_question_id = _current_version_id(response.question)
    if deck_question_id is None:  # the question was retired since the attempt showed it
        return
    item = ReviewItem.objects.filter(question_id=deck_question_id, **owner.owner_filter()).first()
    if item is None and not scheduler.needs_review(correct=response.correct, hints_used=response.hints_used):
        return
    if item is None:
        item = ReviewItem(question_id=deck_question_id, due_at=now, **owner.owner_fields())
    rating = scheduler.rating_for_answer(correct=response.correct, hints_used=response.hints_used)
    item.remember(scheduler.review(item.memory(), rating, now))
    item.save()


def _current_version_id(question: Question) -> int | None:
    """The deck asks a question's current version: an attempt that began before an author's edit
    answers the version it showed, and the review that follows asks the corrected one (no query
    unless the answered version was superseded)."""
    if question.current:
        return question.id
    return (
        Question.objects.filter(lesson_id=question.lesson_id, key=question.key, current=True).values_list("id", flat=True).first()
    )
