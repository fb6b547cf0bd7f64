"""Time on a comparison: each run's wall clock split by phase, time to accuracy, the headline, the elapsed-time chart.

Plain Python over plain data (:class:`RunTiming`), so the comparison page (built from
experiments) and the lesson's measured reference (built from lesson content) say the same
thing the same way.

Time to accuracy, as the pages define it: the target is the headline's first run's validation
accuracy after its first epoch (the pre-trained run of a fair comparison, :mod:`modellab.arms`); a run's time to it is the seconds from the moment a worker
started that run (its start-up, data preparation and feature extraction counted; the time
spent waiting in the queue not) to the end of the first epoch whose validation accuracy
reached the target. Accuracy is only measured at the end of an epoch, so that is the
resolution of the time.
"""

from __future__ import annotations

from dataclasses import dataclass

from common.charts import Series, line_chart_svg


def definition(reference: str) -> str:
    """What "time to accuracy" means on a page whose target is the accuracy of the run named ``reference``."""
    return (
        "Time to accuracy: the seconds from the moment a worker started a run (its start-up and any feature "
        "extraction counted, the wait in the queue not) to the end of the first epoch whose validation accuracy "
        f"reached the target, {reference}'s accuracy after its first epoch."
    )


# The comparison's charts are drawn wide: they carry its claim and two runs' lines (the page's full width).
COMPARISON_SIZE = {"width": 880, "height": 320}


@dataclass(frozen=True)
class EpochPoint:
    epoch: int
    val_accuracy: float
    elapsed: float | None  # seconds since the run started on its worker; None for rows from before it was recorded


@dataclass(frozen=True)
class RunTiming:
    """One run's times (seconds) and its validation accuracy by epoch."""

    label: str  # the arm's label (modellab.arms.arm_label), worded from the facts
    pretrained: bool  # starts from pre-trained weights
    epochs_planned: int
    points: tuple[EpochPoint, ...]
    finished: bool = False
    startup: float | None = None  # before the engine began: loading it, preparing the dataset's files
    extraction: float = 0.0  # the frozen backbone's pass over every image; 0.0 on a cache hit and for scratch
    training: float | None = None  # the engine's run less extraction: epochs, evaluation, saving
    cache_hit: bool = False
    strategy: str = ""  # the engine's strategy; "" where unknown

    @property
    def extracts(self) -> bool:
        """Whether the run has a feature extraction phase (frozen features; unknown strategy: a pre-trained run)."""
        return self.strategy == "features" if self.strategy else self.pretrained

    @property
    def total(self) -> float | None:
        """Wall clock on the worker, when the run has finished."""
        if not self.finished or self.training is None:
            return None
        return (self.startup or 0.0) + self.extraction + self.training

    def time_to(self, target: float) -> float | None:
        """Seconds to the end of the first epoch at or above ``target``; None if no epoch got there (yet)."""
        for p in self.points:
            if p.val_accuracy >= target - 1e-9 and p.elapsed is not None:
                return p.elapsed
        return None


@dataclass(frozen=True)
class Headline:
    text: str
    target: float
    pretrained_s: float | None
    scratch_s: float | None
    ratio: float | None  # scratch_s / pretrained_s when both reached the target


def duration(seconds: float | None) -> str:
    """``12 ms`` (an epoch on cached features), ``4.2 s``, ``21 s``, ``9 min 10 s``; an em dash for None."""
    if seconds is None:
        return "—"
    if seconds < 0.9995:
        return f"{seconds * 1000:.0f} ms" if seconds >= 0.0005 else "under 1 ms"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def headline(pretrained: RunTiming, scratch: RunTiming) -> Headline | None:
    """The plain sentence a learner reads first, naming each run by its label; None until the first run
    (the pre-trained one, in a fair comparison) has an epoch with its time."""
    if not pretrained.points or pretrained.points[0].elapsed is None:
        return None
    target = pretrained.points[0].val_accuracy
    pre_s = pretrained.time_to(target)
    scratch_s = scratch.time_to(target)
    other = _lower_first(scratch.label)
    first = f"{pretrained.label} reached {target:.2f} in {duration(pre_s)}"
    if scratch_s is not None:
        ratio = scratch_s / pre_s if pre_s else None
        longer = f" ({ratio:.1f}x as long)" if ratio and ratio < 10 else (f" ({ratio:.0f}x as long)" if ratio else "")
        return Headline(f"{first}; {other} needed {duration(scratch_s)}{longer}.", target, pre_s, scratch_s, ratio)
    done = len(scratch.points)
    if scratch.finished:
        rest = f"{other} never did, in {done} epoch{'s' if done != 1 else ''}"
    else:
        rest = f"{other} has not yet ({done} of {scratch.epochs_planned} epochs done)"
    return Headline(f"{first}; {rest}.", target, pre_s, None, None)


def elapsed_chart(runs: list[RunTiming], *, chart_id: str) -> str:
    """Validation accuracy of each run against seconds since it started (one marker per epoch)."""
    series = [
        Series(
            r.label,
            tuple((round(p.elapsed, 1), round(p.val_accuracy, 4)) for p in r.points if p.elapsed is not None),
            dashed=r.strategy == "scratch" if r.strategy else not r.pretrained,
            point_name="epoch",
        )
        for r in runs
    ]
    series = [s for s in series if s.points]
    if not series:
        return ""
    return line_chart_svg(
        series,
        title="Validation accuracy against seconds since each run started",
        x_label="Seconds since the run started",
        y_label="Validation accuracy",
        y_max=1.0,
        chart_id=chart_id,
        x_min=0.0,
        x_ticks="linear",
        **COMPARISON_SIZE,
    )


def timings_from_content(runs: list[dict], *, pretrained: list[bool]) -> list[RunTiming]:
    """RunTimings of a measured reference's ``runs`` (lesson content: label, strategy, seconds, epochs);
    ``pretrained[i]``: whether run i starts from pre-trained weights."""
    return [
        RunTiming(
            label=r["label"],
            pretrained=pre,
            epochs_planned=len(r["epochs"]),
            strategy=r["strategy"],
            points=tuple(EpochPoint(e["epoch"], e["val_accuracy"], e["elapsed"]) for e in r["epochs"]),
            finished=True,
            startup=r["seconds"].get("startup", 0.0),
            extraction=r["seconds"]["extraction"],
            training=r["seconds"]["training"],
        )
        for r, pre in zip(runs, pretrained, strict=True)
    ]
