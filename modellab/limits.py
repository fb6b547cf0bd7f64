"""Limits a deployment sets for the lab (read from settings at call time, so tests can change them) and the
checks that refuse what is over them.

A run's settings are checked in one place, :func:`check_run_settings`, which the submit services call
(``experiment_submit``, ``size_sweep_submit``); the lab form, a lesson's presets, ``manage.py lab_submit`` and the
data-size sweep all go through those services, so each refuses a value with the same code. The error's
``params["field"]`` names the setting (the lab form's field), so the form shows it beside that field.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

UPLOAD_TOO_LARGE = "upload_too_large"
TOO_MANY_IMAGES = "too_many_images"
TOO_MANY_EPOCHS = "too_many_epochs"
BATCH_TOO_LARGE = "batch_too_large"
BAD_IMAGE_SIZE = "bad_image_size"
BAD_LEARNING_RATE = "bad_learning_rate"
TOO_FEW_EPOCHS = "too_few_epochs"
BATCH_TOO_SMALL = "batch_too_small"

# Input sizes a run may ask for: the engine needs 16 px at least; above 512 a CPU run takes hours.
IMAGE_SIZE_MIN, IMAGE_SIZE_MAX = 16, 512
# Learning rates a run may ask for: above 1 every optimizer we offer diverges; below 1e-6 nothing moves in 30 epochs.
LR_MIN, LR_MAX = 1e-6, 1.0


@dataclass(frozen=True)
class LabLimits:
    max_concurrent_runs_per_user: int  # queued + running experiments of one user
    max_images_per_dataset: int
    max_upload_bytes: int  # size of the uploaded zip
    max_epochs: int
    max_batch_size: int
    max_attempts: int  # starts of one run, counting restarts after a lost worker
    soft_time_limit_s: int
    hard_time_limit_s: int


def lab_limits() -> LabLimits:
    return LabLimits(
        max_concurrent_runs_per_user=settings.LAB_MAX_CONCURRENT_RUNS_PER_USER,
        max_images_per_dataset=settings.LAB_MAX_IMAGES_PER_DATASET,
        max_upload_bytes=settings.LAB_MAX_UPLOAD_MB * 1024 * 1024,
        max_epochs=settings.LAB_MAX_EPOCHS,
        max_batch_size=settings.LAB_MAX_BATCH_SIZE,
        max_attempts=max(1, settings.LAB_MAX_ATTEMPTS),
        soft_time_limit_s=settings.CELERY_TASK_SOFT_TIME_LIMIT,
        hard_time_limit_s=settings.CELERY_TASK_TIME_LIMIT,
    )


def check_upload_size(nbytes: int) -> None:
    """Raise ValidationError(UPLOAD_TOO_LARGE) for a zip over LAB_MAX_UPLOAD_MB."""
    limit = lab_limits().max_upload_bytes
    if nbytes > limit:
        raise ValidationError(
            "The zip is %(size_mb).1f MB; the limit is %(limit_mb)s MB.",
            code=UPLOAD_TOO_LARGE,
            params={"size_mb": nbytes / 2**20, "limit_mb": limit // 2**20},
        )


def check_image_count(count: int) -> None:
    """Raise ValidationError(TOO_MANY_IMAGES) for a dataset over LAB_MAX_IMAGES_PER_DATASET."""
    limit = lab_limits().max_images_per_dataset
    if count > limit:
        raise ValidationError(
            "The dataset has %(count)s images; the limit is %(limit)s per dataset.",
            code=TOO_MANY_IMAGES,
            params={"count": count, "limit": limit},
        )


def _refuse(message: str, code: str, field: str, **params) -> ValidationError:
    return ValidationError(message, code=code, params={"field": field, **params})


def check_epochs(epochs: int) -> None:
    """Raise ValidationError(TOO_MANY_EPOCHS) over LAB_MAX_EPOCHS, (TOO_FEW_EPOCHS) under 1."""
    limit = lab_limits().max_epochs
    if epochs > limit:
        raise _refuse("At most %(limit)s epochs per run.", TOO_MANY_EPOCHS, "epochs", limit=limit)
    if epochs < 1:
        raise _refuse("A run needs at least 1 epoch.", TOO_FEW_EPOCHS, "epochs")


def check_batch_size(batch_size: int) -> None:
    """Raise ValidationError(BATCH_TOO_LARGE) over LAB_MAX_BATCH_SIZE, (BATCH_TOO_SMALL) under 1."""
    limit = lab_limits().max_batch_size
    if batch_size > limit:
        raise _refuse("At most %(limit)s images per batch.", BATCH_TOO_LARGE, "batch_size", limit=limit)
    if batch_size < 1:
        raise _refuse("A batch needs at least 1 image.", BATCH_TOO_SMALL, "batch_size")


def check_learning_rate(lr: float) -> None:
    """Raise ValidationError(BAD_LEARNING_RATE) for a learning rate outside LR_MIN..LR_MAX (or not a number)."""
    if not LR_MIN <= lr <= LR_MAX:  # NaN compares false, so it is refused too
        raise _refuse("The learning rate must be %(low)g to %(high)g.", BAD_LEARNING_RATE, "lr", low=LR_MIN, high=LR_MAX)


def check_image_size(image_size: int | None) -> None:
    """Raise ValidationError(BAD_IMAGE_SIZE) for an input size outside IMAGE_SIZE_MIN..IMAGE_SIZE_MAX (None: the default)."""
    if image_size is not None and not IMAGE_SIZE_MIN <= image_size <= IMAGE_SIZE_MAX:
        raise _refuse(
            "The input size must be %(low)s to %(high)s pixels.",
            BAD_IMAGE_SIZE,
            "image_size",
            low=IMAGE_SIZE_MIN,
            high=IMAGE_SIZE_MAX,
        )


def check_run_settings(*, epochs: int, lr: float, batch_size: int, image_size: int | None) -> None:
    """The one check of a run's settings against the lab's limits: raises the first refusal (a code above,
    ``params["field"]`` naming the setting). Called by every submit service."""
    check_epochs(epochs)
    check_learning_rate(lr)
    check_batch_size(batch_size)
    check_image_size(image_size)
