"""Grad-CAM: where a trained Classifier looks, from its last convolutional block, drawn as heatmap images with words.

Grad-CAM (Selvaraju et al., 2017) for class ``c``: the backbone's feature maps ``A`` (its last
convolutional block, ``N x K x h x w``), the gradient of the class score ``y_c`` (the head's
logit) with respect to them, averaged over the ``h x w`` positions into one weight per map
``alpha_k``; the map is ``ReLU(sum_k alpha_k A_k)``, divided by its maximum (an all-zero map
stays zero). With our head (global average pooling, then a linear layer) ``alpha_k`` is the
head's weight ``W[c, k] / (h w)``, which is Class Activation Mapping.

A heatmap image is the model's own input pixels (:func:`.data.decode_pixels`) under the map,
upscaled for the page; colour is not the only carrier: the region where the map is at least
:data:`HOT_SHARE` of its peak is outlined in white and black, and :func:`hottest_region` names
where the peak is in words ("upper left") for the image's text alternative.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from PIL import Image

from common.files import StatMemo, atomic_write, stat_signature

from .checkpoint import load_model
from .data import decode_pixels
from .model import pool
from .pixels import normalise

DISPLAY = 128  # side in pixels of a heatmap image
HOT_SHARE = 0.8  # the outlined region: where the map is at least this share of its peak
BATCH = 16
ROWS = ("upper", "centre", "lower")
COLS = ("left", "centre", "right")


def grad_cam(model, x: torch.Tensor, classes: Sequence[int]) -> torch.Tensor:
    """``N x h x w`` Grad-CAM maps in [0, 1] of the normalised images ``x`` for ``classes`` (one per image).

    ``model`` has ``backbone`` (images to feature maps) and ``head`` (pooled features to logits),
    as :class:`.model.Classifier`; no gradient reaches the backbone's weights."""
    with torch.no_grad():
        feats = model.backbone(x).float()
    return cam_of_features(model.head, feats, classes)


def cam_of_features(head, feats: torch.Tensor, classes: Sequence[int]) -> torch.Tensor:
    """:func:`grad_cam` from the backbone's feature maps ``feats`` (``N x K x h x w``) and the ``head``."""
    feats = feats.detach().requires_grad_(True)
    with torch.enable_grad():
        logits = head(pool(feats))
        score = logits.gather(1, torch.as_tensor(list(classes), dtype=torch.long).view(-1, 1)).sum()
        (grads,) = torch.autograd.grad(score, feats)
    alpha = grads.mean(dim=(2, 3), keepdim=True)
    cam = torch.relu((alpha * feats.detach()).sum(dim=1))
    return cam / cam.flatten(1).amax(dim=1).clamp_min(1e-12).view(-1, 1, 1)  # an all-zero map stays zero


def upscale(cam: torch.Tensor, size: int) -> np.ndarray:
    """One ``h x w`` map resized to ``size x size`` (bilinear), as float32 in [0, 1]."""
    up = torch.nn.functional.interpolate(cam[None, None], size=(size, size), mode="bilinear", align_corners=False)
    return up[0, 0].clamp(0, 1).numpy().astype(np.float32)


def hottest_region(heat: np.ndarray) -> str:
    """Where the map is hottest, in words: the third ("upper left", ..., "centre", ..., "lower right") holding
    the centre of the region :func:`hot_mask` outlines (weighted by the map); "" for an all-zero map."""
    mask = hot_mask(heat)
    if not mask.any():
        return ""
    h, w = heat.shape
    ys, xs = np.nonzero(mask)
    weights = heat[ys, xs]
    r, c = float(np.average(ys, weights=weights)) + 0.5, float(np.average(xs, weights=weights)) + 0.5
    row, col = ROWS[min(int(3 * r / h), 2)], COLS[min(int(3 * c / w), 2)]
    return "centre" if row == col == "centre" else f"{row} {col}"


def hot_mask(heat: np.ndarray) -> np.ndarray:
    """Pixels where the map is at least HOT_SHARE of its peak (none for an all-zero map)."""
    peak = float(heat.max())
    return heat >= HOT_SHARE * peak if peak > 0 else np.zeros(heat.shape, dtype=bool)


def _outline(mask: np.ndarray) -> np.ndarray:
    """The boundary pixels of ``mask`` (inside it, next to a pixel outside it or to the image's edge)."""
    padded = np.pad(mask, 1, constant_values=False)
    interior = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    return mask & ~interior


