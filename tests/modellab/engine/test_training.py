"""run() on the CPU with the tiny backbone and generated 32x32 images."""

import json
from dataclasses import replace

import pytest
import torch

from modellab.engine import (
    BackboneUnavailable,
    RunCancelled,
    RunConfig,
    WeightsMismatch,
    build_backbone,
    list_backbones,
    load_model,
    predict_image,
    run,
)
from modellab.engine.backbones import get_spec
from modellab.engine.loop import Runtime, train_one_epoch
from modellab.engine.model import Classifier


def config(tmp_path, dataset, **kw):
    base = dict(
        dataset_dir=str(dataset),
        cache_dir=str(tmp_path / "cache"),
        output_dir=str(tmp_path / "out"),
        backbone="tiny",
        strategy="features",
        epochs=8,
        lr=1e-2,
        batch_size=8,
        device="cpu",
    )
    base.update(kw)
    return RunConfig(**base)


@pytest.mark.parametrize("strategy,epochs,lr", [("features", 15, 3e-2), ("finetune", 5, 1e-2), ("scratch", 5, 1e-2)])
def test_each_strategy_learns_a_separable_toy_set(tmp_path, toy_dataset, strategy, epochs, lr):
    seen = []
    result = run(config(tmp_path, toy_dataset, strategy=strategy, epochs=epochs, lr=lr), on_epoch_end=seen.append)
    assert [e.epoch for e in seen] == list(range(1, epochs + 1))
    assert seen == result.epochs
    assert result.epochs[-1].val_accuracy == 1.0
    assert result.test_accuracy is not None and result.test_accuracy >= 2 / 3
    assert result.epochs[-1].train_loss < result.epochs[0].train_loss
    assert result.device == "cpu"


def test_result_contents(tmp_path, toy_dataset):
    result = run(config(tmp_path, toy_dataset, strategy="scratch", epochs=1))
    assert result.class_names == ["blue", "green", "red"]
    assert result.split_sizes == {"train": 27, "val": 9, "test": 9}
    assert len(result.predictions) == 9
    assert sum(map(sum, result.confusion_matrix)) == 9
    assert all(sum(row) == 3 for row in result.confusion_matrix)  # rows = true class
    pred = result.predictions[0]
    assert set(pred) == {"path", "true", "predicted", "top_k"}
    assert (toy_dataset / pred["path"]).is_file()
    assert len(pred["top_k"]) == 3
    assert pred["top_k"][0][0] == pred["predicted"]
    assert abs(sum(p for _, p in pred["top_k"]) - 1.0) < 1e-4
    assert result.misclassified == [p for p in result.predictions if p["true"] != p["predicted"]]
    for name, acc in result.per_class_accuracy.items():
        i = result.class_names.index(name)
        assert acc == pytest.approx(result.confusion_matrix[i][i] / 3)
    assert [s["stage"] for s in result.shape_trace] == ["input", "backbone features", "pooled", "head"]
    assert result.shape_trace[0]["shape"][1:] == [3, 32, 32]
    assert result.shape_trace[1]["shape"][1:] == [64, 8, 8]
    assert result.shape_trace[2]["shape"][1:] == [64]
    assert result.shape_trace[3]["shape"][1:] == [3]
    json.dumps(result.to_dict())


def test_saved_model_reloads_and_predicts(tmp_path, toy_dataset):
    for strategy in ("features", "finetune"):
        out = tmp_path / f"out-{strategy}"
        result = run(config(tmp_path, toy_dataset, strategy=strategy, epochs=15, lr=3e-2, output_dir=str(out)))
        assert json.loads((out / "model.json").read_text())["class_names"] == ["blue", "green", "red"]
        top = predict_image(result.model_path, toy_dataset / "red" / "red_000.png", top_k=2)
        assert len(top) == 2 and top[0][0] == "red"
        model, meta = load_model(result.model_path)
        assert meta["strategy"] == strategy
        assert model.head.out_features == 3


