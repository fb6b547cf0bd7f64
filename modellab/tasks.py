"""Celery tasks of the lab: thin, they load by id and call one service.

Routed to the ``gpu`` queue by CELERY_TASK_ROUTES (``modellab.tasks.*``).
"""
import os
import socket

from celery import shared_task

from modellab import services


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def run_experiment(self, experiment_id: int) -> str | None:
    """Train experiment ``experiment_id``; progress and results are written to its rows."""
    hostname = self.request.hostname or f"local@{socket.gethostname()}"
    return services.experiment_run(experiment_id=experiment_id, worker_hostname=hostname, worker_pid=os.getpid())
