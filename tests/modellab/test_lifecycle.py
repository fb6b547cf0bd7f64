"""The one function that moves an experiment's status: only the lifecycle's moves, and what each stamps."""

import pytest

from modellab.models import Experiment
from modellab.services.lease import RunLease
from modellab.services.lifecycle import experiment_transition

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lab_media")]
S = Experiment.Status


@pytest.fixture
def exp(user, tiny_dataset):
    return Experiment.objects.create(
        owner=user, dataset=tiny_dataset, backbone="tiny", strategy="features", epochs=2, lr=0.01, batch_size=8, status=S.QUEUED
    )


@pytest.mark.parametrize(
    "source, target", [(S.SUCCEEDED, S.RUNNING), (S.CANCELLED, S.QUEUED), (S.QUEUED, S.SUCCEEDED), (S.FAILED, S.FAILED)]
)
def test_a_move_outside_the_lifecycle_is_a_programming_error(exp, source, target):
    Experiment.objects.filter(pk=exp.pk).update(status=source)
    with pytest.raises(ValueError, match=f"no transition {source} -> {target}"):
        experiment_transition(Experiment.objects.filter(pk=exp.pk), source=source, target=target)
    exp.refresh_from_db()
    assert exp.status == source


def test_a_run_not_in_the_source_state_does_not_move(exp):
    assert experiment_transition(Experiment.objects.filter(pk=exp.pk), source=S.RUNNING, target=S.FAILED) == 0
    exp.refresh_from_db()
    assert exp.status == S.QUEUED and exp.finished_at is None


def test_each_move_stamps_its_times_and_the_requeue_forgets_the_worker(exp):
    rows = Experiment.objects.filter(pk=exp.pk)
    experiment_transition(rows, source=S.QUEUED, target=S.RUNNING, attempts=1, worker_hostname="w@h", worker_pid=7)
    exp.refresh_from_db()
    assert exp.started_at and exp.heartbeat_at and exp.finished_at is None and exp.worker_pid == 7
    assert RunLease.of(exp).requeue()
    exp.refresh_from_db()
    assert (exp.status, exp.worker_hostname, exp.worker_pid, exp.heartbeat_at) == (S.QUEUED, "", None, None)
    experiment_transition(rows, source=S.QUEUED, target=S.RUNNING, attempts=2)
    assert RunLease(exp.pk, 2).finish(S.FAILED, reason="x" * 5000)
    exp.refresh_from_db()
    assert exp.status == S.FAILED and exp.finished_at and len(exp.failure_reason) == 4000
    assert not RunLease(exp.pk, 2).finish(S.SUCCEEDED)  # it ended: the lease holds nothing any more
