"""Views of what a finished run gives its learner: the ONNX download and the Grad-CAM heatmap images."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse

from modellab import selectors, storage
from modellab.heatmaps import HEATMAP_DIR, KINDS, UPLOADS_DIR
from modellab.models import Experiment


def _outputs_folder(experiment: Experiment) -> str:
    """The storage folder of a succeeded run's outputs; 404 for a run that has none."""
    model_path = (experiment.results or {}).get("model_path") or ""
    if experiment.status != Experiment.Status.SUCCEEDED or "/" not in model_path:
        raise Http404("This run has no trained model.")
    return model_path.rsplit("/", 1)[0]


@login_required
def experiment_model(request, pk: int):
    """The run's whole network as ONNX (``model.onnx``, the name the page's snippet opens), from the storage
    through this machine's mirror, as predictions read it."""
    experiment = selectors.experiment_get_for_user(user=request.user, pk=pk)
    folder = _outputs_folder(experiment)
    name = (experiment.results or {}).get("onnx_path") or ""
    if not name.startswith(folder + "/"):
        raise Http404("This run has no exported model.")
    try:
        local = storage.pull_dir(folder, what="this run's trained model") / name[len(folder) + 1 :]
        handle = open(local, "rb")  # noqa: SIM115 - FileResponse closes it
    except (storage.StorageObjectMissing, FileNotFoundError):
        raise Http404("The exported model is gone from the storage.") from None
    response = FileResponse(handle, as_attachment=True, filename="model.onnx", content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def experiment_heatmap(request, pk: int, index: int, kind: str):
    """One Grad-CAM heatmap image of a validation image (``kind``: the predicted or the true class), read from
    the run's outputs in the storage."""
    experiment = selectors.experiment_get_for_user(user=request.user, pk=pk)
    folder = _outputs_folder(experiment)
    entry = ((experiment.results or {}).get("heatmaps") or {}).get(str(index)) or {}
    if kind not in KINDS or kind not in entry:
        raise Http404("No such heatmap.")
    return _png(f"{folder}/{HEATMAP_DIR}/{index}-{kind}.png")


def _png(name: str) -> HttpResponse:
    """A heatmap image from the storage (404 when it is not there), served so that it can only be an image."""
    try:
        png = storage.read_bytes(name, "the heatmap")
    except storage.StorageObjectMissing:
        raise Http404("Heatmap not found.") from None
    response = HttpResponse(png, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
def experiment_upload_heatmap(request, pk: int, digest: str):
    """The Grad-CAM heatmap of an image the learner uploaded to classify (named by the image's sha256)."""
    experiment = selectors.experiment_get_for_user(user=request.user, pk=pk)
    folder = _outputs_folder(experiment)
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise Http404("No such heatmap.")
    return _png(f"{folder}/{UPLOADS_DIR}/{digest}.png")
