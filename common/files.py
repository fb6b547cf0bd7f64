"""Files written so that no reader ever sees half of one, values memoised on a file's stat, and the rules every
reader of the lab's folders shares: which paths are hidden, and a file's sha256.

``atomic_write`` and ``atomic_dir`` write beside the target and rename into place, so a
reader (another process, another worker on a shared volume) sees the old state or the new,
never a partial file. ``StatMemo`` remembers a value computed from files until their stat
signature changes: cheap re-checks of weights, datasets and loaded models. ``is_hidden_path``
is the one rule for what is not content (the storage's mirror, a dataset's scan and an upload's
check all use it); ``file_sha256`` the one streaming digest of a file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Callable, Hashable, Iterator, Sequence, TypeVar

T = TypeVar("T")

_CHUNK = 1 << 20
CLUTTER_NAMES = frozenset({"__MACOSX", "Thumbs.db"})  # written by operating systems, never content


def is_hidden_path(parts: Sequence[str]) -> bool:
    """Whether a relative path (its components) is hidden or operating-system clutter, not content:
    a component starting with "." (``.DS_Store``, ``._x``, our ``.manifest.json`` and ``.part`` files), or
    ``__MACOSX`` / ``Thumbs.db``."""
    return any(p.startswith(".") or p in CLUTTER_NAMES for p in parts)


def file_sha256(path: str | os.PathLike) -> str:
    """The sha256 of a file's bytes (hex), read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside ``path``; on a clean exit it replaces ``path``.

    On an exception the temporary file is removed and ``path`` is left as it was.
    The parent directory is created when missing.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
        os.chmod(tmp, 0o644)  # mkstemp's 0600 is not meant to outlive the temporary stage
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


@contextmanager
def atomic_dir(dest: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty temporary directory beside ``dest``; on a clean exit it becomes ``dest``.

    ``dest`` must be missing or empty (an empty one is replaced). On an exception the
    temporary directory and everything in it are removed and ``dest`` is left as it was.
    """
    target = Path(dest)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o755)  # mkdtemp's 0700 is not meant to outlive the temporary stage
        if target.exists():
            target.rmdir()  # only an empty directory: never clobber a finished one
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def stat_signature(path: str | os.PathLike) -> tuple[int, int, int, int]:
    """(size, mtime_ns, ctime_ns, inode): changes whenever the file is rewritten or replaced."""
    st = os.stat(path)
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


class StatMemo:
    """Per-process memo of values derived from files, valid while their signature holds."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[Hashable, object]] = {}

    def get(self, key: str, signature: Hashable, compute: Callable[[], T]) -> T:
        """The value stored for ``key`` if it was computed under ``signature``, else ``compute()``."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] == signature:
            return entry[1]  # type: ignore[return-value]
        value = compute()
        self._entries[key] = (signature, value)
        return value

    def clear(self) -> None:
        self._entries.clear()
