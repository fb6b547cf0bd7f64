"""Data-size sweeps: pre-trained and from-scratch runs at several training-set sizes, submitted and cancelled as one.

A sweep is a group of ordinary experiments that share a ``sweep_group``: for each size, one
pre-trained (``features``) run and one from-scratch run, all with the same dataset, validation
split, seed, epochs, learning rate, batch size, input size and augmentation; only ``train_per_class`` differs.
The pre-trained arms share one feature extraction: the engine's cache is keyed by the whole
dataset, and ``train_per_class`` only picks which cached vectors the head trains on.

Concurrency: a sweep counts as ONE toward LAB_MAX_CONCURRENT_RUNS_PER_USER, however many runs it
has (``experiments.active_units``); it holds at most MAX_SIZES sizes, so at most 2 x MAX_SIZES runs.
"""

from __future__ import annotations

import re
import uuid
from typing import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from modellab import storage
from modellab.dataset_ref import DatasetRef
from modellab.limits import check_run_settings
from modellab.models import Dataset, Experiment
from modellab.services.experiments import check_backbone, check_dataset_use, queue_runs
from modellab.services.lifecycle import experiment_transition

S = Experiment.Status

BAD_SWEEP_SIZES = "bad_sweep_sizes"
NOT_CANCELLABLE = "not_cancellable"

ALL = "all"  # the size that keeps every training image
MAX_SIZES = 6  # sizes in one sweep (two runs each)
MAX_PER_CLASS = 10_000
DEFAULT_SIZES = "5, 10, 25, 50, all"


def sweep_sizes_parse(tokens: Iterable[str | int | None]) -> list[int | None]:
    """The one reader of sweep sizes: ``["5", 10, "all"]`` -> ``[5, 10, None]`` (None: all images), ascending.

    Whole numbers 1..MAX_PER_CLASS and ``all``, each once, 2..MAX_SIZES of them.
    Raises ValidationError(BAD_SWEEP_SIZES) naming the first thing wrong.
    """
    sizes: list[int | None] = []
    for token in tokens:
        text = ALL if token is None else str(token).strip().lower()
        if text == ALL:
            value = None
        elif text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_PER_CLASS:
            value = int(text)
        else:
            raise ValidationError(
                "%(token)r is not a size: write whole numbers of images per class from 1 to %(max)s, or 'all'.",
                code=BAD_SWEEP_SIZES,
                params={"token": str(token), "max": MAX_PER_CLASS, "field": "sweep_sizes"},
            )
        if value in sizes:
            raise ValidationError(
                "%(token)s appears twice.", code=BAD_SWEEP_SIZES, params={"token": text, "field": "sweep_sizes"}
            )
        sizes.append(value)
    if not 2 <= len(sizes) <= MAX_SIZES:
        raise ValidationError(
            "A sweep needs 2 to %(max)s sizes; %(count)s given.",
            code=BAD_SWEEP_SIZES,
            params={"max": MAX_SIZES, "count": len(sizes), "field": "sweep_sizes"},
        )
    return sorted(sizes, key=lambda v: (v is None, v or 0))


def sweep_sizes_from_text(text: str) -> list[int | None]:
    """``"5, 10, 25, all"`` (commas or spaces) through :func:`sweep_sizes_parse`."""
    return sweep_sizes_parse(t for t in re.split(r"[,\s]+", text or "") if t)


def size_sweep_submit(
    *,
    owner,
    dataset: Dataset | DatasetRef,
    backbone: str,
    sizes: list[int | None],
    epochs: int,
    lr: float,
    batch_size: int,
    image_size: int | None = None,
    augment: bool = False,
    lesson_slug: str = "",
) -> list[Experiment]:
    """Queue a sweep: every pre-trained arm (largest size first), then every from-scratch arm (smallest first).

    The pre-trained arm with the most data goes first: it extracts the features (its times
    are those of a comparison's pre-trained run) and the other pre-trained arms reuse them at
    once. ``augment``: every arm augments its training images. Raises ValidationError (a code) like ``experiment_submit``; StorageUnavailable (nothing created,
    nothing queued) when the storage does not answer.
    """
    storage.check_available()  # as experiment_submit: runs queued while the storage is down would only fail
    check_run_settings(epochs=epochs, lr=lr, batch_size=batch_size, image_size=image_size)
    sizes = sweep_sizes_parse(sizes)
    dataset = check_dataset_use(owner=owner, dataset=dataset)
    arms = (Experiment.Strategy.FEATURES, Experiment.Strategy.SCRATCH)
    for strategy in arms:
        check_backbone(backbone, strategy)
    common = dict(
        dataset=dataset,
        backbone=backbone,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        image_size=image_size,
        augment=augment,
        sweep_group=uuid.uuid4(),
        lesson_slug=lesson_slug,
    )
    features, scratch = arms
    runs = [{**common, "strategy": features, "train_per_class": n} for n in reversed(sizes)]
    runs += [{**common, "strategy": scratch, "train_per_class": n} for n in sizes]
    return queue_runs(owner=owner, units=1, runs=runs)


def size_sweep_cancel(*, group: uuid.UUID) -> int:
    """Cancel every run of the sweep: queued ones at once, running ones at their next batch.
    Returns how many runs were cancelled or asked to stop; ValidationError(NOT_CANCELLABLE) when none was active."""
    rows = Experiment.objects.filter(sweep_group=group)
    with transaction.atomic():
        stopped = experiment_transition(rows, source=S.QUEUED, target=S.CANCELLED, cancel_requested=True)
        stopped += rows.filter(status=S.RUNNING).update(cancel_requested=True)
    if not stopped:
        raise ValidationError("Every run of this sweep has already finished.", code=NOT_CANCELLABLE)
    return stopped
