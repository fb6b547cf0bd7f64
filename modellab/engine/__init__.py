"""Model lab engine: pure PyTorch transfer-learning runs for the learning platform.

No Django imports and no printing (``logging`` only). The web layer builds a
:class:`RunConfig`, calls :func:`run` (usually in a worker) with an ``on_epoch_end``
callback for progress, and stores the returned :class:`RunResult` (``to_dict()``).

Modules: ``backbones`` (registry), ``adapters`` (network families), ``weights``
(pins, verify, download), ``model`` (classifier, shape trace), ``upload`` (zip uploads), ``builtin``
(built-in datasets), ``data`` (scan, hash, splits, preprocessing), ``cache`` (feature cache), ``training`` (``run``),
``report`` (per-class accuracy, confusion, top-k),
``checkpoint`` (saved models, ``predict_image``), ``config`` (dataclasses).
"""

from .backbones import BackboneInfo, build_backbone, fetch_weights, imagenet_categories, list_backbones
from .cache import FeatureCache, FeatureKey
from .config import EpochStats, RunConfig, RunResult
from .builtin import materialize_cifar10, materialize_digits
from .data import DatasetReport, SkippedFile, content_hash, scan_image_folder, stratified_split
from .errors import BackboneUnavailable, DatasetError, EngineError, WeightsMismatch
from .upload import UploadLimits, prepare_upload
from .checkpoint import load_model, predict_image
from .training import RunCancelled, run

__all__ = [
    "BackboneInfo",
    "BackboneUnavailable",
    "DatasetError",
    "DatasetReport",
    "EngineError",
    "EpochStats",
    "FeatureCache",
    "FeatureKey",
    "RunCancelled",
    "RunConfig",
    "RunResult",
    "SkippedFile",
    "UploadLimits",
    "WeightsMismatch",
    "build_backbone",
    "content_hash",
    "fetch_weights",
    "imagenet_categories",
    "list_backbones",
    "load_model",
    "materialize_cifar10",
    "materialize_digits",
    "predict_image",
    "prepare_upload",
    "run",
    "scan_image_folder",
    "stratified_split",
]
