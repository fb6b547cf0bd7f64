"""Training runs: the ``run`` entry point and its three strategies.

* ``features`` - the pretrained backbone is frozen; its pooled features of every image
  are extracted once and cached (see :mod:`.cache`), then a new linear head is trained
  on the cached vectors each epoch. Cheap: one backbone pass in total.
* ``finetune`` - pretrained backbone, its last block and the head are trained; the rest
  stays frozen (BatchNorm statistics of the frozen part too).
* ``scratch``  - the same architecture from random weights, everything trained.

Device: CUDA when available (autocast float16 with gradient scaling, channels_last,
pinned memory), else CPU. On CPU a run is deterministic for a given seed: the seed
fixes split, initialisation, shuffling and augmentation, and deterministic algorithms
are switched on for the duration of the run (then restored).
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from .backbones import build_backbone, get_spec, require_available
from .model import Backbone, Classifier, pool, shape_trace
from .cache import FeatureCache, FeatureKey
from .config import EpochStats, RunConfig, RunResult
from .data import (
    ImageFolderDataset,
    Split,
    content_hash,
    eval_transform,
    scan_image_folder,
    stratified_split,
    train_transform,
)
from .checkpoint import save_model
from .report import summarize

log = logging.getLogger(__name__)

EpochCallback = Callable[[EpochStats], None]
CancelCheck = Callable[[], bool]


class RunCancelled(Exception):
    """``should_cancel`` returned True; the run stopped at the next batch."""


# --------------------------------------------------------------------------- helpers


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device='cuda' was asked for but torch.cuda.is_available() is False")
    return torch.device(name)


@contextlib.contextmanager
def _seeded(seed: int, device: torch.device) -> Iterator[None]:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if device.type != "cpu":
        yield
        return
    was_on = torch.are_deterministic_algorithms_enabled()
    was_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(was_on, warn_only=was_warn)


def _check(should_cancel: CancelCheck | None) -> None:
    if should_cancel is not None and should_cancel():
        raise RunCancelled("the run was cancelled")


def _optimizer(name: str, params, lr: float) -> torch.optim.Optimizer:
    params = [p for p in params if p.requires_grad]
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr)
    return torch.optim.Adam(params, lr=lr)


def _autocast(device: torch.device):
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.float16)
    return contextlib.nullcontext()


@dataclass
class _Context:
    config: RunConfig
    device: torch.device
    root: Path
    class_names: list[str]
    samples: list[tuple[str, int]]
    split: Split
    image_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    on_epoch_end: EpochCallback | None
    should_cancel: CancelCheck | None
    notes: list[str]

    def loader(self, indices: list[int], transform, shuffle: bool, seed_offset: int = 0) -> DataLoader:
        ds = ImageFolderDataset(self.root, [self.samples[i] for i in indices], transform)
        g = torch.Generator().manual_seed(self.config.seed + seed_offset)
        return DataLoader(
            ds,
            batch_size=self.config.batch_size,
            shuffle=shuffle,
            generator=g,
            num_workers=self.config.num_workers,
            pin_memory=self.device.type == "cuda",
            persistent_workers=False,
        )

    def labels(self, indices: list[int]) -> torch.Tensor:
        return torch.tensor([self.samples[i][1] for i in indices], dtype=torch.long)


# --------------------------------------------------------------------------- entry point


def run(
    config: RunConfig,
    *,
    on_epoch_end: EpochCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> RunResult:
    """Train on ``config.dataset_dir`` and evaluate on its validation (and test) split.

    ``on_epoch_end`` is called after every epoch with that epoch's :class:`EpochStats`.
    ``should_cancel`` is polled before every batch (extraction, training, evaluation);
    when it returns True, :class:`RunCancelled` is raised and nothing is saved.
    Raises BackboneUnavailable when pretrained weights are needed but missing,
    DatasetError for an unusable dataset and ValueError for an invalid config.
    """
    config.validate()
    started = time.perf_counter()
    device = resolve_device(config.device)
    log.info("run %s/%s on %s (%s)", config.backbone, config.strategy, device, config.dataset_dir)
    spec = get_spec(config.backbone) if config.strategy == "scratch" else require_available(config.backbone)
    with _seeded(config.seed, device):
        class_names, samples = scan_image_folder(config.dataset_dir)
        split = stratified_split([label for _, label in samples], config.val_fraction, config.seed)
        ctx = _Context(
            config=config,
            device=device,
            root=Path(config.dataset_dir),
            class_names=class_names,
            samples=samples,
            split=split,
            image_size=config.image_size or spec.input_size,
            mean=spec.mean,
            std=spec.std,
            on_epoch_end=on_epoch_end,
            should_cancel=should_cancel,
            notes=[],
        )
        _general_notes(ctx)
        if config.strategy == "features":
            outcome = _run_features(ctx)
        else:
            outcome = _run_network(ctx)

    val_paths = [samples[i][0] for i in split.val]
    report = summarize(outcome.val_probs, ctx.labels(split.val).tolist(), val_paths, class_names)
    test_accuracy = None
    if split.test:
        test_accuracy = float((outcome.test_probs.argmax(1) == ctx.labels(split.test)).float().mean())
    model_path = save_model(
        config.output_dir,
        outcome.state_dict,
        {
            "backbone": config.backbone,
            "strategy": config.strategy,
            "head_only": config.strategy == "features",
            "class_names": class_names,
            "image_size": ctx.image_size,
            "mean": list(spec.mean),
            "std": list(spec.std),
            "feature_channels": spec.feature_channels,
            "weights_id": spec.weights_id,
        },
    )
    log.info("run finished in %.1f s, val accuracy %.3f", time.perf_counter() - started, outcome.epochs[-1].val_accuracy)
    return RunResult(
        epochs=outcome.epochs,
        class_names=class_names,
        per_class_accuracy=report["per_class_accuracy"],
        confusion_matrix=report["confusion_matrix"],
        predictions=report["predictions"],
        misclassified=report["misclassified"],
        test_accuracy=test_accuracy,
        shape_trace=outcome.trace,
        cache_hit=outcome.cache_hit,
        device=str(device),
        notes=ctx.notes,
        model_path=str(model_path),
        split_sizes={"train": len(split.train), "val": len(split.val), "test": len(split.test)},
        seconds=time.perf_counter() - started,
    )


def _general_notes(ctx: _Context) -> None:
    spec = get_spec(ctx.config.backbone)
    if spec.weights_sha256 is None and ctx.config.strategy != "scratch":
        ctx.notes.append(
            f"The {spec.name!r} backbone has no pretrained weights (fixed random init, for tests and demos): "
            "'pretrained' features carry no knowledge."
        )
    if ctx.image_size != spec.input_size:
        ctx.notes.append(
            f"Images are resized to {ctx.image_size}x{ctx.image_size}; {spec.name} was pretrained at "
            f"{spec.input_size}x{spec.input_size}."
        )
    if not ctx.split.test:
        ctx.notes.append("No test split: it needs at least 10 images in every class.")


@dataclass
class _Outcome:
    epochs: list[EpochStats]
    val_probs: torch.Tensor  # CPU, float32, n_val x classes
    test_probs: torch.Tensor  # CPU, float32, n_test x classes
    trace: list[dict]
    cache_hit: bool
    state_dict: dict


# --------------------------------------------------------------------------- strategy: features


@torch.no_grad()
def _extract(ctx: _Context, backbone: Backbone, transform, seed_offset: int) -> tuple[torch.Tensor, list[dict]]:
    """Pooled features (CPU float32, N x C) of every sample, and the shapes of the first batch."""
    loader = ctx.loader(list(range(len(ctx.samples))), transform, shuffle=False, seed_offset=seed_offset)
    out = torch.empty(len(ctx.samples), backbone.spec.feature_channels)
    trace: list[dict] = []
    for x, _, idx in loader:
        _check(ctx.should_cancel)
        x = x.to(ctx.device, non_blocking=True, memory_format=torch.channels_last)
        with _autocast(ctx.device):
            feats = backbone(x)
            pooled = pool(feats)
        if not trace:
            trace = shape_trace(x, feats, pooled, pooled)[:3]
        out[idx] = pooled.float().cpu()
    return out, trace


def _to_device(x: torch.Tensor, device: torch.device) -> torch.Tensor:
    if device.type == "cuda":
        return x.to(device, non_blocking=True, memory_format=torch.channels_last)
    return x


def _features(ctx: _Context) -> tuple[dict, bool]:
    """The cache payload for this run's key, extracting (and storing) it on a miss."""
    cfg, spec = ctx.config, get_spec(ctx.config.backbone)
    views = cfg.augment_views if cfg.augment else 0
    key = FeatureKey(
        dataset_hash=content_hash(ctx.root),
        backbone=spec.name,
        weights_id=spec.weights_id,
        image_size=ctx.image_size,
        mean=spec.mean,
        std=spec.std,
        augment_views=views,
    )
    cache = FeatureCache(cfg.cache_dir)
    paths = [p for p, _ in ctx.samples]
    payload = cache.load(key)
    if payload is not None and payload["paths"] == paths:
        return payload, True

    t0 = time.perf_counter()
    # Extraction leaves the run's RNG untouched (a hit and a miss train the same head) and draws
    # augmented views from a seed fixed by the key (the cached file does not depend on the run's seed).
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(key.digest()[:8], 16))
        # channels_last speeds up inference on CPUs too (about 1.3x for efficientnet_lite0 on 2 cores).
        backbone = build_backbone(spec.name, pretrained=True).to(ctx.device).eval()
        backbone = backbone.to(memory_format=torch.channels_last)
        clean, trace = _extract(ctx, backbone, eval_transform(ctx.image_size, spec.mean, spec.std), 0)
        augmented = []
        for v in range(views):
            aug = train_transform(ctx.image_size, spec.mean, spec.std, augment=True)
            augmented.append(_extract(ctx, backbone, aug, 1 + v)[0])
    payload = {
        "paths": paths,
        "features": clean,
        "views": torch.stack(augmented) if augmented else torch.empty(0),
        "trace": trace,
        "extract_seconds": time.perf_counter() - t0,
    }
    cache.save(key, payload)
    return payload, False