def _colours(heat: np.ndarray) -> np.ndarray:
    """``h x w x 3`` uint8: blue (0) through green and yellow to red (1)."""
    stops = np.array([[40, 60, 220], [40, 200, 90], [250, 220, 40], [230, 30, 30]], dtype=np.float32)
    pos = heat * (len(stops) - 1)
    lo = np.clip(np.floor(pos).astype(int), 0, len(stops) - 2)
    t = (pos - lo)[..., None]
    return (stops[lo] * (1 - t) + stops[lo + 1] * t).astype(np.uint8)


def heatmap_png(pixels: np.ndarray, heat: np.ndarray) -> bytes:
    """PNG of ``pixels`` (``S x S x 3`` uint8) at DISPLAY, half under the colours of ``heat`` (DISPLAY x DISPLAY),
    with the hot region outlined: white inside a black line, so it shows on any colour."""
    base = np.asarray(Image.fromarray(pixels).resize((DISPLAY, DISPLAY), Image.BILINEAR), dtype=np.float32)
    out = (0.5 * base + 0.5 * _colours(heat)).astype(np.uint8)
    edge = _outline(hot_mask(heat))
    grown = edge | np.roll(edge, 1, 0) | np.roll(edge, -1, 0) | np.roll(edge, 1, 1) | np.roll(edge, -1, 1)
    out[grown] = (0, 0, 0)
    out[edge] = (255, 255, 255)
    buf = io.BytesIO()
    Image.fromarray(out).save(buf, "PNG")
    return buf.getvalue()


def describe(class_name: str, heat: np.ndarray) -> dict:
    """{"class", "hottest" (words), "hot_percent" (share of the image outlined)}: what the text alternative says."""
    return {"class": class_name, "hottest": hottest_region(heat), "hot_percent": round(100 * float(hot_mask(heat).mean()))}


_loaded = StatMemo()


def _model(model_path: str | os.PathLike):
    key = str(Path(model_path).resolve())
    return _loaded.get(key, stat_signature(key), lambda: load_model(key))


def explain_image(model_path: str | os.PathLike, image, class_name: str) -> tuple[bytes, dict]:
    """(heatmap PNG, :func:`describe`) of one image (a file or a Pillow image) for ``class_name``, by a saved model."""
    model, meta = _model(model_path)
    pixels = decode_pixels(image, meta["image_size"])
    x = normalise(torch.from_numpy(pixels).permute(2, 0, 1)[None], meta["mean"], meta["std"])
    cam = grad_cam(model, x, [meta["class_names"].index(class_name)])[0]
    heat = upscale(cam, DISPLAY)
    return heatmap_png(pixels, heat), describe(class_name, heat)


def explain_predictions(
    model_path: str | os.PathLike,
    root: str | os.PathLike,
    items: Sequence[tuple[int, str, str, str]],
    out_dir: str | os.PathLike,
    on_batch: Callable[[], None] | None = None,
) -> dict:
    """Heatmaps of validation images with a saved model, written into ``out_dir`` as ``<index>-predicted.png``
    and, where the true class differs, ``<index>-true.png``.

    ``items``: (index, image path relative to the dataset directory ``root``, true class, predicted class).
    Returns {str(index): {"predicted": describe(...), "true": describe(...) or absent}}. ``on_batch`` is
    called after each batch of BATCH images (a worker's heartbeat)."""
    model, meta = _model(model_path)
    names = list(meta["class_names"])
    out, found = Path(out_dir), {}
    for start in range(0, len(items), BATCH):
        chunk = items[start : start + BATCH]
        pixels = [decode_pixels(Path(root) / path, meta["image_size"]) for _, path, _, _ in chunk]
        x = normalise(torch.from_numpy(np.stack(pixels)).permute(0, 3, 1, 2), meta["mean"], meta["std"])
        with torch.no_grad():
            feats = model.backbone(x).float()
        for kind, pick in (("predicted", 3), ("true", 2)):
            cams = cam_of_features(model.head, feats, [names.index(item[pick]) for item in chunk])
            for item, px, cam in zip(chunk, pixels, cams, strict=True):
                if kind == "true" and item[2] == item[3]:
                    continue
                heat = upscale(cam, DISPLAY)
                with atomic_write(out / f"{item[0]}-{kind}.png") as fh:
                    fh.write(heatmap_png(px, heat))
                found.setdefault(str(item[0]), {})[kind] = describe(item[pick], heat)
        if on_batch:
            on_batch()
    return found
