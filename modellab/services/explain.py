"""A trained run's ONNX file and Grad-CAM heatmaps (made by the worker) and an uploaded image's heatmap (by the web).

The worker's are written into the run's local output folder before it is stored (``storage.push_dir``),
so they travel with the model to the bucket. Neither is needed for the run to count: a failure
here is logged and the run succeeds without them (its page then offers no download, or shows
no heatmaps).
"""

from __future__ import annotations

import hashlib
import io
import logging
from pathlib import Path
from typing import Callable

from django.urls import reverse

from modellab import storage
from modellab.heatmaps import HEATMAP_DIR, UPLOADS_DIR, Heatmap, alt_text, heatmap_indices
from modellab.limits import lab_limits
from modellab.services.lease import LeaseLost

log = logging.getLogger(__name__)


def run_outputs_explain(
    *, model_path: str, dataset_dir: Path, predictions: list[dict], output_name: str, tick: Callable[[], None]
) -> dict:
    """Export the run's whole network to ONNX beside ``model_path`` and draw the heatmaps of the validation
    images its pages show into ``<output folder>/gradcam``; returns what the run's results gain:
    ``onnx_path`` (a storage name) and ``heatmaps`` ({str(index): {"predicted": ..., "true": ...}}, see
    :func:`modellab.engine.gradcam.explain_predictions`). ``tick`` (the run's heartbeat) is called before each
    step and after each batch of heatmaps, so that the sweep does not take the run for lost meanwhile."""
    from modellab.engine.export import export_onnx
    from modellab.engine.gradcam import explain_predictions

    extra: dict = {}
    tick()
    try:
        onnx_file = export_onnx(model_path)
    except Exception:
        log.exception("ONNX export of %s failed; the run is stored without it", output_name)
    else:
        extra["onnx_path"] = f"{output_name}/{onnx_file.name}"
    tick()
    items = [(i, p["path"], p["true"], p["predicted"]) for i in heatmap_indices(predictions) for p in [predictions[i]]]
    try:
        extra["heatmaps"] = explain_predictions(model_path, dataset_dir, items, Path(model_path).parent / HEATMAP_DIR, tick)
    except LeaseLost:
        raise  # another attempt holds the run now: this one stops
    except Exception:
        log.exception("Grad-CAM heatmaps of %s failed; the run is stored without them", output_name)
    return extra


def experiment_predict_explained(*, experiment, image_file) -> tuple[list[tuple[str, float]], Heatmap | None]:
    """:func:`modellab.services.predict.experiment_predict` of an uploaded image, and the Grad-CAM heatmap of its
    predicted class (None when it could not be drawn or stored: the prediction stands without it).

    The heatmap is stored beside the run's outputs as ``uploads/<sha256 of the image>.png`` (once per image), for
    :func:`modellab.takeaway_views.experiment_upload_heatmap` to serve; the image itself is never stored."""
    from common.images import open_image
    from modellab.engine.gradcam import explain_image
    from modellab.services.predict import experiment_predict

    data = image_file.read(lab_limits().max_upload_bytes + 1)
    upload = io.BytesIO(data)
    upload.name = getattr(image_file, "name", "")  # a refusal names the learner's file
    prediction = experiment_predict(experiment=experiment, image_file=upload)
    folder = experiment.results["model_path"].rsplit("/", 1)[0]
    digest = hashlib.sha256(data).hexdigest()
    try:
        with open_image(io.BytesIO(data)) as image:
            png, described = explain_image(storage.local_dir(experiment.results["model_path"]), image, prediction[0][0])
        storage.write_once(f"{folder}/{UPLOADS_DIR}/{digest}.png", png, "the heatmap")
    except storage.StorageUnavailable:
        return prediction, None
    except Exception:
        log.exception("experiment %s: Grad-CAM of an uploaded image failed", experiment.pk)
        return prediction, None
    url = reverse("modellab:experiment_upload_heatmap", args=[experiment.pk, digest])
    return prediction, Heatmap("predicted", prediction[0][0], url, alt_text(described, "predicted"))
