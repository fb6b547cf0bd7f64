"""GPU speed of the lab engine: feature extraction and training images/s for EfficientNet-Lite0 and ResNet-18.

For each backbone (random weights: speed does not depend on them, and the GPU machine may lack
the weights), on synthetic 224x224 batches already on the GPU:

* extract_ips - the engine's CUDA extractor (:func:`modellab.engine.extractor.torch_extractor`:
                channels_last, bfloat16 autocast where the GPU has it) on batches of ``--batch``;
* train_ips   - the engine's ``train_one_epoch`` on a from-scratch Classifier (every parameter
                trained, channels_last, the engine's autocast and gradient scaling).

Prints a table, then one JSON line. Without CUDA it says so, prints ``{"skipped": ...}`` and exits 0.
Usage: python benchmarks/gpu_speed.py [--batch 128] [--steps 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BACKBONES = ("efficientnet_lite0", "resnet18")


def _timed(fn, steps: int) -> float:
    """Seconds of ``steps`` calls of ``fn`` after 3 warm-up calls, the GPU synchronised at both ends."""
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        fn()
    torch.cuda.synchronize()
    return time.perf_counter() - t0


def measure(name: str, batch: int, steps: int, device: torch.device) -> dict:
    from modellab.engine import build_backbone
    from modellab.engine.extractor import extract_precision, torch_extractor
    from modellab.engine.loop import Runtime, train_one_epoch
    from modellab.engine.model import Classifier

    torch.manual_seed(0)
    x = torch.randn(batch, 3, 224, 224, device=device)
    y = torch.randint(0, 10, (batch,), device=device)
    extract = torch_extractor(build_backbone(name, pretrained=False), device)
    extract_s = _timed(lambda: extract(x), steps)

    runtime = Runtime(device)
    model = Classifier(build_backbone(name, pretrained=False), 10).to(device).to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scaler = runtime.grad_scaler()
    train_s = _timed(lambda: train_one_epoch(model, [(x, y)], optimizer, scaler, runtime), steps)
    return {
        "extract_ips": round(batch * steps / extract_s, 1),
        "extract_precision": extract_precision(device),
        "train_ips": round(batch * steps / train_s, 1),
    }


def main(argv=None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print("gpu_speed: skipped, no CUDA device (torch.cuda.is_available() is False)")
        print(json.dumps({"skipped": "no CUDA device"}))
        return None
    device = torch.device("cuda")
    results = {name: measure(name, args.batch, args.steps, device) for name in BACKBONES}
    print(f"{'backbone':<22}{'extract img/s':>15}{'train img/s':>14}  ({torch.cuda.get_device_name(0)}, batch {args.batch})")
    for name, r in results.items():
        print(f"{name:<22}{r['extract_ips']:>15}{r['train_ips']:>14}")
    line = {"device": torch.cuda.get_device_name(0), "batch": args.batch, "steps": args.steps, "backbones": results}
    print(json.dumps(line))
    return line


if __name__ == "__main__":
    main()
