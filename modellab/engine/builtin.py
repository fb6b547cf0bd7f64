"""Built-in datasets that work offline: scikit-learn's handwritten digits and CIFAR-10 from a local archive.

Each is written as a dataset directory (class folders of RGB PNGs) in one step: the
directory appears complete under its name or not at all (``common.files.atomic_dir``).
CIFAR-10 is read from its own on-disk format (``cifar-10-batches-py/``: pickled batches
with ``data`` and ``labels``, and ``batches.meta``); :func:`fetch_cifar10` downloads it
with torchvision's downloader, which checks the archive's md5, where there is network.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from PIL import Image

from common.files import atomic_dir

from .data import DatasetReport, require_empty_dest
from .errors import DatasetError

CIFAR_MISSING = "cifar_missing"  # the CIFAR-10 archive is not on disk
CIFAR_UNREADABLE = "cifar_unreadable"  # a file of the archive is not what CIFAR-10's format holds
BAD_CLASSES = "bad_classes"  # unknown class names asked of a built-in dataset

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))


def materialize_digits(
    dest_dir: str | os.PathLike,
    classes: Sequence[int | str] | None = None,
    max_per_class: int | None = None,
    image_size: int = 32,
) -> DatasetReport:
    """Write scikit-learn's handwritten digits (shipped with the package) as RGB PNGs.

    The 8x8, 17-level grayscale digits are upscaled (bilinear) to ``image_size``; class
    folders are named ``"0"``..``"9"``. The first ``max_per_class`` of each class are kept.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    wanted = sorted({int(c) for c in classes}) if classes is not None else list(range(10))
    if not wanted or any(c < 0 or c > 9 for c in wanted):
        raise DatasetError(BAD_CLASSES, f"Digit classes must be 0..9, got {list(classes or [])}.")

    def items():
        seen: dict[int, int] = {}
        for idx, (img, target) in enumerate(zip(digits.images, digits.target, strict=True)):
            t = int(target)
            if t not in wanted or (max_per_class is not None and seen.get(t, 0) >= max_per_class):
                continue
            seen[t] = seen.get(t, 0) + 1
            gray = Image.fromarray((img * (255.0 / 16.0)).astype(np.uint8), mode="L")
            gray = gray.resize((image_size, image_size), Image.BILINEAR)
            yield str(t), f"digit_{idx:04d}.png", np.asarray(gray.convert("RGB"))

    return _write(dest_dir, items())


def materialize_cifar10(
    root: str | os.PathLike, dest_dir: str | os.PathLike, classes: Sequence[str] = ("cat", "dog", "bird"), per_class: int = 100
) -> DatasetReport:
    """Write ``per_class`` CIFAR-10 training images of each class as 32x32 PNGs.

    Never downloads: the extracted archive must already be at ``root/cifar-10-batches-py``
    (raises DatasetError(CIFAR_MISSING) saying where to put it otherwise; CIFAR_UNREADABLE
    for a file that is not in CIFAR-10's format).
    """
    names, data, targets = read_cifar10(root)
    unknown = [c for c in classes if c not in names]
    if unknown:
        raise DatasetError(BAD_CLASSES, f"Unknown CIFAR-10 classes {unknown}; choose from {names}.")
    label_of = {names.index(c): c for c in classes}

    def items():
        seen: dict[str, int] = {}
        for idx, (arr, target) in enumerate(zip(data, targets, strict=True)):
            cls = label_of.get(int(target))
            if cls is None or seen.get(cls, 0) >= per_class:
                continue
            seen[cls] = seen.get(cls, 0) + 1
            yield cls, f"cifar_{idx:05d}.png", arr

    return _write(dest_dir, items())


