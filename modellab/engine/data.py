"""Dataset directories the engine trains on: scanning, content hash, split, and the one decoding recipe.

Every dataset is a directory in ImageFolder layout::

    dataset_dir/<class name>/<image file>

:mod:`.upload` (an untrusted zip) and :mod:`.builtin` (digits, CIFAR-10) write such
directories; this module reads them. Hidden files (``.DS_Store``, ``._x``),
``__MACOSX/`` and ``Thumbs.db`` are never part of a dataset: not scanned, not hashed
(:func:`common.files.is_hidden_path`, the rule the storage and an upload's check use too).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image

from common.files import StatMemo, is_hidden_path, stat_signature
from common.images import IMAGE_EXTENSIONS, open_image

from .errors import DatasetError

DEST_NOT_EMPTY = "dest_not_empty"  # a dataset would be written over an existing, non-empty directory
EMPTY_DATASET = "empty_dataset"  # a dataset directory holds no images


@dataclass(frozen=True)
class SkippedFile:
    path: str  # name inside the archive
    reason: str  # one of upload.SKIP_REASONS
    detail: str = ""  # human readable


@dataclass
class DatasetReport:
    """What ended up in a dataset directory."""

    classes: list[str]
    counts: dict[str, int]
    skipped: list[SkippedFile] = field(default_factory=list)
    ignored: int = 0  # hidden files and __MACOSX entries
    converted: int = 0  # images re-encoded to RGB PNG

    @property
    def total_images(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict:
        d = asdict(self)
        d["total_images"] = self.total_images
        return d


def require_empty_dest(dest_dir: str | os.PathLike) -> Path:
    """The resolved ``dest_dir``; DatasetError(DEST_NOT_EMPTY) unless it is missing or an empty directory."""
    dest = Path(dest_dir).resolve()
    if dest.exists() and not (dest.is_dir() and not any(dest.iterdir())):
        raise DatasetError(DEST_NOT_EMPTY, f"{dest} already exists and is not empty.")
    return dest


# --------------------------------------------------------------------------- reading, hashing, splitting


def scan_image_folder(dataset_dir: str | os.PathLike) -> tuple[list[str], list[tuple[str, int]]]:
    """(class_names, [(relative posix path, label)]) of an ImageFolder directory, sorted."""
    root = Path(dataset_dir)
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not is_hidden_path((p.name,)))
    samples = []
    for label, cls in enumerate(classes):
        for path in sorted((root / cls).rglob("*")):
            rel = path.relative_to(root)
            if path.is_file() and not is_hidden_path(rel.parts) and path.suffix.lower() in IMAGE_EXTENSIONS:
                samples.append((rel.as_posix(), label))
    if not samples:
        raise DatasetError(EMPTY_DATASET, f"No images found in {root}.")
    return classes, samples


_hash_memo = StatMemo()


def content_hash(dataset_dir: str | os.PathLike) -> str:
    """sha256 over every non-hidden file's relative path and bytes, in sorted path order.

    Memoised per process on the stat signature (size, mtime, ctime, inode) of every file,
    so an unchanged directory is not re-read: this keeps cache-hit runs fast.
    """
    root = Path(dataset_dir).resolve()
    files = sorted(
        (p.relative_to(root).as_posix(), p)
        for p in root.rglob("*")
        if p.is_file() and not is_hidden_path(p.relative_to(root).parts)
    )

    def digest() -> str:
        h = hashlib.sha256()
        for rel, path in files:
            h.update(rel.encode("utf-8") + b"\0")
            h.update(path.read_bytes())
            h.update(b"\0")
        return h.hexdigest()

    signature = tuple((rel, stat_signature(path)) for rel, path in files)
    return _hash_memo.get(str(root), signature, digest)


@dataclass(frozen=True)
class Split:
    """Indices into the sample list; disjoint, each sorted."""

    train: list[int]
    val: list[int]
    test: list[int]


def stratified_split(labels: Sequence[int], val_fraction: float, seed: int, test_min_per_class: int = 10) -> Split:
    """Deterministic stratified split fixed by ``seed``.

    Each class contributes ``round(n * val_fraction)`` (at least 1) images to validation;
    when every class has at least ``test_min_per_class`` images the same number again goes
    to a held-out test split. Every class keeps at least one training image.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError("val_fraction must be in (0, 1)")
    labels = np.asarray(labels)
    classes = np.unique(labels)
    with_test = all((labels == c).sum() >= test_min_per_class for c in classes)
    train, val, test = [], [], []
    for c in classes:
        idx = np.flatnonzero(labels == c)
        rng = np.random.default_rng([seed, int(c)])
        idx = idx[rng.permutation(len(idx))]
        n_val = min(max(1, round(len(idx) * val_fraction)), len(idx) - 1) if len(idx) > 1 else 0
        n_test = min(n_val, len(idx) - n_val - 1) if with_test else 0
        val += idx[:n_val].tolist()
        test += idx[n_val : n_val + n_test].tolist()
        train += idx[n_val + n_test :].tolist()
    return Split(sorted(train), sorted(val), sorted(test))


