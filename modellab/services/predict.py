"""Classifying one uploaded image with a finished run's model, in the web process."""
from __future__ import annotations

import io

from django.core.exceptions import ValidationError

from modellab import storage
from modellab.limits import lab_limits
from modellab.models import Experiment

NO_MODEL = "no_model"
BAD_IMAGE = "bad_image"


def _bad_image(detail: str) -> ValidationError:
    return ValidationError(
        "That file is not an image we can read (%(detail)s).", code=BAD_IMAGE, params={"detail": detail}
    )


def experiment_predict(*, experiment: Experiment, image_file, top_k: int = 3) -> list[tuple[str, float]]:
    """The ``top_k`` (class, probability) pairs the run's trained model gives the uploaded image.
    Raises ValidationError: NO_MODEL (the run did not succeed), BAD_IMAGE (not a readable image of an
    accepted format, or over the engine's pixel limit), STORAGE_OBJECT_MISSING (the model is gone from
    storage); StorageUnavailable. The image is decoded in memory and never stored; the model is read
    from the storage (a remote one through this machine's local mirror)."""
    from PIL import Image, UnidentifiedImageError

    from common.images import open_image
    from modellab import engine

    if experiment.status != Experiment.Status.SUCCEEDED or not experiment.results.get("model_path"):
        raise ValidationError("This run has no trained model (it did not succeed).", code=NO_MODEL)
    data = image_file.read(lab_limits().max_upload_bytes + 1)
    try:
        with open_image(io.BytesIO(data)) as probe:
            if probe.width * probe.height > engine.UploadLimits().max_image_pixels:
                raise _bad_image("too many pixels")
            probe.verify()
        image = open_image(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise _bad_image(type(exc).__name__) from exc
    model_name = experiment.results["model_path"]
    # Raises StorageObjectMissing (the learner reads that the model is gone) or StorageUnavailable (a 503 page).
    storage.pull_dir(model_name.rsplit("/", 1)[0], what="this run's trained model")
    return engine.predict_image(storage.local_dir(model_name), image, top_k=top_k)
