"""Benchmark of what the lab engine's loops wait on: images served from the decoded cache, and epochs against pure compute.

Two measurements, each in one process on the same data (handwritten digits upscaled to the
backbone's input size), printed as a table, then one JSON line:

* decode_build_ips  - images/s of the first decoding into the cache (Pillow, once per dataset and size);
* decode_ips        - images/s served from the decoded cache: gathered, normalised float batches,
                      what the feature extraction waits on between two backbone passes;
* extract_ips       - images/s of the engine's extractor (ONNX Runtime on the CPU, PyTorch on CUDA)
                      fed from that cache; target decode_ips >= 5 x extract_ips;
* per case (backbone / strategy):
  epoch_s             the engine's training pass (train_one_epoch over the strategy's own
                      batches, a progress callback and a cancel check as a worker passes them);
  compute_s           forward, backward and optimizer step over the same batches, already
                      preprocessed and in memory on the device;
  epoch_over_compute  target <= 1.3; val_s (one evaluation pass) and val_accuracy (after the last pass)
                      are shown, not counted.
  Both are the fastest of --repeats alternating passes on the same model (this machine is shared),
  in the precision the lab trains in on this machine (``precision``: engine.loop.cpu_train_precision
  with cpu_precision auto; float16 autocast on CUDA).
* bf16 - where the CPU has native bfloat16 (AVX-512 BF16 or AMX), each case also trains a second model,
  built from the same seed, under bfloat16 autocast with channels_last, its passes interleaved with the
  float32 model's: ``by_precision`` holds both rows, ``bf16_speedup`` is float32's epoch_s over
  bfloat16's, and ``bf16_accuracy_drop`` (float32's validation accuracy minus bfloat16's after the same
  passes) has the target <= BF16_TOLERANCE. Elsewhere the JSON line's ``bf16`` says why it was skipped;
  ``--bf16 always`` measures it anyway (emulated: slow), ``--bf16 never`` skips it.

Exits 1 when a target is missed. ``benchmarks/lab.py`` calls ``served_ips``.
On a machine other work shares, ``--threads 1`` keeps torch's threads from waiting on each other.
Usage: python benchmarks/lab_epoch.py [--images 200] [--tiny-images 1000] [--repeats 3] [--threads N] [--device auto]
       [--bf16 auto|always|never]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from modellab.engine import RunConfig, materialize_digits  # noqa: E402
from modellab.engine.backbones import get_spec  # noqa: E402
from modellab.engine.data import decode_pixels, scan_image_folder, stratified_split  # noqa: E402
from modellab.engine.extractor import choose_extractor, loop_threads  # noqa: E402
from modellab.engine.decoded import decoded_images  # noqa: E402
from modellab.engine.loop import (  # noqa: E402
    BF16_FLAGS,
    Runtime,
    cpu_train_precision,
    evaluate,
    native_cpu_bf16,
    train_one_epoch,
)
from modellab.engine.network import prepare_network  # noqa: E402
from modellab.engine.pixels import ImageBatches, Preprocess  # noqa: E402
from modellab.engine.progress import TRAIN  # noqa: E402
from modellab.engine.strategy import RunData  # noqa: E402
from modellab.engine.training import _optimizer, _seeded, resolve_device  # noqa: E402

BF16_TOLERANCE = 0.05  # bfloat16's validation accuracy may trail float32's (same seed, same passes) by this much
TARGETS = {"decode_over_extract": (">=", 5.0), "epoch_over_compute": ("<=", 1.3), "bf16_accuracy_drop": ("<=", BF16_TOLERANCE)}
# (backbone, strategy): the tiny network at 32 px on --tiny-images, Lite0 fine-tuned at 224 px on --images.
CASES = (("tiny", "scratch"), ("tiny", "finetune"), ("efficientnet_lite0", "finetune"))


def digits(root: Path, images: int, size: int) -> Path:
    """The handwritten digits, ``images`` in all (10 classes), as PNGs of ``size`` px."""
    materialize_digits(root, max_per_class=-(-images // 10), image_size=size)
    return root


def served_ips(dataset: Path, cache_dir: Path, size: int, mean, std, batch_size: int, device: torch.device) -> dict:
    """decode_build_ips (the cache filled from the files) and decode_ips (normalised batches served from it)."""
    _, samples = scan_image_folder(dataset)
    decode_pixels(dataset / samples[0][0], size)  # the first call imports torchvision: not decoding
    t0 = time.perf_counter()
    pixels = decoded_images(cache_dir, dataset, samples, size).pixels
    build_s = time.perf_counter() - t0
    labels = torch.tensor([label for _, label in samples])
    batches = ImageBatches(pixels, labels, range(len(samples)), batch_size, Preprocess(mean, std), device)
    for _ in batches:  # the first pass reads the pages of the file
        pass
    t0 = time.perf_counter()
    for x, _, _ in batches:
        x.sum().item()  # the batch really exists (and, on CUDA, has arrived)
    serve_s = time.perf_counter() - t0
    return {
        "images": len(samples),
        "decode_build_ips": round(len(samples) / build_s, 1),
        "decode_ips": round(len(samples) / serve_s, 1),
    }


@torch.no_grad()
def engine_extract_ips(dataset: Path, cache_dir: Path, backbone_name: str, batch_size: int, device: torch.device) -> float:
    """Images/s of the engine's extractor (modellab.engine.extractor.choose_extractor: ONNX Runtime on
    the CPU, PyTorch under autocast on CUDA) over batches from the decoded cache, as features.py runs it."""
    spec = get_spec(backbone_name)
    _, samples = scan_image_folder(dataset)
    pixels = decoded_images(cache_dir, dataset, samples, spec.input_size).pixels
    labels = torch.tensor([label for _, label in samples])
    extractor, _ = choose_extractor(spec, spec.input_size, device, str(cache_dir))
    batches = ImageBatches(pixels, labels, range(len(samples)), batch_size, Preprocess(spec.mean, spec.std), device)
    with loop_threads(extractor):
        for i, (x, _, _) in enumerate(batches):  # warm-up: two batches
            extractor(x)
            if i == 1:
                break
        t0 = time.perf_counter()
        for x, _, _ in batches:
            extractor(x)
        return len(samples) / (time.perf_counter() - t0)


def _compute_pass(model: nn.Module, batches: list, optimizer, runtime: Runtime) -> None:
    """Forward, backward and optimizer step over batches already on the device: the floor of an epoch."""
    model.train()
    for x, y in batches:
        with runtime.autocast():
            loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    if runtime.device.type == "cuda":
        torch.cuda.synchronize()


class Arm:
    """One precision's model of a case, built from the same seed as the others, and its timings."""

    def __init__(self, config: RunConfig, spec, data: RunData, device: torch.device, cpu_precision: str):
        self.reports: list = []
        self.runtime = Runtime(device, lambda: False, self.reports.append, cpu_precision=cpu_precision)
        with _seeded(config.seed, device):
            self.setup = prepare_network(config, spec, data, self.runtime)
        self.optimizer = _optimizer(config.optimizer, self.setup.model.parameters(), config.lr)
        self.scaler = self.runtime.grad_scaler()
        # As the engine's loop hands them to the model: channels_last where the precision wants it.
        self.in_memory = [(self.runtime.to_device(x), y) for x, y, _ in self.setup.train]
        self.epoch: list[float] = []
        self.compute: list[float] = []
        self.val: list[float] = []
        self.val_accuracy = 0.0

    def warm_up(self) -> None:
        train_one_epoch(self.setup.model, self.setup.train, self.optimizer, self.scaler, self.runtime)
        _compute_pass(self.setup.model, self.in_memory, self.optimizer, self.runtime)

    def measure(self) -> None:
        """One timed epoch, compute pass and evaluation pass."""
        model, rt = self.setup.model, self.runtime
        t0 = time.perf_counter()
        train_one_epoch(model, self.setup.train, self.optimizer, self.scaler, rt, rt.meter(TRAIN, len(self.setup.train)))
        self.epoch.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        _compute_pass(model, self.in_memory, self.optimizer, rt)
        self.compute.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        self.val_accuracy = evaluate(model, self.setup.val, rt).accuracy
        self.val.append(time.perf_counter() - t0)

    def row(self) -> dict:
        epoch_s, compute_s = min(self.epoch), min(self.compute)
        return {
            "epoch_s": round(epoch_s, 4),
            "compute_s": round(compute_s, 4),
            "epoch_over_compute": round(epoch_s / compute_s, 3),
            "val_s": round(min(self.val), 4),
            "val_accuracy": round(self.val_accuracy, 4),
            "progress_reports": len(self.reports),
        }


