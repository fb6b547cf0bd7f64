"""Datasets for the lab: safe upload extraction, built-in datasets, hashing and splits.

Every dataset the engine trains on is a directory in ImageFolder layout::

    dataset_dir/<class name>/<image file>

Contracts
---------
* :func:`prepare_upload` turns an untrusted zip into such a directory. It either
  succeeds completely or leaves ``dest_dir`` untouched: files are extracted into a
  temporary directory next to ``dest_dir`` and renamed into place at the end.
  Nothing is ever written outside that temporary directory.
* Problems with the archive as a whole (unsafe names, zip bombs, too few classes or
  images) raise :class:`DatasetError` whose ``code`` is a stable string.
* Problems with a single file (not an image, corrupt, truncated, too many pixels) skip
  that file; it is listed in :attr:`DatasetReport.skipped` with a stable reason code.
* Hidden files (``.DS_Store``, ``._x``) and ``__MACOSX/`` are ignored and only counted.
* Every stored image is RGB: JPEGs that already are RGB are kept byte for byte, any
  other image is converted (alpha composited on white) and stored as PNG.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import shutil
import stat
import tempfile
import warnings
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from PIL import Image, UnidentifiedImageError

from .errors import DatasetError

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff"})

# Stable codes raised by prepare_upload / the built-in datasets.
ERROR_CODES = (
    "bad_zip",  # not a readable zip archive
    "absolute_path",  # an entry name is absolute (/x, C:\x)
    "path_traversal",  # an entry name contains a ".." component
    "symlink",  # an entry is a symbolic link
    "too_many_files",  # more entries than UploadLimits.max_files
    "too_large",  # total uncompressed size over UploadLimits.max_total_bytes
    "compression_ratio",  # an entry or the archive expands more than max_compression_ratio
    "too_few_classes",  # fewer than UploadLimits.min_classes classes with images
    "too_few_images",  # a class has fewer than UploadLimits.min_images_per_class images
    "dest_not_empty",  # dest_dir exists and is not an empty directory
    "cifar_missing",  # the CIFAR-10 archive is not on disk
    "bad_classes",  # unknown class names asked of a built-in dataset
    "empty_dataset",  # a dataset directory holds no images
)

# Stable reasons in DatasetReport.skipped.
SKIP_REASONS = (
    "not_image",  # extension is not an image type
    "corrupt_image",  # cannot be decoded (also truncated files)
    "too_many_pixels",  # width*height over UploadLimits.max_image_pixels
    "outside_class_folder",  # a file at the archive root, not inside a class folder
)


@dataclass(frozen=True)
class UploadLimits:
    """Bounds applied to an uploaded zip before and while extracting it."""

    max_files: int = 5000  # entries in the archive, directories and ignored files included
    max_total_bytes: int = 500 * 1024 * 1024  # sum of uncompressed sizes
    max_compression_ratio: float = 200.0  # uncompressed/compressed, per entry and overall
    max_image_pixels: int = 40_000_000  # width*height of one image (decompression bombs)
    min_classes: int = 2  # classes that hold at least one image
    min_images_per_class: int = 5  # images each class must keep after skipping


@dataclass(frozen=True)
class SkippedFile:
    path: str  # name inside the archive
    reason: str  # one of SKIP_REASONS
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


# --------------------------------------------------------------------------- upload


def _is_ignored(parts: Sequence[str]) -> bool:
    return any(p.startswith(".") or p == "__MACOSX" or p == "Thumbs.db" for p in parts)


def _entry_parts(info: zipfile.ZipInfo) -> list[str]:
    """Validated path components of an entry name; raises on unsafe names."""
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise DatasetError("absolute_path", f"The archive entry {info.filename!r} has an absolute path.")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise DatasetError(
            "path_traversal", f"The archive entry {info.filename!r} points outside the archive ('..')."
        )
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise DatasetError("symlink", f"The archive entry {info.filename!r} is a symbolic link.")
    return parts


def _check_archive(infos: list[zipfile.ZipInfo], limits: UploadLimits) -> None:
    if len(infos) > limits.max_files:
        raise DatasetError(
            "too_many_files", f"The archive has {len(infos)} entries; at most {limits.max_files} are allowed."
        )
    total = sum(i.file_size for i in infos)
    if total > limits.max_total_bytes:
        raise DatasetError(
            "too_large",
            f"The archive expands to {total / 1e6:.1f} MB; at most {limits.max_total_bytes / 1e6:.1f} MB are allowed.",
        )
    compressed = sum(i.compress_size for i in infos)
    for i in infos:
        if i.file_size > 1024 * 1024 and i.file_size / max(i.compress_size, 1) > limits.max_compression_ratio:
            raise DatasetError(
                "compression_ratio",
                f"The entry {i.filename!r} expands {i.file_size / max(i.compress_size, 1):.0f} times; "
                f"at most {limits.max_compression_ratio:.0f} is allowed (zip bomb?).",
            )
    if total > 1024 * 1024 and total / max(compressed, 1) > limits.max_compression_ratio:
        raise DatasetError(
            "compression_ratio",
            f"The archive expands {total / max(compressed, 1):.0f} times; "
            f"at most {limits.max_compression_ratio:.0f} is allowed (zip bomb?).",
        )


def _read_bounded(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """Read an entry, never more than its declared size nor the remaining budget."""
    limit = min(info.file_size, budget)
    with zf.open(info) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise DatasetError("too_large", f"The entry {info.filename!r} is larger than declared or than the limit.")
    return data


def _decode_image(data: bytes, max_pixels: int) -> tuple[Image.Image | None, str, str]:
    """Return (image, reason, detail); image is None when the file must be skipped."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            w, h = im.size
            if w * h > max_pixels:
                return None, "too_many_pixels", f"{w}x{h} pixels is over the limit of {max_pixels}"
            im.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        return None, "too_many_pixels", str(exc)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        return None, "corrupt_image", str(exc) or type(exc).__name__
    return im, "", ""


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


