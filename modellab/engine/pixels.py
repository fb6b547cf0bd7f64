"""Image batches as tensor ops: decoded uint8 pixels gathered, augmented and normalised on the run's device.

Every strategy reads its images as :class:`ImageBatches` over the decoded-image cache
(:mod:`.decoded`): a batch is a gather of ``B x 3 x S x S`` uint8 rows, moved to the device
(a quarter of the bytes of float32), then :class:`Preprocess` runs there: with augmentation,
per image a random crop of 70-100% of the area (aspect 3/4 to 4/3) resized back to ``S`` and a
horizontal flip with probability 1/2 (torchvision's ``RandomResizedCrop`` and
``RandomHorizontalFlip`` on tensors, drawn from torch's global generator, which the run seeds);
then scaling to [0, 1] and normalisation with the backbone's mean and std, the same arithmetic
as torchvision's ``ToTensor`` and ``Normalize``. Augmentation crops the decoded ``S x S`` image
(the short side resized to ``S``, the centre square), not the original file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Iterator, Sequence

import torch

AUGMENT_SCALE = (0.7, 1.0)  # the share of the image's area a random crop keeps


def normalise(pixels: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """``B x 3 x S x S`` uint8 to float32 scaled to [0, 1], minus ``mean``, over ``std`` (per channel)."""
    m, s = _channel_stats(tuple(mean), tuple(std), pixels.device)
    return pixels.float().div_(255).sub_(m).div_(s)


@functools.lru_cache(maxsize=16)
def _channel_stats(mean: tuple, std: tuple, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """``mean`` and ``std`` as ``1 x 3 x 1 x 1`` float32 on ``device``, copied there once, not every batch."""
    return (torch.tensor(mean).view(1, -1, 1, 1).to(device), torch.tensor(std).view(1, -1, 1, 1).to(device))


def augment(pixels: torch.Tensor) -> torch.Tensor:
    """A new random view of each image of a ``B x 3 x S x S`` uint8 batch (random resized crop and flip)."""
    from torchvision.transforms import v2

    size = pixels.shape[-1]
    view = v2.Compose([v2.RandomResizedCrop(size, scale=AUGMENT_SCALE, antialias=True), v2.RandomHorizontalFlip()])
    return torch.stack([view(image) for image in pixels])


@dataclass(frozen=True)
class Preprocess:
    """What a uint8 batch goes through before the network: augmentation (optional), then normalisation."""

    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    augment: bool = False

    def __call__(self, pixels: torch.Tensor) -> torch.Tensor:
        return normalise(augment(pixels) if self.augment else pixels, self.mean, self.std)


class ImageBatches:
    """Batches ``(x, y, indices)`` of some samples, iterable once per epoch: ``x`` preprocessed
    float32 on the device, ``y`` the labels there, ``indices`` the samples' positions in the dataset.

    With a ``generator`` each pass draws a new order from it; without one the order of ``indices``.
    """

    def __init__(
        self,
        pixels: torch.Tensor,
        labels: torch.Tensor,
        indices: Sequence[int],
        batch_size: int,
        preprocess: Preprocess,
        device: torch.device,
        generator: torch.Generator | None = None,
    ):
        self.pixels = pixels  # N x 3 x S x S uint8 on the CPU (memory-mapped: .decoded)
        self.labels = labels.to(device)  # N
        self.indices = torch.as_tensor(list(indices), dtype=torch.long)
        self.batch_size = batch_size
        self.preprocess = preprocess
        self.device = device
        self.generator = generator

    def __len__(self) -> int:
        """Batches in one pass."""
        return -(-len(self.indices) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        n = len(self.indices)
        order = self.indices if self.generator is None else self.indices[torch.randperm(n, generator=self.generator)]
        on_device = order.to(self.device)  # one copy per pass: a batch's labels are gathered there
        for start in range(0, n, self.batch_size):
            idx = order[start : start + self.batch_size]
            batch = self.pixels.index_select(0, idx).to(self.device, non_blocking=True)  # 4x faster than [idx]
            yield self.preprocess(batch), self.labels[on_device[start : start + self.batch_size]], idx