def _frozen_and_tail_keys(state: dict) -> tuple[list[str], list[str]]:
    """The tiny backbone's first two blocks are frozen when fine-tuning; its last block is the tail."""
    frozen = [k for k in state if k.startswith(("backbone.body.blocks.0.", "backbone.body.blocks.1."))]
    tail = [k for k in state if k.startswith("backbone.body.blocks.2.")]
    assert {k.rsplit(".", 1)[1] for k in frozen} >= {"weight", "running_mean", "running_var", "num_batches_tracked"}
    return frozen, tail


def test_finetune_epoch_changes_tail_and_head_only():
    """A fine-tuning epoch trains the tail and the head; the frozen blocks keep weights and BatchNorm statistics."""
    torch.manual_seed(0)
    model = Classifier(build_backbone("tiny"), num_classes=3)
    model.freeze_body()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    batches = [(torch.randn(8, 3, 32, 32), torch.randint(0, 3, (8,))) for _ in range(3)]
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    runtime = Runtime(torch.device("cpu"))
    train_one_epoch(model, batches, optimizer, runtime.grad_scaler(), runtime)

    after = model.state_dict()
    frozen, tail = _frozen_and_tail_keys(after)
    assert [k for k in frozen if not torch.equal(after[k], before[k])] == []
    changed = {k.rsplit(".", 1)[1] for k in tail if not torch.equal(after[k], before[k])}
    assert changed >= {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}
    assert not torch.equal(after["head.weight"], before["head.weight"])


def test_finetuned_model_keeps_the_pretrained_frozen_part(tmp_path, toy_dataset):
    """The saved fine-tuned model still has the pretrained frozen blocks, BatchNorm statistics included."""
    result = run(config(tmp_path, toy_dataset, strategy="finetune", epochs=2))
    saved = torch.load(result.model_path, weights_only=True)
    pretrained = {f"backbone.{k}": v for k, v in build_backbone("tiny").state_dict().items()}
    frozen, tail = _frozen_and_tail_keys(saved)
    assert [k for k in frozen if not torch.equal(saved[k], pretrained[k])] == []
    assert any(not torch.equal(saved[k], pretrained[k]) for k in tail if k.endswith("running_mean"))


def test_finetune_all_trains_every_layer_from_the_backbones_own_weights(tmp_path, toy_dataset):
    """finetune_all starts from the registry's weights (not the run's random init, as scratch does) and trains every
    block, the first ones included; its notes say every layer was trained and that tiny has no pre-trained weights."""
    result = run(config(tmp_path, toy_dataset, strategy="finetune_all", epochs=2))
    saved = torch.load(result.model_path, weights_only=True)
    start = {f"backbone.{k}": v for k, v in build_backbone("tiny").state_dict().items()}
    frozen, tail = _frozen_and_tail_keys(saved)
    assert all(not torch.equal(saved[k], start[k]) for k in frozen + tail if k.endswith(".weight"))
    assert any("Fine-tuning every layer: all" in n and "no pre-trained weights" in n for n in result.notes)
    # the strategies differ only in where they start: tiny's fixed init for finetune_all, the seed's for scratch
    torch.manual_seed(0)
    scratch_start = build_backbone("tiny", pretrained=False).state_dict()
    fixed_start = build_backbone("tiny").state_dict()
    assert any(not torch.equal(scratch_start[k], fixed_start[k]) for k in fixed_start if k.endswith(".weight"))


def test_cpu_runs_are_deterministic(tmp_path, toy_dataset):
    def stats(result):
        return [(e.train_loss, e.train_accuracy, e.val_loss, e.val_accuracy) for e in result.epochs], result.predictions

    for strategy in ("features", "scratch"):
        cfg = config(tmp_path, toy_dataset, strategy=strategy, epochs=2, augment=True)
        assert stats(run(cfg)) == stats(run(cfg))
        assert stats(run(replace(cfg, seed=1))) != stats(run(cfg))


