"""A worker's hold on one attempt of a run, and every write that attempt makes.

Every write goes through ``RunLease.rows()``: ``status=RUNNING, attempts=<attempt>``. Once
the sweep has given the run away (requeued it, and maybe another worker claimed attempt
n+1), the old attempt's writes match nothing: ``heartbeat``, ``record_epoch``,
``record_progress`` and ``cancel_requested`` raise LeaseLost, ``finish`` returns False.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from modellab.models import EpochRecord, Experiment
from modellab.services.lifecycle import experiment_transition

S = Experiment.Status

# How often a running job reads its cancel flag and refreshes its heartbeat (one query).
CANCEL_CHECK_INTERVAL_S = 1.0
# How often a running job writes its progress at most (one UPDATE); the page polls every 2 s.
PROGRESS_INTERVAL_S = 1.0


class LeaseLost(Exception):
    """This worker's attempt is no longer the current one (the sweep gave the run away)."""


@dataclass(frozen=True)
class RunLease:
    experiment_id: int
    attempt: int  # the value of ``attempts`` when this worker claimed the run

    @classmethod
    def of(cls, experiment: Experiment) -> RunLease:
        return cls(experiment.pk, experiment.attempts)

    @classmethod
    def held_by(cls, *, experiment_id: int, worker_hostname: str, worker_pid: int | None) -> RunLease | None:
        """The lease the worker process ``worker_hostname`` / ``worker_pid`` holds on the run, or None
        when that process holds none (the run ended, or the sweep gave it to another worker)."""
        if worker_pid is None:
            return None
        attempt = (
            Experiment.objects.filter(
                pk=experiment_id, status=S.RUNNING, worker_hostname=worker_hostname[:255], worker_pid=worker_pid
            )
            .values_list("attempts", flat=True)
            .first()
        )
        return None if attempt is None else cls(experiment_id, attempt)

    def rows(self) -> QuerySet[Experiment]:
        """The run while this attempt holds it: every write below filters through here."""
        return Experiment.objects.filter(pk=self.experiment_id, status=S.RUNNING, attempts=self.attempt)

    def heartbeat(self) -> None:
        """Say this attempt is alive; raises LeaseLost when it no longer holds the run."""
        if not self.rows().update(heartbeat_at=timezone.now()):
            raise LeaseLost(f"experiment {self.experiment_id} attempt {self.attempt}")

    def record_epoch(self, stats, *, elapsed: float | None = None) -> None:
        """The engine's ``on_epoch_end``: the epoch's row, committed as the epoch ends (with a heartbeat).
        ``elapsed``: seconds since the worker started the run (default: the engine's ``stats.elapsed``)."""
        with transaction.atomic():
            self.heartbeat()
            EpochRecord.objects.update_or_create(
                experiment_id=self.experiment_id,
                epoch=stats.epoch,
                defaults={
                    "train_loss": stats.train_loss,
                    "train_accuracy": stats.train_accuracy,
                    "val_loss": stats.val_loss,
                    "val_accuracy": stats.val_accuracy,
                    "seconds": stats.seconds,
                    "elapsed_seconds": stats.elapsed if elapsed is None else elapsed,
                },
            )

    def record_progress(self, progress: dict) -> None:
        """Store the running phase's progress (``engine.Progress.to_dict()``), with a heartbeat."""
        if not self.rows().update(progress=progress, heartbeat_at=timezone.now()):
            raise LeaseLost(f"experiment {self.experiment_id} attempt {self.attempt}")

    def cancel_requested(self) -> bool:
        """Whether the learner asked the run to stop (one query, with a heartbeat)."""
        with transaction.atomic():
            self.heartbeat()
            return self.rows().filter(cancel_requested=True).exists()

    def finish(self, status: str, *, reason: str = "", code: str = "", results: dict | None = None) -> bool:
        """End this attempt with ``status``; False (and nothing written) when it no longer holds the run."""
        fields = {} if results is None else {"results": results}
        return bool(experiment_transition(self.rows(), source=S.RUNNING, target=status, reason=reason, code=code, **fields))

    def requeue(self) -> bool:
        """Give the run back to the queue (the sweep); False when this attempt no longer holds it."""
        return bool(experiment_transition(self.rows(), source=S.RUNNING, target=S.QUEUED))


class CancelPoll:
    """The engine's ``should_cancel``: asks the lease at most once per ``interval_s``
    (the engine calls it every batch); once it said yes it says yes without asking."""

    def __init__(self, lease: RunLease, interval_s: float = CANCEL_CHECK_INTERVAL_S):
        self.lease = lease
        self.interval_s = interval_s
        self.asked_at: float | None = None  # time.monotonic() of the last query
        self.cancelled = False

    def __call__(self) -> bool:
        if self.cancelled:
            return True
        now = time.monotonic()
        if self.asked_at is not None and now - self.asked_at < self.interval_s:
            return False
        self.asked_at = now
        self.cancelled = self.lease.cancel_requested()
        return self.cancelled


class ProgressWriter:
    """The engine's ``on_progress``: passes a report on to the lease at most once per ``interval_s``
    (the engine reports every batch); the reports in between are dropped, never queued."""

    def __init__(self, lease: RunLease, interval_s: float = PROGRESS_INTERVAL_S):
        self.lease = lease
        self.interval_s = interval_s
        self.written_at: float | None = None  # time.monotonic() of the last write

    def __call__(self, progress) -> None:
        now = time.monotonic()
        if self.written_at is not None and now - self.written_at < self.interval_s:
            return
        self.written_at = now
        self.lease.record_progress(progress.to_dict())
