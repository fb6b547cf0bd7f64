"""Server-rendered SVG line charts: the lesson's training trace and the lab's epoch traces.

The chart is real markup (axes, ticks, one polyline and marker per point) so it shows
without JavaScript, and a <title>/<desc> pair describes it to screen readers. Plain Python:
the result is an `SvgMarkup` string that Django templates (and Jinja, markupsafe) insert as
it is, through the `__html__` protocol, because every text inside it is already escaped.
"""

from dataclasses import dataclass
from html import escape
from math import ceil, floor, log10

# Shapes that tell the series apart without relying on colour alone.
_MARKERS = ("circle", "square", "triangle", "diamond")
_LEGEND_WIDTH = 120  # px per legend entry at least; longer labels get more
_CLUSTER_PX = 8  # points of a series closer than this along x draw as one spot and are counted
# Colours are inline so the chart draws the same wherever it is embedded.
_COLOURS = ("#1f5fbf", "#c0561b", "#1d7a3a", "#7a3db8")


class SvgMarkup(str):
    """Markup that is safe to insert as it is: `__html__` tells template engines so."""

    __slots__ = ()

    def __html__(self) -> str:
        return self


@dataclass(frozen=True)
class Series:
    label: str
    points: tuple[tuple[float, float], ...]  # (x, y) in data units
    dashed: bool = False
    point_name: str = ""  # what one point is ("epoch"): names points drawn on one spot ("5 epochs")


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / max(ticks, 1)
    magnitude = 10 ** floor(log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _fmt(value: float) -> str:
    return f"{value:g}" if abs(value) >= 0.01 or value == 0 else f"{value:.2g}"


def _marker(kind: str, x: float, y: float, tooltip: str, colour: str) -> str:
    title = f"<title>{escape(tooltip)}</title>"
    return _shape(kind, x, y, title).replace(" ", f' fill="{colour}" ', 1)


def _shape(kind: str, x: float, y: float, title: str) -> str:
    if kind == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8">{title}</rect>'
    if kind == "triangle":
        return f'<polygon points="{x:.1f},{y - 5:.1f} {x - 5:.1f},{y + 4:.1f} {x + 5:.1f},{y + 4:.1f}">{title}</polygon>'
    if kind == "diamond":
        return (
            f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}">{title}</polygon>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4">{title}</circle>'


def _clusters(xs: list[float], within: float = _CLUSTER_PX) -> list[tuple[int, int]]:
    """(first, last) indices of each run of two or more consecutive screen x's spanning under ``within`` px."""
    runs, start = [], 0
    for i in range(1, len(xs) + 1):
        if i == len(xs) or abs(xs[i] - xs[start]) >= within:
            if i - start > 1:
                runs.append((start, i - 1))
            start = i
    return runs


def line_chart_svg(
    series: list[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    y_min: float | None = 0.0,
    y_max: float | None = None,
    x_min: float | None = None,
    x_ticks: str = "points",
    width: int = 640,
    height: int = 280,
    chart_id: str = "chart",
) -> SvgMarkup:
    """Return an accessible SVG line chart of one or more series sharing the axes.

    ``x_ticks``: ``"points"`` labels every x that has a point (epochs); ``"linear"`` labels evenly
    spaced round values (seconds), which stay readable however close the points are.
    ``x_min`` extends the x axis down to it (0 for seconds). ``width`` x ``height`` is the size it
    is drawn at (a page may shrink it to fit). Consecutive points of a series closer than a marker
    (five fast epochs on a scale of minutes) get a label that counts them, e.g. "5 epochs".
    """
    points = [p for s in series for p in s.points]
    left, right, bottom = 56, 16, 44
    # A legend row above the plot for every few series, so labels never cover the lines.
    entry_width = max(_LEGEND_WIDTH, 30 + 7 * max((len(s.label) for s in series), default=0))
    per_row = max(1, (width - left - right) // entry_width)
    legend_rows = 0 if len(series) < 2 else -(-len(series) // per_row)
    top = 16 + legend_rows * 20
    height += legend_rows * 20
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = [p[0] for p in points] or [1.0]
    ys = [p[1] for p in points] or [0.0]
    x_lo, x_hi = min(xs), max(xs)
    if x_min is not None:
        x_lo = min(x_lo, x_min)
    if x_hi == x_lo:
        x_hi = x_lo + 1
    if x_ticks == "linear":
        x_step = _nice_step(x_hi - x_lo)
        x_lo, x_hi = floor(x_lo / x_step) * x_step, ceil(x_hi / x_step) * x_step
        x_labels = [x_lo + i * x_step for i in range(round((x_hi - x_lo) / x_step) + 1)]
    else:
        x_labels = sorted(set(xs))
    lo = min(ys) if y_min is None else min(y_min, min(ys))
    hi = max(ys) if y_max is None else max(y_max, max(ys))
    if hi == lo:
        hi = lo + 1
    step = _nice_step(hi - lo)
    lo, hi = floor(lo / step) * step, ceil(hi / step) * step

    def sx(x: float) -> float:
        return left + (x - x_lo) / (x_hi - x_lo) * plot_w

    def sy(y: float) -> float:
        return top + (1 - (y - lo) / (hi - lo)) * plot_h

    desc_parts = []
    for s in series:
        values = ", ".join(f"{_fmt(x)}: {_fmt(y)}" for x, y in s.points)
        desc_parts.append(f"{s.label}: {values}")
    out = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape("; ".join(desc_parts))}</desc>',
        '<g class="chart-grid" stroke="#e6e9ef" font-size="12" fill="#5b6475">',
    ]
    tick = lo
    while tick <= hi + step / 2:
        y = sy(tick)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(
            f'<text class="chart-tick" stroke="none" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(round(tick, 6))}</text>'
        )
        tick += step
    for x in x_labels:
        out.append(
            f'<text class="chart-tick" stroke="none" x="{sx(x):.1f}" y="{height - bottom + 16}" text-anchor="middle">{_fmt(round(x, 6))}</text>'
        )
    out.append("</g>")
    out.append(
        f'<g stroke="#7b8496" font-size="12" fill="#5b6475">'
        f'<line class="chart-axis" x1="{left}" x2="{left}" y1="{top}" y2="{height - bottom}"/>'
        f'<line class="chart-axis" x1="{left}" x2="{width - right}" y1="{height - bottom}" y2="{height - bottom}"/>'
        f'<text class="chart-label" x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" stroke="none">{escape(x_label)}</text>'
        f'<text class="chart-label" transform="translate(14 {top + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle" stroke="none">{escape(y_label)}</text></g>'
    )
    for index, s in enumerate(series):
        marker = _MARKERS[index % len(_MARKERS)]
        colour = _COLOURS[index % len(_COLOURS)]
        coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in s.points)
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        out.append(f'<g class="chart-series chart-series-{index}" data-label="{escape(s.label)}">')
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2.5" points="{coords}"{dash}/>')
        for x, y in s.points:
            out.append(_marker(marker, sx(x), sy(y), f"{s.label}, {x_label} {_fmt(x)}: {_fmt(y)}", colour))
        for first, last in _clusters([sx(x) for x, _ in s.points]):
            (x0, _), (x1, y1) = s.points[first], s.points[last]
            what = f"{last - first + 1} {s.point_name or 'point'}s"
            tooltip = f"{s.label}: {what}, {x_label} {_fmt(x0)} to {_fmt(x1)}"
            near_right = sx(x1) > width - right - 80  # the label reads leftwards there, inside the plot
            tx, anchor = (sx(x0) - 8, "end") if near_right else (sx(x1) + 8, "start")
            out.append(
                f'<text class="chart-cluster" x="{tx:.1f}" y="{sy(y1) - 8:.1f}" text-anchor="{anchor}" font-size="12" fill="{colour}">'
                f"<title>{escape(tooltip)}</title>{escape(what)}</text>"
            )
        out.append("</g>")
    if len(series) > 1:
        for index, s in enumerate(series):
            row, column = divmod(index, per_row)
            lx, ly = left + 6 + column * entry_width, 4 + row * 20
            out.append(
                f'<g class="chart-legend chart-series-{index}">{_marker(_MARKERS[index % len(_MARKERS)], lx, ly + 4, s.label, _COLOURS[index % len(_COLOURS)])}'
                f'<text x="{lx + 10}" y="{ly + 8}" font-size="12" fill="#1d2330">{escape(s.label)}</text></g>'
            )
    out.append("</svg>")
    return SvgMarkup("".join(out))  # every text above is escaped
