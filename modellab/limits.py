"""Limits a deployment sets for the lab (from settings, read at call time so tests can change them)."""
from dataclasses import dataclass

from django.conf import settings


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
