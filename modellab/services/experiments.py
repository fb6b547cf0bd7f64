"""Submitting experiments (the only place that queues a run) and cancelling them."""
from __future__ import annotations

import uuid

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from modellab import storage
from modellab.dataset_ref import DatasetRef
from modellab.limits import check_epochs, check_image_count, lab_limits
from modellab.models import Dataset, Experiment
from modellab.public_text import public_text
from modellab.services.datasets import dataset_resolve
from modellab.services.lifecycle import experiment_transition

S = Experiment.Status

TOO_MANY_RUNS = "too_many_runs"
UNKNOWN_BACKBONE = "unknown_backbone"
BACKBONE_UNAVAILABLE = "backbone_unavailable"
DATASET_FORBIDDEN = "dataset_forbidden"
NOT_CANCELLABLE = "not_cancellable"


def _enqueue(experiment_id: int) -> None:
    """Send the run's message once the transaction commits: a worker never sees an uncommitted row."""
    from modellab.tasks import run_experiment

    transaction.on_commit(lambda: run_experiment.delay(experiment_id))


def _check_backbone(name: str, strategy: str) -> None:
    from modellab import engine

    infos = {b.name: b for b in engine.list_backbones()}
    if name not in infos:
        raise ValidationError("There is no backbone %(name)r.", code=UNKNOWN_BACKBONE, params={"name": name})
    if strategy != Experiment.Strategy.SCRATCH and not infos[name].available:
        raise ValidationError(public_text(infos[name].unavailable_reason), code=BACKBONE_UNAVAILABLE)


def experiment_submit(
    *,
    owner,
    dataset: Dataset | DatasetRef,
    backbone: str,
    strategy: str,
    epochs: int,
    lr: float,
    batch_size: int,
    optimizer: str = "adam",
    compare: bool = False,
    lesson_slug: str = "",
) -> list[Experiment]:
    """Create one experiment (or, with ``compare``, the pre-trained one and its from-scratch twin)
    and queue each on commit. ``dataset`` is a row or a reference, resolved for ``owner``.
    Raises ValidationError (with a code) when the reference, a limit or a permission says no;
    StorageUnavailable (nothing created, nothing queued) when the storage does not answer.
    """
    storage.check_available()  # a run queued while the storage is down would only fail on the worker
    if isinstance(dataset, DatasetRef):
        dataset = dataset_resolve(user=owner, ref=dataset)
    limits = lab_limits()
    if dataset.owner_id is not None and dataset.owner_id != owner.pk and not owner.is_staff:
        raise ValidationError("That dataset is not yours.", code=DATASET_FORBIDDEN)
    check_epochs(epochs)
    if dataset.kind == Dataset.Kind.UPLOAD:
        check_image_count(dataset.total_images)
    scratch = Experiment.Strategy.SCRATCH
    if compare:
        strategies = [strategy if strategy != scratch else Experiment.Strategy.FEATURES, scratch]
    else:
        strategies = [strategy]
    for s in strategies:
        _check_backbone(backbone, s)
    group = uuid.uuid4() if compare else None
    with transaction.atomic():
        # Lock the user's row so two simultaneous submits cannot both pass the limit.
        get_user_model().objects.select_for_update().filter(pk=owner.pk).first()
        active = Experiment.objects.filter(owner=owner, status__in=Experiment.ACTIVE).count()
        if active + len(strategies) > limits.max_concurrent_runs_per_user:
            raise ValidationError(
                "You already have %(active)s run(s) queued or running; the limit is %(limit)s at once. "
                "Wait for one to finish or cancel one.",
                code=TOO_MANY_RUNS, params={"active": active, "limit": limits.max_concurrent_runs_per_user},
            )
        now = timezone.now()
        created = []
        for s in strategies:
            exp = Experiment.objects.create(
                owner=owner, dataset=dataset, backbone=backbone, strategy=s, epochs=epochs, lr=lr,
                batch_size=batch_size, optimizer=optimizer, comparison_group=group, lesson_slug=lesson_slug,
                status=S.QUEUED, queued_at=now,
            )
            _enqueue(exp.pk)
            created.append(exp)
    return created


def experiment_cancel(*, experiment: Experiment) -> Experiment:
    """Cancel a queued run at once; ask a running one to stop (it does within a batch).
    Raises ValidationError(NOT_CANCELLABLE) for a run that has ended."""
    rows = Experiment.objects.filter(pk=experiment.pk)
    with transaction.atomic():
        cancelled = experiment_transition(rows, source=S.QUEUED, target=S.CANCELLED, cancel_requested=True)
        if not cancelled and not rows.filter(status=S.RUNNING).update(cancel_requested=True):
            raise ValidationError("This run has already finished.", code=NOT_CANCELLABLE)
    experiment.refresh_from_db()
    return experiment
