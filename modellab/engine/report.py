"""The learner-facing report of a run: top-k predictions, per-class accuracy, confusion matrix, mistakes."""

from __future__ import annotations

from typing import Any, Sequence

import torch


def top_k_lists(probs: torch.Tensor, class_names: Sequence[str], k: int) -> list[list[list]]:
    """For each row of probabilities, [[class, prob], ...] best first."""
    values, indices = probs.topk(k, dim=1)
    return [
        [[class_names[int(i)], round(float(v), 6)] for v, i in zip(vrow, irow, strict=True)]
        for vrow, irow in zip(values, indices, strict=True)
    ]


def summarize(probs: torch.Tensor, labels: Sequence[int], paths: Sequence[str], class_names: Sequence[str]) -> dict[str, Any]:
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
        for path, t, p, tk in zip(paths, labels_t, predicted, tops, strict=True)
    ]
    return {
        "per_class_accuracy": per_class,
        "confusion_matrix": confusion.tolist(),
        "predictions": predictions,
        "misclassified": [p for p in predictions if p["true"] != p["predicted"]],
    }
