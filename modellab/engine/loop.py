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
the device to hand a number back.

Precision (:class:`Runtime`, decided once per run by :func:`cpu_train_precision`): on CUDA the
forward pass runs under float16 autocast with gradient scaling and 4-D inputs go channels_last.
On the CPU a run trains in float32, or, where the CPU computes bfloat16 natively (AVX-512 BF16
or AMX) and the strategy trains on images, under bfloat16 autocast with channels_last (no
gradient scaling: bfloat16 has float32's range). Weights, losses and accuracies stay float32.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import torch
from torch import nn

from .progress import Meter, ProgressCallback

CancelCheck = Callable[[], bool]

CPUINFO = Path("/proc/cpuinfo")  # read for the flags below when torch cannot say
BF16_FLAGS = ("avx512_bf16", "amx_bf16")  # either means native bfloat16 arithmetic


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


def native_cpu_bf16() -> bool:
    """True when this CPU computes bfloat16 natively (AVX-512 BF16 or AMX): torch's own check where it
    has one, else the kernel's flags in /proc/cpuinfo (``avx512_bf16``, ``amx_bf16``)."""
    checks = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    if all(callable(check) for check in checks):
        return any(check() for check in checks)
    try:
        text = CPUINFO.read_text()
    except OSError:
        return False
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return any(flag in flags for flag in BF16_FLAGS)


def cpu_train_precision(strategy: str, setting: str, native_bf16: bool) -> str:
    """The precision a CPU run of ``strategy`` trains in: "bfloat16" or "float32".

    ``setting`` is ``RunConfig.cpu_precision``: "float32" or "bfloat16" forces it (bfloat16 on a
    CPU without ``native_bf16`` is emulated, correct but slow); "auto" picks bfloat16 where the CPU
    has it natively. The ``features`` strategy always trains in float32: its linear head on cached
    float32 vectors is too small an op for bfloat16 to pay.
    """
    if strategy == "features":
        return "float32"
    if setting == "auto":
        return "bfloat16" if native_bf16 else "float32"
    return setting


@dataclass(frozen=True)
class Runtime:
    """Where batches run, in which precision, and how a run is stopped: what the two loops share besides the model."""

    device: torch.device
    should_cancel: CancelCheck | None = None  # polled before every batch
    on_progress: ProgressCallback | None = None  # told after every batch of extraction and training
    cpu_precision: str = "float32"  # on the CPU: "float32" or "bfloat16" (cpu_train_precision); CUDA uses float16

    @property
    def precision(self) -> str:
        """The autocast dtype's name ("float16" on CUDA, "bfloat16" on a bfloat16 CPU run), or "float32" (no autocast)."""
        return "float16" if self.device.type == "cuda" else self.cpu_precision

    @property
    def channels_last(self) -> bool:
        """Image batches and the model go channels_last: what cuDNN's and oneDNN's fast kernels want."""
        return self.precision != "float32"

    def meter(self, phase: str, total: int, *, epoch: int = 0, epochs: int = 0) -> Meter:
        """A counter for one phase that reports to ``on_progress``."""
        return Meter(self.on_progress, phase, total, epoch=epoch, epochs=epochs)

    def check_cancelled(self) -> None:
        """Raise RunCancelled when ``should_cancel`` says so."""
        if self.should_cancel is not None and self.should_cancel():
            raise RunCancelled("the run was cancelled")

    def autocast(self):
        """Autocast to :attr:`precision` on the run's device; nothing in float32."""
        if self.precision == "float32":
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=getattr(torch, self.precision))

    def to_device(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` on the device; image batches channels_last when :attr:`channels_last`."""
        if self.channels_last and x.dim() == 4:
            return x.to(self.device, non_blocking=True, memory_format=torch.channels_last)
        return x.to(self.device, non_blocking=True)

    def grad_scaler(self) -> torch.amp.GradScaler:
        """A gradient scaler for float16 on CUDA; a pass-through elsewhere (bfloat16 needs none)."""
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
