"""What a strategy is given (the run's data) and what it hands the training loop (a Setup).

``features`` (:mod:`.features`) and ``finetune`` / ``finetune_all`` / ``scratch`` (:mod:`.network`) each turn
a :class:`RunData` into a :class:`Setup`; :func:`.training.run` then trains any Setup the
same way with :func:`.loop.train_one_epoch` and :func:`.loop.evaluate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import torch
from torch import nn

from .config import RunConfig
from .data import Split
from .decoded import decoded_images
from .loop import Runtime
from .pixels import ImageBatches, Preprocess


@dataclass(frozen=True)
class RunData:
    """The dataset of one run, split, with the preprocessing its backbone expects."""

    root: Path  # ImageFolder directory
    class_names: list[str]
    samples: list[tuple[str, int]]  # (relative path, label), sorted
    split: Split
    image_size: int  # square input side in pixels
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    cache_dir: Path  # the run's cache directory: the decoded images live there (.decoded)
    _decoded: dict = field(default_factory=dict, compare=False, repr=False)  # the pixels, once read

    def labels(self, indices: Iterable[int]) -> torch.Tensor:
        return torch.tensor([self.samples[i][1] for i in indices], dtype=torch.long)

    def pixels(self, runtime: Runtime) -> torch.Tensor:
        """N x 3 x S x S uint8 of every sample, read from the decoded-image cache (decoded on a miss,
        cancellable) on first use in this run, then kept."""
        if "pixels" not in self._decoded:
            decoded = decoded_images(self.cache_dir, self.root, self.samples, self.image_size, runtime.check_cancelled)
            self._decoded["pixels"] = decoded.pixels
        return self._decoded["pixels"]


@dataclass(frozen=True)
class Setup:
    """A strategy ready to train: the model, its batches, and what the learner reads about it."""

    model: nn.Module  # what train_one_epoch / evaluate run: a linear head or a Classifier
    train: Iterable  # batches (x, y, ...) for one epoch; iterated once per epoch
    val: Iterable
    test: Iterable
    notes: list[str]  # appended to the run's notes, in order
    cache_hit: bool  # features came from the cache (strategy features only)
    trace: Callable[[], list[dict]]  # the shape trace of the trained model, from a real forward pass
    extract_seconds: float = 0.0  # the backbone pass that filled the feature cache (0.0: none, or a cache hit)


def image_loader(
    data: RunData,
    indices: list[int],
    preprocess: Preprocess,
    config: RunConfig,
    runtime: Runtime,
    *,
    shuffle: bool,
    seed_offset: int = 0,
    buffers: int = 0,
) -> ImageBatches:
    """Batches (images, labels, sample indices) of ``data.samples[indices]`` from the decoded-image cache;
    with ``shuffle`` a new order every pass, fixed by the run's seed (plus ``seed_offset``); ``buffers``:
    see :class:`.pixels.ImageBatches`."""
    generator = torch.Generator().manual_seed(config.seed + seed_offset) if shuffle else None
    labels = data.labels(range(len(data.samples)))
    pixels = data.pixels(runtime)
    return ImageBatches(pixels, labels, indices, config.batch_size, preprocess, runtime.device, generator, buffers)
