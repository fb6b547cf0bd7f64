"""Celery tasks of the lab: thin, they load by id and call one service.

Routed to the ``gpu`` queue by CELERY_TASK_ROUTES (``modellab.tasks.*``).
"""

import logging
import os
import socket

from celery import Task, shared_task
from celery.worker.request import Request

from django.conf import settings

from modellab.services.runs import experiment_fail_hard_time_limit, experiment_run
from modellab.services.workers import device_name, worker_heartbeat, worker_threads

log = logging.getLogger(__name__)


class ExperimentRequest(Request):
    """A run's message as the worker's parent process holds it: it knows the child's pid."""

    def on_timeout(self, soft, timeout):
        if not soft:
            # The hard limit killed the child. The parent fails the attempt that child held at
            # once (rather than the orphan sweep, minutes later), and only that attempt: by now
            # the sweep may have requeued the run and another process may hold a newer one.
            # (The next child does not share this connection: Celery's Django fixup closes
            # inherited ones at child start.)
            try:
                experiment_fail_hard_time_limit(
                    experiment_id=self.args[0] if self.args else self.kwargs["experiment_id"],
                    worker_hostname=self.hostname,
                    worker_pid=self.worker_pid,
                )
            except Exception:  # the worker's parent must survive; the sweep fails the run later
                log.exception("could not fail experiment %s at the hard time limit", self.args or self.kwargs)
        super().on_timeout(soft, timeout)


class ExperimentTask(Task):
    Request = ExperimentRequest


@shared_task(base=ExperimentTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def run_experiment(self, experiment_id: int) -> str | None:
    """Train experiment ``experiment_id``; progress and results are written to its rows."""
    hostname = self.request.hostname or f"local@{socket.gethostname()}"
    device = device_name(settings.LAB_DEVICE)  # here in the child, where CUDA may be initialised
    worker_threads()  # in the child too: each of the worker's processes trains on LAB_WORKER_THREADS
    worker_heartbeat(hostname=hostname, device=device)
    return experiment_run(experiment_id=experiment_id, worker_hostname=hostname, worker_pid=os.getpid(), worker_device=device)
