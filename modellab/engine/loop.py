"""One epoch of training and one evaluation pass: the same two functions serve every strategy.

As in torchvision's ``references/classification/train.py``: ``train_one_epoch`` and
``evaluate`` take a model and an iterable of batches, nothing else about the strategy.
The features strategy passes its linear head and cached feature vectors
(:class:`.features.FeatureBatches`); finetune, finetune_all and scratch pass the whole
:class:`.model.Classifier` and batches of decoded images (:class:`.pixels.ImageBatches`). A batch is a tuple
``(x, y, ...)``: inputs, integer labels, and anything after them is ignored.

Every batch first asks ``should_cancel`` (cooperative cancellation); a training batch
done is reported through the epoch's :class:`.progress.Meter` when one is given. Loss and
accuracy are summed on the device and read once at the end of the pass: no batch waits for
the device to hand a number back. On CUDA the
forward pass runs under float16 autocast with gradient scaling and 4-D inputs go
channels_last; on the CPU everything is float32.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import torch
from torch import nn

from .progress import Meter, ProgressCallback

CancelCheck = Callable[[], bool]


@contextlib.contextmanager
def one_cpu_thread(on: bool = True) -> Iterator[None]:
    """While inside (when ``on``), PyTorch's CPU ops run on one thread, then the count is restored.

    For small ops only: splitting them across threads costs more in synchronisation than it
    saves, and on a busy machine it was up to 20x slower than one thread (a linear head on
    32 x 1280 vectors; normalising batches while ONNX Runtime extracts on its own threads).
    """
    if not on:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class RunCancelled(Exception):
    """``should_cancel`` returned True; the run stopped at the next batch."""


@dataclass(frozen=True)
class Runtime:
    """Where batches run and how a run is stopped: what the two loops share besides the model."""

    device: torch.device
    should_cancel: CancelCheck | None = None  # polled before every batch
    on_progress: ProgressCallback | None = None  # told after every batch of extraction and training

    def meter(self, phase: str, total: int, *, epoch: int = 0, epochs: int = 0) -> Meter:
        """A counter for one phase that reports to ``on_progress``."""
        return Meter(self.on_progress, phase, total, epoch=epoch, epochs=epochs)

    def check_cancelled(self) -> None:
        """Raise RunCancelled when ``should_cancel`` says so."""
        if self.should_cancel is not None and self.should_cancel():
            raise RunCancelled("the run was cancelled")

    def autocast(self):
        """float16 autocast on CUDA, nothing elsewhere."""
        if self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.float16)
        return contextlib.nullcontext()

    def to_device(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` on the device; image batches channels_last on CUDA (what cuDNN's fast kernels want)."""
        if self.device.type == "cuda" and x.dim() == 4:
            return x.to(self.device, non_blocking=True, memory_format=torch.channels_last)
        return x.to(self.device, non_blocking=True)

    def grad_scaler(self) -> torch.amp.GradScaler:
        """A gradient scaler for float16 on CUDA; a pass-through elsewhere."""
        return torch.amp.GradScaler("cuda", enabled=self.device.type == "cuda")


@dataclass(frozen=True)
class Evaluation:
    """What one evaluation pass measured."""

    loss: float  # mean cross-entropy; 0.0 when there were no samples
    accuracy: float  # fraction in [0, 1]; 0.0 when there were no samples
    probs: torch.Tensor  # CPU float32, samples x classes, in batch order


def train_one_epoch(
    model: nn.Module,
    batches: Iterable,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    runtime: Runtime,
    meter: Meter | None = None,
) -> tuple[float, float]:
    """One pass over ``batches`` in train mode; returns (mean loss, accuracy) over the samples seen.
    ``meter`` (when given) advances by one after every batch.

    ``model.train()`` decides which parts really train (a fine-tuned Classifier keeps its
    frozen part in eval mode); the optimizer holds only the trainable parameters.
    """
    model.train()
    total_loss, correct, seen = (
        torch.zeros((), device=runtime.device),
        torch.zeros((), dtype=torch.long, device=runtime.device),
        0,
    )
    for x, y, *_ in batches:
        runtime.check_cancelled()
        x, y = runtime.to_device(x), y.to(runtime.device, non_blocking=True)
        with runtime.autocast():
            logits = model(x)
            loss = nn.functional.cross_entropy(logits, y)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        total_loss += loss.detach().float() * len(y)
        correct += (logits.argmax(1) == y).sum()
        seen += len(y)
        if meter is not None:
            meter.advance(1)
    return float(total_loss) / max(seen, 1), int(correct) / max(seen, 1)


@torch.inference_mode()
def evaluate(model: nn.Module, batches: Iterable, runtime: Runtime) -> Evaluation:
    """One pass over ``batches`` in eval mode, no gradients: loss, accuracy and class probabilities."""
    model.eval()
    probs, seen = [], 0
    total_loss, correct = torch.zeros((), device=runtime.device), torch.zeros((), dtype=torch.long, device=runtime.device)
    for x, y, *_ in batches:
        runtime.check_cancelled()
        x, y = runtime.to_device(x), y.to(runtime.device, non_blocking=True)
        with runtime.autocast():
            logits = model(x).float()
        total_loss += nn.functional.cross_entropy(logits, y, reduction="sum")
        correct += (logits.argmax(1) == y).sum()
        seen += len(y)
        probs.append(logits.softmax(1))
    if not probs:
        return Evaluation(0.0, 0.0, torch.empty(0, 0))
    return Evaluation(float(total_loss) / seen, int(correct) / seen, torch.cat(probs).cpu())
