"""CPU feature extraction through ONNX Runtime: parity with PyTorch, one export reused, damaged files, the fallback."""

import importlib.util
import sys
from dataclasses import replace

import pytest
import torch
from torch import nn

from modellab.engine import RunConfig, build_backbone, run
from modellab.engine import runtime_onnx
from modellab.engine.backbones import get_spec
from modellab.engine.data import eval_transform, load_rgb, scan_image_folder
from modellab.engine.extractor import choose_extractor, torch_extractor
from modellab.engine.runtime_onnx import PARITY_TOLERANCE, onnx_extractor, onnx_path

from .conftest import make_toy_dataset

CPU = torch.device("cpu")
# The GPU machine's image lacks onnxruntime; there CPU runs fall back to PyTorch (tested below).
needs_onnxruntime = pytest.mark.skipif(importlib.util.find_spec("onnxruntime") is None, reason="onnxruntime is not installed")
FALLBACK = "Features were extracted with PyTorch, not ONNX Runtime: "


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
    return RunConfig(**{**base, **kw})


def image_batch(dataset, name, size):
    """The dataset's first 8 images, preprocessed for backbone ``name``."""
    spec = get_spec(name)
    tf = eval_transform(size, spec.mean, spec.std)
    _, samples = scan_image_folder(dataset)
    return torch.stack([tf(load_rgb(dataset / path)) for path, _ in samples[:8]])


def tiny_file(tmp_path):
    spec = get_spec("tiny")
    return onnx_path(tmp_path / "cache", "tiny", spec.weights_id, spec.input_size)


@pytest.fixture
def exports(monkeypatch):
    """Counts the ONNX exports made (the real exporter still runs)."""
    made = []
    real = runtime_onnx._export

    def counting(module, sample):
        made.append(module)
        return real(module, sample)

    monkeypatch.setattr(runtime_onnx, "_export", counting)
    return made


def assert_parity(name, dataset, cache_dir, size):
    batch = image_batch(dataset, name, size)
    onnx, reason = choose_extractor(get_spec(name), size, CPU, str(cache_dir))
    assert reason == "" and isinstance(onnx, runtime_onnx.OnnxExtractor)
    feats, pooled = onnx(batch)
    ref_feats, ref_pooled = torch_extractor(build_backbone(name), CPU)(batch)
    assert pooled.shape == ref_pooled.shape and list(feats.shape) == list(ref_feats.shape)
    assert (pooled - ref_pooled).abs().max() <= PARITY_TOLERANCE
    return onnx


@needs_onnxruntime
def test_tiny_backbone_features_match_pytorch_on_real_images(tmp_path, toy_dataset):
    """ONNX Runtime's pooled features of the tiny backbone are PyTorch's to within 1e-4."""
    onnx = assert_parity("tiny", toy_dataset, tmp_path / "cache", 32)
    # Its idle threads sleep: the pass prepares the next batch on another thread meanwhile.
    assert onnx.session.get_session_options().get_session_config_entry(runtime_onnx.SPINNING) == "0"


@pytest.mark.slow
@needs_onnxruntime
def test_efficientnet_lite0_features_match_pytorch_on_real_images(tmp_path, toy_dataset):
    """The default backbone with its real weights, at its 224 px input: ONNX Runtime matches PyTorch to within 1e-4."""
    assert_parity("efficientnet_lite0", toy_dataset, tmp_path / "cache", 224)


def test_a_cpu_run_extracts_with_onnx_runtime_and_says_nothing_about_it(tmp_path, toy_dataset, exports):
    """A CPU run exports the backbone once, keeps the file beside the feature cache and has no fallback note."""
    result = run(cfg(tmp_path, toy_dataset))
    assert len(exports) == 1 and tiny_file(tmp_path).is_file()
    assert not any(n.startswith(FALLBACK) for n in result.notes)
    assert result.shape_trace[1] == {"stage": "backbone features", "shape": [16, 64, 8, 8]}


def test_the_onnx_file_is_reused_by_the_next_run(tmp_path, toy_dataset, exports):
    """A second extraction (another dataset) reuses the exported file: no new export, the file untouched."""
    run(cfg(tmp_path, toy_dataset))
    before = tiny_file(tmp_path).stat().st_mtime_ns
    other = make_toy_dataset(tmp_path / "other", per_class=6, seed=3)
    second = run(cfg(tmp_path, other))
    assert second.cache_hit is False and len(exports) == 1
    assert tiny_file(tmp_path).stat().st_mtime_ns == before
    assert not any(n.startswith(FALLBACK) for n in second.notes)


