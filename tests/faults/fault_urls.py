"""The site's URLs, plus (test only) a kill switch inside the answer service's transaction.

Loaded as ROOT_URLCONF by tests/faults/fault_settings.py, so the receivers are connected in
every web process before its first view runs. A receiver kills the process only when the arm
file names its stage, and removes the file first, so the respawned worker runs normally:

* "response": right after the answered response row is written (response_submit's save);
* "finish": right after the attempt's score and finished_at are written (the last answer).
"""

import os
import signal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save

from config.urls import urlpatterns  # noqa: F401
from quizzes.models import Attempt, Response


def _kill_if_armed(stage: str) -> None:
    arm = Path(settings.FAULT_KILL_ARM_FILE) if settings.FAULT_KILL_ARM_FILE else None
    if arm is None or not arm.exists() or arm.read_text().strip() != stage:
        return
    if not transaction.get_connection().in_atomic_block:
        arm.write_text(f"not in a transaction at {stage}")  # the test reports this
        return
    arm.unlink()
    os.kill(os.getpid(), signal.SIGKILL)


def _response_saved(sender, instance, **kwargs):
    if instance.answered_at is not None:
        _kill_if_armed("response")


def _attempt_saved(sender, instance, **kwargs):
    if instance.finished_at is not None:
        _kill_if_armed("finish")


post_save.connect(_response_saved, sender=Response, dispatch_uid="fault-kill-response")
post_save.connect(_attempt_saved, sender=Attempt, dispatch_uid="fault-kill-finish")
