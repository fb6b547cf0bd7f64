"""Progress of a run inside a phase: what the engine reports while it extracts features or trains an epoch.

The engine calls ``on_progress`` after every batch of the extraction pass and of each
training epoch; it never throttles. Whoever listens decides how often to pass it on (the
lab's worker writes at most once a second).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

EXTRACT = "extract"  # the frozen backbone's one pass over every image (strategy=features, cache miss)
TRAIN = "train"  # one training epoch (batches of images, or of cached feature vectors)
PHASES = (EXTRACT, TRAIN)


@dataclass(frozen=True)
class Progress:
    """One report: ``done`` of ``total`` units (images while extracting, batches while training)."""

    phase: str  # EXTRACT or TRAIN
    done: int
    total: int
    elapsed_s: float  # since this phase (this epoch, when training) began
    epoch: int = 0  # TRAIN: the epoch under way, 1-based; 0 while extracting
    epochs: int = 0  # TRAIN: epochs in the run

    @property
    def unit(self) -> str:
        return "images" if self.phase == EXTRACT else "batches"

    @property
    def rate(self) -> float | None:
        """Units per second so far; None before any time has passed."""
        return self.done / self.elapsed_s if self.elapsed_s > 0 and self.done else None

    @property
    def seconds_left(self) -> float | None:
        """The rest of the phase at the rate so far; None while the rate is unknown."""
        rate = self.rate
        return (self.total - self.done) / rate if rate else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with ``unit``, ``rate`` and ``seconds_left`` computed once."""
        return {**asdict(self), "unit": self.unit, "rate": self.rate, "seconds_left": self.seconds_left}


ProgressCallback = Callable[[Progress], None]


class Meter:
    """Counts the units of one phase and reports each step to ``callback`` (a no-op without one)."""

    def __init__(self, callback: ProgressCallback | None, phase: str, total: int, *, epoch: int = 0, epochs: int = 0):
        self.callback = callback
        self.phase, self.total, self.epoch, self.epochs = phase, total, epoch, epochs
        self.done = 0
        self.started = time.perf_counter()

    def advance(self, units: int) -> None:
        self.done += units
        if self.callback is not None:
            elapsed = time.perf_counter() - self.started
            self.callback(Progress(self.phase, self.done, self.total, elapsed, self.epoch, self.epochs))
