"""The worker side of a run: claim it, train it under a lease, record how it ended; the hard time limit."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from modellab import storage
from modellab.limits import lab_limits
from modellab.models import Dataset, EpochRecord, Experiment
from modellab.services.datasets import dataset_local_dir
from modellab.services.engine_errors import run_failure_from_engine
from modellab.services.explain import run_outputs_explain
from modellab.services.lease import CancelPoll, LeaseLost, ProgressWriter, RunLease
from modellab.services.lifecycle import experiment_transition

log = logging.getLogger(__name__)

S = Experiment.Status

# Codes of the reasons a run fails with, besides the engine's and the storage's own.
TIME_LIMIT = "time_limit"
ATTEMPTS_EXHAUSTED = "attempts_exhausted"
UNEXPECTED_FAILURE = "internal_error"
UNEXPECTED_REASON = (
    "The run stopped on an unexpected error on the training server. The people who run this site "
    "have the details in its log; please try again later."
)


def time_limit_reason(seconds: int) -> str:
    return f"Stopped at the time limit: a run may take at most {seconds} s."


def experiment_claim(
    *, experiment_id: int, worker_hostname: str, worker_pid: int | None, worker_device: str = ""
) -> RunLease | None:
    """QUEUED -> RUNNING for this worker process (recording where it runs), or None when the
    message must not run (any more).

    A redelivered or duplicate message finds the run not QUEUED and claims nothing; one
    that finds a cancelled or exhausted QUEUED run settles it (CANCELLED, FAILED).
    """
    max_attempts = lab_limits().max_attempts
    rows = Experiment.objects.filter(pk=experiment_id)
    with transaction.atomic():
        claimed = experiment_transition(
            rows.filter(cancel_requested=False, attempts__lt=max_attempts),
            source=S.QUEUED,
            target=S.RUNNING,
            attempts=F("attempts") + 1,
            worker_hostname=worker_hostname[:255],
            worker_pid=worker_pid,
            device=worker_device[:120],
            progress={},
        )
        if claimed:
            EpochRecord.objects.filter(experiment_id=experiment_id).delete()  # a retried run starts its trace afresh
            return RunLease.of(rows.only("pk", "attempts").get())
        experiment_transition(rows.filter(cancel_requested=True), source=S.QUEUED, target=S.CANCELLED)
        experiment_transition(
            rows.filter(attempts__gte=max_attempts),
            source=S.QUEUED,
            target=S.FAILED,
            code=ATTEMPTS_EXHAUSTED,
            reason=f"Gave up after {max_attempts} attempt(s): the worker running it stopped each time.",
        )
    return None


def experiment_run(
    *, experiment_id: int, worker_hostname: str = "", worker_pid: int | None = None, worker_device: str = ""
) -> str | None:
    """Run one experiment on this worker and record everything; returns its final status
    (None when this message had nothing to run, or another attempt took the run over).
    Never raises for a failed run; the reason it records is a message we wrote."""
    lease = experiment_claim(
        experiment_id=experiment_id, worker_hostname=worker_hostname, worker_pid=worker_pid, worker_device=worker_device
    )
    if lease is None:
        log.info("experiment %s: nothing to run (not queued)", experiment_id)
        return None
    t0 = time.monotonic()
    results, code, reason = None, "", ""
    try:
        results = _train(lease, claimed_at=t0)
        status = S.SUCCEEDED
    except LeaseLost:
        log.warning("experiment %s attempt %s: another attempt took over; stopping", experiment_id, lease.attempt)
        return None
    except Exception as exc:  # every failure ends the run with a reason the learner can read
        status, code, reason = _ending(exc, experiment_id)
    if not lease.finish(status, reason=reason, code=code, results=results):
        log.warning("experiment %s attempt %s lost its lease; result dropped", experiment_id, lease.attempt)
        return None
    log.info("experiment %s attempt %s %s in %.1f s", experiment_id, lease.attempt, status, time.monotonic() - t0)
    return status


def _train(lease: RunLease, *, claimed_at: float) -> dict:
    """Fetch what the leased run needs, train it with the engine, store its outputs; returns the results to store.

    Times are counted from ``claimed_at`` (``time.monotonic()`` when this worker claimed the run):
    each epoch's ``elapsed_seconds`` and the results' ``startup_seconds`` (before the engine began:
    loading the engine, fetching the dataset's files and the feature cache) include this worker's start-up.
    """
    from modellab import engine

    exp = Experiment.objects.select_related("dataset").get(pk=lease.experiment_id)
    poll = CancelPoll(lease)

    def tick() -> None:  # between files copied: the heartbeat, and a cancel honoured at once
        if poll():
            raise engine.RunCancelled()

    dataset_dir = storage.with_retries(
        lambda: dataset_local_dir(dataset=exp.dataset, tick=tick), what=f"experiment {exp.pk}: fetching its dataset"
    )
    _sync_feature_cache(storage.pull_new, tick=tick)
    output_name = f"{storage.RUNS_ROOT}/{exp.pk}"
    out = storage.local_dir(output_name)
    shutil.rmtree(out, ignore_errors=True)
    config = engine.RunConfig(
        dataset_dir=str(dataset_dir),
        cache_dir=str(storage.local_dir(storage.FEATURE_CACHE)),
        output_dir=str(out),
        backbone=exp.backbone,
        strategy=exp.strategy,
        epochs=exp.epochs,
        lr=exp.lr,
        batch_size=exp.batch_size,
        optimizer=exp.optimizer,
        seed=exp.seed,
        device=settings.LAB_DEVICE,
        image_size=exp.image_size,
        train_per_class=exp.train_per_class,
        augment=exp.augment,
        runtime=settings.LAB_EXTRACT_RUNTIME,
        cpu_precision=settings.LAB_CPU_PRECISION,
    )
    startup = time.monotonic() - claimed_at
    try:
        result = engine.run(
            config,
            on_epoch_end=lambda stats: lease.record_epoch(stats, elapsed=startup + stats.elapsed),
            should_cancel=poll,
            on_progress=ProgressWriter(lease),
        )
    finally:
        _sync_feature_cache(storage.push_new)  # what this run extracted serves the next run on any machine
    extras = run_outputs_explain(
        model_path=result.model_path,
        dataset_dir=dataset_dir,
        predictions=result.predictions,
        output_name=output_name,
        tick=lease.heartbeat,
    )
    storage.with_retries(
        lambda: storage.push_dir(output_name, what="the run's trained model", tick=lease.heartbeat),
        what=f"experiment {exp.pk}: storing its outputs",
    )
    return {**_results_for_storage(result, dataset=exp.dataset, output_name=output_name), "startup_seconds": startup, **extras}


def _sync_feature_cache(copy, **kwargs) -> None:
    """Copy the feature cache's new files (``storage.pull_new`` or ``push_new``); the cache only saves
    time, so a storage failure here is logged and the run goes on."""
    try:
        count = copy(storage.FEATURE_CACHE, **kwargs)
    except (storage.StorageUnavailable, storage.StorageObjectMissing) as exc:
        log.warning("feature cache not synced (%s): %r", copy.__name__, exc)
    else:
        if count:
            log.info("feature cache: %s copied %d file(s)", copy.__name__, count)


def _ending(exc: Exception, experiment_id: int) -> tuple[str, str, str]:
    """The status, code and learner-facing reason of a run that stopped with ``exc``: always a
    message we wrote; an unexpected error's own text (paths, internals) goes to the log only."""
    from modellab import engine

    if isinstance(exc, engine.RunCancelled):
        return S.CANCELLED, "", "Cancelled on request."
    if isinstance(exc, SoftTimeLimitExceeded):
        return S.FAILED, TIME_LIMIT, time_limit_reason(lab_limits().soft_time_limit_s)
    if isinstance(exc, storage.StorageUnavailable):
        log.error("experiment %s: the storage did not answer: %r", experiment_id, exc.__cause__)
        return S.FAILED, exc.code, exc.message
    if isinstance(exc, ValidationError):  # ours: StorageObjectMissing, a dataset's refusal
        log.error("experiment %s failed: %s (%s)", experiment_id, exc.code, getattr(exc, "name", ""))
        return S.FAILED, exc.code or "", " ".join(exc.messages)
    if isinstance(exc, engine.EngineError):
        code, reason = run_failure_from_engine(exc)
        return S.FAILED, code, reason
    log.exception("experiment %s failed", experiment_id)  # unexpected: the traceback is for whoever runs the site
    return S.FAILED, UNEXPECTED_FAILURE, UNEXPECTED_REASON


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
    return lease.finish(S.FAILED, reason=time_limit_reason(lab_limits().hard_time_limit_s), code=TIME_LIMIT)