@pytest.mark.parametrize("damage", ["truncated", "garbage without its record"])
def test_a_damaged_onnx_file_is_exported_again(tmp_path, toy_dataset, exports, damage):
    """A truncated or garbled .onnx file is replaced by a new export; the run still uses ONNX Runtime."""
    run(cfg(tmp_path, toy_dataset))
    path = tiny_file(tmp_path)
    good = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    else:
        path.write_bytes(b"not an onnx model" * 10)
        path.with_suffix(".json").unlink()
    other = make_toy_dataset(tmp_path / "other", per_class=6, seed=3)
    result = run(cfg(tmp_path, other))
    assert len(exports) == 2 and path.read_bytes() == good
    assert not any(n.startswith(FALLBACK) for n in result.notes)


def test_an_export_that_fails_falls_back_to_pytorch_with_the_reason(tmp_path, toy_dataset, monkeypatch):
    """When the export raises, the run extracts with PyTorch and its notes say why; no file is left."""

    def unsupported(module, sample):
        raise RuntimeError("Exporting the operator 'aten::magic' to ONNX opset version 17 is not supported")

    monkeypatch.setattr(runtime_onnx, "_export", unsupported)
    result = run(cfg(tmp_path, toy_dataset))
    assert FALLBACK + "the export of tiny to ONNX is not supported (RuntimeError)." in result.notes
    assert not (tmp_path / "cache" / "onnx").exists()


def test_features_that_differ_beyond_the_tolerance_fall_back_to_pytorch(tmp_path, toy_dataset, monkeypatch):
    """An export whose features are off by 1e-3 fails the parity check: PyTorch extracts, the note gives the difference."""
    real = runtime_onnx._export

    class Off(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return self.inner(x) + 1e-3

    monkeypatch.setattr(runtime_onnx, "_export", lambda module, sample: real(Off(module), sample))
    result = run(cfg(tmp_path, toy_dataset))
    reason = next(n for n in result.notes if n.startswith(FALLBACK))
    assert "differ from PyTorch's by 0.001 (at most 0.0001 is allowed)" in reason
    assert not tiny_file(tmp_path).exists()


def test_without_onnxruntime_the_run_uses_pytorch_and_says_so(tmp_path, toy_dataset, monkeypatch):
    """Where onnxruntime is not installed, extraction runs in PyTorch and the note names the missing package."""
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # makes `import onnxruntime` raise ImportError
    result = run(cfg(tmp_path, toy_dataset))
    assert FALLBACK + "onnxruntime is not installed." in result.notes


def test_onnx_and_pytorch_runs_share_one_cache_entry(tmp_path, toy_dataset):
    """The key leaves the runtime out (parity is enforced): a run forced to PyTorch hits what ONNX Runtime cached."""
    onnx_run = run(cfg(tmp_path, toy_dataset))
    torch_run = run(cfg(tmp_path, toy_dataset, runtime="torch"))
    assert onnx_run.cache_hit is False and torch_run.cache_hit is True
    assert len(list((tmp_path / "cache").glob("features-*.pt"))) == 1
    # And a PyTorch extraction of the same data is what was cached, to within the tolerance.
    fresh = run(cfg(tmp_path / "elsewhere", toy_dataset, runtime="torch"))
    assert fresh.cache_hit is False and not (tmp_path / "elsewhere" / "cache" / "onnx").exists()
    (entry,) = (tmp_path / "cache").glob("features-*.pt")
    (torch_entry,) = (tmp_path / "elsewhere" / "cache").glob("features-*.pt")
    assert entry.name == torch_entry.name  # the same key
    cached = torch.load(entry, weights_only=True)["features"]
    assert (cached - torch.load(torch_entry, weights_only=True)["features"]).abs().max() <= PARITY_TOLERANCE


def test_a_file_checked_by_another_onnxruntime_version_is_checked_again(tmp_path, toy_dataset, exports):
    """The record names the onnxruntime that passed the check; another version re-checks the file and keeps it."""
    spec = get_spec("tiny")
    build = lambda: build_backbone("tiny")  # noqa: E731
    args = (tmp_path / "cache", "tiny", spec.weights_id, 32, 1)
    onnx_extractor(build, *args)
    record = tiny_file(tmp_path).with_suffix(".json")
    record.write_text(record.read_text().replace('"onnxruntime": "', '"onnxruntime": "0.0-'))
    extractor, reason = onnx_extractor(build, *args)
    assert extractor is not None and reason == "" and len(exports) == 1
    assert '"onnxruntime": "0.0-' not in record.read_text()


def test_unknown_runtime_is_refused():
    """RunConfig.runtime accepts auto or torch and names itself otherwise."""
    with pytest.raises(ValueError, match="runtime must be one of"):
        replace(RunConfig("d", "c", "o"), runtime="tensorrt").validate()
