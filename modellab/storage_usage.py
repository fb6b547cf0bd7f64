"""How much of the storage the lab uses, by kind of file, and removing a folder of it (the storage's and the local mirror's)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from django.core.files.storage import default_storage

from modellab import storage

# What the Lab status page sums, in this order: (label, storage folder).
KINDS = (
    ("Uploaded datasets", storage.UPLOAD_ROOT),
    ("Built-in datasets", storage.BUILTIN_ROOT),
    ("Run files (traces, results, models)", storage.RUNS_ROOT),
    ("Feature cache", storage.FEATURE_CACHE),
)


def _local_sizes(root: Path) -> list[int]:
    sizes = []
    for folder, _, files in os.walk(root):
        sizes += [os.stat(os.path.join(folder, f)).st_size for f in files]
    return sizes


def _prefix(name: str) -> str:
    """The bucket's key prefix of folder ``name`` (the storage's ``location`` included)."""
    return default_storage._normalize_name(name).rstrip("/") + "/"


def _remote_keys(name: str):
    """(key, size) of every object under folder ``name``: one listing request per 1,000 on S3, else a walk."""
    bucket = getattr(default_storage, "bucket", None)
    if bucket is not None:  # django-storages' S3Storage: list with sizes instead of one HEAD per file
        for obj in bucket.objects.filter(Prefix=_prefix(name)):
            yield obj.key, obj.size
        return
    for n in storage._walk(name):
        yield n, default_storage.size(n)


def folder_usage(name: str) -> tuple[int, int]:
    """(files, bytes) under storage folder ``name``; (0, 0) when it does not exist."""
    if storage.is_local():
        sizes = _local_sizes(storage.local_dir(name))
        return len(sizes), sum(sizes)
    with storage._calling_storage(name, "the storage used"):
        sizes = [size for _, size in _remote_keys(name)]
    return len(sizes), sum(sizes)


def usage_by_kind() -> list[tuple[str, int, int]]:
    """(label, files, bytes) for each kind of the lab's files, as KINDS orders them."""
    return [(label, *folder_usage(name)) for label, name in KINDS]


def delete_folder(name: str) -> int:
    """Delete every file under storage folder ``name``, and its local mirror; returns how many files went."""
    root = storage.local_dir(name)
    if storage.is_local():
        count = len(_local_sizes(root))
        shutil.rmtree(root, ignore_errors=True)
        return count
    with storage._calling_storage(name, "the folder"):
        bucket = getattr(default_storage, "bucket", None)
        if bucket is not None:  # S3: one request deletes up to 1,000 objects
            replies = bucket.objects.filter(Prefix=_prefix(name)).delete()
            deleted = sum(len(reply.get("Deleted", [])) for reply in replies)
        else:
            keys = [key for key, _ in _remote_keys(name)]
            for key in keys:
                default_storage.delete(key)
            deleted = len(keys)
    storage.remove_local(name)
    return deleted
