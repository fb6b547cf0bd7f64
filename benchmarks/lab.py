"""Benchmark of the lab engine's cached-features strategy.

Runs in one process on the same data (handwritten digits upscaled to the backbone's
input size) and prints a table, then one JSON line:

* decode_ips   - images/s served from the decoded-image cache (normalised batches: what extraction
                 waits on), decode_build_ips the first decoding into it (benchmarks/lab_epoch.py);
                 decode_over_extract >= 5;
* extract_ips  - images/s of one feature-extraction pass (decode + frozen backbone);
* cached_s     - wall time of a run with strategy=features and a cold cache (ours);
* recompute_s  - the PyTorch transfer-learning tutorial way: the frozen backbone is
                 recomputed on every train and val image in every epoch while the
                 head trains, then once on the test split (the outputs ours gives);
* cache_hit_s  - the same run as cached_s again (same cache key);
* peak_rss_mb  - peak resident memory of the process.

Targets (2-core CPU, efficientnet_lite0, 1000 images at 224x224, 5 epochs):
cached_s <= 1.15 x extract_s; recompute_s / cached_s >= 4; cached_s / cache_hit_s >= 20.

Usage: python benchmarks/lab.py [--quick] [--images N] [--epochs 5] [--device auto]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from modellab.engine import RunConfig, build_backbone, materialize_digits, run  # noqa: E402
from modellab.engine.backbones import get_spec  # noqa: E402
from modellab.engine.model import Classifier, pool  # noqa: E402
from modellab.engine.data import (  # noqa: E402
    ImageFolderDataset,
    eval_transform,
    scan_image_folder,
    stratified_split,
)
from modellab.engine.training import resolve_device  # noqa: E402
from benchmarks.lab_epoch import served_ips  # noqa: E402


def make_dataset(root: Path, images: int, size: int) -> Path:
    per_class = -(-images // 10)
    materialize_digits(root, max_per_class=per_class, image_size=size)
    return root


@torch.no_grad()
def extraction_pass(dataset: Path, backbone, size: int, batch_size: int, device: torch.device, limit: int | None = None) -> float:
    spec = backbone.spec
    _, samples = scan_image_folder(dataset)
    samples = samples[:limit]
    loader = DataLoader(ImageFolderDataset(dataset, samples, eval_transform(size, spec.mean, spec.std)), batch_size=batch_size)
    t0 = time.perf_counter()
    for x, _, _ in loader:
        x = x.to(device, memory_format=torch.channels_last)
        with torch.autocast("cuda", dtype=torch.float16, enabled=device.type == "cuda"):
            pool(backbone(x)).float().cpu()
    return time.perf_counter() - t0


def tutorial_run(dataset: Path, backbone_name: str, size: int, epochs: int, batch_size: int, device: torch.device) -> float:
    """The PyTorch tutorial's "ConvNet as fixed feature extractor": frozen backbone run every epoch."""
    t0 = time.perf_counter()
    torch.manual_seed(0)
    classes, samples = scan_image_folder(dataset)
    split = stratified_split([label for _, label in samples], 0.2, 0)
    spec = get_spec(backbone_name)
    tf = eval_transform(size, spec.mean, spec.std)
    model = Classifier(build_backbone(backbone_name), len(classes)).to(device)
    for p in model.backbone.parameters():
        p.requires_grad_(False)
    opt = torch.optim.Adam(model.head.parameters(), lr=1e-3)
    train = DataLoader(ImageFolderDataset(dataset, [samples[i] for i in split.train], tf), batch_size=batch_size, shuffle=True)
    val = DataLoader(ImageFolderDataset(dataset, [samples[i] for i in split.val], tf), batch_size=batch_size)
    amp = dict(device_type="cuda", dtype=torch.float16, enabled=device.type == "cuda")
    for _ in range(epochs):
        model.train()
        model.backbone.eval()
        for x, y, _ in train:
            x, y = x.to(device), y.to(device)
            with torch.autocast(**amp):
                loss = nn.functional.cross_entropy(model(x).float(), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            for x, y, _ in val:
                with torch.autocast(**amp):
                    model(x.to(device))
    # Like our run, finish with the held-out test split.
    with torch.no_grad():
        for x, y, _ in DataLoader(ImageFolderDataset(dataset, [samples[i] for i in split.test], tf), batch_size=batch_size):
            with torch.autocast(**amp):
                model(x.to(device))
    return time.perf_counter() - t0


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 images instead of 1000")
    parser.add_argument("--images", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--backbone", default="efficientnet_lite0")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)
    images = args.images or (200 if args.quick else 1000)
    device = resolve_device(args.device)
    spec = get_spec(args.backbone)
    size = spec.input_size

    with tempfile.TemporaryDirectory(prefix="lab-bench-") as tmp:
        tmp = Path(tmp)
        dataset = make_dataset(tmp / "digits", images, size)
        # Its own cache folder: the cold run below decodes the images itself.
        served = served_ips(dataset, tmp / "served", size, spec.mean, spec.std, args.batch_size, device)
        n = served["images"]

        backbone = build_backbone(args.backbone).to(device).eval().to(memory_format=torch.channels_last)
        extraction_pass(dataset, backbone, size, args.batch_size, device, limit=2 * args.batch_size)  # warm-up
        extract_s = extraction_pass(dataset, backbone, size, args.batch_size, device)
        del backbone

        config = RunConfig(
            dataset_dir=str(dataset),
            cache_dir=str(tmp / "cache"),
            output_dir=str(tmp / "out"),
            backbone=args.backbone,
            strategy="features",
            epochs=args.epochs,
            batch_size=args.batch_size,
            device=args.device,
        )
        t0 = time.perf_counter()
        cold = run(config)
        cached_s = time.perf_counter() - t0
        assert not cold.cache_hit

        recompute_s = tutorial_run(dataset, args.backbone, size, args.epochs, args.batch_size, device)

        t0 = time.perf_counter()
        hot = run(config)
        cache_hit_s = time.perf_counter() - t0
        assert hot.cache_hit

    result = {
        "backbone": args.backbone,
        "images": n,
        "image_size": size,
        "epochs": args.epochs,
        "device": str(device),
        "threads": torch.get_num_threads(),
        "decode_ips": served["decode_ips"],
        "decode_build_ips": served["decode_build_ips"],
        "decode_over_extract": round(served["decode_ips"] * extract_s / n, 1),
        "extract_ips": round(n / extract_s, 1),
        "extract_s": round(extract_s, 3),
        "cached_s": round(cached_s, 3),
        "recompute_s": round(recompute_s, 3),
        "cache_hit_s": round(cache_hit_s, 3),
        "cached_over_extract": round(cached_s / extract_s, 3),
        "recompute_over_cached": round(recompute_s / cached_s, 2),
        "cached_over_hit": round(cached_s / cache_hit_s, 1),
        "val_accuracy": round(cold.epochs[-1].val_accuracy, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    targets = {
        "decode_over_extract": (">=", 5.0),
        "cached_over_extract": ("<=", 1.15),
        "recompute_over_cached": (">=", 4.0),
        "cached_over_hit": (">=", 20.0),
    }
    print(f"{'metric':<24}{'value':>12}  target")
    for key, value in result.items():
        target = targets.get(key)
        mark = ""
        if target:
            ok = value <= target[1] if target[0] == "<=" else value >= target[1]
            mark = f"{target[0]} {target[1]}  {'ok' if ok else 'MISSED'}"
        print(f"{key:<24}{value!s:>12}  {mark}")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    if "--demo" in sys.argv:  # the lesson's ready-made comparison: benchmarks/lab_demo.py
        sys.exit(__import__("lab_demo").main() and 0)
    main()
