"""The worker-start sweep and the lab_sweep command."""

from datetime import timedelta
from types import SimpleNamespace
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from modellab import signals
from modellab.models import Experiment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lab_media")]
S = Experiment.Status


def running_on(user, dataset, hostname, *, heartbeat_age_s=0, attempts=1):
    return Experiment.objects.create(
        owner=user,
        dataset=dataset,
        backbone="tiny",
        strategy="features",
        epochs=2,
        lr=0.01,
        batch_size=8,
        status=S.RUNNING,
        attempts=attempts,
        worker_hostname=hostname,
        started_at=timezone.now(),
        heartbeat_at=timezone.now() - timedelta(seconds=heartbeat_age_s),
    )


def test_worker_ready_requeues_the_runs_of_the_restarting_worker(
    user, tiny_dataset, settings, django_capture_on_commit_callbacks
):
    settings.LAB_SWEEP_INTERVAL_S = 0
    mine = running_on(user, tiny_dataset, "gpu1@host")
    other = running_on(user, tiny_dataset, "gpu2@host")
    with mock.patch("modellab.tasks.run_experiment.delay") as delay, django_capture_on_commit_callbacks(execute=True):
        signals.sweep_on_worker_ready(sender=SimpleNamespace(hostname="gpu1@host"))
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.status == S.QUEUED and other.status == S.RUNNING
    delay.assert_called_once_with(mine.pk)


def test_lab_sweep_command_fails_stale_runs_without_attempts(user, tiny_dataset, settings, capsys):
    settings.LAB_HEARTBEAT_STALE_S = 30
    settings.LAB_MAX_ATTEMPTS = 1
    exp = running_on(user, tiny_dataset, "gone@host", heartbeat_age_s=60)
    call_command("lab_sweep")
    exp.refresh_from_db()
    assert exp.status == S.FAILED and "gone@host" in exp.failure_reason
    assert "1 orphaned run(s) handled" in capsys.readouterr().out
