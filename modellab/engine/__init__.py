"""Model lab engine: pure PyTorch transfer-learning runs for the learning platform.

No Django imports and no printing (``logging`` only). The web layer builds a
:class:`RunConfig`, calls :func:`run` (usually in a worker) with an ``on_epoch_end``
callback for each epoch (and ``on_progress`` for each batch), and stores the returned :class:`RunResult` (``to_dict()``).

Modules, one job each:

* ``config`` - RunConfig, EpochStats, RunResult (plain dataclasses);
* ``errors`` - EngineError and its kinds (DatasetError, BackboneUnavailable, WeightsMismatch);
* ``upload`` - an untrusted zip made into a dataset directory (limits, skip reasons);
* ``zipread`` - reading that zip: its directory sized first, entries in bounded chunks, damage as DatasetError;
* ``builtin`` - offline built-in datasets (handwritten digits, CIFAR-10 from a local archive);
* ``data`` - dataset directories: scan, content hash, split, the one decoding recipe (``decode_pixels``);
* ``decoded`` - the decoded-image cache: each dataset's images decoded once per input size, uint8 on disk;
* ``pixels`` - batches from it: gather, augmentation and normalisation as tensor ops on the device;
* ``backbones`` - the registry: which backbones exist, availability, building, fetching;
* ``adapters`` - each network family's architecture and weight loading (timm, torchvision, tiny);
* ``weights`` - sha256 pins, verifying a weights file, downloading one;
* ``model`` - Backbone and Classifier (pooling, new head, frozen part), the shape trace;
* ``cache`` - the feature cache;
* ``extractor`` - which runtime extracts features (ONNX Runtime on the CPU, PyTorch on CUDA or as the fallback);
* ``runtime_onnx`` - a backbone exported to ONNX once, checked against PyTorch, run by ONNX Runtime;
* ``loop`` - ``train_one_epoch`` and ``evaluate``, shared by every strategy, and the precision they run in;
* ``progress`` - what ``on_progress`` hears while features are extracted or an epoch trains;
* ``strategy`` - what a strategy gets (RunData) and hands the loop (Setup);
* ``features`` / ``network`` - the strategies (cached features + head; finetune, finetune_all and scratch);
* ``training`` - ``run``: the entry point;
* ``report`` - per-class accuracy, confusion matrix, top-k predictions;
* ``environment`` - the device, processor and library versions a run ran on;
* ``checkpoint`` - saved models and ``predict_image``;
* ``export`` - a saved model as one ONNX file with its preprocessing in its metadata, and the snippet that runs it;
* ``gradcam`` - Grad-CAM heatmaps of a saved model, drawn with an outline and described in words.
"""

from .backbones import BackboneInfo, build_backbone, fetch_weights, imagenet_categories, list_backbones
from .builtin import materialize_cifar10, materialize_digits
from .cache import FeatureCache, FeatureKey
from .checkpoint import load_model, predict_image
from .config import EpochStats, RunConfig, RunResult
from .data import DatasetReport, SkippedFile, content_hash, scan_image_folder, stratified_split
from .errors import BackboneUnavailable, DatasetError, EngineError, WeightsMismatch
from .loop import RunCancelled
from .progress import Progress
from .training import run
from .upload import UploadLimits, prepare_upload

__all__ = [
    "BackboneInfo",
    "BackboneUnavailable",
    "DatasetError",
    "DatasetReport",
    "EngineError",
    "EpochStats",
    "FeatureCache",
    "FeatureKey",
    "Progress",
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
