"""The whole trained network as one ONNX file: its metadata, and the same probabilities as the site's PyTorch prediction."""

import json

import numpy as np
import onnxruntime
import pytest
from PIL import Image

from common.onnx_contract import METADATA_KEYS
from modellab.engine import RunConfig, predict_image, run
from modellab.engine.export import export_onnx


@pytest.mark.parametrize("strategy", ["features", "scratch"])
def test_export_carries_its_metadata_and_matches_pytorch(tmp_path, toy_dataset, strategy):
    cfg = RunConfig(
        dataset_dir=str(toy_dataset),
        cache_dir=str(tmp_path / "cache"),
        output_dir=str(tmp_path / "out"),
        backbone="tiny",
        strategy=strategy,
        epochs=2,
        lr=1e-2,
        batch_size=8,
        device="cpu",
        image_size=40,
    )
    result = run(cfg)
    path = export_onnx(result.model_path)
    assert path == tmp_path / "out" / "model.onnx"
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    assert set(METADATA_KEYS) <= set(meta)
    assert int(meta["input_size"]) == 40 and json.loads(meta["class_names"]) == result.class_names
    assert (meta["backbone"], meta["strategy"]) == ("tiny", strategy)
    assert len(json.loads(meta["mean"])) == 3 and len(json.loads(meta["std"])) == 3
    # the batch size is free, and the outputs are probabilities
    x = np.random.default_rng(0).standard_normal((5, 3, 40, 40)).astype(np.float32)
    probs = session.run(["probabilities"], {"images": x})[0]
    assert probs.shape == (5, 3) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    # the PyTorch model the site predicts with still answers as before
    assert predict_image(result.model_path, Image.open(toy_dataset / result.predictions[0]["path"]))[0][0] in result.class_names
