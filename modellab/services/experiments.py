"""Submitting experiments (the only place that queues a run) and cancelling them."""

from __future__ import annotations

import uuid

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from modellab import storage
from modellab.dataset_ref import DatasetRef
from modellab.limits import check_image_count, check_run_settings, lab_limits
from modellab.models import Dataset, Experiment
from modellab.public_text import backbone_unavailable_text
from modellab.services.datasets import dataset_resolve
from modellab.services.lifecycle import experiment_transition

S = Experiment.Status

TOO_MANY_RUNS = "too_many_runs"
UNKNOWN_BACKBONE = "unknown_backbone"
BACKBONE_UNAVAILABLE = "backbone_unavailable"  # the lab form refuses an unavailable backbone with the same code
BAD_COMPARISON = "bad_comparison"
DATASET_FORBIDDEN = "dataset_forbidden"
NOT_CANCELLABLE = "not_cancellable"


def _enqueue(experiment_id: int) -> None:
    """Send the run's message once the transaction commits: a worker never sees an uncommitted row."""
    from modellab.tasks import run_experiment

    transaction.on_commit(lambda: run_experiment.delay(experiment_id))


def comparison_strategies(strategy: str, *, frozen_arm: bool = False) -> list[str]:
    """A comparison's strategies in the order they are queued: the chosen one (frozen features when from scratch
    was chosen), then from scratch, equal in every other setting; with ``frozen_arm``, a third arm of frozen
    features from the same weights (what freezing adds), unless the first arm is that already."""
    scratch, features = Experiment.Strategy.SCRATCH, Experiment.Strategy.FEATURES
    first = features if strategy == scratch else strategy
    return [first, scratch] + ([features] if frozen_arm and first != features else [])


def check_backbone(name: str, strategy: str) -> None:
    """Raise ValidationError unless ``name`` exists and, for a strategy that needs them, has its weights here."""
    from modellab import engine

    infos = {b.name: b for b in engine.list_backbones()}
    if name not in infos:
        raise ValidationError("There is no backbone %(name)r.", code=UNKNOWN_BACKBONE, params={"name": name})
    if strategy != Experiment.Strategy.SCRATCH and not infos[name].available:
        raise ValidationError(backbone_unavailable_text(infos[name].label), code=BACKBONE_UNAVAILABLE)


def active_units(*, owner) -> int:
    """What counts toward LAB_MAX_CONCURRENT_RUNS_PER_USER: every queued or running run outside a
    data-size sweep, plus one for every sweep with a run queued or running (however many it has)."""
    active = Experiment.objects.filter(owner=owner, status__in=Experiment.ACTIVE)
    return active.filter(sweep_group=None).count() + active.exclude(sweep_group=None).values("sweep_group").distinct().count()


def check_dataset_use(*, owner, dataset: Dataset | DatasetRef) -> Dataset:
    """The Dataset row ``owner`` may train on; a reference is resolved. Raises ValidationError."""
    if isinstance(dataset, DatasetRef):
        dataset = dataset_resolve(user=owner, ref=dataset)
    if dataset.owner_id is not None and dataset.owner_id != owner.pk and not owner.is_staff:
        raise ValidationError("That dataset is not yours.", code=DATASET_FORBIDDEN)
    if dataset.kind == Dataset.Kind.UPLOAD:
        check_image_count(dataset.total_images)
    return dataset


def queue_runs(*, owner, units: int, runs: list[dict]) -> list[Experiment]:
    """Create the experiments ``runs`` describes (Experiment fields) as QUEUED and queue each on commit,
    provided ``units`` more fit under the owner's limit (raises ValidationError(TOO_MANY_RUNS) if not)
    and the owner's files are under their storage quota (ValidationError(STORAGE_QUOTA) if not)."""
    from modellab.quota import check_storage_quota

    check_storage_quota(owner=owner)
    limit = lab_limits().max_concurrent_runs_per_user
    with transaction.atomic():
        # Lock the user's row so two simultaneous submits cannot both pass the limit.
        get_user_model().objects.select_for_update().filter(pk=owner.pk).first()
        active = active_units(owner=owner)
        if active + units > limit:
            raise ValidationError(
                "You already have %(active)s run(s) queued or running; the limit is %(limit)s at once "
                "(a data-size sweep counts as one). Wait for one to finish or cancel one.",
                code=TOO_MANY_RUNS,
                params={"active": active, "limit": limit},
            )
        now = timezone.now()
        created = []
        for fields in runs:
            exp = Experiment.objects.create(owner=owner, status=S.QUEUED, queued_at=now, **fields)
            _enqueue(exp.pk)
            created.append(exp)
    return created


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
    frozen_arm: bool = False,
    lesson_slug: str = "",
    image_size: int | None = None,
    train_per_class: int | None = None,
    augment: bool = False,
    augment_compare: bool = False,
) -> list[Experiment]:
    """Create one experiment (or, with ``compare``, a comparison: :func:`comparison_strategies`, in one group;
    with ``augment_compare``, ``strategy`` without and with augmentation, in one group) and queue each on commit.
    ``augment``: every run augments its training images. ``dataset`` is a row or a reference, resolved for ``owner``.
    Raises ValidationError (with a code) when the reference, a limit (``limits.check_run_settings``) or a
    permission says no; StorageUnavailable (nothing created, nothing queued) when the storage does not answer.
    """
    if compare and augment_compare:
        raise ValidationError("A comparison changes one thing: the strategy or the augmentation, not both.", code=BAD_COMPARISON)
    storage.check_available()  # a run queued while the storage is down would only fail on the worker
    check_run_settings(epochs=epochs, lr=lr, batch_size=batch_size, image_size=image_size)
    dataset = check_dataset_use(owner=owner, dataset=dataset)
    if augment_compare:
        arms = [(strategy, False), (strategy, True)]
    else:
        arms = [(s, augment) for s in (comparison_strategies(strategy, frozen_arm=frozen_arm) if compare else [strategy])]
    for s, _ in arms:
        check_backbone(backbone, s)
    group = uuid.uuid4() if len(arms) > 1 else None
    common = dict(
        dataset=dataset,
        backbone=backbone,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        optimizer=optimizer,
        comparison_group=group,
        lesson_slug=lesson_slug,
        image_size=image_size,
        train_per_class=train_per_class,
    )
    return queue_runs(owner=owner, units=len(arms), runs=[{**common, "strategy": s, "augment": a} for s, a in arms])


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
