"""When a queued run should start and finish: a duration estimated from earlier runs and a queue played forward.

Pure functions over plain data (no Django): the selector reads the rows, these do the arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

EXACT = "exact"  # same backbone, strategy, dataset, input size, augmentation and epochs: the median of their durations
SIMILAR = "similar"  # same backbone, strategy, input size and augmentation, any dataset or epochs: median s an epoch x epochs

LAST_N = 5  # the most recent runs of a match that count: the site's speed drifts (load, caches, a new worker)


@dataclass(frozen=True)
class RunSettings:
    """What decides how long a run takes, as far as the estimate knows."""

    backbone: str
    strategy: str
    dataset: int  # the dataset's id
    image_size: int | None  # None: the backbone's default
    epochs: int
    augment: bool = False  # with frozen features, augmentation extracts the cached views too: a longer run


@dataclass(frozen=True)
class PastRun:
    settings: RunSettings
    seconds: float  # started -> finished on its worker


@dataclass(frozen=True)
class Estimate:
    seconds: float
    basis: str  # EXACT or SIMILAR
    runs: int  # how many earlier runs it rests on


@dataclass(frozen=True)
class Slot:
    """Where one run stands: ``position`` 1 for the next run a worker takes (None: running), and
    seconds from now until it starts and finishes (None: no estimate yet)."""

    position: int | None
    start_s: float | None
    finish_s: float | None
    estimate: Estimate | None


def estimate_duration(settings: RunSettings, history: list[PastRun], *, last_n: int = LAST_N) -> Estimate | None:
    """How long a run with ``settings`` should take, from ``history`` (succeeded runs, newest first):
    the median of the last ``last_n`` with the same settings; else the median seconds an epoch of the
    last ``last_n`` with the same backbone, strategy, input size and augmentation, times the epochs; else None."""
    exact = [p.seconds for p in history if p.settings == settings][:last_n]
    if exact:
        return Estimate(median(exact), EXACT, len(exact))
    similar = [
        p.seconds / max(p.settings.epochs, 1)
        for p in history
        if (p.settings.backbone, p.settings.strategy, p.settings.image_size, p.settings.augment)
        == (settings.backbone, settings.strategy, settings.image_size, settings.augment)
    ][:last_n]
    if similar:
        return Estimate(median(similar) * settings.epochs, SIMILAR, len(similar))
    return None


def queue_slots(
    *, running: list[float | None], queued: list[Estimate | None], workers: int
) -> tuple[list[float | None], list[Slot]]:
    """Play the queue forward on ``workers`` workers (at least one), each taking the next queued run when free.

    ``running``: seconds each running run has left (None: unknown). ``queued``: each queued run's
    estimate, in queue order. Returns the running runs' seconds to finish, and a Slot per queued run.
    A run behind one whose time is unknown gets no start or finish time: any figure would be a guess.
    """
    free: list[float | None] = sorted((max(r, 0.0) for r in running if r is not None))
    unknown = sum(r is None for r in running)
    free += [None] * unknown
    free += [0.0] * max(max(workers, 1) - len(free), 0)
    slots = []
    for position, estimate in enumerate(queued, start=1):
        free.sort(key=lambda t: (t is None, t or 0.0))  # the worker free soonest; unknown ones last
        start = free.pop(0)
        finish = start + estimate.seconds if start is not None and estimate is not None else None
        free.append(finish)
        slots.append(Slot(position, start, finish, estimate))
    return [None if r is None else max(r, 0.0) for r in running], slots


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 22nd, 101st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def about(seconds: float) -> str:
    """A wait read plainly, as rough as the estimate: "any moment now", "in about 40 s", "in about 3 min"."""
    if seconds < 10:
        return "any moment now"
    if seconds < 90:
        return f"in about {round(seconds / 10) * 10} s"
    return f"in about {round(seconds / 60)} min"


def basis_text(estimate: Estimate) -> str:
    """What the estimate rests on, for the learner: "from 3 earlier runs with these settings"."""
    runs = f"{estimate.runs} earlier run{'s' if estimate.runs != 1 else ''}"
    if estimate.basis == EXACT:
        return f"from {runs} with these settings"
    return f"from {runs} of the same network, strategy, input size and augmentation"
