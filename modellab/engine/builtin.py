"""Built-in datasets that work offline: scikit-learn's handwritten digits and CIFAR-10 from a local archive.

Each is written as a dataset directory (class folders of RGB PNGs) in one step: the
directory appears complete under its name or not at all (``common.files.atomic_dir``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from PIL import Image

from common.files import atomic_dir

from .data import DatasetReport, require_empty_dest
from .errors import DatasetError

CIFAR_MISSING = "cifar_missing"  # the CIFAR-10 archive is not on disk
BAD_CLASSES = "bad_classes"  # unknown class names asked of a built-in dataset

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"


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
        for idx, (img, target) in enumerate(zip(digits.images, digits.target)):
            t = int(target)
            if t not in wanted or (max_per_class is not None and seen.get(t, 0) >= max_per_class):
                continue
            seen[t] = seen.get(t, 0) + 1
            gray = Image.fromarray((img * (255.0 / 16.0)).astype(np.uint8), mode="L")
            gray = gray.resize((image_size, image_size), Image.BILINEAR)
            yield str(t), f"digit_{idx:04d}.png", np.asarray(gray.convert("RGB"))

    return _write(dest_dir, items())


def materialize_cifar10(
    root: str | os.PathLike,
    dest_dir: str | os.PathLike,
    classes: Sequence[str] = ("cat", "dog", "bird"),
    per_class: int = 100,
) -> DatasetReport:
    """Write ``per_class`` CIFAR-10 training images of each class as 32x32 PNGs.

    Never downloads: the extracted archive must already be at ``root/cifar-10-batches-py``
    (raises DatasetError(CIFAR_MISSING) saying where to put it otherwise).
    """
    from torchvision.datasets import CIFAR10

    try:
        ds = CIFAR10(root=str(root), train=True, download=False)
    except RuntimeError as exc:
        raise DatasetError(
            CIFAR_MISSING,
            f"CIFAR-10 is not available under {Path(root).resolve()}. Download {CIFAR10_URL} and extract it "
            f"there so that {Path(root).resolve() / 'cifar-10-batches-py'} exists.",
        ) from exc
    unknown = [c for c in classes if c not in ds.classes]
    if unknown:
        raise DatasetError(BAD_CLASSES, f"Unknown CIFAR-10 classes {unknown}; choose from {ds.classes}.")
    label_of = {ds.class_to_idx[c]: c for c in classes}

    def items():
        seen: dict[str, int] = {}
        for idx, (arr, target) in enumerate(zip(ds.data, ds.targets)):
            cls = label_of.get(int(target))
            if cls is None or seen.get(cls, 0) >= per_class:
                continue
            seen[cls] = seen.get(cls, 0) + 1
            yield cls, f"cifar_{idx:05d}.png", arr

    return _write(dest_dir, items())


def _write(dest_dir: str | os.PathLike, items: Iterable[tuple[str, str, np.ndarray]]) -> DatasetReport:
    """Write (class, filename, HxWx3 uint8 array) items as PNG into dest_dir atomically."""
    dest = require_empty_dest(dest_dir)
    counts: dict[str, int] = {}
    with atomic_dir(dest) as tmp:
        for cls, name, arr in items:
            (tmp / cls).mkdir(exist_ok=True)
            Image.fromarray(arr, mode="RGB").save(tmp / cls / name, format="PNG")
            counts[cls] = counts.get(cls, 0) + 1
    classes = sorted(counts)
    return DatasetReport(classes=classes, counts={c: counts[c] for c in classes})
