"""Benchmark of the lab engine's cached-features strategy, with its extraction runtime measured against the others.

Runs in one process on the same data (handwritten digits upscaled to the backbone's
input size) and prints a table, then one JSON line:

* runtimes     - images/s of the frozen backbone + pooling on the same batch of 32 decoded
                 images, side by side, interleaved round by round (median of the rounds):
                 ``torch_nchw``, ``torch_channels_last``, ``onnxruntime`` (a session built here
                 directly from the engine's exported file; CPU only) and ``ours`` (the
                 extractor the engine chose, :func:`modellab.engine.extractor.choose_extractor`);
* ours_over_best - runtimes.ours / the best of the others;
* extract_runtime - what the engine extracts with ("onnxruntime", or "torch" and why);
* onnx_export_s - the one-time export and parity check of the backbone (CPU; 0 when reused);
* decode_ips   - images/s served from the decoded-image cache (normalised batches: what extraction
                 waits on), decode_build_ips the first decoding into it (benchmarks/lab_epoch.py);
                 decode_over_extract = decode_ips / extract_ips (target >= 5);
* extract_ips  - images/s of the cold run's extraction pass (batches from the decoded-image cache,
                 built beforehand as any earlier run on the dataset at this size leaves it, through
                 the backbone and pooling);
* extract_over_onnxruntime - the extraction pass against a direct ONNX Runtime session over the same
                 images, paired round by round (median of the rounds' ratios; CPU only). Each round
                 times, in alternating order, (a) ours: the extraction of a run whose feature cache
                 was just emptied (the run's extract_seconds: the exported file loaded and checked,
                 a session built, every image gathered from the decoded-image cache, normalised,
                 extracted and the cache written) and (b) direct: a session built from the same
                 file with ONNX Runtime's default options and torch's thread count, over the same
                 images already normalised in memory. Both pay a fresh session's one-off costs;
                 ``extraction_rounds`` lists each round's images/s;
* cached_s     - wall time of a run with strategy=features and a cold feature cache (ours; the
                 images already decoded);
* recompute_s  - the PyTorch transfer-learning tutorial way, built like the measured run (the
                 same extractor: same runtime, same layout): the frozen backbone recomputed on
                 every train and val image in every epoch while the head trains, then once on
                 the test split (the outputs ours gives);
* cache_hit_s  - the same run as cached_s again (same cache key);
* peak_rss_mb  - peak resident memory of the process;
* missed       - the targets missed (the script then exits 1).

Targets (2-core CPU, efficientnet_lite0, 224x224, 10 epochs): cached_s <= 1.15 x extract_s;
recompute_s / cached_s >= 4; cached_s / cache_hit_s >= 20; ours_over_best >= 0.95;
decode_over_extract >= 5; on the CPU extract_over_onnxruntime >= 0.95. Before the timed runs the process does one small run
with the tiny backbone, as a worker that has already loaded the engine.

Why 10 epochs (the PyTorch tutorial trains 25): with the baseline built like the measured run, the
recomputed backbone sees 0.8 N images per epoch (train and val) plus 0.2 N once (test) against our
one pass over N, so recompute/cached can be at most 0.8 x epochs + 0.2: 4.2 at 5 epochs, where the
target of 4 would measure this machine's noise, and 8.2 at 10.

Usage: python benchmarks/lab.py [--quick] [--images N] [--epochs 10] [--device auto] [--rounds N]
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from modellab.engine import RunConfig, build_backbone, materialize_digits, run  # noqa: E402
from modellab.engine.backbones import get_spec  # noqa: E402
from modellab.engine.data import ImageFolderDataset, eval_transform, scan_image_folder, stratified_split  # noqa: E402
from modellab.engine.extractor import choose_extractor, loop_threads  # noqa: E402
from modellab.engine.decoded import decoded_images  # noqa: E402
from modellab.engine.model import pool  # noqa: E402
from modellab.engine.pixels import ImageBatches, Preprocess  # noqa: E402
from modellab.engine.runtime_onnx import INPUT, onnx_path  # noqa: E402
from modellab.engine.training import resolve_device  # noqa: E402
from benchmarks.lab_epoch import served_ips  # noqa: E402

TARGETS = {
    "decode_over_extract": (">=", 5.0),
    "cached_over_extract": ("<=", 1.15),
    "recompute_over_cached": (">=", 4.0),
    "cached_over_hit": (">=", 20.0),
    "ours_over_best": (">=", 0.95),
    "extract_over_onnxruntime": (">=", 0.95),  # issue 24: "within 5% of a direct session"
}


def make_dataset(root: Path, images: int, size: int) -> Path:
    per_class = -(-images // 10)
    materialize_digits(root, max_per_class=per_class, image_size=size)
    return root


def first_batch(dataset: Path, size: int, mean, std, batch_size: int) -> torch.Tensor:
    """The dataset's first ``batch_size`` images, decoded and preprocessed (NCHW float32), as the loader gives them."""
    _, samples = scan_image_folder(dataset)
    loader = DataLoader(ImageFolderDataset(dataset, samples, eval_transform(size, mean, std)), batch_size=batch_size)
    return next(iter(loader))[0]