def limit_train_per_class(split: Split, labels: Sequence[int], per_class: int | None, seed: int) -> Split:
    """``split`` with its training part cut to at most ``per_class`` images of each class.

    Validation and test stay as they are, so every size is measured on the same images.
    The images kept are a seeded draw per class that does not depend on ``per_class``:
    the 5 images kept for 5 are among the 10 kept for 10 (nested subsets), which makes a
    data-size sweep compare more data with less, not different data.
    """
    if per_class is None:
        return split
    labels = np.asarray(labels)
    train = np.asarray(split.train, dtype=np.int64)
    kept: list[int] = []
    for c in np.unique(labels[train]) if len(train) else []:
        idx = train[labels[train] == c]
        # A stream of its own ([seed, class, 1]): the split's draw ([seed, class]) is not reused.
        order = np.random.default_rng([seed, int(c), 1]).permutation(len(idx))
        kept += idx[order[:per_class]].tolist()
    return Split(sorted(kept), split.val, split.test)


# --------------------------------------------------------------------------- decoding and preprocessing


def to_rgb(im: Image.Image) -> Image.Image:
    """RGB copy of an image; transparency is composited on white, not dropped to black."""
    if im.mode == "RGB":
        return im
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return im.convert("RGB")


def load_rgb(path: str | os.PathLike) -> Image.Image:
    """Decode an image file of an accepted format as RGB (alpha composited on white)."""
    with open_image(path) as im:
        im.load()
        return to_rgb(im).copy()


def decode_pixels(image: str | os.PathLike | Image.Image, size: int) -> np.ndarray:
    """``size x size x 3`` uint8 RGB of an image file (or a Pillow image): the short side resized to
    ``size`` (bilinear, antialiased), then the centre square cropped.

    The one decoding recipe of the engine: the decoded-image cache (:mod:`.decoded`) stores its
    output and ``predict_image`` uses it, so a model sees the same pixels in training and prediction.
    """
    from torchvision.transforms import functional as F

    im = to_rgb(image) if isinstance(image, Image.Image) else load_rgb(image)
    im = F.resize(im, size, interpolation=F.InterpolationMode.BILINEAR, antialias=True)
    return np.array(F.center_crop(im, size), dtype=np.uint8)


def eval_transform(size: int, mean: Sequence[float], std: Sequence[float]):
    """An image (a file or a Pillow image) to its normalised ``3 x size x size`` float tensor:
    :func:`decode_pixels`, then :func:`.pixels.normalise` (what training does to the cached pixels)."""
    import torch

    from .pixels import normalise

    def transform(image):
        return normalise(torch.from_numpy(decode_pixels(image, size)).permute(2, 0, 1)[None], mean, std)[0]

    return transform


class ImageFolderDataset:
    """Map-style torch dataset over (relative path, label) samples, decoded on every read; yields (tensor, label, index).

    The engine reads images through the decoded-image cache (:mod:`.decoded`); this per-image
    path is what benchmarks compare it with."""

    def __init__(self, root: str | os.PathLike, samples: Sequence[tuple[str, int]], transform):
        self.root = Path(root)
        self.samples = list(samples)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int):
        rel, label = self.samples[i]
        return self.transform(load_rgb(self.root / rel)), label, i
