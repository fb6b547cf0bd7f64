"""Worker start: sweep for runs orphaned by a dead worker, then keep sweeping on a timer.

Connected in ModellabConfig.ready(). Runs in the worker's parent process, which touches
the database only (never CUDA), and closes its connections so forked children never
share them.
"""
import logging
import threading

from celery.signals import worker_ready
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


def _sweep_forever(interval: float) -> None:
    pause = threading.Event()
    while True:
        pause.wait(interval)  # the first periodic pass waits one interval: the start sweep just ran
        close_old_connections()
        sweep_once()


@worker_ready.connect(dispatch_uid="modellab.sweep_on_worker_ready")
def sweep_on_worker_ready(sender=None, **kwargs) -> None:
    hostname = getattr(sender, "hostname", "") or ""
    outcomes = sweep_once(restarting_hostname=hostname)
    log.info("lab sweep at start of %s: %d orphaned run(s) handled", hostname, len(outcomes))
    interval = settings.LAB_SWEEP_INTERVAL_S
    if interval > 0 and not _timer_started.is_set():
        _timer_started.set()
        threading.Thread(target=_sweep_forever, args=(interval,), name="lab-sweep", daemon=True).start()
