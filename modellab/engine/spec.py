"""What the registry knows of a backbone: its public description and its spec (how to build and load it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .adapters import TINY_INIT_SEED, Parts


@dataclass(frozen=True)
class BackboneInfo:
    """Public description of a registered backbone."""

    name: str
    label: str
    input_size: int  # default square input side
    mean: tuple[float, float, float]  # per-channel normalisation applied after scaling to [0, 1]
    std: tuple[float, float, float]
    feature_channels: int  # C of the N x C x h x w feature map
    weights_source: str
    available: bool
    unavailable_reason: str  # empty when available


@dataclass(frozen=True)
class BackboneSpec:
    name: str
    label: str
    input_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    feature_channels: int
    weights_source: str
    weights_sha256: str | None  # full digest, or the published prefix for torchvision; None: no weights file
    weights_url: str | None  # where fetch_weights downloads the file from; None: it comes from a package
    weights_file: Callable[[], Path | None]  # where the weights should be (None: no file)
    how_to_get: str  # shown when the weights are missing
    build: Callable[[], Parts]  # architecture with random init
    load: Callable[[Parts, Path], None]  # load verified weights into the parts

    @property
    def weights_id(self) -> str:
        """Identity of the pretrained weights, used in cache keys."""
        return self.weights_sha256 or f"{self.name}-init-{TINY_INIT_SEED}"
