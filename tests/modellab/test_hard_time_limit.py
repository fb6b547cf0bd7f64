"""The hard time limit fails the attempt the killed child held, and no newer attempt of the run."""

from datetime import timedelta
from time import monotonic
from unittest import mock

import pytest
from celery.utils.imports import symbol_by_name
from celery.worker.state import task_ready
from django.utils import timezone
from kombu.message import Message
from kombu.utils.json import dumps
from kombu.utils.uuid import uuid

from config.celery import app
from modellab import engine
from modellab.models import Experiment
from modellab.services.experiments import experiment_submit
from modellab.services.runs import experiment_claim, experiment_fail_hard_time_limit, experiment_run
from modellab.services.sweep import experiments_sweep_orphans
from modellab.tasks import ExperimentRequest, run_experiment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lab_media")]
S = Experiment.Status


@pytest.fixture
def queued(user, tiny_dataset, delay, settings):
    settings.LAB_MAX_ATTEMPTS = 2
    settings.LAB_HEARTBEAT_STALE_S = 60
    settings.CELERY_TASK_TIME_LIMIT = 600
    (exp,) = experiment_submit(
        owner=user, dataset=tiny_dataset, backbone="tiny", strategy="features", epochs=2, lr=0.01, batch_size=8
    )
    return exp


def stuck_then_requeued(exp) -> None:
    """Attempt 1 (child 101 of w1@host) stops sending heartbeats; another worker's sweep requeues the run."""
    assert experiment_claim(experiment_id=exp.pk, worker_hostname="w1@host", worker_pid=101).attempt == 1
    Experiment.objects.filter(pk=exp.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=120))
    assert [o.action for o in experiments_sweep_orphans()] == ["requeued"]


def run_attempt_2_with(exp, late_hard_limit) -> str | None:
    """Attempt 2 runs on child 202 of w2@host; ``late_hard_limit()`` is called while it runs."""
    real_run = engine.run
    outcomes = []

    def run_with_a_late_failure(config, *, on_epoch_end, should_cancel, **more):
        outcomes.append(late_hard_limit())
        return real_run(config, on_epoch_end=on_epoch_end, should_cancel=should_cancel, **more)

    with mock.patch.object(engine, "run", run_with_a_late_failure):
        status = experiment_run(experiment_id=exp.pk, worker_hostname="w2@host", worker_pid=202)
    assert len(outcomes) == 1
    return status


def test_late_hard_limit_of_a_replaced_attempt_leaves_the_new_attempt_running(queued):
    """The killed child of attempt 1 is reported after attempt 2 started elsewhere: attempt 2 runs to the end."""
    stuck_then_requeued(queued)

    def late():
        failed = experiment_fail_hard_time_limit(experiment_id=queued.pk, worker_hostname="w1@host", worker_pid=101)
        assert Experiment.objects.get(pk=queued.pk).status == S.RUNNING
        return failed

    assert run_attempt_2_with(queued, late) == S.SUCCEEDED
    queued.refresh_from_db()
    assert queued.status == S.SUCCEEDED and queued.attempts == 2 and queued.failure_reason == ""
    assert list(queued.epoch_records.values_list("epoch", flat=True)) == [1, 2]


def test_hard_limit_fails_the_attempt_its_child_held(queued):
    experiment_claim(experiment_id=queued.pk, worker_hostname="w1@host", worker_pid=101)
    assert experiment_fail_hard_time_limit(experiment_id=queued.pk, worker_hostname="w1@host", worker_pid=101)
    queued.refresh_from_db()
    assert queued.status == S.FAILED and queued.failure_reason == ("Stopped at the time limit: a run may take at most 600 s.")


def worker_request(exp, *, hostname: str, child_pid: int) -> ExperimentRequest:
    """The request a worker's parent holds for ``exp``'s message, built by Celery from a real
    message, after the pool reported that child ``child_pid`` accepted it."""
    headers, properties, body, _ = app.amqp.as_task_v2(uuid(), run_experiment.name, args=(exp.pk,))
    message = Message(
        body=dumps(body), headers=headers, properties=properties, content_type="application/json", content_encoding="utf-8"
    )
    request_cls = symbol_by_name(run_experiment.Request)
    request = request_cls(message, app=app, task=run_experiment, hostname=hostname)
    request.on_accepted(pid=child_pid, time_accepted=monotonic())
    return request


def test_the_worker_parent_fails_the_attempt_of_the_child_it_killed(queued):
    """Celery's hard-limit handler in the parent (Request.on_timeout) fails the run its child held."""
    experiment_claim(experiment_id=queued.pk, worker_hostname="w1@host", worker_pid=101)
    worker_request(queued, hostname="w1@host", child_pid=101).on_timeout(soft=False, timeout=600)
    queued.refresh_from_db()
    assert queued.status == S.FAILED and "time limit" in queued.failure_reason


def test_the_worker_parent_leaves_a_newer_attempt_alone(queued):
    """The parent of attempt 1's child times it out after the sweep gave the run to attempt 2."""
    request = worker_request(queued, hostname="w1@host", child_pid=101)
    stuck_then_requeued(queued)
    assert run_attempt_2_with(queued, lambda: request.on_timeout(soft=False, timeout=600)) == S.SUCCEEDED
    queued.refresh_from_db()
    assert queued.status == S.SUCCEEDED and queued.attempts == 2


def test_a_soft_time_limit_in_the_parent_changes_nothing(queued):
    """The soft limit is the child's to handle (it fails the run itself); the parent only logs it."""
    experiment_claim(experiment_id=queued.pk, worker_hostname="w1@host", worker_pid=101)
    request = worker_request(queued, hostname="w1@host", child_pid=101)
    request.on_timeout(soft=True, timeout=550)
    task_ready(request)  # what the pool does when the child then ends
    queued.refresh_from_db()
    assert queued.status == S.RUNNING