def runtime_table(batch: torch.Tensor, name: str, device: torch.device, cache_dir: Path, rounds: int) -> tuple[dict, str, float]:
    """(img/s per runtime on ``batch``, what the engine extracts with, seconds of the engine's export and check)."""
    t0 = time.perf_counter()
    ours, fallback = choose_extractor(get_spec(name), batch.shape[-1], device, str(cache_dir))
    export_s = time.perf_counter() - t0
    nchw = build_backbone(name).to(device).eval()
    channels_last = copy.deepcopy(nchw).to(memory_format=torch.channels_last)
    x = batch.to(device)
    x_cl = x.contiguous(memory_format=torch.channels_last)
    calls = {
        "torch_nchw": lambda: pool(nchw(x)).cpu(),
        "torch_channels_last": lambda: pool(channels_last(x_cl)).cpu(),
        "ours": lambda: ours(batch),
    }
    path = onnx_path(cache_dir, name, get_spec(name).weights_id, batch.shape[-1])
    if device.type == "cpu" and path.is_file():
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()
        session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        x_np = batch.numpy()
        calls["onnxruntime"] = lambda: session.run(None, {INPUT: x_np})
    times: dict[str, list[float]] = {k: [] for k in calls}
    with torch.no_grad():
        for fn in calls.values():
            fn()  # warm-up: first-call allocations and kernel choices
        for r in range(rounds):
            names = list(calls)
            for k in names[r % len(names) :] + names[: r % len(names)]:  # each round starts with another runtime
                t = time.perf_counter()
                calls[k]()
                if device.type == "cuda":
                    torch.cuda.synchronize()
                times[k].append(time.perf_counter() - t)
    ips = {k: round(len(batch) / statistics.median(v), 1) for k, v in times.items()}
    runtime = "onnxruntime" if device.type == "cpu" and not fallback else f"torch{': ' + fallback if fallback else ''}"
    return ips, runtime, export_s


def extraction_side_by_side(dataset: Path, cfg: RunConfig, rounds: int) -> dict:
    """{"ratio": median over rounds of ours / direct images/s, "rounds": [[ours, direct] images/s]}: the
    engine's extraction pass (a run of ``cfg`` whose feature cache was just emptied) against a direct
    ONNX Runtime session built from the same exported file, over the same images normalised beforehand."""
    import onnxruntime

    spec, size = get_spec(cfg.backbone), get_spec(cfg.backbone).input_size
    path = onnx_path(cfg.cache_dir, cfg.backbone, spec.weights_id, size)
    _, samples = scan_image_folder(dataset)
    pixels = decoded_images(cfg.cache_dir, dataset, samples, size).pixels
    labels = torch.zeros(len(samples), dtype=torch.long)
    batches = [
        x.numpy().copy()
        for x, _, _ in ImageBatches(
            pixels, labels, range(len(samples)), cfg.batch_size, Preprocess(spec.mean, spec.std), torch.device("cpu")
        )
    ]

    def ours() -> float:
        for cached in Path(cfg.cache_dir).glob("features-*.pt"):
            cached.unlink()
        result = run(cfg)
        assert not result.cache_hit
        return len(samples) / result.extract_seconds

    def direct() -> float:
        t0 = time.perf_counter()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()
        session = onnxruntime.InferenceSession(path.read_bytes(), options, providers=["CPUExecutionProvider"])
        for x in batches:
            session.run(None, {INPUT: x})
        return len(samples) / (time.perf_counter() - t0)

    pairs = []
    for r in range(rounds):
        first, second = (ours, direct) if r % 2 == 0 else (direct, ours)
        a, b = first(), second()
        pairs.append([round(a, 1), round(b, 1)] if first is ours else [round(b, 1), round(a, 1)])
    return {"ratio": round(statistics.median(o / d for o, d in pairs), 3), "rounds": pairs}


def tutorial_run(
    dataset: Path, backbone_name: str, size: int, epochs: int, batch_size: int, device: torch.device, cache_dir: Path
) -> float:
    """The PyTorch tutorial's "ConvNet as fixed feature extractor": the frozen backbone runs every epoch,
    through the same extractor (runtime and layout) the measured run uses."""
    t0 = time.perf_counter()
    torch.manual_seed(0)
    classes, samples = scan_image_folder(dataset)
    split = stratified_split([label for _, label in samples], 0.2, 0)
    spec = get_spec(backbone_name)
    tf = eval_transform(size, spec.mean, spec.std)
    extractor, _ = choose_extractor(spec, size, device, str(cache_dir))
    head = nn.Linear(spec.feature_channels, len(classes)).to(device)
    opt = torch.optim.Adam(head.parameters(), lr=1e-3)

    def loader(indices, shuffle=False):
        return DataLoader(ImageFolderDataset(dataset, [samples[i] for i in indices], tf), batch_size=batch_size, shuffle=shuffle)

    train, val = loader(split.train, shuffle=True), loader(split.val)
    with loop_threads(extractor):  # as the measured run's extraction pass
        _tutorial_epochs(extractor, head, opt, train, val, loader(split.test), epochs, device)
    return time.perf_counter() - t0