def epoch_case(
    dataset: Path,
    cache_dir: Path,
    backbone: str,
    strategy: str,
    batch_size: int,
    repeats: int,
    device: torch.device,
    bf16: bool = False,
) -> dict:
    """epoch_s, compute_s and their ratio for one backbone and strategy on ``dataset``, in the precision the
    lab picks on this machine; with ``bf16`` (CPU only) float32 and bfloat16 side by side, interleaved."""
    spec = get_spec(backbone)
    config = RunConfig(
        dataset_dir=str(dataset),
        cache_dir=str(cache_dir),
        output_dir=str(cache_dir / "out"),
        backbone=backbone,
        strategy=strategy,
        batch_size=batch_size,
        device=device.type,
    )
    classes, samples = scan_image_folder(dataset)
    data = RunData(
        root=dataset,
        class_names=classes,
        samples=samples,
        split=stratified_split([label for _, label in samples], config.val_fraction, config.seed),
        image_size=spec.input_size,
        mean=spec.mean,
        std=spec.std,
        cache_dir=cache_dir,
    )
    arms = [Arm(config, spec, data, device, p) for p in (("float32", "bfloat16") if bf16 else ("float32",))]
    with _seeded(config.seed, device):
        for arm in arms:
            arm.warm_up()
        for _ in range(repeats):
            for arm in arms:  # alternating: the machine's load falls on both alike
                arm.measure()
    rows = {arm.runtime.precision: arm.row() for arm in arms}
    picked = cpu_train_precision(strategy, "auto", native_cpu_bf16()) if device.type == "cpu" else "float16"
    picked = picked if picked in rows else next(iter(rows))
    case = {
        "backbone": backbone,
        "strategy": strategy,
        "images": len(samples),
        "train_images": len(data.split.train),
        "image_size": spec.input_size,
        "precision": picked,
        **rows[picked],
    }
    if bf16:
        fp32, bf = rows["float32"], rows["bfloat16"]
        case["by_precision"] = rows
        case["bf16_speedup"] = round(fp32["epoch_s"] / bf["epoch_s"], 3)
        case["bf16_accuracy_drop"] = round(fp32["val_accuracy"] - bf["val_accuracy"], 4)
    return case


