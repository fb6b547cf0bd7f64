"""A real `celery worker` closes a timed exam that nobody came back to, at its deadline plus
the grace period (the laptop stack: embedded filesystem:// broker, SQLite file)."""

import json
from datetime import datetime, timedelta

import pytest

from tests.modellab.lab_stack import LabStack

pytestmark = pytest.mark.integration

# Starts an exam whose deadline is two seconds away: the clock reads 15 minutes (the seed
# lesson's limit) minus two seconds earlier while it starts, so its close is queued for
# deadline + grace, a few seconds from now.
START = """
import json
from datetime import timedelta
from unittest import mock
from django.utils import timezone
from courses.models import Lesson
from quizzes.services.attempts import attempt_start
from quizzes.identity import Student

started = timezone.now() - timedelta(minutes=15) + timedelta(seconds=2)
with mock.patch("django.utils.timezone.now", lambda: started):
    attempt = attempt_start(student=Student(None, "it-anon"), lesson=Lesson.objects.get(slug="why-pretrained-models-save-time"), mode="exam")
print(json.dumps({"id": attempt.pk}))
"""


def test_a_worker_on_the_default_queue_closes_the_exam_after_its_grace_period(tmp_path):
    stack = LabStack(tmp_path, EXAM_GRACE_SECONDS=1)
    try:
        stack.migrate()
        stack.manage("loadcontent")
        stack.start_worker("exam-it@test", queues="default")
        pk = json.loads(stack.manage("shell", "-c", START).strip().splitlines()[-1])["id"]

        def closed():
            rows = stack.query("SELECT finished_at, deadline, score FROM quizzes_attempt WHERE id = %s", (pk,))
            return rows[0] if rows and rows[0][0] else None

        try:
            finished_at, deadline, score = stack.wait_for(closed, 90, "the worker to close the exam", interval=0.2)
        except TimeoutError:
            raise AssertionError(stack.logs()) from None
        # closed by the task, not before the grace period (1 s) was over
        finished_at, deadline = (datetime.fromisoformat(str(v)) for v in (finished_at, deadline))
        assert finished_at >= deadline + timedelta(seconds=1) and float(score) == 0.0
        assert "quizzes.tasks.close_exam" in stack.logs()
    finally:
        stack.stop_all()
