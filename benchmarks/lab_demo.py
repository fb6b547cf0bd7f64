"""The lesson's ready-made comparison (``benchmarks/lab.py --demo``): every arm as the lesson's preset says, timed.

Reads the preset ``ready-made`` from the lesson's YAML (dataset, backbone, strategies, epochs, input size,
learning rate, batch size), writes its dataset (the digits 0, 1, 2, or cat/dog/bird where ``--cifar-root``
holds CIFAR-10), then runs its arms (every layer fine-tuned from the pre-trained weights, from scratch,
frozen features) one after the other on a cold feature cache, as one worker does, each with the same
settings. Prints a table, then one JSON line:

* demo_wall_s      - every arm, end to end in this process (importing the engine not counted);
* arms             - per arm: seconds, extraction seconds, validation accuracy and loss, elapsed seconds by epoch;
* ahead_every_epoch - the first pre-trained arm's validation accuracy above from scratch's at every epoch;
* processor        - the CPU's model name (/proc/cpuinfo);
* threads          - torch's CPU threads (--threads; on a loaded 2-core machine 1 thread was about
                     5x faster than 2, which wait on each other; measured in issue 12);
* load_avg         - the machine's 1/5/15-minute load before the run (this machine is shared).

The click-to-done time in a browser, with a real worker, is tests/e2e/test_lab_demo.py; a lesson's measured
reference is run on the lab's workers and published by ``manage.py lab_reference`` (docs/lab.md).
Usage: python benchmarks/lab.py --demo [--cifar-root PATH] [--threads N] [--device cpu]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "content" / "lessons" / "why-pretrained-models-save-time.yaml"


def ready_made_preset(path: Path = LESSON) -> dict:
    """The lesson's ``lab.presets`` entry with key ``ready-made``, as the YAML writes it."""
    return next(p for p in yaml.safe_load(Path(path).read_text())["lab"]["presets"] if p["key"] == "ready-made")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", action="store_true", help="(how lab.py hands over to this script)")
    parser.add_argument("--cifar-root", help="a folder holding cifar-10-batches-py/: the lesson's cat/dog/bird")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's own choice)")
    args = parser.parse_args(argv)
    load_avg = [round(x, 2) for x in os.getloadavg()]
    sys.path.insert(0, str(ROOT))
    import torch

    from modellab.engine import RunConfig, materialize_cifar10, materialize_digits, run
    from modellab.engine.environment import processor_name

    if args.threads:
        torch.set_num_threads(args.threads)
    preset = ready_made_preset()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        cifar = args.cifar_root and (Path(args.cifar_root) / "cifar-10-batches-py").is_dir()
        if cifar and "builtin:cifar-cat-dog-bird" in preset["datasets"]:
            materialize_cifar10(args.cifar_root, data, classes=("cat", "dog", "bird"), per_class=100)
            dataset = "builtin:cifar-cat-dog-bird"
        else:
            materialize_digits(data, classes=[0, 1, 2])
            dataset = "builtin:digits-3"
        started = time.perf_counter()
        arms = {}
        for strategy in preset["strategies"]:
            t = time.perf_counter()
            result = run(
                RunConfig(
                    dataset_dir=str(data),
                    cache_dir=str(Path(tmp) / "cache"),
                    output_dir=str(Path(tmp) / strategy),
                    backbone=preset["backbone"],
                    strategy=strategy,
                    epochs=preset["epochs"],
                    lr=preset.get("lr", 1e-3),
                    batch_size=preset.get("batch_size", 32),
                    image_size=preset.get("image_size"),
                    device=args.device,
                )
            )
            arms[strategy] = {
                "seconds": round(time.perf_counter() - t, 1),
                "extract_seconds": round(result.extract_seconds, 1),
                "val_accuracy": [round(e.val_accuracy, 4) for e in result.epochs],
                "val_loss": [round(e.val_loss, 4) for e in result.epochs],
                "elapsed": [round(e.elapsed, 1) for e in result.epochs],
                "engine_seconds": round(result.seconds, 1),
                "environment": result.environment,
            }
        wall = time.perf_counter() - started
    pre = arms[next(s for s in preset["strategies"] if s != "scratch")]["val_accuracy"]
    scratch = arms["scratch"]["val_accuracy"] if "scratch" in arms else []
    out = {
        "dataset": dataset,
        "backbone": preset["backbone"],
        "image_size": preset.get("image_size"),
        "epochs": preset["epochs"],
        "demo_wall_s": round(wall, 1),
        "threads": torch.get_num_threads(),
        "ahead_every_epoch": all(a > b for a, b in zip(pre, scratch, strict=True)),
        "arms": arms,
        "load_avg": load_avg,
        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
        "processor": processor_name(),
    }
    print(f"{'arm':<10}{'seconds':>9}{'extract':>9}  validation accuracy by epoch")
    for name, arm in arms.items():
        print(f"{name:<10}{arm['seconds']:>9}{arm['extract_seconds']:>9}  {arm['val_accuracy']}")
    print(f"every arm: {out['demo_wall_s']} s (load average before: {load_avg}, after: {out['load_avg_after']})")
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
