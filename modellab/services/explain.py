"""What a worker adds to a trained run's outputs for the learner to take away and look at: the ONNX file and the Grad-CAM heatmaps.

Both are written into the run's local output folder before it is stored (``storage.push_dir``),
so they travel with the model to the bucket. Neither is needed for the run to count: a failure
here is logged and the run succeeds without them (its page then offers no download, or shows
no heatmaps).
"""
from __future__ import annotations

import logging
from pathlib import Path

from modellab.heatmaps import HEATMAP_DIR, heatmap_indices

log = logging.getLogger(__name__)


def run_outputs_explain(*, model_path: str, dataset_dir: Path, predictions: list[dict], output_name: str) -> dict:
    """Export the run's whole network to ONNX beside ``model_path`` and draw the heatmaps of the validation
    images its pages show into ``<output folder>/gradcam``; returns what the run's results gain:
    ``onnx_path`` (a storage name) and ``heatmaps`` ({str(index): {"predicted": ..., "true": ...}}, see
    :func:`modellab.engine.gradcam.explain_predictions`)."""
    from modellab.engine.export import export_onnx
    from modellab.engine.gradcam import explain_predictions

    extra: dict = {}
    try:
        onnx_file = export_onnx(model_path)
    except Exception:
        log.exception("ONNX export of %s failed; the run is stored without it", output_name)
    else:
        extra["onnx_path"] = f"{output_name}/{onnx_file.name}"
    items = [(i, predictions[i]["path"], predictions[i]["true"], predictions[i]["predicted"]) for i in heatmap_indices(predictions)]
    try:
        extra["heatmaps"] = explain_predictions(model_path, dataset_dir, items, Path(model_path).parent / HEATMAP_DIR)
    except Exception:
        log.exception("Grad-CAM heatmaps of %s failed; the run is stored without them", output_name)
    return extra
