"""A backbone's feature extractor exported to ONNX once, checked against PyTorch, and run with ONNX Runtime on the CPU.

What is exported is what the ``features`` strategy caches: the backbone followed by global
average pooling, ``N x 3 x H x W`` float32 images in, ``N x C`` pooled features out (the batch
size is free). One file per (backbone name, weights identity, input size) lives in the
``onnx/`` folder of the feature cache's directory, so it travels wherever the cache does
(the lab's storage copies every file of that folder between machines, see
``modellab/storage.py``), beside a JSON record of its check.

Parity: before a file is first used, ONNX Runtime and PyTorch run the same fixed batch; the
largest absolute difference of the pooled features must be at most :data:`PARITY_TOLERANCE`.
The record keeps the file's sha256 and the onnxruntime version that passed, so later runs
use the file without building the PyTorch backbone; a file that does not match its record
(damaged, truncated, half-copied, or checked by another onnxruntime version) is checked
again, and re-exported when it fails. A failed export or check leaves the previous file in
place or none, and the caller falls back to PyTorch with the reason.

Why the TorchScript-based exporter (``dynamo=False``): on this project's 2-core CPU it
exports EfficientNet-Lite0 in about 4 s against about 30 s for the ``torch.export`` one, and
ONNX Runtime runs both graphs equally fast.
"""

from __future__ import annotations

import io
import json
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from common.files import atomic_write

from .model import Backbone, pool
from .weights import file_sha256

log = logging.getLogger(__name__)

ONNX_DIR = "onnx"  # folder of the feature cache's directory that holds the exported files
PARITY_TOLERANCE = 1e-4  # largest absolute difference of pooled features allowed between ONNX Runtime and PyTorch
RECORD_FORMAT = 1  # bump when the exported graph or the record changes
OPSET = 17
INPUT, OUTPUT = "images", "features"
PARITY_SEED = 14
PARITY_BATCH = 3  # images in the parity check; the export traces 2 of them, so a free batch size is checked too
SPINNING = "session.intra_op.allow_spinning"  # ONNX Runtime's setting: idle intra-op threads spin ("1") or sleep


