"""Turning an untrusted zip of class folders into a dataset directory, safely or not at all.

Contracts
---------
* :func:`prepare_upload` either succeeds completely or leaves ``dest_dir`` untouched:
  files are extracted into a temporary directory next to ``dest_dir`` and renamed into
  place at the end (``common.files.atomic_dir``). Nothing is ever written outside that
  temporary directory.
* Problems with the archive as a whole (unsafe or over-long names, zip bombs, encrypted,
  damaged or unsupported entries, too few classes or images) raise :class:`DatasetError`
  whose ``code`` is one of :data:`ERROR_CODES`; the message names the entry at fault.
* Problems with a single file (not an image, corrupt, truncated, too many pixels) skip
  that file; it is listed in :attr:`DatasetReport.skipped` with one of :data:`SKIP_REASONS`
  and a detail in words (never an exception's text, which can hold a server path).
* Memory does not grow with an entry's size: each entry is streamed in ``zipread.CHUNK_BYTES``
  pieces into a file of the temporary directory and checked there (Pillow reads the header,
  the pixel count is checked before any pixel is decoded). What stays in memory is a chunk
  and at most one image within ``max_image_pixels``.
* Images are opened with ``common.images.open_image``: Pillow tries the accepted formats only.
* Hidden files (``.DS_Store``, ``._x``) and ``__MACOSX/`` are ignored and only counted.
* Every stored image is RGB: JPEGs that already are RGB are kept byte for byte, any
  other image is converted (alpha composited on white) and stored as PNG.
"""

from __future__ import annotations

import logging
import os
import stat
import struct
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Sequence

from PIL import Image, UnidentifiedImageError

from common.files import atomic_dir, is_hidden_path
from common.images import IMAGE_EXTENSIONS, IMAGE_FORMATS, open_image

from .data import DEST_NOT_EMPTY, DatasetReport, SkippedFile, require_empty_dest, to_rgb
from .errors import DatasetError
from .zipread import (
    BAD_ZIP,
    DAMAGED_ENTRY,
    ENCRYPTED,
    TOO_LARGE,
    TOO_MANY_FILES,
    UNSUPPORTED_COMPRESSION,
    entry_chunks,
    open_zip,
    shown,
)

log = logging.getLogger(__name__)

# Codes of the DatasetError raised by prepare_upload (BAD_ZIP, TOO_MANY_FILES, TOO_LARGE, ENCRYPTED,
# UNSUPPORTED_COMPRESSION and DAMAGED_ENTRY are zipread's, raised while reading the archive).
ABSOLUTE_PATH = "absolute_path"  # an entry name is absolute (/x, C:\x)
PATH_TRAVERSAL = "path_traversal"  # an entry name contains a ".." component
SYMLINK = "symlink"  # an entry is a symbolic link
NAME_TOO_LONG = "name_too_long"  # a folder or file name in an entry is over MAX_NAME_BYTES
COMPRESSION_RATIO = "compression_ratio"  # an entry or the archive expands more than max_compression_ratio
TOO_FEW_CLASSES = "too_few_classes"  # fewer than UploadLimits.min_classes classes with images
TOO_FEW_IMAGES = "too_few_images"  # a class has fewer than UploadLimits.min_images_per_class images
ERROR_CODES = (
    BAD_ZIP,
    ABSOLUTE_PATH,
    PATH_TRAVERSAL,
    SYMLINK,
    NAME_TOO_LONG,
    ENCRYPTED,
    UNSUPPORTED_COMPRESSION,
    DAMAGED_ENTRY,
    TOO_MANY_FILES,
    TOO_LARGE,
    COMPRESSION_RATIO,
    TOO_FEW_CLASSES,
    TOO_FEW_IMAGES,
    DEST_NOT_EMPTY,  # dest_dir exists and is not an empty directory
)

# Reasons in DatasetReport.skipped.
NOT_IMAGE = "not_image"  # extension is not an image type
CORRUPT_IMAGE = "corrupt_image"  # cannot be decoded (also truncated files and formats we do not accept)
TOO_MANY_PIXELS = "too_many_pixels"  # width*height over UploadLimits.max_image_pixels
OUTSIDE_CLASS_FOLDER = "outside_class_folder"  # a file at the archive root, not inside a class folder
SKIP_REASONS = (NOT_IMAGE, CORRUPT_IMAGE, TOO_MANY_PIXELS, OUTSIDE_CLASS_FOLDER)

