"""Reads for the queue's position and ETA of every queued or running run (modellab.eta does the arithmetic)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from modellab.eta import PastRun, RunSettings, Slot, estimate_duration, queue_slots
from modellab.models import Experiment, Worker

S = Experiment.Status

HISTORY = 500  # the most recent succeeded runs read: enough for every match's last few, one cheap query


def _settings(e: Experiment) -> RunSettings:
    return RunSettings(e.backbone, e.strategy, e.dataset_id, e.image_size, e.epochs, e.augment)


def queue_eta(*, now: datetime | None = None) -> dict[int, Slot]:
    """A Slot for every queued run (its position, seconds until it starts and finishes) and every
    running run (seconds until it finishes), by experiment id; estimated from this site's recent runs."""
    now = now or timezone.now()
    fields = ("pk", "backbone", "strategy", "dataset_id", "image_size", "epochs", "augment", "started_at", "finished_at")
    past = (
        Experiment.objects.filter(status=S.SUCCEEDED, started_at__isnull=False, finished_at__isnull=False)
        .order_by("-finished_at", "-pk")
        .only(*fields)[:HISTORY]
    )
    history = [PastRun(_settings(e), (e.finished_at - e.started_at).total_seconds()) for e in past]
    running = list(Experiment.objects.filter(status=S.RUNNING).order_by("pk").only(*fields))
    queued = list(
        Experiment.objects.filter(status=S.QUEUED)
        .order_by(Coalesce("queued_at", "created_at"), "pk")
        .only(*fields, "queued_at", "created_at")
    )
    stale = now - timedelta(seconds=settings.LAB_HEARTBEAT_STALE_S)
    # The runs that can run at once: every live worker's processes (one record per worker, not per process).
    workers = Worker.objects.filter(heartbeat_at__gte=stale).aggregate(n=Sum("concurrency"))["n"] or 0

    running_estimates = [estimate_duration(_settings(e), history) for e in running]
    left = [
        None if est is None or e.started_at is None else est.seconds - (now - e.started_at).total_seconds()
        for e, est in zip(running, running_estimates, strict=True)
    ]
    finishes, slots = queue_slots(
        running=left, queued=[estimate_duration(_settings(e), history) for e in queued], workers=workers
    )
    out = {e.pk: Slot(None, 0.0, finish, est) for e, finish, est in zip(running, finishes, running_estimates, strict=True)}
    out |= {e.pk: slot for e, slot in zip(queued, slots, strict=True)}
    return out


def experiment_eta(*, experiment: Experiment) -> Slot | None:
    """The run's Slot while it is queued or running, else None (nothing is read for a finished run)."""
    return queue_eta().get(experiment.pk) if experiment.is_active else None


def active_runs_eta(*, limit: int = 100) -> list[tuple[Experiment, Slot]]:
    """The running runs, then the queued ones in queue order, each with its Slot: the Lab status page's list."""
    slots = queue_eta()
    runs = Experiment.objects.filter(pk__in=list(slots)).select_related("owner", "dataset")
    ordered = sorted(((e, slots[e.pk]) for e in runs), key=lambda pair: (pair[1].position or 0, pair[0].pk))
    return ordered[:limit]