@dataclass(frozen=True)
class OnnxExtractor:
    """Pooled features of a batch through ONNX Runtime: ``extractor(x)`` -> (feature maps' shape, pooled)."""

    session: Any  # onnxruntime.InferenceSession
    feature_shape: tuple[int, int, int]  # C x h x w of the backbone's feature maps at this input size
    max_abs_diff: float  # what the parity check measured against PyTorch

    def __call__(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(a shape-only ``meta`` tensor standing for the feature maps, the pooled features: CPU float32 N x C)."""
        pooled = self.session.run([OUTPUT], {INPUT: x.float().contiguous().numpy()})[0]
        return torch.empty((x.shape[0], *self.feature_shape), device="meta"), torch.from_numpy(pooled)


def onnx_path(cache_dir: str | Path, backbone: str, weights_id: str, image_size: int) -> Path:
    """Where the exported extractor of this backbone, weights and input size is kept."""
    return Path(cache_dir) / ONNX_DIR / f"{backbone}-{weights_id}-{image_size}.onnx"


def onnx_extractor(
    build: Callable[[], Backbone], cache_dir: str | Path, backbone: str, weights_id: str, image_size: int, threads: int
) -> tuple[OnnxExtractor | None, str]:
    """(an ONNX Runtime extractor, "") or (None, why PyTorch must be used: a sentence for the learner).

    ``build`` makes the pretrained PyTorch backbone; it is called only when a file must be
    checked or exported. ``threads`` is ONNX Runtime's intra-op thread count.
    """
    try:
        import onnxruntime
    except ImportError:
        return None, "onnxruntime is not installed"
    path = onnx_path(cache_dir, backbone, weights_id, image_size)
    record_path = path.with_suffix(".json")
    record = _read_record(record_path)
    if (
        record is not None
        and path.is_file()
        and record.get("sha256") == file_sha256(path)
        and record.get("onnxruntime") == onnxruntime.__version__
    ):
        try:
            return OnnxExtractor(_session(path.read_bytes(), threads), tuple(record["feature_shape"]), record["max_abs_diff"]), ""
        except Exception as exc:  # the record matched but the file does not load: export it again below
            log.warning("ONNX file %s does not load (%r); exporting it again", path, exc)

    module = _PooledFeatures(build().cpu().eval())
    batch = torch.randn(PARITY_BATCH, 3, image_size, image_size, generator=torch.Generator().manual_seed(PARITY_SEED))
    with torch.no_grad():
        feature_maps = module.backbone(batch)
        expected = pool(feature_maps)
    feature_shape = tuple(feature_maps.shape[1:])

    if path.is_file():  # no record, or a stale one: check the file before exporting anew
        try:
            extractor, _ = _checked(path.read_bytes(), batch, expected, feature_shape, threads)
        except Exception as exc:
            log.warning("ONNX file %s does not load (%r); exporting it again", path, exc)
            extractor = None
        if extractor is not None:
            _write_record(record_path, path, extractor, onnxruntime.__version__)
            return extractor, ""

    try:
        model = _export(module, batch[:2])
    except Exception as exc:
        log.warning("ONNX export of %s failed; extracting with PyTorch", backbone, exc_info=True)
        return None, f"the export of {backbone} to ONNX is not supported ({type(exc).__name__})"
    try:
        extractor, diff = _checked(model, batch, expected, feature_shape, threads)
    except Exception as exc:
        log.warning("ONNX Runtime cannot run the export of %s; extracting with PyTorch", backbone, exc_info=True)
        return None, f"ONNX Runtime cannot run the export of {backbone} ({type(exc).__name__})"
    if extractor is None:
        log.warning("ONNX Runtime's features of %s differ from PyTorch's by %.3g; extracting with PyTorch", backbone, diff)
        return None, (
            f"ONNX Runtime's features of {backbone} differ from PyTorch's by {diff:.2g} (at most {PARITY_TOLERANCE:g} is allowed)"
        )
    with atomic_write(path) as fh:
        fh.write(model)
    _write_record(record_path, path, extractor, onnxruntime.__version__)
    log.info("exported %s at %d px to %s (max abs difference %.2g)", backbone, image_size, path, extractor.max_abs_diff)
    return extractor, ""


class _PooledFeatures(nn.Module):
    """The graph that is exported: backbone, then global average pooling."""

    def __init__(self, backbone: Backbone):
        super().__init__()
        self.backbone = backbone

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return pool(self.backbone(x))


def _export(module: nn.Module, sample: torch.Tensor) -> bytes:
    """The ONNX model of ``module`` traced on ``sample``, with a free batch size."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's deprecation and tracer warnings; the engine prints nothing
        torch.onnx.export(
            module,
            (sample,),
            buf,
            dynamo=False,
            opset_version=OPSET,
            input_names=[INPUT],
            output_names=[OUTPUT],
            dynamic_axes={INPUT: {0: "batch"}, OUTPUT: {0: "batch"}},
        )
    return buf.getvalue()


def _session(model: bytes, threads: int):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Without the pre-planned memory pattern a Lite0 run peaked at 1.5 GB instead of 1.85 GB
    # (PyTorch: 1.57 GB), and extracted no slower (21 against 15-18 images/s on a busy 2-core CPU).
    options.enable_mem_pattern = False
    # Idle threads sleep instead of spinning: while a batch runs, the extraction pass prepares the next
    # one on another thread (pixels.ahead), and a worker's CPU is shared. Measured on the busy 2-core
    # CPU (issue 24), batch 32 of Lite0: 52 images/s against 44 with spinning, 0.58 CPU s against 0.71.
    options.add_session_config_entry(SPINNING, "0")
    options.log_severity_level = 3  # errors only: the engine prints nothing
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def _checked(model: bytes, batch, expected, feature_shape, threads: int) -> tuple[OnnxExtractor | None, float]:
    """(the extractor of ``model``, or None when it fails the parity check; the largest difference measured).

    Raises whatever ONNX Runtime raises for a model it cannot load or run."""
    session = _session(model, threads)
    got = torch.from_numpy(session.run([OUTPUT], {INPUT: batch.numpy()})[0])
    diff = float((got - expected).abs().max()) if got.shape == expected.shape else float("inf")
    if not diff <= PARITY_TOLERANCE:  # NaN fails too
        return None, diff
    return OnnxExtractor(session, feature_shape, diff), diff


def _read_record(path: Path) -> dict | None:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("format") == RECORD_FORMAT else None


def _write_record(path: Path, onnx_file: Path, extractor: OnnxExtractor, ort_version: str) -> None:
    record = {
        "format": RECORD_FORMAT,
        "sha256": file_sha256(onnx_file),
        "onnxruntime": ort_version,
        "feature_shape": list(extractor.feature_shape),
        "max_abs_diff": extractor.max_abs_diff,
        "tolerance": PARITY_TOLERANCE,
    }
    with atomic_write(path, "w") as fh:
        json.dump(record, fh, sort_keys=True)
