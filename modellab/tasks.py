"""Celery tasks of the lab: thin, they load by id and call one service.

Routed to the ``gpu`` queue by CELERY_TASK_ROUTES (``modellab.tasks.*``).
"""
import os
import socket

from celery import Task, shared_task
from celery.exceptions import TimeLimitExceeded

from modellab.services.runs import experiment_fail_hard_time_limit, experiment_run


class ExperimentTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # The hard time limit kills the child; Celery calls this in the worker's parent, which
        # records the failure at once instead of leaving it to the orphan sweep.
        if isinstance(exc, TimeLimitExceeded):
            experiment_fail_hard_time_limit(experiment_id=args[0] if args else kwargs["experiment_id"])


@shared_task(base=ExperimentTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def run_experiment(self, experiment_id: int) -> str | None:
    """Train experiment ``experiment_id``; progress and results are written to its rows."""
    hostname = self.request.hostname or f"local@{socket.gethostname()}"
    return experiment_run(experiment_id=experiment_id, worker_hostname=hostname, worker_pid=os.getpid())
