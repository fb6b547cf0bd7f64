"""The decoded-image cache: each image of a dataset decoded and resized once per input size, kept on disk as uint8 pixels.

Decoding a file with Pillow and resizing it costs more than a small network's pass over the
image on a CPU; every strategy used to repeat it for every image in every epoch. Here it
happens once per dataset and side ``S``: :func:`decoded_images` returns the ``N x 3 x S x S``
uint8 pixels (from :func:`.data.decode_pixels`) and the labels, building the file on a miss.
Normalisation and augmentation run on uint8 batches as tensor ops (:mod:`.pixels`).

The key covers the dataset's content hash, ``S`` and DECODE_FORMAT (the decoding recipe and
this file's layout). It leaves out the backbone and its mean and std, augmentation, the split,
``train_per_class``, the seed and the strategy: every run on the same dataset at the same input
size, pre-trained, fine-tuned or from scratch, shares one file.

The file is ``<cache_dir>/decoded/decoded-<key digest>.u8`` (beside the feature cache, and
travelling with it between machines): MAGIC, the header's length (8 bytes, little-endian), a
JSON header (key digest, N, S, the relative paths and labels in sample order), zero padding
to a multiple of 64 bytes, then the pixels, image after image. It is written with
``common.files.atomic_write`` one image at a time, so building holds a few images in memory,
and read as a copy-on-write memory map, so a run's memory holds the pages it touches and the
operating system may drop them again. Its size is N x 3 x S x S bytes: 150 MB for 1000 images
at 224 px; at the lab's limits (LAB_MAX_IMAGES_PER_DATASET, 5000 by default, at the largest
input size, 512 px) 3.9 GB of disk, read through the page cache. A file with the wrong magic,
an unreadable header, another key, other paths or the wrong length is built again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from common.files import atomic_write

from .data import content_hash, decode_pixels

log = logging.getLogger(__name__)

DECODE_FORMAT = 1  # bump when data.decode_pixels or the file layout changes
MAGIC = b"LABPIX1\n"
ALIGN = 64  # the pixels start at a multiple of this many bytes
CHUNK = 64  # images decoded at once (in threads: Pillow releases the GIL while it decodes and resizes)


@dataclass(frozen=True)
class DecodedImages:
    """Every image of a dataset at one input size."""

    pixels: torch.Tensor  # N x 3 x S x S uint8, memory-mapped (writes stay in this process)
    labels: torch.Tensor  # N int64
    path: Path  # the cache file
    built: bool  # this call decoded the images (False: read from the cache)


def key_digest(dataset_hash: str, size: int) -> str:
    """The cache key's digest: dataset content hash, input side and DECODE_FORMAT."""
    blob = json.dumps({"format": DECODE_FORMAT, "dataset_hash": dataset_hash, "size": size}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def cache_path(cache_dir: str | os.PathLike, digest: str) -> Path:
    return Path(cache_dir) / "decoded" / f"decoded-{digest}.u8"


def decoded_images(
    cache_dir: str | os.PathLike,
    root: str | os.PathLike,
    samples: Sequence[tuple[str, int]],
    size: int,
    check_cancelled: Callable[[], None] | None = None,
) -> DecodedImages:
    """The pixels of ``samples`` (relative path, label) under ``root`` at ``size``: from the cache, or
    decoded and stored there. ``check_cancelled`` is called between chunks while building (it raises to stop)."""
    digest = key_digest(content_hash(root), size)
    path = cache_path(cache_dir, digest)
    paths, labels = [p for p, _ in samples], [label for _, label in samples]
    pixels = _read(path, digest, paths, labels, size)
    if pixels is not None:
        return DecodedImages(pixels, torch.tensor(labels, dtype=torch.long), path, built=False)
    _build(path, digest, Path(root), paths, labels, size, check_cancelled)
    pixels = _read(path, digest, paths, labels, size)
    if pixels is None:  # only if another process wrote garbage under the name in between
        raise RuntimeError(f"the decoded-image cache {path} could not be read back")
    return DecodedImages(pixels, torch.tensor(labels, dtype=torch.long), path, built=True)


def _header(digest: str, paths: list[str], labels: list[int], size: int) -> bytes:
    blob = json.dumps({"key": digest, "n": len(paths), "size": size, "paths": paths, "labels": labels}).encode()
    start = len(MAGIC) + 8 + len(blob)
    return MAGIC + len(blob).to_bytes(8, "little") + blob + b"\0" * (-start % ALIGN)


def _build(path: Path, digest: str, root: Path, paths: list[str], labels: list[int], size: int, check_cancelled) -> None:
    workers = min(4, os.cpu_count() or 1)
    with atomic_write(path) as fh, ThreadPoolExecutor(workers) as pool:
        fh.write(_header(digest, paths, labels, size))
        for start in range(0, len(paths), CHUNK):
            if check_cancelled is not None:
                check_cancelled()
            chunk = paths[start : start + CHUNK]
            for hwc in pool.map(lambda rel: decode_pixels(root / rel, size), chunk):
                fh.write(np.ascontiguousarray(hwc.transpose(2, 0, 1)).tobytes())
    log.info("decoded %d images at %d px into %s", len(paths), size, path)


def _read(path: Path, digest: str, paths: list[str], labels: list[int], size: int) -> torch.Tensor | None:
    """The memory-mapped pixels of a valid cache file; None when it is missing or not this key's."""
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as fh:
            if fh.read(len(MAGIC)) != MAGIC:
                raise ValueError("not a decoded-image cache file")
            length = int.from_bytes(fh.read(8), "little")
            if length > path.stat().st_size:
                raise ValueError("the header is longer than the file")
            header = json.loads(fh.read(length))
        offset = len(MAGIC) + 8 + length
        offset += -offset % ALIGN
        shape = (len(paths), 3, size, size)
        if (header["key"], header["paths"], header["labels"], header["size"]) != (digest, paths, labels, size):
            raise ValueError("written for another key or another list of images")
        if path.stat().st_size != offset + int(np.prod(shape)):
            raise ValueError(f"{path.stat().st_size} bytes, expected {offset + int(np.prod(shape))}")
        if not paths:
            return torch.empty(shape, dtype=torch.uint8)
        return torch.from_numpy(np.memmap(path, dtype=np.uint8, mode="c", offset=offset, shape=shape))
    except (OSError, ValueError, KeyError, TypeError) as exc:  # a damaged entry is a miss, never a failure
        log.warning("rebuilding the decoded-image cache %s: %s", path, exc)
        return None