def _safe_filename(name: str, taken: set[str]) -> str:
    stem, ext = os.path.splitext(name)
    clean = "".join(c if c.isalnum() or c in "-_" else "_" for c in stem)[:80] or "image"
    candidate, n = clean, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{clean}_{n}"
    taken.add(candidate.lower())
    return candidate + ext


def _empty_or_missing(path: Path) -> bool:
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))


def _publish(tmp: Path, dest: Path) -> None:
    """Atomically move a finished directory to dest (dest must be missing or empty)."""
    os.chmod(tmp, 0o755)  # mkdtemp's 0700 is not meant to outlive the temporary stage
    if dest.exists():
        dest.rmdir()
    os.replace(tmp, dest)


def prepare_upload(zip_path: str | os.PathLike, dest_dir: str | os.PathLike, limits: UploadLimits = UploadLimits()) -> DatasetReport:
    """Validate a zip of class folders and extract its images, as RGB, into ``dest_dir``.

    ``dest_dir`` must be missing or empty. Class folders may be wrapped in one top-level
    folder (``pets/cat/1.jpg``). Raises :class:`DatasetError`; on error ``dest_dir`` is
    left as it was and no temporary file remains.
    """
    dest = Path(dest_dir).resolve()
    if not _empty_or_missing(dest):
        raise DatasetError("dest_not_empty", f"{dest} already exists and is not empty.")
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DatasetError("bad_zip", f"The upload is not a readable zip archive ({exc}).") from exc
    with zf:
        infos = zf.infolist()
        entries = [(info, _entry_parts(info)) for info in infos]  # validates every name first
        _check_archive(infos, limits)
        files = [(i, p) for i, p in entries if not i.is_dir() and p]
        ignored = sum(1 for _, p in files if _is_ignored(p))
        files = [(i, p) for i, p in files if not _is_ignored(p)]
        # One wrapping folder (zip of the parent folder) is stripped.
        tops = {p[0] for _, p in files}
        if len(tops) == 1 and all(len(p) >= 3 for _, p in files):
            files = [(i, p[1:]) for i, p in files]

        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".upload-", dir=dest.parent))
        try:
            report = _extract(zf, files, tmp, limits)
            report.ignored = ignored
            _check_counts(report, limits)
            _publish(tmp, dest)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    log.info("prepared upload %s: %s", dest, report.counts)
    return report


