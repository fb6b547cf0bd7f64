"""common.charts: an SVG chart with its texts escaped, inserted by Django templates as it is."""

import subprocess
import sys
from pathlib import Path

from django.template import Context, Template

from common.charts import Series, line_chart_svg

ROOT = Path(__file__).resolve().parents[2]


def _chart(label="Loss"):
    return line_chart_svg(
        [Series(label, ((1, 1.2), (2, 0.8))), Series("Accuracy", ((1, 0.5), (2, 0.7)), dashed=True)],
        title="Loss & accuracy",
        x_label="Epoch",
        y_label="Value",
        chart_id="t",
    )


def test_every_text_in_the_chart_is_escaped():
    """A label with markup in it shows as text: it never becomes an element of the page."""
    svg = _chart(label='<script>alert("x")</script>')
    assert "<script>" not in svg
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in svg
    assert '<title id="t-title">Loss &amp; accuracy</title>' in svg


def test_a_template_inserts_the_chart_as_markup():
    """With autoescape on, `{{ chart }}` puts the SVG on the page, not its escaped source."""
    page = Template("<figure>{{ chart }}</figure>").render(Context({"chart": _chart()}))
    assert page.startswith('<figure><svg class="chart" role="img"')
    assert page.count("<polyline") == 2
    # a plain string of the same text would be escaped: the marker is what lets it through
    escaped = Template("{{ chart }}").render(Context({"chart": str(_chart())}))
    assert escaped.startswith("&lt;svg")


def test_common_imports_no_django():
    """common/ is plain Python, shared with the lab's engine: importing it loads no Django."""
    modules = sorted(p.stem for p in (ROOT / "common").glob("*.py") if p.stem != "__init__")
    code = (
        "import sys\n"
        + "".join(f"import common.{name}\n" for name in modules)
        + "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] == 'django'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "charts" in modules and "files" in modules
    assert out.stdout.strip() == "[]"


def test_points_drawn_on_one_spot_are_counted():
    """Five fast epochs 0.2 s apart on a scale of minutes look like one dot: a label counts them, and the
    tooltip says where they lie; a series whose points stand apart gets no such label."""
    fast = Series("Pre-trained", ((20.1, 0.9), (20.1, 0.95), (20.2, 0.97), (20.2, 0.98), (20.3, 0.98)), point_name="epoch")
    slow = Series("From scratch", ((60, 0.4), (120, 0.6), (180, 0.8), (240, 0.9), (300, 0.95)), dashed=True, point_name="epoch")
    svg = line_chart_svg(
        [fast, slow],
        title="t",
        x_label="Seconds since the run started",
        y_label="Accuracy",
        x_min=0.0,
        x_ticks="linear",
        chart_id="c",
    )
    assert svg.count('class="chart-cluster"') == 1
    assert "<title>Pre-trained: 5 epochs, Seconds since the run started 20.1 to 20.3</title>5 epochs</text>" in svg


def test_a_chart_is_drawn_at_the_size_asked():
    """The page shows it at its width and height (CSS only shrinks it to fit): a wide chart stays wide."""
    svg = line_chart_svg([Series("a", ((1, 0.5), (2, 0.7)))], title="t", x_label="x", y_label="y", width=880, height=320)
    assert 'viewBox="0 0 880 320" width="880" height="320"' in svg
