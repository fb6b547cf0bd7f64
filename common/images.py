"""Opening an image a user sent: Pillow may try only the formats the lab accepts, no other plugin.

Pillow's ``Image.open`` tries every registered plugin by default, EPS among them, whose
``load()`` runs Ghostscript on the file: a PostScript interpreter fed with untrusted input.
:func:`open_image` hands Pillow the accepted formats only, so any other file (EPS, PDF,
PSD, ...) is refused with ``UnidentifiedImageError`` before a plugin of its kind runs.
"""

from __future__ import annotations

import functools
from typing import IO

from PIL import Image

# The file name extensions of images an upload may hold (lower case, with the dot).
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff"})

# Pillow's names for the formats behind IMAGE_EXTENSIONS (tests check the two agree).
IMAGE_FORMATS = ("JPEG", "PNG", "GIF", "BMP", "WEBP", "TIFF")


@functools.cache
def _readable_formats() -> tuple[str, ...]:
    """IMAGE_FORMATS this Pillow build can read (a build without libwebp has no WEBP plugin)."""
    Image.init()  # registers every plugin, so that Image.OPEN tells which of ours are here
    return tuple(f for f in IMAGE_FORMATS if f in Image.OPEN)


def open_image(fp: str | bytes | IO[bytes]) -> Image.Image:
    """``Image.open(fp)`` that tries the accepted formats only (lazy: pixels are read by ``load()``).

    Raises ``PIL.UnidentifiedImageError`` (an OSError) when ``fp`` is none of them, and what
    ``Image.open`` raises otherwise (``DecompressionBombError`` for a huge declared size).
    """
    return Image.open(fp, formats=_readable_formats())
