"""common.images: Pillow opens the accepted formats and nothing else; EPS never reaches Ghostscript."""

import io
from pathlib import Path

import pytest
from PIL import Image, UnidentifiedImageError

from common.images import IMAGE_EXTENSIONS, IMAGE_FORMATS, open_image
from tests.modellab.hostile import EPS, record_ghostscript

ROOT = Path(__file__).resolve().parents[2]


def test_the_formats_are_those_of_the_extensions():
    """One rule in two spellings: the extensions an upload may have and the formats Pillow may try."""
    Image.init()
    assert {Image.registered_extensions()[ext] for ext in IMAGE_EXTENSIONS} == set(IMAGE_FORMATS)


@pytest.mark.parametrize("fmt", IMAGE_FORMATS)
def test_each_accepted_format_opens(fmt):
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(out, format=fmt)
    with open_image(io.BytesIO(out.getvalue())) as im:
        im.load()
        assert im.format == fmt and im.size == (8, 8)


def test_eps_is_not_an_image_and_ghostscript_never_runs(monkeypatch):
    """Pillow alone opens these bytes as EPS (so the test's EPS is real); open_image refuses them."""
    ghostscript_calls = record_ghostscript(monkeypatch)
    with Image.open(io.BytesIO(EPS)) as im:
        assert im.format == "EPS"
    with pytest.raises(UnidentifiedImageError):
        open_image(io.BytesIO(EPS))
    assert ghostscript_calls == []


# common/images.py is the one gate; onnx_contract.py holds the snippet a learner runs on their own machine (text, not our code).
ALLOWED_IMAGE_OPEN = {ROOT / "common" / "images.py", ROOT / "common" / "onnx_contract.py"}


def test_the_lab_opens_images_through_open_image_only():
    """A new Image.open in the lab's code would let every Pillow plugin read untrusted bytes again."""
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("modellab", "common", "courses", "quizzes", "config")
        for path in (ROOT / folder).rglob("*.py")
        if "Image.open(" in path.read_text() and path not in ALLOWED_IMAGE_OPEN
    ]
    assert offenders == []
