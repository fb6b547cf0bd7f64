"""Turning predictions into the learner-facing report, and saving/reloading trained models.

A saved model is two files in the run's output directory:

* ``model.pt``  - ``torch.save`` of a state dict: the linear head only (strategy
  ``features``: the backbone is the registry's pretrained one) or the whole
  :class:`~modellab.engine.model.Classifier` (``finetune`` / ``scratch``);
* ``model.json`` - metadata: backbone, strategy, class names, preprocessing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

import torch
from PIL import Image

from .backbones import build_backbone
from .model import Classifier
from .data import eval_transform, load_rgb, to_rgb

MODEL_FORMAT = 1


def top_k_lists(probs: torch.Tensor, class_names: Sequence[str], k: int) -> list[list[list]]:
    """For each row of probabilities, [[class, prob], ...] best first."""
    values, indices = probs.topk(k, dim=1)
    return [
        [[class_names[int(i)], round(float(v), 6)] for v, i in zip(vrow, irow)]
        for vrow, irow in zip(values, indices)
    ]


def summarize(
    probs: torch.Tensor, labels: Sequence[int], paths: Sequence[str], class_names: Sequence[str]
) -> dict[str, Any]:
    """per_class_accuracy, confusion_matrix (rows = true), predictions and misclassified."""
    n = len(class_names)
    labels_t = torch.as_tensor(list(labels), dtype=torch.long)
    predicted = probs.argmax(dim=1) if len(labels_t) else labels_t
    confusion = torch.zeros(n, n, dtype=torch.long)
    confusion.index_put_((labels_t, predicted), torch.ones_like(labels_t), accumulate=True)
    per_class = {}
    for c, name in enumerate(class_names):
        total = int(confusion[c].sum())
        per_class[name] = float(confusion[c, c]) / total if total else 0.0
    k = min(3, n)
    tops = top_k_lists(probs, class_names, k) if len(labels_t) else []
    predictions = [
        {"path": path, "true": class_names[int(t)], "predicted": class_names[int(p)], "top_k": tk}
        for path, t, p, tk in zip(paths, labels_t, predicted, tops)
    ]
    return {
        "per_class_accuracy": per_class,
        "confusion_matrix": confusion.tolist(),
        "predictions": predictions,
        "misclassified": [p for p in predictions if p["true"] != p["predicted"]],
    }


def save_model(output_dir: str | os.PathLike, state_dict: dict, metadata: dict[str, Any]) -> Path:
    """Write model.pt and model.json (atomically each) and return model.pt's path."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    model_path = out / "model.pt"
    tmp = out / ".model.pt.tmp"
    torch.save({k: v.detach().cpu() for k, v in state_dict.items()}, tmp)
    os.replace(tmp, model_path)
    tmp_json = out / ".model.json.tmp"
    tmp_json.write_text(json.dumps({"format": MODEL_FORMAT, **metadata}, indent=2))
    os.replace(tmp_json, out / "model.json")
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


_loaded: dict[str, tuple[tuple[int, int], Classifier, dict]] = {}


def predict_image(model_path: str | os.PathLike, image: str | os.PathLike | Image.Image, top_k: int = 3) -> list[tuple[str, float]]:
    """Classify one image with a saved model: [(class, probability)] best first.

    Models are kept loaded per process (reloaded when model.pt changes on disk).
    """
    key = str(Path(model_path).resolve())
    st = os.stat(key)
    stamp = (st.st_size, st.st_mtime_ns)
    cached = _loaded.get(key)
    if cached is None or cached[0] != stamp:
        model, meta = load_model(key)
        _loaded[key] = (stamp, model, meta)
    else:
        _, model, meta = cached
    pil = to_rgb(image) if isinstance(image, Image.Image) else load_rgb(image)
    x = eval_transform(meta["image_size"], meta["mean"], meta["std"])(pil).unsqueeze(0)
    with torch.no_grad():
        probs = model(x).softmax(dim=1)[0]
    k = min(top_k, len(meta["class_names"]))
    values, indices = probs.topk(k)
    return [(meta["class_names"][int(i)], float(v)) for v, i in zip(values, indices)]
