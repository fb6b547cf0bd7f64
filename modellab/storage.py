"""The lab's files (datasets, run outputs, the feature cache) in Django's default storage, and a machine's local mirror of them.

The engine works on local directories. With FileSystemStorage (the default: MEDIA_ROOT on
one machine) a storage name's local directory is ``storage.path(name)`` itself, so nothing
is copied. With a remote storage (S3 and the
like, no ``path()``), a machine mirrors what it reads into ``LAB_LOCAL_CACHE_DIR`` and
uploads what it writes back under the same names; see docs/lab.md.

Two kinds of folders travel:

- a *complete folder* (a dataset, a run's outputs): ``push_dir`` uploads its files, then
  ``.manifest.json`` (each file's size and sha256) last, so a folder whose upload stopped
  half-way has no manifest and is never read; ``pull_dir`` fetches exactly what the manifest
  lists and checks each file against it;
- the *feature cache* (``pull_new`` / ``push_new``): plain files the engine names by content
  (``features-<digest>.pt``, ``onnx/...``, ``decoded/...``), copied by name in both directions.

Hidden names (``.x``, the ``.part`` files of ``atomic_write``) never travel. Every local file
is written with ``atomic_write`` and every object with one PUT or a completed multipart upload
(atomic on S3), so no reader, local or remote, sees half a file under its final name.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Callable, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from common.files import atomic_write, file_sha256, is_hidden_path

log = logging.getLogger(__name__)
T = TypeVar("T")

BUILTIN_ROOT = "lab/datasets/builtin"
UPLOAD_ROOT = "lab/datasets/upload"
RUNS_ROOT = "lab/runs"
FEATURE_CACHE = "lab/cache/features"
MANIFEST = ".manifest.json"

STORAGE_UNAVAILABLE = "storage_unavailable"
STORAGE_OBJECT_MISSING = "storage_object_missing"

# A worker's pull or push is tried again after these waits (each try is itself boto3's few
# retried requests, config/media_storage.py); then the run fails with the error's message.
RETRY_DELAYS_S = (2.0, 5.0)

Tick = Callable[[], None]  # called after each file copied: a running job's heartbeat
# Files copied at once: a dataset is thousands of small files, and each is a round trip.
TRANSFER_THREADS = 8


class StorageUnavailable(Exception):
    """The storage did not answer (down, unreachable, refusing our credentials).

    Not a ValidationError: nothing the person sent is wrong. The site answers it with a 503
    page (config.middleware); a worker fails the run with ``message``. The cause is logged.
    """

    code = STORAGE_UNAVAILABLE
    message = "The file storage could not be reached. Nothing was lost; please try again in a few minutes."


class StorageObjectMissing(ValidationError):
    """A file the lab stored is not in the storage (deleted, or its folder never completed).

    ``name`` is the storage name, for the log; the message, for people, says ``what`` is missing.
    """

    def __init__(self, name: str, what: str = "a file the lab stored"):
        super().__init__(
            "%(what)s cannot be found in the file storage (it was deleted or never completely saved).",
            code=STORAGE_OBJECT_MISSING,
            params={"what": what[:1].upper() + what[1:]},
        )
        self.name = name


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


def _is_remote_failure(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return True
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # no S3 backend installed: only OSError can mean the storage is gone
        return False
    return isinstance(exc, (BotoCoreError, ClientError))


def _is_not_found(exc: BaseException) -> bool:
    if isinstance(exc, FileNotFoundError):
        return True
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", "")) in ("404", "NoSuchKey")


@contextmanager
def _calling_storage(name: str, what: str):
    """Storage errors as the lab's: StorageObjectMissing (not found), StorageUnavailable (the rest)."""
    try:
        yield
    except (StorageUnavailable, StorageObjectMissing):
        raise
    except Exception as exc:
        if _is_not_found(exc):
            raise StorageObjectMissing(name, what) from exc
        if not _is_remote_failure(exc):
            raise
        log.warning("storage unavailable at %s: %r", name, exc)
        raise StorageUnavailable() from exc


