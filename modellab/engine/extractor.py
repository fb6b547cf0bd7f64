"""Which runtime turns a batch of images into the pooled features the ``features`` strategy caches.

* On the CPU: ONNX Runtime (:mod:`.runtime_onnx`), the fastest runtime measured on this
  project's 2-core CPU (EfficientNet-Lite0 at batch 32: 1.8x PyTorch channels_last in issue 14,
  about 3x while the machine was busy; ``benchmarks/lab.py`` prints both),
  once its features match PyTorch's to within ``PARITY_TOLERANCE``. ``RunConfig.runtime``
  ``"torch"`` forces PyTorch.
* On CUDA: PyTorch, channels_last, under bfloat16 autocast (float16 where the GPU has no bfloat16).
* Fallback: PyTorch channels_last in float32, with the reason ONNX Runtime was not used.

An extractor is a callable ``extractor(images) -> (feature maps, pooled)``: ``pooled`` is
``N x C`` float32 on the CPU; the feature maps may be a shape-only ``meta`` tensor (ONNX
Runtime returns only the pooled features), enough for the run's shape trace.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from typing import Callable

import torch

from .backbones import BackboneSpec, build_backbone
from .loop import one_cpu_thread
from .model import Backbone, pool
from .runtime_onnx import OnnxExtractor, onnx_extractor

log = logging.getLogger(__name__)

Extractor = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def loop_threads(extractor: Extractor):
    """Around an extraction pass: with ONNX Runtime, PyTorch's own ops in the loop (gathering and
    normalising batches, on the pass's worker thread) run on one thread while ONNX Runtime computes
    on its own; on this project's busy 2-core CPU two PyTorch threads made them about 20x slower
    and halved the pass."""
    return one_cpu_thread(isinstance(extractor, OnnxExtractor))


def extract_precision(device: torch.device) -> str:
    """The dtype features are computed in on ``device``: "float32" on the CPU (both runtimes), else the autocast dtype."""
    if device.type != "cuda":
        return "float32"
    return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"


def torch_extractor(backbone: Backbone, device: torch.device) -> Extractor:
    """PyTorch on ``device``: channels_last, under autocast in :func:`extract_precision` on CUDA."""
    backbone = backbone.to(device).eval().to(memory_format=torch.channels_last)
    on_cuda = device.type == "cuda"
    dtype = getattr(torch, extract_precision(device))

    @torch.no_grad()
    def extract(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = x.to(device, non_blocking=True, memory_format=torch.channels_last)
        with torch.autocast("cuda", dtype=dtype) if on_cuda else contextlib.nullcontext():
            feats = backbone(x)
            pooled = pool(feats)
        return feats, pooled.float().cpu()

    return extract


def choose_extractor(
    spec: BackboneSpec, image_size: int, device: torch.device, cache_dir: str, runtime: str = "auto"
) -> tuple[Extractor, str]:
    """(the extractor for this run, why PyTorch is used on the CPU although ``runtime`` is "auto"; "" otherwise).

    The exported ONNX file is kept under ``cache_dir`` (see :func:`.runtime_onnx.onnx_path`).
    """
    build = functools.cache(lambda: build_backbone(spec.name, pretrained=True))
    reason = ""
    if device.type == "cpu" and runtime == "auto":
        onnx, reason = onnx_extractor(build, cache_dir, spec.name, spec.weights_id, image_size, torch.get_num_threads())
        if onnx is not None:
            log.info("extracting %s features with ONNX Runtime (max abs difference %.2g)", spec.name, onnx.max_abs_diff)
            return onnx, ""
        log.info("extracting %s features with PyTorch: %s", spec.name, reason)
    return torch_extractor(build(), device), reason
