"""A data-size sweep read as the lesson's claim: validation accuracy against training images per class,
the other arm beside from scratch. Plain Python over plain points, for the sweep page and the lesson page."""

from __future__ import annotations

from dataclasses import dataclass

from common.charts import Series, line_chart_svg

SCRATCH_LABEL = "From scratch"


@dataclass(frozen=True)
class SweepPoint:
    per_class: int  # training images per class the run really had
    pretrained: bool  # the arm that is not from scratch (whether its weights are pre-trained: its label says)
    val_accuracy: float


@dataclass(frozen=True)
class SweepRow:
    per_class: int
    pretrained: float | None  # validation accuracy; None while that arm has not finished
    scratch: float | None

    @property
    def gap(self) -> float | None:
        """How far the pre-trained arm is ahead (negative: behind)."""
        if self.pretrained is None or self.scratch is None:
            return None
        return self.pretrained - self.scratch


def sweep_rows(points: list[SweepPoint]) -> list[SweepRow]:
    """One row per size, smallest first."""
    sizes = sorted({p.per_class for p in points})
    by = {(p.per_class, p.pretrained): p.val_accuracy for p in points}
    return [SweepRow(n, by.get((n, True)), by.get((n, False))) for n in sizes]


def sweep_chart(points: list[SweepPoint], *, chart_id: str, label: str) -> str:
    """Validation accuracy (y) against training images per class (x), one line per arm, the other arm named
    ``label`` (modellab.arms.arm_label); "" without points."""
    series = []
    for pretrained, name in ((True, label), (False, SCRATCH_LABEL)):
        arm = sorted((p.per_class, round(p.val_accuracy, 4)) for p in points if p.pretrained == pretrained)
        if arm:
            series.append(Series(name, tuple(arm), dashed=not pretrained))
    if not series:
        return ""
    return line_chart_svg(
        series,
        title="Validation accuracy against training images per class",
        x_label="Training images per class",
        y_label="Validation accuracy",
        y_max=1.0,
        chart_id=chart_id,
    )