def check_available() -> None:
    """Raise StorageUnavailable unless the storage answers (one request; nothing for local files)."""
    if is_local():
        return
    with _calling_storage(FEATURE_CACHE, "the storage"):
        default_storage.exists(f"{FEATURE_CACHE}/{MANIFEST}")  # an answer, either way, is what counts


def read_bytes(name: str, what: str = "the file") -> bytes:
    """The content of storage file ``name`` (a small one: it is read whole, inside the error handling,
    since a remote storage fetches at the first read); StorageObjectMissing / StorageUnavailable otherwise."""
    with _calling_storage(name, what), default_storage.open(name, "rb") as fh:
        return fh.read()


def write_once(name: str, data: bytes, what: str = "the file") -> None:
    """Store the small file ``data`` as ``name`` unless the storage has it already (for names that say their
    content, such as a digest); StorageUnavailable otherwise."""
    with _calling_storage(name, what):
        if default_storage.exists(name):
            return
    _upload(name, ContentFile(data), what)


def with_retries(action: Callable[[], T], *, what: str) -> T:
    """``action()``, tried again after each of RETRY_DELAYS_S while the storage fails; then its error."""
    for delay in (*RETRY_DELAYS_S, None):
        try:
            return action()
        except (StorageUnavailable, StorageObjectMissing) as exc:
            if delay is None:
                raise
            log.warning("%s: %s (%s); trying again in %.0f s", what, type(exc).__name__, getattr(exc, "name", ""), delay)
            time.sleep(delay)
    raise AssertionError("unreachable")


def _each(copy: Callable[[T], None], items: list[T], tick: Tick | None) -> None:
    """``copy(item)`` for every item, TRANSFER_THREADS at a time; ``tick`` runs in this thread (it may
    touch the database) after each; the first error stops the rest and is raised."""
    with ThreadPoolExecutor(TRANSFER_THREADS, thread_name_prefix="lab-storage") as pool:
        futures = [pool.submit(copy, item) for item in items]
        try:
            for future in futures:
                future.result()
                if tick:
                    tick()
        except BaseException:
            for future in futures:
                future.cancel()
            raise


# ----------------------------------------------------------------------------- complete folders


def _hidden(rel: str) -> bool:
    return is_hidden_path(PurePosixPath(rel).parts)


def _local_files(root: Path) -> dict[str, Path]:
    if not root.is_dir():
        return {}
    return {
        p.relative_to(root).as_posix(): p
        for p in sorted(root.rglob("*"))
        if p.is_file() and not _hidden(p.relative_to(root).as_posix())
    }


def _read_manifest(data: bytes, name: str, what: str) -> dict[str, dict]:
    try:
        files = json.loads(data)["files"]
        for rel, entry in files.items():
            p = PurePosixPath(rel)
            if p.is_absolute() or ".." in p.parts or _hidden(rel) or not isinstance(entry["size"], int):
                raise ValueError(rel)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        log.error("unreadable manifest of %s: %r", name, exc)
        raise StorageObjectMissing(f"{name}/{MANIFEST}", what) from exc
    return files


def _local_manifest(root: Path) -> dict:
    try:
        return json.loads((root / MANIFEST).read_bytes())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _download(name: str, dest: Path, what: str, expect: dict | None = None) -> None:
    """Copy storage file ``name`` to ``dest`` atomically, checked against ``expect`` (size, sha256)."""
    h, size = hashlib.sha256(), 0
    with _calling_storage(name, what), default_storage.open(name, "rb") as src, atomic_write(dest) as out:
        while chunk := src.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
            out.write(chunk)
        if expect is not None and (size, h.hexdigest()) != (expect["size"], expect.get("sha256", h.hexdigest())):
            log.error("%s is not the file its manifest lists (%d bytes)", name, size)
            raise StorageObjectMissing(name, what)  # raised inside atomic_write: dest is left as it was


