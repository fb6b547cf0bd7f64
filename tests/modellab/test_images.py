"""Gallery thumbnails: any readable image becomes a small RGB PNG; anything else is refused."""

import io

import pytest
from PIL import Image

from modellab.images import thumbnail_png


def encoded(mode, size, fmt):
    out = io.BytesIO()
    Image.new(mode, size, 128 if mode == "L" else (200, 10, 10, 128)[: len(mode)]).save(out, format=fmt)
    out.seek(0)
    return out


@pytest.mark.parametrize("mode, size, fmt, expected", [("RGBA", (400, 200), "PNG", (160, 80)), ("L", (64, 48), "JPEG", (64, 48))])
def test_an_image_becomes_an_rgb_png_within_160_pixels(mode, size, fmt, expected):
    png = Image.open(io.BytesIO(thumbnail_png(encoded(mode, size, fmt))))
    assert (png.format, png.mode, png.size) == ("PNG", "RGB", expected)


def test_html_posing_as_an_image_is_refused():
    with pytest.raises(OSError):
        thumbnail_png(io.BytesIO(b"<script>alert(1)</script>"))