@pytest.mark.parametrize("strategy", ["features", "finetune", "scratch"])
def test_cancel_stops_within_a_batch(tmp_path, toy_dataset, strategy):
    calls = []

    def should_cancel():
        calls.append(1)
        return len(calls) >= 3

    epochs = []
    with pytest.raises(RunCancelled):
        run(config(tmp_path, toy_dataset, strategy=strategy), on_epoch_end=epochs.append, should_cancel=should_cancel)
    assert len(calls) == 3, "no batch may run after should_cancel returned True"
    assert epochs == []  # 27 training images in batches of 8: the first epoch had not ended
    assert not (tmp_path / "out" / "model.pt").exists()
    if strategy == "features":  # cancelled during extraction: no features cached, nothing half-written
        cache = tmp_path / "cache"
        assert not any(cache.glob("features-*"))
        assert not any(p.name.startswith(".") or p.name.endswith(".part") for p in cache.rglob("*"))


def test_augment_with_features_says_views_are_fixed(tmp_path, toy_dataset):
    result = run(config(tmp_path, toy_dataset, augment=True, augment_views=3, epochs=1))
    assert any("3 fixed augmented view" in note for note in result.notes)


def test_invalid_config_rejected(tmp_path, toy_dataset):
    for bad in ({"strategy": "magic"}, {"optimizer": "lbfgs"}, {"epochs": 0}, {"val_fraction": 0.7}):
        with pytest.raises(ValueError):
            run(config(tmp_path, toy_dataset, **bad))


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
def test_other_optimizers(tmp_path, toy_dataset, optimizer):
    result = run(config(tmp_path, toy_dataset, strategy="scratch", optimizer=optimizer, epochs=2, lr=5e-3))
    assert all(torch.isfinite(torch.tensor(e.train_loss)) for e in result.epochs)


def test_missing_weights_listed_unavailable_and_explained(tmp_path, toy_dataset, empty_hub):
    """With an empty $TORCH_HOME every torchvision backbone is listed unavailable with how to get it, and refused."""
    infos = {b.name: b for b in list_backbones()}
    assert infos["tiny"].available and infos["tiny"].unavailable_reason == ""
    assert infos["tiny"].feature_channels == 64
    for name in ("resnet18", "mobilenet_v3_small", "efficientnet_b0"):
        assert not infos[name].available, name
        assert f"fetch_weights({name!r})" in infos[name].unavailable_reason
        assert str(empty_hub / "checkpoints") in infos[name].unavailable_reason
    for strategy in ("features", "finetune"):
        with pytest.raises(BackboneUnavailable, match=r"fetch_weights\('resnet18'\)") as err:
            run(config(tmp_path, toy_dataset, backbone="resnet18", strategy=strategy))
        assert err.value.code == "backbone_unavailable"
    assert not (tmp_path / "out").exists() and not (tmp_path / "cache").exists()
    with pytest.raises(BackboneUnavailable):
        build_backbone("mobilenet_v3_small")


@pytest.mark.parametrize("strategy", ["features", "scratch", "finetune"])
def test_the_shape_trace_is_one_batch_whatever_the_strategy(tmp_path, toy_dataset, strategy):
    """N in every stage's shape is the run's batch size (not a 2-image probe of the network)."""
    result = run(config(tmp_path, toy_dataset, strategy=strategy, epochs=1, batch_size=5))
    assert [s["shape"][0] for s in result.shape_trace] == [5, 5, 5, 5]


def test_scratch_needs_no_weights(tmp_path, toy_dataset, empty_hub):
    result = run(config(tmp_path, toy_dataset, backbone="resnet18", strategy="scratch", epochs=1, batch_size=16))
    assert result.shape_trace[1]["shape"][1] == 512


def test_wrong_weights_file_rejected(empty_hub):
    spec = get_spec("resnet18")
    path = spec.weights_file()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not the resnet weights")
    assert next(b for b in list_backbones() if b.name == "resnet18").available
    with pytest.raises(WeightsMismatch, match="f37072fd"):
        build_backbone("resnet18")


def test_unknown_backbone(tmp_path, toy_dataset):
    with pytest.raises(KeyError, match="tiny"):
        run(config(tmp_path, toy_dataset, backbone="nope"))
