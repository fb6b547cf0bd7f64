"""Carry a student's anonymous attempts over to their account when they sign up or log in."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from quizzes.identity import ANON_SESSION_KEY
from quizzes.services.accounts import attempts_claim_anonymous


@receiver(user_logged_in, dispatch_uid="quizzes_claim_anonymous")
def claim_anonymous_attempts(sender, request, user, **kwargs):
    # login() keeps the session's data when an anonymous session becomes a user's
    # (it only rotates the key), so the anonymous id is still here.
    session = getattr(request, "session", None)
    if session is None:
        return
    anon_id = session.pop(ANON_SESSION_KEY, "")
    attempts_claim_anonymous(user=user, anon_id=anon_id)