@contextlib.contextmanager
def _single_thread_on_cpu(device: torch.device) -> Iterator[None]:
    """Run tiny ops (a linear head on vectors) on one CPU thread.

    Splitting 32x1280 matmuls across threads costs more in synchronisation than it
    saves, and on a busy machine it is up to 20x slower than one thread.
    """
    if device.type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _run_features(ctx: _Context) -> _Outcome:
    payload, hit = _features(ctx)
    with _single_thread_on_cpu(ctx.device):
        return _train_head(ctx, payload, hit)


def _train_head(ctx: _Context, payload: dict, hit: bool) -> _Outcome:
    cfg, split = ctx.config, ctx.split
    n_img = len(ctx.samples)
    if hit:
        ctx.notes.append(
            f"Cache hit: the frozen backbone's features of all {n_img} images were reused; "
            "only the linear head was trained. The shape trace is the one recorded when they were extracted."
        )
    else:
        ctx.notes.append(
            f"Frozen backbone: features of all {n_img} images were extracted once "
            f"({payload['extract_seconds']:.1f} s) and cached; the linear head trained on them every epoch."
        )
    views = payload["views"]
    if cfg.augment:
        ctx.notes.append(
            f"Augmentation with cached features: {cfg.augment_views} fixed augmented view(s) of each image were "
            f"extracted once and cached; each epoch the head sees one of these {cfg.augment_views + 1} versions "
            "(original included) per image, not a new random augmentation."
        )

    dev = ctx.device
    clean = payload["features"].to(dev)
    bank = torch.cat([clean.unsqueeze(0), views.to(dev)]) if cfg.augment else clean.unsqueeze(0)
    train_idx = torch.tensor(split.train, dtype=torch.long, device=dev)
    y_all = torch.tensor([label for _, label in ctx.samples], dtype=torch.long, device=dev)
    head = nn.Linear(clean.shape[1], len(ctx.class_names)).to(dev)
    opt = _optimizer(cfg.optimizer, head.parameters(), cfg.lr)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(cfg.seed)
    epochs: list[EpochStats] = []
    for epoch in range(1, cfg.epochs + 1):
        t0 = time.perf_counter()
        head.train()
        order = train_idx[torch.randperm(len(train_idx), generator=g).to(dev)]
        view_of = torch.randint(0, bank.shape[0], (len(order),), generator=g).to(dev)
        total_loss, correct = 0.0, 0
        for start in range(0, len(order), cfg.batch_size):
            _check(ctx.should_cancel)
            idx = order[start : start + cfg.batch_size]
            x, y = bank[view_of[start : start + cfg.batch_size], idx], y_all[idx]
            logits = head(x)
            loss = loss_fn(logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total_loss += float(loss.detach()) * len(idx)
            correct += int((logits.argmax(1) == y).sum())
        val_loss, val_acc, _ = _eval_head(head, clean, y_all, split.val)
        stats = EpochStats(
            epoch=epoch,
            train_loss=total_loss / len(order),
            train_accuracy=correct / len(order),
            val_loss=val_loss,
            val_accuracy=val_acc,
            seconds=time.perf_counter() - t0,
        )
        epochs.append(stats)
        if ctx.on_epoch_end:
            ctx.on_epoch_end(stats)

    head.eval()
    _, _, val_probs = _eval_head(head, clean, y_all, split.val)
    _, _, test_probs = _eval_head(head, clean, y_all, split.test)
    # The cached trace comes from the real backbone pass made when the features were extracted.
    trace = [dict(t) for t in payload["trace"]]
    n = trace[-1]["shape"][0]
    with torch.no_grad():
        logits = head(clean[:n])
    trace.append({"stage": "head", "shape": list(logits.shape)})
    return _Outcome(epochs, val_probs, test_probs, trace, hit, head.state_dict())


@torch.no_grad()
def _eval_head(head: nn.Module, feats: torch.Tensor, y_all: torch.Tensor, indices: list[int]):
    """(loss, accuracy, CPU probabilities) of the head on the given samples."""
    if not indices:
        return 0.0, 0.0, torch.empty(0, head.out_features)
    was_training = head.training
    head.eval()
    idx = torch.tensor(indices, dtype=torch.long, device=feats.device)
    logits = head(feats[idx])
    y = y_all[idx]
    loss = float(nn.functional.cross_entropy(logits, y))
    acc = float((logits.argmax(1) == y).float().mean())
    head.train(was_training)
    return loss, acc, logits.softmax(1).float().cpu()


# --------------------------------------------------------------------------- strategies: finetune, scratch


def _run_network(ctx: _Context) -> _Outcome:
    cfg, split, dev = ctx.config, ctx.split, ctx.device
    pretrained = cfg.strategy == "finetune"
    model = Classifier(build_backbone(cfg.backbone, pretrained=pretrained), len(ctx.class_names))
    if pretrained:
        for p in model.backbone.parameters():
            p.requires_grad_(False)
        for module in model.backbone.tail:
            for p in module.parameters():
                p.requires_grad_(True)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    if pretrained:
        ctx.notes.append(
            f"Fine-tuning: the backbone's last block and the head are trained ({trainable:,} of {total:,} "
            "parameters); the rest keeps its pretrained weights."
        )
    else:
        ctx.notes.append(f"From scratch: random initial weights, all {total:,} parameters trained.")
    model = model.to(dev)
    if dev.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    opt = _optimizer(cfg.optimizer, model.parameters(), cfg.lr)
    scaler = torch.amp.GradScaler("cuda", enabled=dev.type == "cuda")
    loss_fn = nn.CrossEntropyLoss()
    spec = model.backbone.spec
    train_loader = ctx.loader(split.train, train_transform(ctx.image_size, spec.mean, spec.std, cfg.augment), True)
    val_loader = ctx.loader(split.val, eval_transform(ctx.image_size, spec.mean, spec.std), False)

    epochs: list[EpochStats] = []
    for epoch in range(1, cfg.epochs + 1):
        t0 = time.perf_counter()
        _set_train_mode(model, pretrained)
        total_loss, correct, seen = 0.0, 0, 0
        for x, y, _ in train_loader:
            _check(ctx.should_cancel)
            x, y = _to_device(x, dev), y.to(dev, non_blocking=True)
            with _autocast(dev):
                logits = model(x)
                loss = loss_fn(logits, y)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            total_loss += float(loss.detach()) * len(y)
            correct += int((logits.argmax(1) == y).sum())
            seen += len(y)
        val_loss, val_acc, val_probs = _eval_network(ctx, model, val_loader)
        stats = EpochStats(epoch, total_loss / max(seen, 1), correct / max(seen, 1), val_loss, val_acc, time.perf_counter() - t0)
        epochs.append(stats)
        if ctx.on_epoch_end:
            ctx.on_epoch_end(stats)

    test_probs = torch.empty(0, len(ctx.class_names))
    if split.test:
        test_loader = ctx.loader(split.test, eval_transform(ctx.image_size, spec.mean, spec.std), False)
        test_probs = _eval_network(ctx, model, test_loader)[2]
    x, _, _ = next(iter(val_loader))
    with _autocast(dev):
        trace = model.eval().trace(_to_device(x[:2], dev))
    model = model.float().to(memory_format=torch.contiguous_format)
    return _Outcome(epochs, val_probs, test_probs, trace, False, model.state_dict())


def _set_train_mode(model: Classifier, finetune: bool) -> None:
    model.train()
    if finetune:
        # Frozen layers keep their pretrained BatchNorm statistics.
        model.backbone.eval()
        for module in model.backbone.tail:
            module.train()


@torch.no_grad()
def _eval_network(ctx: _Context, model: nn.Module, loader: DataLoader) -> tuple[float, float, torch.Tensor]:
    model.eval()
    probs, total_loss, correct, seen = [], 0.0, 0, 0
    for x, y, _ in loader:
        _check(ctx.should_cancel)
        x, y = _to_device(x, ctx.device), y.to(ctx.device)
        with _autocast(ctx.device):
            logits = model(x).float()
        total_loss += float(nn.functional.cross_entropy(logits, y, reduction="sum"))
        correct += int((logits.argmax(1) == y).sum())
        seen += len(y)
        probs.append(logits.softmax(1).cpu())
    if not probs:
        return 0.0, 0.0, torch.empty(0, len(ctx.class_names))
    return total_loss / seen, correct / seen, torch.cat(probs)
