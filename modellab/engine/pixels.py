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

The feature extraction pass reads them :func:`ahead`: a worker thread gathers and normalises batch
k+1 (into a ring of reused buffers, ``ImageBatches(buffers=AHEAD_BUFFERS)``) while the backbone
runs on batch k; ONNX Runtime releases the GIL, so the two overlap.
"""

from __future__ import annotations

import contextlib
import functools
import queue
import threading
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence, TypeVar

import torch

T = TypeVar("T")
AHEAD_BUFFERS = 3  # batches alive at once under ahead(): the consumer's, the queued one, the one being prepared

AUGMENT_SCALE = (0.7, 1.0)  # the share of the image's area a random crop keeps


def normalise(pixels: torch.Tensor, mean: Sequence[float], std: Sequence[float], out: torch.Tensor | None = None) -> torch.Tensor:
    """``B x 3 x S x S`` uint8 to float32 scaled to [0, 1], minus ``mean``, over ``std`` (per channel);
    written into ``out`` (float32, the same shape) when given, else into a new tensor."""
    m, s = _channel_stats(tuple(mean), tuple(std), pixels.device)
    x = pixels.float() if out is None else out.copy_(pixels)  # the same values either way: uint8 is exact in float32
    return x.div_(255).sub_(m).div_(s)


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

    def __call__(self, pixels: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        return normalise(augment(pixels) if self.augment else pixels, self.mean, self.std, out)


class ImageBatches:
    """Batches ``(x, y, indices)`` of some samples, iterable once per epoch: ``x`` preprocessed
    float32 on the device, ``y`` the labels there, ``indices`` the samples' positions in the dataset.

    With a ``generator`` each pass draws a new order from it; without one the order of ``indices``.
    With ``buffers`` (> 0) the images are normalised into a ring of that many tensors allocated once,
    so a batch's ``x`` is overwritten ``buffers`` batches later (for a consumer that is done with
    each batch before it asks for the one after next, as under :func:`ahead`).
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
        buffers: int = 0,
    ):
        self.pixels = pixels  # N x 3 x S x S uint8 on the CPU (memory-mapped: .decoded)
        self.labels = labels.to(device)  # N
        self.indices = torch.as_tensor(list(indices), dtype=torch.long)
        self.batch_size = batch_size
        self.preprocess = preprocess
        self.device = device
        self.generator = generator
        self.buffers = buffers
        self._ring: list[torch.Tensor] = []

    def __len__(self) -> int:
        """Batches in one pass."""
        return -(-len(self.indices) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        n = len(self.indices)
        order = self.indices if self.generator is None else self.indices[torch.randperm(n, generator=self.generator)]
        on_device = order.to(self.device)  # one copy per pass: a batch's labels are gathered there
        for i, start in enumerate(range(0, n, self.batch_size)):
            idx = order[start : start + self.batch_size]
            batch = self.pixels.index_select(0, idx).to(self.device, non_blocking=True)  # 4x faster than [idx]
            out = self._buffer(i)[: len(idx)] if self.buffers else None
            yield self.preprocess(batch, out), self.labels[on_device[start : start + self.batch_size]], idx

    def _buffer(self, i: int) -> torch.Tensor:
        """The ``i``-th batch's float32 tensor of the ring, allocated on first use."""
        while len(self._ring) <= i % self.buffers:
            shape = (self.batch_size, *self.pixels.shape[1:])
            self._ring.append(torch.empty(shape, dtype=torch.float32, device=self.device))
        return self._ring[i % self.buffers]


class _Failed:
    """What the worker of :func:`ahead` hands over instead of a batch when producing one raised."""

    def __init__(self, exc: BaseException):
        self.exc = exc


_DONE = object()


@contextlib.contextmanager
def ahead(batches: Iterable[T]) -> Iterator[Iterator[T]]:
    """The items of ``batches``, produced on a worker thread one item ahead of the consumer.

    While the consumer works on item k the thread prepares k+1 (at most one more waits, so
    three are alive at once: see ``ImageBatches(buffers=AHEAD_BUFFERS)``). An exception raised
    while producing is raised in the consumer at that item; leaving the block (done, cancelled,
    or failed) stops the thread and waits for it. PyTorch ops on the thread use the thread count
    set when it starts them (:func:`.loop.one_cpu_thread`).
    """
    handed: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in batches:
                handed.put(item)
                if stop.is_set():
                    return
            handed.put(_DONE)
        except BaseException as exc:  # handed over, raised in the consumer
            handed.put(_Failed(exc))

    def consume() -> Iterator[T]:
        while (item := handed.get()) is not _DONE:
            if isinstance(item, _Failed):
                raise item.exc
            yield item

    worker = threading.Thread(target=produce, name="image-batches-ahead", daemon=True)
    worker.start()
    try:
        yield consume()
    finally:
        stop.set()
        while worker.is_alive():  # a put blocked on the full queue returns once the item is taken
            with contextlib.suppress(queue.Empty):
                handed.get_nowait()
            worker.join(0.01)
