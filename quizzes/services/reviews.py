"""The review deck's one write: reschedule an answered question in the student's deck (FSRS)."""
from __future__ import annotations

from quizzes import scheduler
from quizzes.identity import Student
from quizzes.models import Attempt, Response, ReviewItem


def review_record(*, attempt: Attempt, response: Response, now) -> None:
    """Reschedule the answered question in the student's deck (FSRS, rated from the answer).
    Runs inside the caller's transaction; a right answer to a question not in the deck adds nothing."""
    owner = Student.owning(attempt)
    item = ReviewItem.objects.filter(question_id=response.question_id, **owner.owner_filter()).first()
    if item is None and not scheduler.needs_review(correct=response.correct, hints_used=response.hints_used):
        return
    if item is None:
        item = ReviewItem(question_id=response.question_id, due_at=now, **owner.owner_fields())
    rating = scheduler.rating_for_answer(correct=response.correct, hints_used=response.hints_used)
    item.remember(scheduler.review(item.memory(), rating, now))
    item.save()
