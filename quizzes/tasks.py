"""Celery tasks of the quiz app: thin, they call one service.

On the `default` queue: CELERY_TASK_ROUTES sends only the lab's tasks to `gpu`.
"""
from celery import shared_task

from quizzes import account_services


@shared_task
def send_password_reset(email: str, domain: str, use_https: bool) -> None:
    """Mail the password-reset link for `email` (see account_services.password_reset_send)."""
    account_services.password_reset_send(email=email, domain=domain, use_https=use_https)
