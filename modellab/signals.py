"""Worker start: record the worker and sweep for runs orphaned by a dead worker; then both again every LAB_SWEEP_INTERVAL_S,
with the model files the retention settings let go removed (``lab_prune``).

Connected in ModellabConfig.ready(). Runs in the worker's parent process, which touches
the database only (never CUDA: the device is recorded by the task's child), and closes its
connections so forked children never share them.
"""

import logging
import os
import threading

from celery.signals import worker_init, worker_ready
from django.conf import settings
from django.db import close_old_connections, connections

log = logging.getLogger(__name__)

_timer_started = threading.Event()


def sweep_once(*, restarting_hostname: str = "") -> list:
    from modellab.services.sweep import experiments_sweep_orphans

    try:
        return experiments_sweep_orphans(restarting_hostname=restarting_hostname)
    except Exception:  # a sweep must never take the worker down
        log.exception("lab sweep failed")
        return []
    finally:
        connections.close_all()


def prune_once() -> int:
    """Remove the model files the retention settings let go (modellab.services.retention); how many runs'."""
    from modellab.services.retention import models_prune

    try:
        return len(models_prune())
    except Exception:  # like the sweep: never take the worker down; the next pass tries again
        log.exception("lab prune failed")
        return 0
    finally:
        connections.close_all()


def _beat(hostname: str, *, queues: list[str] | None = None, concurrency: int = 1) -> None:
    """Record the worker as started (``queues`` given) or alive; a failure is logged, never raised."""
    from modellab.services.workers import worker_heartbeat, worker_started

    try:
        if queues is None:
            worker_heartbeat(hostname=hostname)
        else:
            worker_started(hostname=hostname, queues=queues, pid=os.getpid(), concurrency=concurrency)
    except Exception:
        log.exception("could not record worker %s", hostname)
    finally:
        connections.close_all()


def _every(interval: float, hostname: str) -> None:
    pause = threading.Event()
    while True:
        pause.wait(interval)  # the first periodic pass waits one interval: the start sweep just ran
        close_old_connections()
        _beat(hostname)
        sweep_once()
        prune_once()


def _queues(sender) -> list[str]:
    try:
        return sorted(q.name for q in sender.task_consumer.queues)
    except AttributeError:  # not a consumer we know: the record just lacks its queues
        return []


def _concurrency(sender) -> int:
    """How many tasks the worker runs at once: its pool's processes (`celery worker --concurrency`)."""
    controller = getattr(sender, "controller", None)
    return getattr(controller, "max_concurrency", None) or getattr(controller, "concurrency", None) or 1


@worker_init.connect(dispatch_uid="modellab.preload_engine")
def preload_engine(**kwargs) -> None:
    """Import the engine (torch, torchvision, ONNX Runtime) once in the parent, before the pool forks.

    Every run gets a fresh child (CELERY_WORKER_MAX_TASKS_PER_CHILD = 1), which would otherwise import
    them again: about 2 s a run on this project's 2-core CPU. Importing initialises neither CUDA nor
    the OpenMP thread pool, so the forked children start clean (the device is touched in the child only).
    """
    import modellab.engine  # noqa: F401


@worker_ready.connect(dispatch_uid="modellab.sweep_on_worker_ready")
def sweep_on_worker_ready(sender=None, **kwargs) -> None:
    hostname = getattr(sender, "hostname", "") or ""
    _beat(hostname, queues=_queues(sender), concurrency=_concurrency(sender))
    outcomes = sweep_once(restarting_hostname=hostname)
    log.info("lab sweep at start of %s: %d orphaned run(s) handled", hostname, len(outcomes))
    interval = settings.LAB_SWEEP_INTERVAL_S
    if interval > 0 and not _timer_started.is_set():
        _timer_started.set()
        threading.Thread(target=_every, args=(interval, hostname), name="lab-sweep", daemon=True).start()
