"""The data-size lesson's measured reference: its sweep preset and an augmentation comparison, run on the engine and timed.

Reads the presets ``data-size-sweep`` and ``augmentation`` from ``content/lessons/how-much-data-do-you-need.yaml``
(dataset, backbone, epochs, input size, learning rate, batch size, sizes; the augmentation preset's strategy and
images per class), writes the digits 0, 1, 2, then runs, one after the other in one process on a cold feature cache:

* the sweep: frozen features (``features``) and from scratch (``scratch``) at each size, as
  ``train_per_class`` (a seeded, nested draw of each class's training images; the same validation images);
* the augmentation comparison: frozen features and from scratch with ``augment=True`` (random resized crop of
  70-100% of the area and a flip; ``features`` caches ``augment_views`` fixed views per image, default 2)
  at the augmentation preset's images per class and with all the data, against the sweep's runs without it.

``--only augmentation`` runs the augmentation preset's arms alone, as the lab runs it (without, then with).

Prints a table, the sweep as the lesson file's ``measured.sweep`` and its runs with all the data as
``measured.runs`` (YAML), then one JSON line with every run (train and validation accuracy and loss by
epoch, seconds), the processor (/proc/cpuinfo), torch's threads and the load average before and after.
Usage: python benchmarks/lab_data_size.py [--threads 1] [--device cpu] [--only augmentation]
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
LESSON = ROOT / "content" / "lessons" / "how-much-data-do-you-need.yaml"


def lesson_preset(path: Path = LESSON, key: str = "data-size-sweep") -> dict:
    """The lesson's ``lab.presets`` entry with ``key``, as the YAML writes it."""
    presets = yaml.safe_load(path.read_text())["lab"]["presets"]
    return next(p for p in presets if p["key"] == key)


def preset_arms(preset: dict) -> list[tuple[str, bool]]:
    """(strategy, augment) of each arm of a preset, as the lab queues them (``augment``: one value or one per arm)."""
    augment = preset.get("augment", False)
    flags = augment if isinstance(augment, list) else [augment] * len(preset["strategies"])
    return list(zip(preset["strategies"], flags, strict=True))


def measured_section(runs: list[dict], classes: int) -> dict:
    """The runs without augmentation as a lesson file's ``measured``: ``sweep`` (every size, images per
    class from the run's training split) and ``runs`` (those with all the data; no worker: start-up 0)."""
    plain = [r for r in runs if not r["augment"]]
    sweep = [
        {
            "per_class": round(r["split_sizes"]["train"] / classes),
            "strategy": r["strategy"],
            "val_accuracy": r["val_accuracy"][-1],
        }
        for r in plain
    ]
    measured_runs = [
        {
            "strategy": r["strategy"],
            "seconds": {
                "startup": 0.0,
                "extraction": r["extract_seconds"],
                "training": round(r["engine_seconds"] - r["extract_seconds"], 1),
            },
            "epochs": [
                {"epoch": i + 1, "val_accuracy": a, "val_loss": loss, "elapsed": t}
                for i, (a, loss, t) in enumerate(zip(r["val_accuracy"], r["val_loss"], r["elapsed"], strict=True))
            ],
        }
        for r in plain
        if r["per_class"] is None
    ]
    return {"runs": measured_runs, "sweep": sweep}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's own choice)")
    parser.add_argument("--lesson", default=str(LESSON))
    parser.add_argument("--only", choices=["augmentation"], help="run only this preset's arms")
    args = parser.parse_args(argv)
    load_avg = [round(x, 2) for x in os.getloadavg()]
    sys.path.insert(0, str(ROOT))
    import torch

    from modellab.engine import RunConfig, materialize_digits, run
    from modellab.engine.environment import processor_name

    if args.threads:
        torch.set_num_threads(args.threads)
    preset = lesson_preset(Path(args.lesson))
    augmentation = lesson_preset(Path(args.lesson), "augmentation")
    sizes = [None if s == "all" else int(s) for s in preset["sweep"]]
    started = time.perf_counter()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        materialize_digits(data, classes=[0, 1, 2])

        def one(strategy: str, per_class: int | None, augment: bool) -> dict:
            t = time.perf_counter()
            result = run(
                RunConfig(
                    dataset_dir=str(data),
                    cache_dir=str(Path(tmp) / "cache"),
                    output_dir=str(Path(tmp) / f"run{len(runs)}"),
                    backbone=preset["backbone"],
                    strategy=strategy,
                    epochs=preset["epochs"],
                    lr=preset.get("lr", 1e-3),
                    batch_size=preset.get("batch_size", 32),
                    image_size=preset.get("image_size"),
                    device=args.device,
                    train_per_class=per_class,
                    augment=augment,
                )
            )
            entry = {
                "strategy": strategy,
                "per_class": per_class,
                "augment": augment,
                "split_sizes": result.split_sizes,
                "seconds": round(time.perf_counter() - t, 1),
                "extract_seconds": round(result.extract_seconds, 1),
                "engine_seconds": round(result.seconds, 1),
                "train_accuracy": [round(e.train_accuracy, 4) for e in result.epochs],
                "train_loss": [round(e.train_loss, 4) for e in result.epochs],
                "val_accuracy": [round(e.val_accuracy, 4) for e in result.epochs],
                "val_loss": [round(e.val_loss, 4) for e in result.epochs],
                "elapsed": [round(e.elapsed, 1) for e in result.epochs],
            }
            runs.append(entry)
            print(
                f"{strategy:<9}{str(per_class):>6}{'aug' if augment else '':>5}{entry['seconds']:>8}  "
                f"train {entry['train_accuracy']}  val {entry['val_accuracy']}",
                flush=True,
            )
            return entry

        if args.only == "augmentation":
            for strategy, augment in preset_arms(augmentation):
                one(strategy, augmentation.get("train_per_class"), augment)
        else:
            for strategy in ("features", "scratch"):
                for size in sorted(sizes, key=lambda s: 10**9 if s is None else s, reverse=strategy == "features"):
                    one(strategy, size, False)
            for strategy in ("features", "scratch"):
                for size in (augmentation.get("train_per_class"), None):
                    one(strategy, size, True)
    wall = time.perf_counter() - started
    out = {
        "preset": augmentation["key"] if args.only else preset["key"],
        "backbone": preset["backbone"],
        "image_size": preset.get("image_size"),
        "epochs": preset["epochs"],
        "wall_s": round(wall, 1),
        "threads": torch.get_num_threads(),
        "runs": runs,
        "load_avg": load_avg,
        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
        "processor": processor_name(),
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    }
    section = measured_section(runs, classes=3)
    print(f"every run: {out['wall_s']} s (load average before: {load_avg}, after: {out['load_avg_after']})")
    print(yaml.safe_dump(section, sort_keys=False))
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