def epoch_cases(
    tmp: Path, images: int, tiny_images: int, batch_size: int, repeats: int, device: torch.device, bf16: bool = False
) -> list[dict]:
    """epoch_case for each of CASES on digits at the backbone's input size (``tiny_images`` of them for tiny)."""
    out = []
    for backbone, strategy in CASES:
        size, n = get_spec(backbone).input_size, tiny_images if backbone == "tiny" else images
        dataset = tmp / f"digits-{n}-{size}"
        if not dataset.exists():
            digits(dataset, n, size)
        out.append(epoch_case(dataset, tmp / "cache", backbone, strategy, batch_size, repeats, device, bf16))
    return out


def missed(result: dict) -> list[str]:
    """The targets a result misses, as 'key value target' strings."""
    out = []
    cases = result.get("cases", [])
    checks = [("decode_over_extract", result)] + [(key, c) for c in cases for key in ("epoch_over_compute", "bf16_accuracy_drop")]
    for key, row in checks:
        op, limit = TARGETS[key]
        if key in row and not (row[key] <= limit if op == "<=" else row[key] >= limit):
            where = f"{row['backbone']} / {row['strategy']}: " if "strategy" in row else ""
            out.append(f"{where}{key} {row[key]} (target {op} {limit})")
    return out


def bf16_plan(choice: str, device: torch.device) -> str:
    """ "" to measure bfloat16 beside float32, else why it is skipped (the JSON line's ``bf16``)."""
    if device.type != "cpu":
        return "skipped: the epochs ran on CUDA (float16 autocast); bfloat16 is the CPU's side by side"
    if choice == "never":
        return "skipped: --bf16 never"
    if choice == "auto" and not native_cpu_bf16():
        return f"skipped: this CPU has no native bfloat16 (no {'/'.join(BF16_FLAGS)})"
    return ""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200, help="digits for decode/extract and Lite0's epochs")
    parser.add_argument("--tiny-images", type=int, default=1000, help="digits for the tiny network's epochs")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's own choice)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backbone", default="efficientnet_lite0", help="the backbone of decode_ips / extract_ips")
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--bf16",
        choices=("auto", "always", "never"),
        default="auto",
        help="bfloat16 epochs beside float32 ones on the CPU: auto = where the CPU has native bfloat16; "
        "always = also where it is emulated (slow)",
    )
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    skip_bf16 = bf16_plan(args.bf16, device)
    spec = get_spec(args.backbone)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lab-epoch-") as tmp:
        tmp = Path(tmp)
        dataset = digits(tmp / f"digits-{args.images}-{spec.input_size}", args.images, spec.input_size)
        served = served_ips(dataset, tmp / "cache", spec.input_size, spec.mean, spec.std, args.batch_size, device)
        extract_ips = engine_extract_ips(dataset, tmp / "cache", args.backbone, args.batch_size, device)
        cases = epoch_cases(tmp, args.images, args.tiny_images, args.batch_size, args.repeats, device, not skip_bf16)
    result = {
        "benchmark": "lab_epoch",
        "backbone": args.backbone,
        "images": args.images,
        "image_size": spec.input_size,
        "device": str(device),
        "threads": torch.get_num_threads(),
        "decode_build_ips": served["decode_build_ips"],
        "decode_ips": served["decode_ips"],
        "extract_ips": round(extract_ips, 1),
        "decode_over_extract": round(served["decode_ips"] / extract_ips, 1),
        "epoch_over_compute": max(c["epoch_over_compute"] for c in cases),
        "cases": cases,
        "bf16": skip_bf16 or ("measured: native" if native_cpu_bf16() else "measured: emulated (--bf16 always)"),
        "wall_s": round(time.perf_counter() - started, 1),
    }
    result["missed"] = missed(result)
    result["ok"] = not result["missed"]
    print(
        f"{'backbone / strategy':<30}{'precision':>10}{'images':>7}{'epoch_s':>10}{'compute_s':>11}{'ratio':>8}{'val_s':>9}{'val_acc':>9}"
    )
    for c in cases:
        for precision, row in (c.get("by_precision") or {c["precision"]: c}).items():
            print(
                f"{c['backbone'] + ' / ' + c['strategy']:<30}{precision:>10}{c['images']:>7}{row['epoch_s']:>10.3f}"
                f"{row['compute_s']:>11.3f}{row['epoch_over_compute']:>8.3f}{row['val_s']:>9.3f}{row['val_accuracy']:>9.3f}"
            )
        if "bf16_speedup" in c:
            print(
                f"  bf16_speedup {c['bf16_speedup']} (float32's epoch_s over bfloat16's), bf16_accuracy_drop "
                f"{c['bf16_accuracy_drop']:.3f} (target <= {BF16_TOLERANCE}); the lab trains this case in {c['precision']}"
            )
    print(f"bf16: {result['bf16']}")
    print(
        f"decode_build_ips {served['decode_build_ips']}, decode_ips {served['decode_ips']}, "
        f"extract_ips {result['extract_ips']} ({args.backbone}): decode/extract {result['decode_over_extract']}"
    )
    for line in result["missed"]:
        print(f"MISSED: {line}")
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
