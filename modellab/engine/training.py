"""Training runs: the ``run`` entry point, which trains any strategy's Setup with the one loop.

* ``features`` (:mod:`.features`) - frozen backbone, cached features, a new linear head.
* ``finetune`` / ``finetune_all`` / ``scratch`` (:mod:`.network`) - the whole Classifier on images.

Device: CUDA when available (autocast float16 with gradient scaling, channels_last,
pinned memory), else CPU: float32, or bfloat16 autocast with channels_last where the CPU has
native bfloat16 (:func:`.loop.cpu_train_precision`; the run's notes and ``environment`` say
which). On CPU a run is deterministic for a given seed: the seed
fixes split, initialisation, shuffling and augmentation, and deterministic algorithms
are switched on for the duration of the run (then restored).
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
import torch
from torch import nn

from .backbones import BackboneSpec, get_spec, require_available
from .checkpoint import save_model
from .config import EpochStats, RunConfig, RunResult
from .data import limit_train_per_class, scan_image_folder, stratified_split
from .environment import describe
from .features import prepare_features
from .loop import (
    CancelCheck,
    Evaluation,
    RunCancelled,
    Runtime,
    cpu_train_precision,
    evaluate,
    native_cpu_bf16,
    one_cpu_thread,
    train_one_epoch,
)
from .network import prepare_network
from .progress import TRAIN, ProgressCallback
from .report import summarize
from .strategy import RunData

__all__ = ["CancelCheck", "EpochCallback", "RunCancelled", "resolve_device", "run"]

log = logging.getLogger(__name__)

EpochCallback = Callable[[EpochStats], None]


def run(
    config: RunConfig,
    *,
    on_epoch_end: EpochCallback | None = None,
    should_cancel: CancelCheck | None = None,
    on_progress: ProgressCallback | None = None,
) -> RunResult:
    """Train on ``config.dataset_dir`` and evaluate on its validation (and test) split.

    ``on_epoch_end`` is called after every epoch with that epoch's :class:`EpochStats`.
    ``on_progress`` is called after every batch of the feature extraction and of each
    training epoch with a :class:`.progress.Progress` (unthrottled: the caller decides how often to pass it on).
    ``should_cancel`` is polled before every batch (extraction, training, evaluation);
    when it returns True, :class:`RunCancelled` is raised and nothing is saved.
    Raises BackboneUnavailable when pretrained weights are needed but missing,
    DatasetError for an unusable dataset and ValueError for an invalid config.
    """
    config.validate()
    started = time.perf_counter()
    device = resolve_device(config.device)
    native_bf16 = device.type == "cpu" and native_cpu_bf16()
    precision = cpu_train_precision(config.strategy, config.cpu_precision, native_bf16)
    runtime = Runtime(device, should_cancel, on_progress, cpu_precision=precision)
    log.info("run %s/%s on %s in %s (%s)", config.backbone, config.strategy, device, runtime.precision, config.dataset_dir)
    spec = get_spec(config.backbone) if config.strategy == "scratch" else require_available(config.backbone)
    with _seeded(config.seed, device):
        class_names, samples = scan_image_folder(config.dataset_dir)
        labels = [label for _, label in samples]
        split = stratified_split(labels, config.val_fraction, config.seed)
        data = RunData(
            root=Path(config.dataset_dir),
            class_names=class_names,
            samples=samples,
            split=limit_train_per_class(split, labels, config.train_per_class, config.seed),
            image_size=config.image_size or spec.input_size,
            mean=spec.mean,
            std=spec.std,
            cache_dir=Path(config.cache_dir),
        )
        prepare = prepare_features if config.strategy == "features" else prepare_network
        setup = prepare(config, spec, data, runtime)
        # A linear head on vectors is a tiny op: one CPU thread beats several.
        with one_cpu_thread(config.strategy == "features" and device.type == "cpu"):
            optimizer = _optimizer(config.optimizer, setup.model.parameters(), config.lr)
            epochs, val = _fit(setup.model, setup.train, setup.val, optimizer, config.epochs, runtime, on_epoch_end, started)
            test = evaluate(setup.model, setup.test, runtime) if data.split.test else None
            trace = setup.trace()
    model = setup.model.float().to(memory_format=torch.contiguous_format)

    split = data.split
    val_paths = [samples[i][0] for i in split.val]
    report = summarize(val.probs, data.labels(split.val).tolist(), val_paths, class_names)
    model_path = save_model(
        config.output_dir,
        model.state_dict(),
        {
            "backbone": config.backbone,
            "strategy": config.strategy,
            "head_only": config.strategy == "features",
            "class_names": class_names,
            "image_size": data.image_size,
            "mean": list(spec.mean),
            "std": list(spec.std),
            "feature_channels": spec.feature_channels,
            "weights_id": spec.weights_id,
        },
    )
    log.info("run finished in %.1f s, val accuracy %.3f", time.perf_counter() - started, epochs[-1].val_accuracy)
    return RunResult(
        epochs=epochs,
        class_names=class_names,
        per_class_accuracy=report["per_class_accuracy"],
        confusion_matrix=report["confusion_matrix"],
        predictions=report["predictions"],
        misclassified=report["misclassified"],
        test_accuracy=test.accuracy if test is not None else None,
        shape_trace=trace,
        cache_hit=setup.cache_hit,
        device=str(device),
        notes=_general_notes(config, spec, data) + setup.notes + [_precision_note(config, runtime, native_bf16)],
        model_path=str(model_path),
        split_sizes={"train": len(split.train), "val": len(split.val), "test": len(split.test)},
        seconds=time.perf_counter() - started,
        extract_seconds=setup.extract_seconds,
        environment={**describe(device), "precision": runtime.precision},
    )


def _fit(
    model: nn.Module,
    train: Iterable,
    val_batches: Iterable,
    optimizer: torch.optim.Optimizer,
    epochs: int,
    runtime: Runtime,
    on_epoch_end: EpochCallback | None,
    started: float,
) -> tuple[list[EpochStats], Evaluation]:
    """Train ``epochs`` epochs, evaluating after each; the stats of every epoch and the last evaluation.
    ``started`` is the run's ``time.perf_counter()`` at its start, for each epoch's ``elapsed``."""
    scaler = runtime.grad_scaler()
    history: list[EpochStats] = []
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        meter = runtime.meter(TRAIN, len(train), epoch=epoch, epochs=epochs)
        train_loss, train_accuracy = train_one_epoch(model, train, optimizer, scaler, runtime, meter)
        val = evaluate(model, val_batches, runtime)
        now = time.perf_counter()
        stats = EpochStats(epoch, train_loss, train_accuracy, val.loss, val.accuracy, now - t0, now - started)
        history.append(stats)
        if on_epoch_end:
            on_epoch_end(stats)
    return history, val


def _general_notes(config: RunConfig, spec: BackboneSpec, data: RunData) -> list[str]:
    notes = []
    if spec.weights_sha256 is None and config.strategy != "scratch":
        notes.append(
            f"The {spec.name!r} backbone has no pretrained weights (fixed random init, for tests and demos): "
            "'pretrained' features carry no knowledge."
        )
    if data.image_size != spec.input_size:
        notes.append(
            f"Images are resized to {data.image_size}x{data.image_size}; {spec.name} was pretrained at "
            f"{spec.input_size}x{spec.input_size}."
        )
    if not data.split.test:
        notes.append("No test split: it needs at least 10 images in every class.")
    if config.train_per_class is not None:
        notes.append(
            f"Trained on at most {config.train_per_class} image(s) of each class ({len(data.split.train)} in all); "
            "validated on the same images as with all the data."
        )
    return notes


def _precision_note(config: RunConfig, runtime: Runtime, native_bf16: bool) -> str:
    """What the run computed in, and why: the run page shows it beside its times."""
    if runtime.device.type == "cuda":
        return "Trained in float16 autocast with gradient scaling and channels_last on the GPU; the saved weights are float32."
    if runtime.precision == "bfloat16":
        why = (
            "on this CPU's native bfloat16 (AVX-512 BF16 or AMX)"
            if native_bf16
            else "as cpu_precision asks; this CPU has no native bfloat16, so it was emulated, slower than float32"
        )
        return f"Trained in bfloat16 autocast with channels_last {why}. Losses, accuracies and the saved weights are float32."
    if config.strategy == "features":
        why = "the linear head on cached float32 features is too small an op for bfloat16 to pay"
    elif config.cpu_precision == "float32":
        why = "cpu_precision asks for it"
    else:
        why = "this CPU has no native bfloat16 (AVX-512 BF16 or AMX)"
    return f"Trained in float32 on the CPU: {why}."


def resolve_device(name: str) -> torch.device:
    """The torch device for ``RunConfig.device``; RuntimeError when CUDA is asked for but absent."""
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


def _optimizer(name: str, params, lr: float) -> torch.optim.Optimizer:
    params = [p for p in params if p.requires_grad]
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr)
    return torch.optim.Adam(params, lr=lr)
