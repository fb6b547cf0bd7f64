"""CUDA runs (mixed precision, channels_last); skipped with a reason where there is no GPU."""

import math

import pytest
import torch

from modellab.engine import RunConfig, predict_image, run

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device: torch.cuda.is_available() is False"),
]


def _config(tmp_path, dataset, device, **kw):
    return RunConfig(
        dataset_dir=str(dataset),
        cache_dir=str(tmp_path / f"cache-{device}"),
        output_dir=str(tmp_path / f"out-{device}"),
        epochs=3,
        batch_size=8,
        device=device,
        **kw,
    )


@pytest.mark.parametrize(
    "backbone,strategy",
    [("tiny", "finetune"), ("tiny", "scratch"), ("efficientnet_lite0", "features"), ("efficientnet_lite0", "finetune")],
)
def test_cuda_run_with_amp_is_finite_and_matches_cpu_shapes(tmp_path, toy_dataset, backbone, strategy):
    kw = dict(backbone=backbone, strategy=strategy, image_size=64 if backbone != "tiny" else None)
    gpu = run(_config(tmp_path, toy_dataset, "cuda", **kw))
    cpu = run(_config(tmp_path, toy_dataset, "cpu", **kw))
    assert gpu.device.startswith("cuda")
    for e in gpu.epochs:
        assert math.isfinite(e.train_loss) and math.isfinite(e.val_loss)
    assert gpu.shape_trace == cpu.shape_trace
    assert gpu.epochs[-1].val_accuracy >= 2 / 3
    top = predict_image(gpu.model_path, toy_dataset / "red" / "red_000.png")
    assert len(top) == 3 and abs(sum(p for _, p in top) - 1) < 1e-4


def test_cuda_cached_features_hit(tmp_path, toy_dataset):
    cfg = _config(tmp_path, toy_dataset, "cuda", backbone="efficientnet_lite0", image_size=64)
    assert run(cfg).cache_hit is False
    assert run(cfg).cache_hit is True