def _tutorial_epochs(extractor, head, opt, train, val, test, epochs: int, device: torch.device) -> None:
    for _ in range(epochs):
        for x, y, _ in train:
            feats = extractor(x)[1].to(device)
            loss = nn.functional.cross_entropy(head(feats), y.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            for x, _y, _ in val:
                head(extractor(x)[1].to(device))
    # Like our run, finish with the held-out test split.
    with torch.no_grad():
        for x, _y, _ in test:
            head(extractor(x)[1].to(device))


def missed_targets(result: dict) -> list[str]:
    missed = []
    for key, (op, target) in TARGETS.items():
        value = result.get(key)
        if value is not None and not (value <= target if op == "<=" else value >= target):
            missed.append(f"{key} {value} (target {op} {target})")
    return missed


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 images instead of 1000, 3 rounds instead of 7")
    parser.add_argument("--images", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--backbone", default="efficientnet_lite0")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--rounds", type=int, default=None, help="rounds of the side-by-side runtimes")
    args = parser.parse_args(argv)
    images = args.images or (200 if args.quick else 1000)
    rounds = args.rounds or (3 if args.quick else 7)
    device = resolve_device(args.device)
    spec = get_spec(args.backbone)
    size = spec.input_size

    with tempfile.TemporaryDirectory(prefix="lab-bench-") as tmp:
        tmp = Path(tmp)
        dataset = make_dataset(tmp / "digits", images, size)
        # Decoding is its own cache, shared by every strategy (engine/decoded.py): built here once
        # (decode_build_ips), so the cold run below measures extraction, as after any earlier run on
        # this dataset at this size; its feature cache stays cold.
        served = served_ips(dataset, tmp / "cache", size, spec.mean, spec.std, args.batch_size, device)
        n = served["images"]
        batch = first_batch(dataset, size, spec.mean, spec.std, args.batch_size)
        runtimes, extract_runtime, export_s = runtime_table(batch, args.backbone, device, tmp / "cache", rounds)

        def config(name, **kw):
            return RunConfig(
                dataset_dir=str(dataset),
                cache_dir=str(tmp / name),
                output_dir=str(tmp / "out"),
                backbone=args.backbone,
                strategy="features",
                epochs=args.epochs,
                batch_size=args.batch_size,
                device=args.device,
                **kw,
            )

        # A worker has the engine loaded: one small run first (lazy imports, first-call set-up).
        make_dataset(tmp / "warm", 30, 32)
        run(replace(config("warm-cache"), dataset_dir=str(tmp / "warm"), backbone="tiny", epochs=1))

        t0 = time.perf_counter()
        cold = run(config("cache"))  # the exported backbone is there already, as after any first run
        cached_s = time.perf_counter() - t0
        assert not cold.cache_hit
        extract_s = cold.extract_seconds

        recompute_s = tutorial_run(dataset, args.backbone, size, args.epochs, args.batch_size, device, tmp / "cache")

        paired = extraction_side_by_side(dataset, config("cache"), rounds) if extract_runtime == "onnxruntime" else None

        t0 = time.perf_counter()
        hot = run(config("cache"))
        cache_hit_s = time.perf_counter() - t0
        assert hot.cache_hit

    others = [v for k, v in runtimes.items() if k != "ours"]
    extract_ips = n / extract_s
    result = {
        "backbone": args.backbone,
        "images": n,
        "image_size": size,
        "epochs": args.epochs,
        "device": str(device),
        "threads": torch.get_num_threads(),
        "runtimes": runtimes,
        "ours_over_best": round(runtimes["ours"] / max(others), 3),
        "extract_runtime": extract_runtime,
        "onnx_export_s": round(export_s, 2),
        "decode_ips": served["decode_ips"],
        "decode_build_ips": served["decode_build_ips"],
        "decode_over_extract": round(served["decode_ips"] / extract_ips, 1),
        "extract_ips": round(extract_ips, 1),
        "extract_over_onnxruntime": paired["ratio"] if paired else None,
        "extraction_rounds": paired["rounds"] if paired else None,
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
    result["missed"] = missed_targets(result)
    print(f"{'metric':<26}{'value':>14}  target")
    for key, value in result.items():
        target = TARGETS.get(key)
        mark = ""
        if target and value is not None:
            ok = value <= target[1] if target[0] == "<=" else value >= target[1]
            mark = f"{target[0]} {target[1]}  {'ok' if ok else 'MISSED'}"
        print(f"{key:<26}{value!s:>14}  {mark}")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    if "--demo" in sys.argv:  # the lesson's ready-made comparison: benchmarks/lab_demo.py
        sys.exit(__import__("lab_demo").main() and 0)
    outcome = main()
    for line in outcome["missed"]:
        print(f"MISSED target: {line}", file=sys.stderr)
    sys.exit(1 if outcome["missed"] else 0)
