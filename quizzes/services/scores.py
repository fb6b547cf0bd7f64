"""Finishing an attempt: its score, and a test's answers into the review deck, once."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from quizzes.models import Attempt
from quizzes.services.reviews import review_record


def attempt_score(attempt: Attempt, now) -> None:
    """Score the attempt and close it, on an attempt the caller holds locked. A test's answers
    enter the review deck only now, all together: until then a due count that moved would tell
    a right answer from a wrong one."""
    answered = list(attempt.responses.filter(answered_at__isnull=False).select_related("question").order_by("answered_at", "id"))
    total = sum((r.marks for r in answered), Decimal("0"))
    attempt.score = (total / len(attempt.question_ids)).quantize(Decimal("0.00001")) if attempt.question_ids else Decimal("0")
    attempt.finished_at = now
    attempt.save(update_fields=["score", "finished_at"])
    if attempt.feedback_at_end:
        for response in answered:
            review_record(attempt=attempt, response=response, now=now)


@transaction.atomic
def attempt_finish(*, attempt: Attempt) -> Attempt:
    """Finish now (unanswered questions score 0). Finishing twice changes nothing."""
    locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if not locked.finished:
        attempt_score(locked, timezone.now())
    return locked