# NAME_MAX of the file systems datasets live on (ext4, XFS, APFS, NTFS): bytes of one name in UTF-8.
MAX_NAME_BYTES = 255
_ACCEPTED = ", ".join(IMAGE_FORMATS)


@dataclass(frozen=True)
class UploadLimits:
    """Bounds applied to an uploaded zip before and while extracting it."""

    max_files: int = 5000  # entries in the archive, directories and ignored files included
    max_total_bytes: int = 500 * 1024 * 1024  # sum of uncompressed sizes
    max_compression_ratio: float = 200.0  # uncompressed/compressed, per entry and overall
    max_image_pixels: int = 40_000_000  # width*height of one image (decompression bombs)
    min_classes: int = 2  # classes that hold at least one image
    min_images_per_class: int = 5  # images each class must keep after skipping


def prepare_upload(
    zip_path: str | os.PathLike, dest_dir: str | os.PathLike, limits: UploadLimits = UploadLimits()
) -> DatasetReport:
    """Validate a zip of class folders and extract its images, as RGB, into ``dest_dir``.

    ``dest_dir`` must be missing or empty. Class folders may be wrapped in one top-level
    folder (``pets/cat/1.jpg``). Raises :class:`DatasetError`; on error ``dest_dir`` is
    left as it was and no temporary file remains.
    """
    dest = require_empty_dest(dest_dir)
    with open_zip(zip_path, limits.max_files) as zf:
        infos = zf.infolist()
        entries = [(info, _entry_parts(info)) for info in infos]  # validates every name first
        _check_archive(infos, limits)
        # An entry with no parts (a name of "/" and "." only, or none: ZipInfo.is_dir fails on it) holds no image.
        files = [(i, p) for i, p in entries if p and not i.is_dir()]
        ignored = sum(1 for _, p in files if is_hidden_path(p))
        files = [(i, p) for i, p in files if not is_hidden_path(p)]
        # One wrapping folder (zip of the parent folder) is stripped.
        tops = {p[0] for _, p in files}
        if len(tops) == 1 and all(len(p) >= 3 for _, p in files):
            files = [(i, p[1:]) for i, p in files]

        with atomic_dir(dest) as tmp:
            report = _extract(zf, files, tmp, limits)
            report.ignored = ignored
            _check_counts(report, limits)
    log.info("prepared upload %s: %s", dest, report.counts)
    return report


def _entry_parts(info: zipfile.ZipInfo) -> list[str]:
    """Validated path components of an entry name; raises on unsafe names."""
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise DatasetError(ABSOLUTE_PATH, f"The archive entry {shown(info)} has an absolute path.")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise DatasetError(PATH_TRAVERSAL, f"The archive entry {shown(info)} points outside the archive ('..').")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise DatasetError(SYMLINK, f"The archive entry {shown(info)} is a symbolic link.")
    if any(len(p.encode("utf-8")) > MAX_NAME_BYTES for p in parts):
        raise DatasetError(
            NAME_TOO_LONG,
            f"The archive entry {shown(info)} has a folder or file name longer than {MAX_NAME_BYTES} bytes, "
            "more than file systems allow. Shorten it and zip again.",
        )
    return parts


def _check_archive(infos: list[zipfile.ZipInfo], limits: UploadLimits) -> None:
    if len(infos) > limits.max_files:
        raise DatasetError(TOO_MANY_FILES, f"The archive has {len(infos)} entries; at most {limits.max_files} are allowed.")
    total = sum(i.file_size for i in infos)
    if total > limits.max_total_bytes:
        raise DatasetError(
            TOO_LARGE, f"The archive expands to {total / 1e6:.1f} MB; at most {limits.max_total_bytes / 1e6:.1f} MB are allowed."
        )
    compressed = sum(i.compress_size for i in infos)
    for i in infos:
        if i.file_size > 1024 * 1024 and i.file_size / max(i.compress_size, 1) > limits.max_compression_ratio:
            raise DatasetError(
                COMPRESSION_RATIO,
                f"The entry {shown(i)} expands {i.file_size / max(i.compress_size, 1):.0f} times; "
                f"at most {limits.max_compression_ratio:.0f} is allowed (zip bomb?).",
            )
    if total > 1024 * 1024 and total / max(compressed, 1) > limits.max_compression_ratio:
        raise DatasetError(
            COMPRESSION_RATIO,
            f"The archive expands {total / max(compressed, 1):.0f} times; "
            f"at most {limits.max_compression_ratio:.0f} is allowed (zip bomb?).",
        )


