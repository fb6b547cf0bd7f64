"""The lifecycle of an experiment, and the one function that moves its status.

Lifecycle of an experiment (all transitions are conditional UPDATEs, so two processes
never both win one)::

    QUEUED --(worker claims it; attempts += 1)--> RUNNING --> SUCCEEDED | FAILED | CANCELLED
    QUEUED --(cancel)--> CANCELLED
    QUEUED --(a late message finds no attempts left)--> FAILED
    RUNNING --(its worker is gone, attempts left)--> QUEUED        (the sweep)
    RUNNING --(its worker is gone, no attempts left)--> FAILED      (the sweep)
    RUNNING --(its worker was killed at the hard time limit)--> FAILED

A worker holds a run by its attempt number: every write it makes filters on
``status=RUNNING, attempts=<its attempt>`` (``lease.RunLease``), so a worker that was
presumed dead and replaced cannot overwrite the newer attempt's rows.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from modellab.models import Experiment

S = Experiment.Status

TRANSITIONS = {S.QUEUED: {S.RUNNING, S.CANCELLED, S.FAILED}, S.RUNNING: {S.SUCCEEDED, S.FAILED, S.CANCELLED, S.QUEUED}}

# failure_reason is a TextField; a reason longer than this is a traceback nobody reads.
MAX_REASON_CHARS = 4000


def experiment_transition(
    rows: QuerySet[Experiment], *, source: str, target: str, reason: str = "", code: str = "", **fields
) -> int:
    """Move the experiments of ``rows`` that are in ``source`` to ``target``; returns how many moved.

    The status, ``finished_at``, ``failure_reason`` and ``failure_code`` are set here and nowhere
    else: a terminal target stamps ``finished_at`` and records ``reason`` (a message we wrote, for
    the learner) with its ``code``; RUNNING stamps the start and heartbeat; QUEUED forgets the
    worker that held the run and its device. ``fields`` adds the columns
    one transition needs (the claim's attempt and worker, a run's results). A
    ``source -> target`` pair outside the lifecycle is a programming error (ValueError).
    """
    if target not in TRANSITIONS.get(source, ()):
        raise ValueError(f"no transition {source} -> {target} in the lifecycle")
    now = timezone.now()
    values = {"status": target, "failure_reason": reason[:MAX_REASON_CHARS], "failure_code": code, "finished_at": None}
    if target == S.RUNNING:
        values.update(started_at=now, heartbeat_at=now)
    elif target == S.QUEUED:
        values.update(queued_at=now, heartbeat_at=None, worker_hostname="", worker_pid=None, device="", cancel_requested=False)
    else:
        values["finished_at"] = now
    values.update(fields)
    with transaction.atomic():
        return rows.filter(status=source).update(**values)
