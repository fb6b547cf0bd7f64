"""The lab's files (datasets, run outputs, the feature cache) in Django's default storage.

The engine works on local directories. With FileSystemStorage (the default: MEDIA_ROOT,
or a volume every machine mounts at the same path) a storage name's local directory is
``storage.path(name)`` itself, so nothing is copied. With a remote storage (S3 and the
like, no ``path()``), a worker mirrors what it reads into ``LAB_LOCAL_CACHE_DIR`` and
uploads what it writes back under the same names; see docs/lab.md.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

from common.files import atomic_write

BUILTIN_ROOT = "lab/datasets/builtin"
UPLOAD_ROOT = "lab/datasets/upload"
RUNS_ROOT = "lab/runs"
FEATURE_CACHE = "lab/cache/features"


def is_local() -> bool:
    try:
        default_storage.path("")
    except NotImplementedError:
        return False
    return True


def local_dir(name: str) -> Path:
    """The local directory that holds storage folder ``name`` (not created, not synced)."""
    if is_local():
        return Path(default_storage.path(name))
    return Path(settings.LAB_LOCAL_CACHE_DIR) / name


def _walk(name: str):
    dirs, files = default_storage.listdir(name)
    for f in files:
        yield f"{name}/{f}"
    for d in dirs:
        yield from _walk(f"{name}/{d}")


def pull_dir(name: str) -> Path:
    """Local directory with the storage folder's files; a no-op for local storage."""
    target = local_dir(name)
    if is_local():
        return target
    for file_name in _walk(name):
        dest = Path(settings.LAB_LOCAL_CACHE_DIR) / file_name
        if dest.exists() and dest.stat().st_size == default_storage.size(file_name):
            continue
        with default_storage.open(file_name, "rb") as src, atomic_write(dest) as out:
            shutil.copyfileobj(src, out, 1 << 20)
    return target


def push_dir(name: str) -> None:
    """Upload the local mirror of storage folder ``name``; a no-op for local storage."""
    if is_local():
        return
    root = local_dir(name)
    for path in root.rglob("*"):
        if path.is_file() and not path.name.startswith("."):
            file_name = f"{name}/{path.relative_to(root).as_posix()}"
            if default_storage.exists(file_name):
                default_storage.delete(file_name)
            with open(path, "rb") as fh:
                default_storage.save(file_name, File(fh))


def open_file(name: str):
    return default_storage.open(name, "rb")
