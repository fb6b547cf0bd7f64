"""Saved models: writing a run's model, reloading it, and classifying one image with it.

A saved model is two files in the run's output directory, each written atomically:

* ``model.pt``  - ``torch.save`` of a state dict: the linear head only (strategy
  ``features``: the backbone is the registry's pretrained one) or the whole
  :class:`~modellab.engine.model.Classifier` (``finetune`` / ``finetune_all`` / ``scratch``);
* ``model.json`` - metadata: backbone, strategy, class names, preprocessing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from common.files import StatMemo, atomic_write, stat_signature

from .backbones import build_backbone
from .data import eval_transform
from .model import Classifier

MODEL_FORMAT = 1


def save_model(output_dir: str | os.PathLike, state_dict: dict, metadata: dict[str, Any]) -> Path:
    """Write model.pt and model.json (atomically each) and return model.pt's path."""
    out = Path(output_dir)
    model_path = out / "model.pt"
    with atomic_write(model_path) as fh:
        torch.save({k: v.detach().cpu() for k, v in state_dict.items()}, fh)
    with atomic_write(out / "model.json", "w") as fh:
        fh.write(json.dumps({"format": MODEL_FORMAT, **metadata}, indent=2))
    return model_path


def load_model(model_path: str | os.PathLike) -> tuple[Classifier, dict[str, Any]]:
    """Rebuild a saved model (eval mode, CPU) and its metadata."""
    model_path = Path(model_path)
    meta = json.loads(model_path.with_suffix(".json").read_text())
    state = torch.load(model_path, map_location="cpu", weights_only=True)
    if meta["head_only"]:
        model = Classifier(build_backbone(meta["backbone"], pretrained=True), len(meta["class_names"]))
        model.head.load_state_dict(state)
    else:
        model = Classifier(build_backbone(meta["backbone"], pretrained=False), len(meta["class_names"]))
        model.load_state_dict(state)
    return model.eval(), meta


_loaded = StatMemo()


def predict_image(
    model_path: str | os.PathLike, image: str | os.PathLike | Image.Image, top_k: int = 3
) -> list[tuple[str, float]]:
    """Classify one image with a saved model: [(class, probability)] best first.

    Models are kept loaded per process (reloaded when model.pt changes on disk).
    """
    key = str(Path(model_path).resolve())
    model, meta = _loaded.get(key, stat_signature(key), lambda: load_model(key))
    x = eval_transform(meta["image_size"], meta["mean"], meta["std"])(image).unsqueeze(0)
    with torch.inference_mode():
        probs = model(x).softmax(dim=1)[0]
    k = min(top_k, len(meta["class_names"]))
    values, indices = probs.topk(k)
    return [(meta["class_names"][int(i)], float(v)) for v, i in zip(values, indices, strict=True)]
