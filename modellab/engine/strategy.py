"""What a strategy is given (the run's data) and what it hands the training loop (a Setup).

``features`` (:mod:`.features`) and ``finetune`` / ``scratch`` (:mod:`.network`) each turn
a :class:`RunData` into a :class:`Setup`; :func:`.training.run` then trains any Setup the
same way with :func:`.loop.train_one_epoch` and :func:`.loop.evaluate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import torch
from torch import nn
from torch.utils.data import DataLoader

from .config import RunConfig
from .data import ImageFolderDataset, Split


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

    def labels(self, indices: Iterable[int]) -> torch.Tensor:
        return torch.tensor([self.samples[i][1] for i in indices], dtype=torch.long)


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
    data: RunData, indices: list[int], transform, config: RunConfig, device: torch.device, *, shuffle: bool, seed_offset: int = 0
) -> DataLoader:
    """Batches (images, labels, positions) of ``data.samples[indices]``; the order is fixed by the run's seed."""
    dataset = ImageFolderDataset(data.root, [data.samples[i] for i in indices], transform)
    return DataLoader(
        dataset,
        batch_size=config.batch_size,
        shuffle=shuffle,
        generator=torch.Generator().manual_seed(config.seed + seed_offset),
        num_workers=config.num_workers,
        pin_memory=device.type == "cuda",
        persistent_workers=False,
    )