class _ArraysOnly(pickle.Unpickler):
    """CIFAR-10's batches are pickles; a pickle can name any function to call. This one may only
    rebuild numpy arrays (what the real files hold), so a planted file cannot run code."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("_codecs", "encode"),  # how a protocol-2 pickle written by Python 3 holds an array's bytes
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of CIFAR-10's format")
        return super().find_class(module, name)


def _load_batch(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            # latin1: the files were pickled by Python 2; their str keys come back as str.
            raw = _ArraysOnly(fh, encoding="latin1").load()
    except FileNotFoundError:
        raise
    except Exception as exc:  # a truncated, foreign or hostile file: say which, never run it
        raise DatasetError(CIFAR_UNREADABLE, f"{path} is not a CIFAR-10 file ({exc}).") from exc
    if not isinstance(raw, dict):
        raise DatasetError(CIFAR_UNREADABLE, f"{path} is not a CIFAR-10 file (it holds no mapping).")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in raw.items()}


def read_cifar10(root: str | os.PathLike) -> tuple[list[str], np.ndarray, list[int]]:
    """(class names, N x 32 x 32 x 3 uint8 images, labels) of CIFAR-10's five training batches under
    ``root/cifar-10-batches-py``. Raises DatasetError(CIFAR_MISSING) or DatasetError(CIFAR_UNREADABLE)."""
    folder = Path(root).resolve() / CIFAR10_FOLDER
    try:
        meta = _load_batch(folder / "batches.meta")
        batches = [_load_batch(folder / name) for name in CIFAR10_TRAIN_BATCHES]
    except FileNotFoundError as exc:
        raise DatasetError(
            CIFAR_MISSING,
            f"CIFAR-10 is not available under {Path(root).resolve()} ({Path(exc.filename).name} is missing). "
            f"Run `python manage.py fetch_data cifar10` on a machine with network, or download {CIFAR10_URL} "
            f"and extract it there so that {folder} exists.",
        ) from None
    try:
        names = [str(n) for n in meta["label_names"]]
        data = np.concatenate([np.asarray(b["data"], dtype=np.uint8).reshape(-1, 3, 32, 32) for b in batches])
        targets = [int(t) for b in batches for t in b["labels"]]
    except (KeyError, ValueError, TypeError) as exc:
        raise DatasetError(CIFAR_UNREADABLE, f"{folder} does not hold CIFAR-10's batches ({exc!r}).") from exc
    if len(targets) != len(data) or any(not 0 <= t < len(names) for t in targets):
        raise DatasetError(CIFAR_UNREADABLE, f"{folder}: the labels do not match the images.")
    return names, data.transpose(0, 2, 3, 1), targets


def fetch_cifar10(root: str | os.PathLike) -> Path:
    """Download and extract CIFAR-10 into ``root`` with torchvision's downloader (it checks the archive's
    md5 and does nothing when the files are already there and intact); needs network. Returns the folder.
    Raises OSError (``urllib.error.URLError``: no network) or RuntimeError (a download that fails its md5)."""
    from torchvision.datasets import CIFAR10

    CIFAR10(root=str(root), train=True, download=True)
    return Path(root).resolve() / CIFAR10_FOLDER


def _write(dest_dir: str | os.PathLike, items: Iterable[tuple[str, str, np.ndarray]]) -> DatasetReport:
    """Write (class, filename, HxWx3 uint8 array) items as PNG into dest_dir atomically."""
    dest = require_empty_dest(dest_dir)
    counts: dict[str, int] = {}
    try:
        with atomic_dir(dest) as tmp:
            for cls, name, arr in items:
                (tmp / cls).mkdir(exist_ok=True)
                Image.fromarray(arr, mode="RGB").save(tmp / cls / name, format="PNG")
                counts[cls] = counts.get(cls, 0) + 1
    except OSError:
        # Two workers materialising the same dataset at once (a class pressing Run together): the one
        # that finished second finds the other's directory there, which atomic_dir never replaces.
        require_empty_dest(dest)  # raises DEST_NOT_EMPTY: the caller uses the finished one
        raise
    classes = sorted(counts)
    return DatasetReport(classes=classes, counts={c: counts[c] for c in classes})
