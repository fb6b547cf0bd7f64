"""Feature cache: hits and misses on the right keys, atomic writes."""

import threading
from dataclasses import replace

import pytest
import torch

from modellab.engine import FeatureCache, FeatureKey, RunConfig, build_backbone, run
from modellab.engine.backbones import get_spec
from modellab.engine.data import eval_transform, load_rgb
from modellab.engine.model import pool


def cfg(tmp_path, dataset, **kw):
    base = dict(
        dataset_dir=str(dataset),
        cache_dir=str(tmp_path / "cache"),
        output_dir=str(tmp_path / "out"),
        backbone="tiny",
        epochs=1,
        batch_size=16,
        device="cpu",
    )
    base.update(kw)
    return RunConfig(**base)


KEY = FeatureKey(
    dataset_hash="d" * 64,
    backbone="efficientnet_lite0",
    weights_id="w" * 64,
    image_size=224,
    mean=(0.5, 0.5, 0.5),
    std=(0.5, 0.5, 0.5),
    augment_views=0,
)


def test_hit_after_miss_and_shared_across_head_settings(tmp_path, toy_dataset):
    c = cfg(tmp_path, toy_dataset)
    first = run(c)
    assert first.cache_hit is False
    again = run(replace(c, epochs=2, lr=1e-2, seed=5, optimizer="sgd", val_fraction=0.3))
    assert again.cache_hit is True
    assert any("Cache hit" in n for n in again.notes)
    assert again.shape_trace == first.shape_trace
    assert len(list((tmp_path / "cache").glob("features-*.pt"))) == 1


@pytest.mark.parametrize(
    "before,after",
    [
        ({}, {"image_size": 40}),
        ({}, {"augment": True}),
        ({"augment": True, "augment_views": 2}, {"augment": True, "augment_views": 1}),
    ],
)
def test_preprocessing_change_misses(tmp_path, toy_dataset, before, after):
    run(cfg(tmp_path, toy_dataset, **before))
    assert run(cfg(tmp_path, toy_dataset, **after)).cache_hit is False
    assert run(cfg(tmp_path, toy_dataset, **after)).cache_hit is True


def test_dataset_content_change_misses(tmp_path, toy_dataset):
    c = cfg(tmp_path, toy_dataset)
    run(c)
    img = toy_dataset / "red" / "red_000.png"
    img.write_bytes((toy_dataset / "red" / "red_001.png").read_bytes())
    assert run(c).cache_hit is False
    assert run(c).cache_hit is True


@pytest.mark.parametrize(
    "field,value",
    [
        ("dataset_hash", "e" * 64),
        ("backbone", "resnet18"),
        ("weights_id", "x" * 64),
        ("image_size", 192),
        ("mean", (0.485, 0.456, 0.406)),
        ("std", (0.229, 0.224, 0.225)),
        ("augment_views", 2),
        ("precision", "bfloat16"),  # CUDA's autocast features differ from float32 beyond the runtimes' tolerance
    ],
)
def test_every_key_field_changes_the_digest(field, value):
    assert replace(KEY, **{field: value}).digest() != KEY.digest()


def test_cached_features_equal_a_fresh_extraction(tmp_path, toy_dataset):
    """What a cache hit serves is what the frozen backbone computes for each image, in the listed order."""
    run(cfg(tmp_path, toy_dataset))
    (entry,) = (tmp_path / "cache").glob("features-*.pt")
    payload = torch.load(entry, weights_only=True)
    spec = get_spec("tiny")
    backbone = build_backbone("tiny").eval()
    images = torch.stack(
        [eval_transform(spec.input_size, spec.mean, spec.std)(load_rgb(toy_dataset / p)) for p in payload["paths"]]
    )
    with torch.no_grad():
        fresh = pool(backbone(images))
    assert len(payload["paths"]) == 45 and payload["features"].shape == fresh.shape
    assert torch.allclose(payload["features"], fresh, atol=1e-5)


def test_weights_change_misses(tmp_path, toy_dataset, monkeypatch):
    c = cfg(tmp_path, toy_dataset)
    run(c)
    spec = get_spec("tiny")
    monkeypatch.setattr(type(spec), "weights_id", property(lambda self: "other-weights"))
    assert run(c).cache_hit is False


def test_concurrent_writers_leave_one_complete_file(tmp_path):
    cache = FeatureCache(tmp_path / "cache")
    payloads = [{"paths": ["a"], "features": torch.full((500, 256), float(i))} for i in range(6)]
    threads = [threading.Thread(target=cache.save, args=(KEY, p)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [cache.path(KEY).name]
    loaded = cache.load(KEY)
    value = float(loaded["features"][0, 0])
    assert torch.equal(loaded["features"], torch.full((500, 256), value))


def test_damaged_entry_is_a_miss(tmp_path):
    cache = FeatureCache(tmp_path)
    cache.path(KEY).write_bytes(b"half a file")
    assert cache.load(KEY) is None
    cache.save(KEY, {"paths": [], "features": torch.zeros(1)})
    assert cache.load(KEY) is not None
    assert cache.load(replace(KEY, image_size=1)) is None
