"""Classifying one uploaded image with a finished run's model, in the web process."""

from __future__ import annotations

import io
from pathlib import PurePath

from django.core.exceptions import ValidationError

from modellab import storage
from modellab.limits import lab_limits
from modellab.models import Experiment
from modellab.services.retention import MODEL_REMOVED_AT

NO_MODEL = "no_model"
MODEL_REMOVED = "model_removed"
BAD_IMAGE = "bad_image"


# What is wrong with a file we cannot classify, in words a learner can act on (never an exception's name).
NOT_AN_IMAGE = "its contents are not a JPEG, PNG, GIF, BMP, WebP or TIFF image, whatever its name says"
DAMAGED = "the image is damaged or cut short"
TOO_MANY_PIXELS = "it has more than %(limit)s pixels"


def _bad_image(name: str, problem: str) -> ValidationError:
    return ValidationError(
        "“%(name)s” cannot be classified: %(problem)s.", code=BAD_IMAGE, params={"name": name, "problem": problem}
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
    if experiment.results.get(MODEL_REMOVED_AT):
        raise ValidationError(
            "This run's model files were removed to save space; run it again to classify images.", code=MODEL_REMOVED
        )
    data = image_file.read(lab_limits().max_upload_bytes + 1)
    name = PurePath(getattr(image_file, "name", "") or "the file").name
    max_pixels = engine.UploadLimits().max_image_pixels
    too_many_pixels = _bad_image(name, TOO_MANY_PIXELS % {"limit": f"{max_pixels:,}"})
    try:
        with open_image(io.BytesIO(data)) as probe:
            if probe.width * probe.height > max_pixels:
                raise too_many_pixels
            probe.verify()
        image = open_image(io.BytesIO(data))
        image.load()
    except Image.DecompressionBombError as exc:
        raise too_many_pixels from exc
    except UnidentifiedImageError as exc:
        raise _bad_image(name, NOT_AN_IMAGE) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise _bad_image(name, DAMAGED) from exc
    model_name = experiment.results["model_path"]
    # Raises StorageObjectMissing (the learner reads that the model is gone) or StorageUnavailable (a 503 page).
    storage.pull_dir(model_name.rsplit("/", 1)[0], what="this run's trained model")
    return engine.predict_image(storage.local_dir(model_name), image, top_k=top_k)