def _decode_image(fh: BinaryIO, max_pixels: int) -> tuple[Image.Image | None, str, str]:
    """Return (image, reason, detail) of the file ``fh``; image is None when the file must be skipped.

    The pixel count is checked from the header, before ``load()`` decodes a pixel; a returned
    image is loaded, so ``fh`` may be closed.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = open_image(fh)
            w, h = im.size
            if w * h > max_pixels:
                return None, TOO_MANY_PIXELS, f"{w}x{h} pixels is over the limit of {max_pixels}"
            im.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None, TOO_MANY_PIXELS, f"more pixels than the limit of {max_pixels}"
    except UnidentifiedImageError:
        return None, CORRUPT_IMAGE, f"not an image in an accepted format ({_ACCEPTED})"
    except (OSError, SyntaxError, ValueError, EOFError, struct.error):
        return None, CORRUPT_IMAGE, "the image data is damaged or cut short"
    return im, "", ""


def _safe_filename(name: str, taken: set[str]) -> str:
    stem, ext = os.path.splitext(name)
    clean = "".join(c if c.isalnum() or c in "-_" else "_" for c in stem)[:80] or "image"
    # 80 letters can be 320 bytes of UTF-8; 200 leave room for a "_<n>" suffix and the extension.
    clean = clean.encode("utf-8")[:200].decode("utf-8", "ignore")
    candidate, n = clean, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{clean}_{n}"
    taken.add(candidate.lower())
    return candidate + ext


def _extract(
    zf: zipfile.ZipFile, files: Sequence[tuple[zipfile.ZipInfo, list[str]]], tmp: Path, limits: UploadLimits
) -> DatasetReport:
    skipped: list[SkippedFile] = []
    counts: dict[str, int] = {}
    taken: dict[str, set[str]] = {}
    budget = limits.max_total_bytes
    converted = 0
    scratch = tmp / ".entry.part"  # each entry in turn, on disk; hidden, and gone before the rename
    for info, parts in sorted(files, key=lambda e: e[0].filename):
        if len(parts) < 2:
            skipped.append(SkippedFile(info.filename, OUTSIDE_CLASS_FOLDER, "files must be inside a class folder"))
            continue
        ext = os.path.splitext(parts[-1])[1].lower()
        if ext not in IMAGE_EXTENSIONS:
            skipped.append(SkippedFile(info.filename, NOT_IMAGE, f"{ext or 'no extension'} is not an image type"))
            continue
        with open(scratch, "w+b") as fh:
            for chunk in entry_chunks(zf, info, budget):
                fh.write(chunk)
            budget -= fh.tell()
            fh.seek(0)
            im, reason, detail = _decode_image(fh, limits.max_image_pixels)
        if im is None:
            skipped.append(SkippedFile(info.filename, reason, detail))
            continue
        cls = parts[0]
        class_dir = tmp / cls
        class_dir.mkdir(exist_ok=True)
        names = taken.setdefault(cls, set())
        stem = os.path.splitext(parts[-1])[0]
        with im:
            keep = im.format == "JPEG" and im.mode == "RGB"
            if not keep:
                to_rgb(im).save(class_dir / _safe_filename(stem + ".png", names), format="PNG")
                converted += 1
        if keep:
            os.replace(scratch, class_dir / _safe_filename(stem + ".jpg", names))
        counts[cls] = counts.get(cls, 0) + 1
    scratch.unlink(missing_ok=True)
    classes = sorted(counts)
    return DatasetReport(classes=classes, counts={c: counts[c] for c in classes}, skipped=skipped, converted=converted)


def _check_counts(report: DatasetReport, limits: UploadLimits) -> None:
    if len(report.classes) < limits.min_classes:
        raise DatasetError(
            TOO_FEW_CLASSES,
            f"Found {len(report.classes)} class folder(s) with images ({', '.join(report.classes) or 'none'}); "
            f"at least {limits.min_classes} are needed. Put each class in its own folder: cat/1.jpg, dog/1.jpg.",
        )
    small = {c: n for c, n in report.counts.items() if n < limits.min_images_per_class}
    if small:
        listing = ", ".join(f"{c} ({n})" for c, n in small.items())
        raise DatasetError(
            TOO_FEW_IMAGES, f"Each class needs at least {limits.min_images_per_class} images; too few in: {listing}."
        )
