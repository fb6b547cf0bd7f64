"""The epoch trace as the lesson shows it: rows with an observation, SVG charts, and the running phase's progress."""

from __future__ import annotations

from dataclasses import dataclass

from common.charts import Series, line_chart_svg
from modellab.timing import COMPARISON_SIZE, duration


@dataclass(frozen=True)
class TraceRow:
    epoch: int
    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    seconds: float
    observation: str


def observe(prev, cur) -> str:
    """A short reading of one epoch against the one before (the seed's "Observation" column)."""
    if prev is None:
        return "First pass: the head starts to fit." if cur.val_accuracy < 0.9 else "Strong from the first epoch."
    d_acc = cur.val_accuracy - prev.val_accuracy
    if cur.train_loss < prev.train_loss and cur.val_loss > prev.val_loss + 0.02:
        return "Training loss falls but validation loss rises: the model starts to overfit."
    if d_acc >= 0.05:
        return "Validation accuracy climbs quickly."
    if d_acc > 0.005:
        return "Still improving, more slowly."
    if d_acc < -0.02:
        return "Validation accuracy dropped: a noisy step or a learning rate too high."
    return "Plateau: more epochs add little."


def trace_rows(records) -> list[TraceRow]:
    rows, prev = [], None
    for r in records:
        rows.append(TraceRow(r.epoch, r.train_loss, r.train_accuracy, r.val_loss, r.val_accuracy, r.seconds, observe(prev, r)))
        prev = r
    return rows


def experiment_chart(records, *, chart_id: str = "lab-trace-chart", title: str = "Loss and accuracy by epoch"):
    records = list(records)
    if not records:
        return ""
    return line_chart_svg(
        [
            Series("Validation loss", tuple((r.epoch, round(r.val_loss, 4)) for r in records)),
            Series("Validation accuracy", tuple((r.epoch, round(r.val_accuracy, 4)) for r in records), dashed=True),
            Series("Training loss", tuple((r.epoch, round(r.train_loss, 4)) for r in records)),
            Series("Training accuracy", tuple((r.epoch, round(r.train_accuracy, 4)) for r in records), dashed=True),
        ],
        title=title,
        x_label="Epoch",
        y_label="Loss / accuracy",
        chart_id=chart_id,
    )


def overlay_chart(traces, *, metric: str, chart_id: str):
    """One series per experiment: ``traces`` is [(label, records)], ``metric`` 'val_accuracy' or 'val_loss'."""
    series = [
        Series(label, tuple((r.epoch, round(getattr(r, metric), 4)) for r in records), dashed=index % 2 == 1)
        for index, (label, records) in enumerate(traces)
        if records
    ]
    if not series:
        return ""
    what = "Validation accuracy" if metric == "val_accuracy" else "Validation loss"
    return line_chart_svg(
        series,
        title=f"{what} by epoch, overlaid",
        x_label="Epoch",
        y_label=what,
        chart_id=chart_id,
        y_max=1.0 if metric == "val_accuracy" else None,
        **COMPARISON_SIZE,
    )


@dataclass(frozen=True)
class ProgressView:
    """What a progress bar shows: ``done`` of ``total`` and the line of text beside it."""

    phase: str  # "extract" or "train" (engine.progress)
    label: str  # names the bar: "Extracting features", "Epoch 2 of 5"
    done: int
    total: int
    text: str  # "320 of 537 images · 41 images/s · about 5 s left", "7 of 10 batches"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0


def progress_view(progress: dict | None) -> ProgressView | None:
    """The bar for a run's stored progress (``engine.Progress.to_dict()``); None when there is nothing to show."""
    if not progress or not progress.get("total"):
        return None
    done, total = int(progress.get("done") or 0), int(progress["total"])
    if progress.get("phase") == "extract":
        parts = [f"{done} of {total} images"]
        if progress.get("rate"):
            parts.append(f"{progress['rate']:.1f} images/s")
        if progress.get("seconds_left") is not None:
            parts.append(f"about {duration(progress['seconds_left'])} left")
        return ProgressView("extract", "Extracting features", done, total, " · ".join(parts))
    label = f"Epoch {progress.get('epoch') or '?'} of {progress.get('epochs') or '?'}"
    return ProgressView("train", label, done, total, f"{done} of {total} batches")
