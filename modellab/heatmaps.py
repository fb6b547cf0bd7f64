"""Which validation images get Grad-CAM heatmaps, and the heatmaps pages show: URLs, text alternatives, comparison rows."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

GALLERY_LIMIT = 48  # images the run page's gallery shows
COMPARE_IMAGES = 8  # validation images shown for every arm of a comparison, from each class in turn
HEATMAP_DIR = "gradcam"  # folder of a run's outputs that holds the heatmap images
UPLOADS_DIR = "uploads"  # folder beside them that holds the heatmaps of images learners uploaded to classify
KINDS = ("predicted", "true")


def gallery_order(predictions: list[dict]) -> list[int]:
    """Indices of the validation predictions the run page shows: misclassified first, then by the
    confidence of the prediction (lowest first), at most GALLERY_LIMIT."""

    def key(i: int):
        p = predictions[i]
        top = p.get("top_k") or []
        return (p["true"] == p["predicted"], top[0][1] if top else 0.0)

    return sorted(range(len(predictions)), key=key)[:GALLERY_LIMIT]


def compare_indices(predictions: list[dict]) -> list[int]:
    """COMPARE_IMAGES validation images taken from each true class in turn (the first of every class, then the
    second, ...): the same in every arm of a comparison (same dataset and seed: the same validation split)."""
    by_class: dict[str, list[int]] = {}
    for i, p in enumerate(predictions):
        by_class.setdefault(p["true"], []).append(i)
    columns = list(by_class.values())
    picked = [col[k] for k in range(max(map(len, columns), default=0)) for col in columns if k < len(col)]
    return picked[:COMPARE_IMAGES]


def heatmap_indices(predictions: list[dict]) -> list[int]:
    """The validation images a run draws heatmaps for: its gallery's and the comparison's (:func:`compare_indices`)."""
    return sorted(set(gallery_order(predictions)) | set(compare_indices(predictions)))


@dataclass(frozen=True)
class Heatmap:
    kind: str  # "predicted" or "true"
    class_name: str
    url: str
    alt: str


def alt_text(entry: dict, kind: str) -> str:
    """The text alternative of one heatmap: which class, where it is hottest, how much of the image is outlined."""
    which = "the predicted class" if kind == "predicted" else "the true class"
    if not entry.get("hottest"):
        return f"Grad-CAM heatmap for {which}, {entry['class']}: no region of the image speaks for it."
    return (
        f"Grad-CAM heatmap for {which}, {entry['class']}: hottest in the {entry['hottest']}; "
        f"the outlined region, {entry['hot_percent']}% of the image, is where it is at least 80% of its peak."
    )


def heatmaps_of(experiment, index: int) -> list[Heatmap]:
    """The heatmaps the run ``experiment`` has of validation image ``index`` (predicted class first)."""
    entry = ((experiment.results or {}).get("heatmaps") or {}).get(str(index)) or {}
    return [
        Heatmap(
            kind,
            entry[kind]["class"],
            reverse("modellab:experiment_heatmap", args=[experiment.pk, index, kind]),
            alt_text(entry[kind], kind),
        )
        for kind in KINDS
        if kind in entry
    ]


@dataclass(frozen=True)
class CompareRow:
    index: int
    true: str
    arms: list  # [(experiment, predicted class, [Heatmap])] in the comparison's order


def compare_rows(experiments: list) -> list[CompareRow]:
    """The :func:`compare_indices` images that every arm has heatmaps of and that are the same image in every arm
    (same path): the arms side by side; empty until every arm has them."""
    preds = [(e.results or {}).get("predictions") or [] for e in experiments]
    rows = []
    for i in compare_indices(preds[0]):
        if any(i >= len(p) for p in preds) or len({p[i].get("path") for p in preds}) != 1:
            continue
        arms = [(e, p[i]["predicted"], heatmaps_of(e, i)) for e, p in zip(experiments, preds, strict=True)]
        if all(maps for _, _, maps in arms):
            rows.append(CompareRow(i, preds[0][i]["true"], arms))
    return rows
