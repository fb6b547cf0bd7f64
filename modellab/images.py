"""Validation images re-encoded for the browser: a PNG thumbnail, never the uploaded bytes."""

from __future__ import annotations

import io

THUMBNAIL_SIDE = 160  # pixels; the gallery shows them at 96 (sharp on a 1.5x screen)


def thumbnail_png(fileobj, *, side: int = THUMBNAIL_SIDE) -> bytes:
    """Decode the image in ``fileobj`` and return it as an RGB PNG that fits ``side`` x ``side``.

    Raises ValueError or OSError (Pillow's UnidentifiedImageError is one) when it is not an
    image of an accepted format (``common.images``); nothing of the input's own encoding
    survives into the output.
    """
    from common.images import open_image

    with open_image(fileobj) as im:
        im.thumbnail((side, side))
        out = io.BytesIO()
        im.convert("RGB").save(out, format="PNG")
    return out.getvalue()
