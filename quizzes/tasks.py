"""Celery tasks of the quiz app: thin, they load by id and call one service.

They run on the ``default`` queue (the CELERY_TASK_DEFAULT_QUEUE; only ``modellab.tasks.*``
is routed to ``gpu``), which `make run`'s worker consumes with ``-Q gpu,default``.
"""

from celery import shared_task

from quizzes.exam import grace
from quizzes.models import Attempt
from quizzes.services.exams import exam_close
from quizzes.services.reset_mail import password_reset_send

# A worker whose clock runs behind the web server's may run the close before the exam's
# grace period ends by its own clock: then it tries again at that moment, a few times at most.
CLOSE_RETRIES = 3


@shared_task(bind=True, acks_late=True, max_retries=CLOSE_RETRIES)
def close_exam(self, attempt_id: int) -> None:
    """Finish exam attempt ``attempt_id`` once its time and grace period are over."""
    attempt = Attempt.objects.filter(pk=attempt_id).first()
    if attempt is None or attempt.deadline is None:
        return
    attempt = exam_close(attempt=attempt)
    if not attempt.finished:
        raise self.retry(eta=attempt.deadline + grace())


@shared_task
def send_password_reset(email: str, domain: str, use_https: bool) -> None:
    """Mail the password-reset link for `email` (see services.reset_mail.password_reset_send)."""
    password_reset_send(email=email, domain=domain, use_https=use_https)
