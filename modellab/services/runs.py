"""The worker side of a run: claim it, train it under a lease, record how it ended; the hard time limit."""
from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F

from modellab import storage
from modellab.limits import lab_limits
from modellab.models import Dataset, EpochRecord, Experiment
from modellab.services.datasets import dataset_local_dir
from modellab.services.lease import CancelPoll, LeaseLost, ProgressWriter, RunLease
from modellab.services.lifecycle import experiment_transition

log = logging.getLogger(__name__)

S = Experiment.Status


def time_limit_reason(seconds: int) -> str:
    return f"Stopped at the time limit: a run may take at most {seconds} s."


def experiment_claim(*, experiment_id: int, worker_hostname: str, worker_pid: int | None) -> RunLease | None:
    """QUEUED -> RUNNING for this worker process, or None when the message must not run (any more).

    A redelivered or duplicate message finds the run not QUEUED and claims nothing; one
    that finds a cancelled or exhausted QUEUED run settles it (CANCELLED, FAILED).
    """
    max_attempts = lab_limits().max_attempts
    rows = Experiment.objects.filter(pk=experiment_id)
    with transaction.atomic():
        claimed = experiment_transition(
            rows.filter(cancel_requested=False, attempts__lt=max_attempts), source=S.QUEUED, target=S.RUNNING,
            attempts=F("attempts") + 1, worker_hostname=worker_hostname[:255], worker_pid=worker_pid, progress={},
        )
        if claimed:
            EpochRecord.objects.filter(experiment_id=experiment_id).delete()  # a retried run starts its trace afresh
            return RunLease.of(rows.only("pk", "attempts").get())
        experiment_transition(rows.filter(cancel_requested=True), source=S.QUEUED, target=S.CANCELLED)
        experiment_transition(
            rows.filter(attempts__gte=max_attempts), source=S.QUEUED, target=S.FAILED,
            reason=f"Gave up after {max_attempts} attempt(s): the worker running it stopped each time.",
        )
    return None


def experiment_run(*, experiment_id: int, worker_hostname: str = "", worker_pid: int | None = None) -> str | None:
    """Run one experiment on this worker and record everything; returns its final status
    (None when this message had nothing to run, or another attempt took the run over).
    Never raises for a failed run."""
    lease = experiment_claim(experiment_id=experiment_id, worker_hostname=worker_hostname, worker_pid=worker_pid)
    if lease is None:
        log.info("experiment %s: nothing to run (not queued)", experiment_id)
        return None
    t0 = time.monotonic()
    results, reason = None, ""
    try:
        results = _train(lease, claimed_at=t0)
        status = S.SUCCEEDED
    except LeaseLost:
        log.warning("experiment %s attempt %s: another attempt took over; stopping", experiment_id, lease.attempt)
        return None
    except Exception as exc:  # every failure ends the run with a reason the learner can read
        status, reason = _ending(exc, experiment_id)
    if not lease.finish(status, reason=reason, results=results):
        log.warning("experiment %s attempt %s lost its lease; result dropped", experiment_id, lease.attempt)
        return None
    log.info("experiment %s attempt %s %s in %.1f s", experiment_id, lease.attempt, status, time.monotonic() - t0)
    return status


def _train(lease: RunLease, *, claimed_at: float) -> dict:
    """Train the leased run with the engine; returns the results to store.

    Times are counted from ``claimed_at`` (``time.monotonic()`` when this worker claimed the run):
    each epoch's ``elapsed_seconds`` and the results' ``startup_seconds`` (before the engine began:
    loading the engine, preparing the dataset's files) include this worker's start-up.
    """
    from modellab import engine

    exp = Experiment.objects.select_related("dataset").get(pk=lease.experiment_id)
    output_name = f"{storage.RUNS_ROOT}/{exp.pk}"
    out = storage.local_dir(output_name)
    shutil.rmtree(out, ignore_errors=True)
    config = engine.RunConfig(
        dataset_dir=str(dataset_local_dir(dataset=exp.dataset)),
        cache_dir=str(storage.local_dir(storage.FEATURE_CACHE)), output_dir=str(out),
        backbone=exp.backbone, strategy=exp.strategy, epochs=exp.epochs, lr=exp.lr, batch_size=exp.batch_size,
        optimizer=exp.optimizer, seed=exp.seed, device=settings.LAB_DEVICE, image_size=exp.image_size,
        train_per_class=exp.train_per_class,
    )
    startup = time.monotonic() - claimed_at
    result = engine.run(
        config, on_epoch_end=lambda stats: lease.record_epoch(stats, elapsed=startup + stats.elapsed),
        should_cancel=CancelPoll(lease), on_progress=ProgressWriter(lease),
    )
    storage.push_dir(output_name)
    return {**_results_for_storage(result, dataset=exp.dataset, output_name=output_name), "startup_seconds": startup}


def _ending(exc: Exception, experiment_id: int) -> tuple[str, str]:
    """The status and learner-facing reason of a run that stopped with ``exc``."""
    from modellab import engine

    if isinstance(exc, engine.RunCancelled):
        return S.CANCELLED, "Cancelled on request."
    if isinstance(exc, SoftTimeLimitExceeded):
        return S.FAILED, time_limit_reason(lab_limits().soft_time_limit_s)
    if isinstance(exc, engine.EngineError):
        return S.FAILED, exc.message
    log.exception("experiment %s failed", experiment_id)  # unexpected: keep the traceback for whoever runs the site
    return S.FAILED, str(exc) or type(exc).__name__  # the engine's message is the learner's best explanation


def _results_for_storage(result, *, dataset: Dataset, output_name: str) -> dict:
    data = result.to_dict()
    epochs = data.pop("epochs", None) or []  # the trace lives in EpochRecord rows
    data["final"] = epochs[-1] if epochs else {}
    data["misclassified_count"] = len(data.pop("misclassified", []) or [])
    root = storage.local_dir(dataset.folder).resolve()
    for p in data.get("predictions", []):
        path = Path(p["path"])
        if path.is_absolute():
            try:
                p["path"] = path.resolve().relative_to(root).as_posix()
            except ValueError:
                p["path"] = ""
    data["model_path"] = f"{output_name}/model.pt"
    return data


def experiment_fail_hard_time_limit(*, experiment_id: int, worker_hostname: str, worker_pid: int | None) -> bool:
    """Fail the attempt that the worker process ``worker_hostname`` / ``worker_pid`` held when Celery
    killed it at the hard time limit. Returns whether an attempt was failed: a run that already
    ended, or that the sweep requeued and another process claimed since, is left as it is."""
    lease = RunLease.held_by(experiment_id=experiment_id, worker_hostname=worker_hostname, worker_pid=worker_pid)
    if lease is None:
        return False
    return lease.finish(S.FAILED, reason=time_limit_reason(lab_limits().hard_time_limit_s))
