"""Weights files checked against their pinned sha256, and downloaded only when the download matches the pin.

A pin is a full sha256 digest or a prefix of one (torchvision publishes 8 hex digits in
its file names and its hub checks the same prefix). Functions take a backbone spec
(:class:`.backbones.BackboneSpec`) for its ``name``, ``weights_sha256``, ``weights_url``
and ``how_to_get``; the registry lives in :mod:`.backbones`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from common.files import StatMemo, stat_signature
from common.files import file_sha256 as _sha256

from .errors import WeightsMismatch

if TYPE_CHECKING:
    from .spec import BackboneSpec

log = logging.getLogger(__name__)

_sha_memo = StatMemo()


def file_sha256(path: Path) -> str:
    """sha256 of a file (:func:`common.files.file_sha256`), memoised per process on its stat signature."""
    return _sha_memo.get(str(path), stat_signature(path), lambda: _sha256(path))


def verify_weights(spec: BackboneSpec, path: Path) -> str:
    """Return the file's sha256 after checking it against the pin; raise WeightsMismatch."""
    digest = file_sha256(path)
    if spec.weights_sha256 and not digest.startswith(spec.weights_sha256):
        raise WeightsMismatch(
            f"{path} has sha256 {digest}, expected {spec.weights_sha256} for backbone {spec.name!r}. "
            f"The file is corrupt or not the expected weights; delete it and {spec.how_to_get}"
        )
    return digest


def download_weights(spec: BackboneSpec, path: Path, progress: bool = False) -> None:
    """Download ``spec.weights_url`` to ``path``; the file appears only once its sha256 matches the pin.

    torch.hub's downloader writes beside ``path``, hashes on the way and moves the file
    into place only when the hash prefix matches (its own atomic write, the one torchvision
    relies on). Raises WeightsMismatch when the downloaded bytes are not the pinned
    weights, leaving nothing at or beside ``path``; network errors (``urllib.error.URLError``,
    an OSError) propagate as they are. ``progress`` draws torch.hub's bar on stderr.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        torch.hub.download_url_to_file(spec.weights_url, str(path), hash_prefix=spec.weights_sha256, progress=progress)
    except RuntimeError as exc:  # the only RuntimeError it raises: "invalid hash value (expected ..., got ...)"
        raise WeightsMismatch(
            f"The file downloaded from {spec.weights_url} is not the weights pinned for backbone {spec.name!r} "
            f"({exc}); it was not stored."
        ) from exc
    log.info("downloaded %s weights to %s", spec.name, path)
