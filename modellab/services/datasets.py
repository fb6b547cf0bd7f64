"""Datasets: the shared rows of the built-in ones, validated uploads, resolving a reference, a dataset's local files."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from modellab import storage
from modellab.builtins import BUILTINS, DATASET_UNAVAILABLE
from modellab.dataset_ref import BUILTIN, DatasetRef
from modellab.limits import check_image_count, check_upload_size, lab_limits
from modellab.models import Dataset
from modellab.quota import check_storage_quota
from modellab.selectors import upload_visible_to
from modellab.services.engine_errors import validation_error_from_engine

UNKNOWN_DATASET = "unknown_dataset"


def dataset_get_or_create_builtin(*, key: str) -> Dataset:
    """The shared Dataset row of built-in dataset ``key`` (its files appear on first use by a worker)."""
    spec = BUILTINS.get(key)
    if spec is None:
        raise ValidationError("There is no built-in dataset %(key)r.", code=UNKNOWN_DATASET, params={"key": key})
    reason = spec.unavailable_reason()
    if reason:
        raise ValidationError(reason, code=DATASET_UNAVAILABLE)
    with transaction.atomic():
        dataset, _ = Dataset.objects.get_or_create(
            kind=Dataset.Kind.BUILTIN, builtin_key=key, folder=spec.folder(), defaults={"name": spec.name}
        )
    return dataset


def dataset_resolve(*, user, ref: DatasetRef) -> Dataset:
    """The Dataset ``ref`` names for ``user``: a built-in one (its shared row, created on first use)
    or an upload ``user`` may see. Raises ValidationError: UNKNOWN_DATASET (no such dataset, or
    another learner's upload: the two read alike), DATASET_UNAVAILABLE (a built-in missing here)."""
    if ref.kind == BUILTIN:
        return dataset_get_or_create_builtin(key=ref.key)
    dataset = upload_visible_to(user=user, pk=ref.upload_pk)
    if dataset is None:
        raise ValidationError("There is no dataset %(ref)s you can use.", code=UNKNOWN_DATASET, params={"ref": str(ref)})
    return dataset


def dataset_create_from_upload(*, owner, uploaded_file, name: str = "") -> Dataset:
    """Validate and extract an uploaded zip of class folders into a new Dataset of ``owner``.

    Raises ValidationError with the engine's DatasetError code (bad_zip, path_traversal, too_few_classes, ...)
    or a limit's (upload_too_large, storage_quota, too_many_images); StorageUnavailable when the storage does not answer.
    Nothing is kept on failure. With a remote storage the images go to the storage, not to this machine.
    """
    from modellab import engine

    limits = lab_limits()
    check_upload_size(uploaded_file.size)
    storage.check_available()  # before the work: with the storage down, nothing is extracted or created
    check_storage_quota(owner=owner, incoming_bytes=uploaded_file.size)
    folder = f"{storage.UPLOAD_ROOT}/u{owner.pk}/{uuid.uuid4().hex}"
    dest = storage.local_dir(folder)  # the storage itself, or (remote storage) a copy dropped once uploaded
    engine_limits = engine.UploadLimits(
        max_files=limits.max_images_per_dataset + 500,  # room for folders and skipped files
        max_total_bytes=min(engine.UploadLimits().max_total_bytes, 20 * limits.max_upload_bytes),
    )
    with tempfile.TemporaryDirectory(prefix="lab-upload-") as tmp:
        zip_path = Path(tmp) / "upload.zip"
        with open(zip_path, "wb") as out:
            for chunk in uploaded_file.chunks():
                out.write(chunk)
        try:
            report = engine.prepare_upload(zip_path, dest, limits=engine_limits)
        except engine.DatasetError as exc:
            raise validation_error_from_engine(exc) from exc
    try:
        check_image_count(report.total_images)
    except ValidationError:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    try:
        # With the storage failing half-way, no row names the folder, and without its manifest
        # it is never read: nothing half-uploaded is used.
        storage.push_dir(folder, what="the uploaded images")
    finally:
        storage.remove_local(folder)
    display = name.strip() or Path(getattr(uploaded_file, "name", "upload.zip")).stem[:100] or "My dataset"
    with transaction.atomic():
        return Dataset.objects.create(owner=owner, name=display, kind=Dataset.Kind.UPLOAD, folder=folder, report=report.to_dict())


def dataset_local_dir(*, dataset: Dataset, tick: storage.Tick | None = None) -> Path:
    """A local directory with the dataset's images, for a worker: a built-in one is written on first use.
    Raises StorageObjectMissing / StorageUnavailable when an upload's files cannot be fetched."""
    if dataset.kind == Dataset.Kind.BUILTIN:
        return _ensure_builtin_files(dataset, tick)
    return storage.pull_dir(dataset.folder, what=f"the images of dataset {dataset.name!r}", tick=tick)


def _ensure_builtin_files(dataset: Dataset, tick: storage.Tick | None) -> Path:
    from modellab import engine

    local = storage.local_dir(dataset.folder)
    if storage.is_local():
        if local.is_dir() and any(local.iterdir()):
            return local
    else:
        try:
            return storage.pull_dir(dataset.folder, what=f"the images of {dataset.name}", tick=tick)
        except storage.StorageObjectMissing:
            shutil.rmtree(local, ignore_errors=True)  # never completed (or damaged): this worker writes it
    try:
        report = BUILTINS[dataset.builtin_key].materialize(local)
    except engine.DatasetError as exc:
        if exc.code != "dest_not_empty":  # another run materialised it first: use theirs
            raise
    else:
        storage.push_dir(dataset.folder, what=f"the images of {dataset.name}", tick=tick)
        with transaction.atomic():
            Dataset.objects.filter(pk=dataset.pk).update(report=report.to_dict())
    return local
