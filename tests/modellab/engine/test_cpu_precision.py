"""CPU training precision: the auto choice from the CPU's flags, and a run forced to bfloat16 autocast (emulated on any CPU)."""

import pytest
import torch

from modellab.engine import RunConfig, load_model, predict_image, run
from modellab.engine import loop, training
from modellab.engine.loop import Runtime, cpu_train_precision, native_cpu_bf16, train_one_epoch
from modellab.engine.model import Classifier
from modellab.engine.backbones import build_backbone

from .test_training import config


@pytest.mark.parametrize(
    "strategy,setting,native,expected",
    [
        ("scratch", "auto", False, "float32"),
        ("scratch", "auto", True, "bfloat16"),
        ("finetune", "auto", True, "bfloat16"),
        ("finetune_all", "float32", True, "float32"),
        ("finetune", "bfloat16", False, "bfloat16"),
        ("features", "auto", True, "float32"),  # the head on cached float32 vectors
        ("features", "bfloat16", True, "float32"),
    ],
)
def test_cpu_train_precision(strategy, setting, native, expected):
    assert cpu_train_precision(strategy, setting, native) == expected


def test_native_bf16_from_torch_or_the_cpu_flags(monkeypatch, tmp_path):
    """torch's checks decide where it has them; without them the kernel's flags (avx512_bf16, amx_bf16) do."""
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    assert native_cpu_bf16() is False
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True)
    assert native_cpu_bf16() is True

    monkeypatch.delattr(torch.cpu, "_is_avx512_bf16_supported")
    cpuinfo = tmp_path / "cpuinfo"
    monkeypatch.setattr(loop, "CPUINFO", cpuinfo)
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f\n")
    assert native_cpu_bf16() is False
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16\n")
    assert native_cpu_bf16() is True
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu amx_tile amx_bf16\n")
    assert native_cpu_bf16() is True
    cpuinfo.unlink()
    assert native_cpu_bf16() is False


def test_bf16_epoch_computes_in_bfloat16_and_keeps_float32_weights():
    """Under a bfloat16 Runtime the convolutions compute in bfloat16 on channels_last inputs; the weights stay float32."""
    torch.manual_seed(0)
    runtime = Runtime(torch.device("cpu"), cpu_precision="bfloat16")
    model = Classifier(build_backbone("tiny"), num_classes=3).to(memory_format=torch.channels_last)
    seen = []
    first_conv = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))
    first_conv.register_forward_hook(
        lambda m, args, out: seen.append((args[0].is_contiguous(memory_format=torch.channels_last), out.dtype))
    )
    batches = [(torch.randn(8, 3, 32, 32), torch.randint(0, 3, (8,))) for _ in range(2)]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss, accuracy = train_one_epoch(model, batches, optimizer, runtime.grad_scaler(), runtime)
    assert seen == [(True, torch.bfloat16)] * 2
    assert isinstance(loss, float) and loss > 0 and 0.0 <= accuracy <= 1.0
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    assert Runtime(torch.device("cpu")).precision == "float32" and not Runtime(torch.device("cpu")).channels_last


def test_run_forced_to_bfloat16_learns_saves_float32_and_predicts(tmp_path, toy_dataset):
    result = run(config(tmp_path, toy_dataset, strategy="scratch", epochs=3, cpu_precision="bfloat16"))
    assert result.environment["precision"] == "bfloat16"
    note = next(n for n in result.notes if n.startswith("Trained in"))
    assert note.startswith("Trained in bfloat16 autocast with channels_last")
    assert result.epochs[-1].val_accuracy >= 8 / 9  # float32 gets 9 of 9 on this separable set
    assert all(type(e.train_loss) is float and type(e.val_accuracy) is float for e in result.epochs)
    saved = torch.load(result.model_path, weights_only=True)
    assert {v.dtype for v in saved.values() if v.is_floating_point()} == {torch.float32}
    assert all(v.is_contiguous() for v in saved.values())
    model, _ = load_model(result.model_path)
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    assert predict_image(result.model_path, toy_dataset / "red" / "red_000.png", top_k=1)[0][0] == "red"


@pytest.mark.parametrize(
    "native,precision,why",
    [
        (False, "float32", "float32 on the CPU: this CPU has no native bfloat16"),
        (True, "bfloat16", "on this CPU's native bfloat16"),
    ],
)
def test_auto_run_follows_the_cpu(tmp_path, toy_dataset, monkeypatch, native, precision, why):
    """cpu_precision auto: bfloat16 where the CPU has it natively (detection patched either way), float32 where not."""
    monkeypatch.setattr(training, "native_cpu_bf16", lambda: native)
    result = run(config(tmp_path, toy_dataset, strategy="finetune", epochs=1))
    assert result.environment["precision"] == precision
    assert any(n.startswith("Trained in") and why in n for n in result.notes)


def test_cpu_precision_is_validated():
    with pytest.raises(ValueError, match="cpu_precision"):
        RunConfig("d", "c", "o", cpu_precision="float16").validate()
