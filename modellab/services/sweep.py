"""The orphan sweep: requeue or fail RUNNING runs whose worker is gone."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from modellab.limits import LabLimits, lab_limits
from modellab.models import Experiment
from modellab.services.experiments import _enqueue
from modellab.services.lease import RunLease
from modellab.services.runs import TIME_LIMIT, time_limit_reason

log = logging.getLogger(__name__)

S = Experiment.Status

WORKER_LOST = "worker_lost"  # the code of a run failed because its worker stopped on its last attempt


@dataclass(frozen=True)
class SweepOutcome:
    experiment_id: int
    action: str  # "requeued" | "failed"
    reason: str


def experiments_sweep_orphans(*, restarting_hostname: str = "") -> list[SweepOutcome]:
    """Requeue (attempts left) or fail RUNNING runs whose worker is gone.

    A worker is gone when the run's heartbeat is older than LAB_HEARTBEAT_STALE_S, or when
    ``restarting_hostname`` (a worker that is just starting, so runs nothing yet) is the
    worker the run was recorded on. A run older than the hard time limit fails with
    "time limit" (the hard limit kills the process without a word).
    """
    limits = lab_limits()
    now = timezone.now()
    gone = Q(heartbeat_at__lt=now - timedelta(seconds=settings.LAB_HEARTBEAT_STALE_S)) | Q(heartbeat_at__isnull=True)
    if restarting_hostname:
        gone |= Q(worker_hostname=restarting_hostname)
    orphans = Experiment.objects.filter(gone, status=S.RUNNING).only(
        "pk", "attempts", "worker_hostname", "worker_pid", "started_at"
    )
    outcomes = [outcome for exp in orphans if (outcome := _settle(exp, limits=limits, now=now))]
    for o in outcomes:
        log.warning("lab sweep: experiment %s %s: %s", o.experiment_id, o.action, o.reason)
    return outcomes


def _settle(exp: Experiment, *, limits: LabLimits, now: datetime) -> SweepOutcome | None:
    """Requeue or fail one orphaned run through the lease of the attempt it was found in;
    None when that attempt ended or moved on meanwhile."""
    lease = RunLease.of(exp)
    worker = f"{exp.worker_hostname or 'unknown worker'} (pid {exp.worker_pid})"
    if exp.started_at and exp.started_at < now - timedelta(seconds=limits.hard_time_limit_s):
        reason = time_limit_reason(limits.hard_time_limit_s)
        return SweepOutcome(exp.pk, "failed", reason) if lease.finish(S.FAILED, reason=reason, code=TIME_LIMIT) else None
    if exp.attempts < limits.max_attempts:
        with transaction.atomic():
            if not lease.requeue():
                return None
            _enqueue(exp.pk)  # a new message: the embedded broker lost the killed worker's one
        return SweepOutcome(exp.pk, "requeued", f"Worker {worker} stopped during attempt {exp.attempts}; requeued.")
    reason = f"The worker running it, {worker}, stopped (attempt {exp.attempts} of {limits.max_attempts}); not retried again."
    return SweepOutcome(exp.pk, "failed", reason) if lease.finish(S.FAILED, reason=reason, code=WORKER_LOST) else None
