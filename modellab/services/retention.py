"""The retention of model files: remove the run folders that modellab.retention picks, and say so on the run."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from modellab import storage
from modellab.models import Experiment
from modellab.retention import StoredModel, models_to_remove

log = logging.getLogger(__name__)

S = Experiment.Status
MODEL_REMOVED_AT = "model_removed_at"  # the key in a run's results: when its model files were removed (ISO)


def runs_with_models_to_remove(*, now: datetime | None = None) -> list[Experiment]:
    """The succeeded runs whose model files the retention settings let go (LAB_KEEP_MODELS_PER_LEARNER,
    LAB_KEEP_MODELS_DAYS), oldest first: a read, nothing is removed."""
    now = now or timezone.now()
    runs = {
        e.pk: e
        for e in Experiment.objects.filter(status=S.SUCCEEDED, finished_at__isnull=False)
        .exclude(results__has_key=MODEL_REMOVED_AT)
        .select_related("owner")
    }
    stored = [StoredModel(e.pk, e.owner_id, e.finished_at) for e in runs.values()]
    picked = models_to_remove(
        stored, keep_last=settings.LAB_KEEP_MODELS_PER_LEARNER, keep_days=settings.LAB_KEEP_MODELS_DAYS, now=now
    )
    return [runs[pk] for pk in picked]


def models_prune(*, dry_run: bool = False, now: datetime | None = None) -> list[Experiment]:
    """Remove the model files of the runs ``runs_with_models_to_remove`` lists (their whole run folder:
    the trace and results live in the database and stay) and record when on each run; returns those runs.
    With ``dry_run`` nothing is removed or recorded."""
    from modellab.storage_usage import delete_folder

    runs = runs_with_models_to_remove(now=now)
    if dry_run:
        return runs
    when = (now or timezone.now()).isoformat()
    for run in runs:
        delete_folder(f"{storage.RUNS_ROOT}/{run.pk}")  # StorageUnavailable stops the pass: the rest waits for the next
        run.results = {**(run.results or {}), MODEL_REMOVED_AT: when}
        Experiment.objects.filter(pk=run.pk, status=S.SUCCEEDED).update(results=run.results)
        log.info("run %s: model files removed (retention)", run.pk)
    return runs
