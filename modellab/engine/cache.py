"""On-disk cache of extracted backbone features, one file per key.

The key covers everything that changes the features: the dataset's content hash, the
backbone name, its weights identity (sha256), the preprocessing (input size, mean, std)
the augmentation (number of cached views; 0 without augmentation) and the precision the
backbone ran in (float32 on the CPU; bfloat16 or float16 autocast on CUDA, whose features
differ from float32 by far more than the tolerance below). It does not cover the split,
seed of the head or epochs: those only change what is done with the features, so runs that
differ only there share one extraction.

Nor does it cover the runtime (ONNX Runtime or PyTorch, :mod:`.extractor`): ONNX Runtime is
used only when its features match PyTorch's to within ``runtime_onnx.PARITY_TOLERANCE``
(1e-4, checked on a fixed batch), so both runtimes fill the same entry and a run forced to
PyTorch (``RunConfig.runtime="torch"``) reuses what ONNX Runtime extracted, and the reverse.

Writes are atomic (``common.files.atomic_write``: a temporary file in the cache directory,
then a rename): two runs extracting the same key at once both succeed and readers never
see a partial file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from common.files import atomic_write

log = logging.getLogger(__name__)

CACHE_FORMAT = 2  # bump when the payload layout or extraction code changes (2: images read through .decoded)


@dataclass(frozen=True)
class FeatureKey:
    dataset_hash: str
    backbone: str
    weights_id: str
    image_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    augment_views: int  # 0 = no augmented views
    precision: str = "float32"  # dtype the backbone ran in (extractor.extract_precision); not the runtime, see above

    def digest(self) -> str:
        blob = json.dumps({"format": CACHE_FORMAT, **asdict(self)}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()


class FeatureCache:
    """``features-<key digest>.pt`` files in one directory."""

    def __init__(self, cache_dir: str | os.PathLike):
        self.dir = Path(cache_dir)

    def path(self, key: FeatureKey) -> Path:
        return self.dir / f"features-{key.digest()}.pt"

    def load(self, key: FeatureKey) -> dict[str, Any] | None:
        """The stored payload, or None on a miss (or an unreadable/foreign file)."""
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # a damaged cache entry is a miss, never a failure
            log.warning("ignoring unreadable feature cache %s: %s", path, exc)
            return None
        if payload.get("key") != key.digest():
            return None
        return payload

    def save(self, key: FeatureKey, payload: dict[str, Any]) -> Path:
        """Atomically write ``payload`` (tensors, lists, str, numbers) under ``key``."""
        path = self.path(key)
        with atomic_write(path) as fh:
            torch.save({**payload, "key": key.digest()}, fh)
        return path
