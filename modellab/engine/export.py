"""A run's whole trained network (backbone + head + softmax) exported to one ONNX file that a learner takes home.

The file needs nothing of this project to run: ONNX Runtime, NumPy and Pillow do, with
``common.onnx_contract.SNIPPET``. Its ``metadata_props`` say how to feed it (``METADATA_KEYS``
there): the input side in pixels, the per-channel mean and std (JSON lists), the class names (a JSON list, in
the order of the outputs), the backbone and strategy. Input ``images``: ``N x 3 x S x S``
float32, normalised; output ``probabilities``: ``N x classes``.

The export is checked once against the saved PyTorch model on a fixed batch (largest
absolute difference of the probabilities at most :data:`PARITY_TOLERANCE`); a file that
fails is not written.
"""

from __future__ import annotations

import io
import json
import os
import warnings
from pathlib import Path

import torch
from torch import nn

from common.files import atomic_write
from common.onnx_contract import INPUT, METADATA_KEYS, ONNX_NAME, OUTPUT, PREPROCESSING

from .checkpoint import load_model

OPSET = 17
PARITY_TOLERANCE = 1e-4


class ExportError(Exception):
    """The exported file did not give the PyTorch model's probabilities (``max_abs_diff`` says by how much)."""

    def __init__(self, max_abs_diff: float):
        super().__init__(f"ONNX export differs from PyTorch by {max_abs_diff:.2e}")
        self.max_abs_diff = max_abs_diff


class _WithSoftmax(nn.Module):
    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x).softmax(dim=1)


def export_onnx(model_path: str | os.PathLike) -> Path:
    """Write :data:`ONNX_NAME` beside the saved model ``model_path`` (model.pt) and return its path.

    Raises :class:`ExportError` when ONNX Runtime's probabilities on a fixed batch differ from
    PyTorch's by more than :data:`PARITY_TOLERANCE` (nothing is written then)."""
    import onnx
    import onnxruntime

    model, meta = load_model(model_path)
    wrapped = _WithSoftmax(model).eval()
    size = int(meta["image_size"])
    batch = torch.randn(3, 3, size, size, generator=torch.Generator().manual_seed(25))
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's deprecation and tracer warnings; the engine prints nothing
        torch.onnx.export(
            wrapped,
            (batch[:2],),
            buf,
            dynamo=False,
            opset_version=OPSET,
            input_names=[INPUT],
            output_names=[OUTPUT],
            dynamic_axes={INPUT: {0: "batch"}, OUTPUT: {0: "batch"}},
        )
    proto = onnx.load_from_string(buf.getvalue())
    values = {
        "input_size": str(size),
        "mean": json.dumps(list(meta["mean"])),
        "std": json.dumps(list(meta["std"])),
        "class_names": json.dumps(list(meta["class_names"])),
        "backbone": meta["backbone"],
        "strategy": meta["strategy"],
        "preprocessing": PREPROCESSING,
    }
    for key in METADATA_KEYS:
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, values[key]
    data = proto.SerializeToString()
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    got = torch.from_numpy(session.run([OUTPUT], {INPUT: batch.numpy()})[0])
    with torch.inference_mode():
        expected = wrapped(batch)
    diff = float((got - expected).abs().max())
    if not diff <= PARITY_TOLERANCE:
        raise ExportError(diff)
    path = Path(model_path).with_name(ONNX_NAME)
    with atomic_write(path) as fh:
        fh.write(data)
    return path
