"""A student's account: anonymous progress carried over on log-in, and the password-reset mail queued so that
a reset request does the same work for any address (the task sends it: `reset_mail`)."""

from django.db import transaction

from quizzes.models import Attempt, Mode, ReviewItem
from quizzes.services.flashcards import schedules_claim_anonymous
from quizzes.services.scores import attempt_finish
from quizzes.tasks import send_password_reset


@transaction.atomic
def attempts_claim_anonymous(*, user, anon_id: str) -> int:
    """Give a student's anonymous attempts, review deck and flashcard schedules to their
    account (on sign-up or log-in). Where both have the same question in the deck or the
    same card scheduled, the account's schedule wins; where both have an exam running in the
    same lesson, the anonymous one is finished first (one open exam per student and lesson)."""
    if not anon_id:
        return 0
    schedules_claim_anonymous(user=user, anon_id=anon_id)
    running = Attempt.objects.filter(mode=Mode.EXAM, finished_at__isnull=True)
    user_lessons = running.filter(user=user).values_list("lesson_id", flat=True)
    for clash in running.filter(user__isnull=True, anon_id=anon_id, lesson_id__in=list(user_lessons)):
        attempt_finish(attempt=clash)
    moved = Attempt.objects.filter(user__isnull=True, anon_id=anon_id).update(user=user, anon_id="")
    have = set(ReviewItem.objects.filter(user=user).values_list("question_id", flat=True))
    anon_items = ReviewItem.objects.filter(user__isnull=True, anon_id=anon_id)
    anon_items.filter(question_id__in=have).delete()
    anon_items.update(user=user, anon_id="")
    return moved


def password_reset_queue(*, email: str, domain: str, use_https: bool) -> None:
    """Queue the reset mail for `email` once the transaction commits.

    Nothing here looks the address up: a request for an address with an account and one
    without cost the same, so the response time tells nobody which addresses have accounts.
    The task (on the `default` queue) does the lookup and the sending.
    """
    transaction.on_commit(lambda: send_password_reset.delay(email, domain, use_https))