def _extract(zf: zipfile.ZipFile, files: list, tmp: Path, limits: UploadLimits) -> DatasetReport:
    skipped: list[SkippedFile] = []
    counts: dict[str, int] = {}
    taken: dict[str, set[str]] = {}
    budget = limits.max_total_bytes
    converted = 0
    for info, parts in sorted(files, key=lambda e: e[0].filename):
        if len(parts) < 2:
            skipped.append(SkippedFile(info.filename, "outside_class_folder", "files must be inside a class folder"))
            continue
        ext = os.path.splitext(parts[-1])[1].lower()
        if ext not in IMAGE_EXTENSIONS:
            skipped.append(SkippedFile(info.filename, "not_image", f"{ext or 'no extension'} is not an image type"))
            continue
        data = _read_bounded(zf, info, budget)
        budget -= len(data)
        im, reason, detail = _decode_image(data, limits.max_image_pixels)
        if im is None:
            skipped.append(SkippedFile(info.filename, reason, detail))
            continue
        cls = parts[0]
        class_dir = tmp / cls
        class_dir.mkdir(exist_ok=True)
        names = taken.setdefault(cls, set())
        if im.format == "JPEG" and im.mode == "RGB":
            out = class_dir / _safe_filename(os.path.splitext(parts[-1])[0] + ".jpg", names)
            out.write_bytes(data)
        else:
            out = class_dir / _safe_filename(os.path.splitext(parts[-1])[0] + ".png", names)
            to_rgb(im).save(out, format="PNG")
            converted += 1
        im.close()
        counts[cls] = counts.get(cls, 0) + 1
    classes = sorted(counts)
    return DatasetReport(classes=classes, counts={c: counts[c] for c in classes}, skipped=skipped, converted=converted)


def _check_counts(report: DatasetReport, limits: UploadLimits) -> None:
    if len(report.classes) < limits.min_classes:
        raise DatasetError(
            "too_few_classes",
            f"Found {len(report.classes)} class folder(s) with images ({', '.join(report.classes) or 'none'}); "
            f"at least {limits.min_classes} are needed. Put each class in its own folder: cat/1.jpg, dog/1.jpg.",
        )
    small = {c: n for c, n in report.counts.items() if n < limits.min_images_per_class}
    if small:
        listing = ", ".join(f"{c} ({n})" for c, n in small.items())
        raise DatasetError(
            "too_few_images",
            f"Each class needs at least {limits.min_images_per_class} images; too few in: {listing}.",
        )


# --------------------------------------------------------------------------- built-in datasets