def _upload(name: str, data, what: str) -> None:
    with _calling_storage(name, what):
        saved = default_storage.save(name, data)
    if saved != name:  # a storage that renames instead of replacing would split the folder
        raise RuntimeError(f"the storage saved {name} as {saved}: configure it to overwrite")


def _upload_file(name: str, path: Path, what: str) -> None:
    with open(path, "rb") as fh:
        _upload(name, fh, what)


def pull_dir(name: str, *, what: str = "the folder's files", tick: Tick | None = None) -> Path:
    """The local directory holding exactly the files storage folder ``name``'s manifest lists.

    A no-op for local storage. Files already mirrored as listed are kept; others are fetched,
    files no longer listed are removed. Raises StorageObjectMissing (no manifest: the folder
    was never completed; a listed file missing or different) or StorageUnavailable.
    """
    target = local_dir(name)
    if is_local():
        return target
    with _calling_storage(f"{name}/{MANIFEST}", what), default_storage.open(f"{name}/{MANIFEST}", "rb") as fh:
        raw = fh.read()
    files = _read_manifest(raw, name, what)
    mirrored = _local_manifest(target)
    wanted = [
        rel
        for rel, entry in files.items()
        if not (mirrored.get(rel) == entry and (target / rel).is_file() and (target / rel).stat().st_size == entry["size"])
    ]
    _each(lambda rel: _download(f"{name}/{rel}", target / rel, what, files[rel]), wanted, tick)
    for rel, path in _local_files(target).items():
        if rel not in files:
            path.unlink()
    with atomic_write(target / MANIFEST) as out:
        out.write(raw)
    return target


def push_dir(name: str, *, what: str = "the folder's files", tick: Tick | None = None) -> None:
    """Upload the local mirror of storage folder ``name``, then its manifest; a no-op for local storage."""
    if is_local():
        return
    root = local_dir(name)
    local = _local_files(root)
    files = {rel: {"size": path.stat().st_size, "sha256": file_sha256(path)} for rel, path in local.items()}
    _each(lambda rel: _upload_file(f"{name}/{rel}", local[rel], what), list(local), tick)
    raw = json.dumps({"format": 1, "files": files}, sort_keys=True).encode()
    _upload(f"{name}/{MANIFEST}", ContentFile(raw), what)  # last: from now on the folder is complete
    with atomic_write(root / MANIFEST) as out:
        out.write(raw)


# ----------------------------------------------------------------------------- the feature cache


def _walk(name: str):
    dirs, files = default_storage.listdir(name)
    for f in files:
        yield f"{name}/{f}"
    for d in dirs:
        yield from _walk(f"{name}/{d}")


def _remote_names(name: str, what: str) -> set[str]:
    with _calling_storage(name, what):
        return {n[len(name) + 1 :] for n in _walk(name) if not _hidden(n[len(name) + 1 :])}


def pull_new(name: str, *, what: str = "the feature cache", tick: Tick | None = None) -> int:
    """Fetch the files of storage folder ``name`` that the local mirror lacks, by name; returns how many."""
    if is_local():
        return 0
    root = local_dir(name)
    missing = [rel for rel in sorted(_remote_names(name, what)) if not (root / rel).is_file()]
    _each(lambda rel: _download(f"{name}/{rel}", root / rel, what), missing, tick)
    return len(missing)


def push_new(name: str, *, what: str = "the feature cache", tick: Tick | None = None) -> int:
    """Upload the local files of folder ``name`` that the storage lacks, by name; returns how many."""
    if is_local():
        return 0
    remote = _remote_names(name, what)
    new = {rel: path for rel, path in _local_files(local_dir(name)).items() if rel not in remote}
    _each(lambda rel: _upload_file(f"{name}/{rel}", new[rel], what), list(new), tick)
    return len(new)


def remove_local(name: str) -> None:
    """Forget the local mirror of folder ``name`` (for remote storage; local files are the storage itself)."""
    if not is_local():
        shutil.rmtree(local_dir(name), ignore_errors=True)
