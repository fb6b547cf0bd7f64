"""Each learner's share of the storage: what their uploads and run files take, and the refusal of what would pass LAB_STORAGE_QUOTA_MB."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError

from modellab import storage
from modellab.models import Experiment
from modellab.services.retention import MODEL_REMOVED_AT
from modellab.storage_usage import folder_usage

STORAGE_QUOTA = "storage_quota"


def learner_storage_bytes(*, owner) -> int:
    """Bytes the storage holds for ``owner``: their uploads, and the files of their runs whose models remain."""
    uploads = folder_usage(f"{storage.UPLOAD_ROOT}/u{owner.pk}")[1]
    runs = (
        Experiment.objects.filter(owner=owner, status=Experiment.Status.SUCCEEDED)
        .exclude(results__has_key=MODEL_REMOVED_AT)
        .values_list("pk", flat=True)
    )
    return uploads + sum(folder_usage(f"{storage.RUNS_ROOT}/{pk}")[1] for pk in runs)


def check_storage_quota(*, owner, incoming_bytes: int = 0) -> None:
    """Raise ValidationError(STORAGE_QUOTA) when ``owner`` is at their quota, or ``incoming_bytes`` more would
    pass it (an upload: its zip's size; a run: nothing known yet, so only a learner already at the quota is
    refused). LAB_STORAGE_QUOTA_MB = 0: no quota. StorageUnavailable when the storage does not answer."""
    quota = settings.LAB_STORAGE_QUOTA_MB * 2**20
    if quota <= 0:
        return
    used = learner_storage_bytes(owner=owner)
    if used >= quota or used + incoming_bytes > quota:
        raise ValidationError(
            "Your uploads and trained models take %(used_mb).1f MB of your %(quota_mb)s MB of storage, so this "
            "cannot be stored. Models are removed once they are older than %(days)s days, beyond your newest "
            "%(keep)s; until then, ask your teacher to remove an upload you no longer need.",
            code=STORAGE_QUOTA,
            params={
                "used_mb": used / 2**20,
                "quota_mb": settings.LAB_STORAGE_QUOTA_MB,
                "days": settings.LAB_KEEP_MODELS_DAYS,
                "keep": settings.LAB_KEEP_MODELS_PER_LEARNER,
            },
        )