def _write_builtin(dest_dir: str | os.PathLike, items: Iterable[tuple[str, str, np.ndarray]]) -> DatasetReport:
    """Write (class, filename, HxWx3 uint8 array) items as PNG into dest_dir atomically."""
    dest = Path(dest_dir).resolve()
    if not _empty_or_missing(dest):
        raise DatasetError("dest_not_empty", f"{dest} already exists and is not empty.")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".builtin-", dir=dest.parent))
    counts: dict[str, int] = {}
    try:
        for cls, name, arr in items:
            (tmp / cls).mkdir(exist_ok=True)
            Image.fromarray(arr, mode="RGB").save(tmp / cls / name, format="PNG")
            counts[cls] = counts.get(cls, 0) + 1
        _publish(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    classes = sorted(counts)
    return DatasetReport(classes=classes, counts={c: counts[c] for c in classes})


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
        raise DatasetError("bad_classes", f"Digit classes must be 0..9, got {list(classes or [])}.")

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

    return _write_builtin(dest_dir, items())


CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"


def materialize_cifar10(
    root: str | os.PathLike,
    dest_dir: str | os.PathLike,
    classes: Sequence[str] = ("cat", "dog", "bird"),
    per_class: int = 100,
) -> DatasetReport:
    """Write ``per_class`` CIFAR-10 training images of each class as 32x32 PNGs.

    Never downloads: the extracted archive must already be at ``root/cifar-10-batches-py``
    (raises DatasetError("cifar_missing") saying where to put it otherwise).
    """
    from torchvision.datasets import CIFAR10

    try:
        ds = CIFAR10(root=str(root), train=True, download=False)
    except RuntimeError as exc:
        raise DatasetError(
            "cifar_missing",
            f"CIFAR-10 is not available under {Path(root).resolve()}. Download {CIFAR10_URL} and extract it "
            f"there so that {Path(root).resolve() / 'cifar-10-batches-py'} exists.",
        ) from exc
    unknown = [c for c in classes if c not in ds.classes]
    if unknown:
        raise DatasetError("bad_classes", f"Unknown CIFAR-10 classes {unknown}; choose from {ds.classes}.")
    label_of = {ds.class_to_idx[c]: c for c in classes}

    def items():
        seen: dict[str, int] = {}
        for idx, (arr, target) in enumerate(zip(ds.data, ds.targets)):
            cls = label_of.get(int(target))
            if cls is None or seen.get(cls, 0) >= per_class:
                continue
            seen[cls] = seen.get(cls, 0) + 1
            yield cls, f"cifar_{idx:05d}.png", arr

    return _write_builtin(dest_dir, items())


# --------------------------------------------------------------------------- reading, hashing, splitting


def scan_image_folder(dataset_dir: str | os.PathLike) -> tuple[list[str], list[tuple[str, int]]]:
    """(class_names, [(relative posix path, label)]) of an ImageFolder directory, sorted."""
    root = Path(dataset_dir)
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    samples = []
    for label, cls in enumerate(classes):
        for path in sorted((root / cls).rglob("*")):
            rel = path.relative_to(root)
            if path.is_file() and not _is_ignored(rel.parts) and path.suffix.lower() in IMAGE_EXTENSIONS:
                samples.append((rel.as_posix(), label))
    if not samples:
        raise DatasetError("empty_dataset", f"No images found in {root}.")
    return classes, samples


_hash_memo: dict[str, tuple[tuple, str]] = {}


def content_hash(dataset_dir: str | os.PathLike) -> str:
    """sha256 over every non-hidden file's relative path and bytes, in sorted path order.

    Memoised per process on (path, size, mtime, ctime, inode) of every file, so an unchanged
    directory is not re-read: this keeps cache-hit runs fast.
    """
    root = Path(dataset_dir).resolve()
    files = sorted(
        (p.relative_to(root).as_posix(), p)
        for p in root.rglob("*")
        if p.is_file() and not _is_ignored(p.relative_to(root).parts)
    )
    signature = tuple(
        (rel, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino) for rel, p in files for st in [p.stat()]
    )
    memo = _hash_memo.get(str(root))
    if memo and memo[0] == signature:
        return memo[1]
    h = hashlib.sha256()
    for rel, path in files:
        h.update(rel.encode("utf-8") + b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    digest = h.hexdigest()
    _hash_memo[str(root)] = (signature, digest)
    return digest


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


# --------------------------------------------------------------------------- preprocessing


def eval_transform(size: int, mean: Sequence[float], std: Sequence[float]):
    """Resize the short side to ``size``, centre-crop a square, scale to [0, 1], normalise."""
    from torchvision import transforms as T

    return T.Compose(
        [
            T.Resize(size, interpolation=T.InterpolationMode.BILINEAR, antialias=True),
            T.CenterCrop(size),
            T.ToTensor(),
            T.Normalize(mean, std),
        ]
    )


def train_transform(size: int, mean: Sequence[float], std: Sequence[float], augment: bool):
    """``eval_transform``, or with ``augment`` a random crop (70-100% of the area) and a horizontal flip."""
    if not augment:
        return eval_transform(size, mean, std)
    from torchvision import transforms as T

    return T.Compose(
        [
            T.RandomResizedCrop(size, scale=(0.7, 1.0), antialias=True),
            T.RandomHorizontalFlip(),
            T.ToTensor(),
            T.Normalize(mean, std),
        ]
    )


def load_rgb(path: str | os.PathLike) -> Image.Image:
    """Decode an image file as RGB (alpha composited on white)."""
    with Image.open(path) as im:
        im.load()
        return to_rgb(im).copy()


class ImageFolderDataset:
    """Map-style torch dataset over (relative path, label) samples; yields (tensor, label, index)."""

    def __init__(self, root: str | os.PathLike, samples: Sequence[tuple[str, int]], transform):
        self.root = Path(root)
        self.samples = list(samples)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int):
        rel, label = self.samples[i]
        return self.transform(load_rgb(self.root / rel)), label, i
