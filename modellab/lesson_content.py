"""The lab's sections of a lesson file: ``lab`` (its presets, where its shapes come from) and ``measured``.

    lab:
      shapes_from: resnet18              # the backbone whose shapes the pipeline shows
      presets:                           # the lesson page's lab links, in order
        - key: ready-made                # unique in the lesson (a slug)
          title: The ready-made comparison
          description: Plain text
          datasets: [builtin:cifar-cat-dog-bird, builtin:digits-3]   # preferred first: the first here is used
          backbone: efficientnet_lite0
          strategies: [finetune_all, scratch, features]  # one: a run; [strategy, scratch]: a comparison;
                                         # [strategy, scratch, features]: a comparison with a frozen-features arm;
                                         # [strategy, strategy] with augment [false, true]: augmentation compared
          augment: false                 # optional, false: random crop and flip of the training images; one value
                                         # for every arm, or a list with one per strategy
          train_per_class: 10            # optional: at most this many training images of each class (not with sweep)
          epochs: 5
          image_size: 64                 # optional: the backbone's own input size
          lr: 0.001                      # optional, 0.001
          batch_size: 32                 # optional, 32
          sweep: [5, 10, 25, 50, all]    # optional: a data-size sweep (strategies [features, scratch])
    measured:                            # "Measured on this platform", beside the illustrative trace
      title: Measured on this platform
      note: Plain text
      backbone: efficientnet_lite0
      dataset: what it ran on
      device: CPU, 2 cores (AMD EPYC)
      date: 2026-11-28
      versions: {torch: 2.14.1, torchvision: 0.29.1, timm: 1.0.31}
      runs:                              # 1 to 4 runs
        - strategy: finetune_all         # the pages label a run from its strategy and the backbone's weights
          label: Pre-trained (every layer fine-tuned)   # optional: for readers of the file
          augment: true                  # optional, false: the arm augmented its training images
          per_class: 10                  # optional, all: the arm trained on at most this many images per class
          seconds: {startup: 3.0, extraction: 1.2, training: 0.6}
          epochs: [{epoch: 1, val_accuracy: 0.99, val_loss: 0.05, elapsed: 5.1}, ...]
      sweep: [{per_class: 5, strategy: features, val_accuracy: 0.9}, ...]   # optional

Each section is validated whole before anything is written (``courses.content``); an error
reads ``file:line: field: what is wrong``. A section present in the file replaces the lesson's.
"""

from __future__ import annotations

import datetime

import yaml

from django.core.exceptions import ValidationError

from courses.content import epoch_number
from courses.models import Lesson
from courses.yamlnodes import Node
from modellab.builtins import BUILTINS
from modellab.dataset_ref import BUILTIN, DatasetRef
from modellab.limits import IMAGE_SIZE_MAX, IMAGE_SIZE_MIN, LR_MAX, LR_MIN
from modellab.models import Experiment, LabPreset, LessonLab, MeasuredReference
from modellab.services.experiments import comparison_strategies
from modellab.services.size_sweep import MAX_PER_CLASS, sweep_sizes_parse

UNKNOWN_DATASET = "unknown_dataset"
UNKNOWN_BACKBONE = "unknown_backbone"
UNKNOWN_STRATEGY = "unknown_strategy"
BAD_STRATEGIES = "bad_strategies"
BAD_AUGMENT = "bad_augment"
DUPLICATE_KEY = "duplicate_key"
BAD_DATE = "bad_date"
TOO_MANY_RUNS = "too_many_runs"

STRATEGIES = tuple(Experiment.Strategy.values)
MAX_PRESET_EPOCHS = 100  # a sanity bound of the file; the deployment's limits are checked when a preset is submitted
MAX_PRESET_BATCH = 1024  # as MAX_PRESET_EPOCHS
MAX_MEASURED_RUNS = 4


def _backbone(node: Node) -> str:
    from modellab import engine  # the registry of backbones; loads torch, as any lesson with a lab does

    name = node.text(max_length=60)
    names = sorted(b.name for b in engine.list_backbones())
    if name not in names:
        raise node.error(f"unknown backbone '{name}' (expected one of: {', '.join(names)})", UNKNOWN_BACKBONE)
    return name


def _strategy(node: Node) -> str:
    value = node.text()
    if value not in STRATEGIES:
        raise node.error(f"unknown strategy '{value}' (expected one of: {', '.join(STRATEGIES)})", UNKNOWN_STRATEGY)
    return value


def _dataset(node: Node) -> str:
    try:
        ref = DatasetRef.parse(node.text(max_length=100))
    except ValidationError as exc:
        raise node.error_from(exc) from None
    if ref.kind != BUILTIN or ref.key not in BUILTINS:
        known = ", ".join(f"builtin:{k}" for k in BUILTINS)
        raise node.error(f"unknown dataset '{ref}' (a lesson names built-in datasets: {known})", UNKNOWN_DATASET)
    return str(ref)


def _preset(node: Node) -> dict:
    f = node.mapping(
        {
            "key",
            "title",
            "description",
            "datasets",
            "backbone",
            "strategies",
            "epochs",
            "image_size",
            "lr",
            "batch_size",
            "sweep",
            "augment",
            "train_per_class",
        },
        {"key", "title", "datasets", "backbone", "strategies", "epochs"},
    )
    strategies = [_strategy(n) for n in f["strategies"].items(min_items=1)]
    augment = _augment(f["augment"], len(strategies)) if "augment" in f else [False] * len(strategies)
    comparison = strategies[0] != "scratch" and strategies == comparison_strategies(
        strategies[0], frozen_arm=len(strategies) == 3
    )
    augment_comparison = len(strategies) == 2 and strategies[0] == strategies[1]
    if len(strategies) > 1 and not (comparison or augment_comparison):
        raise f["strategies"].error(
            "name one strategy, or a strategy and then scratch (a comparison), optionally then features "
            "(a third arm of frozen features), or one strategy twice (without and with augmentation)",
            BAD_STRATEGIES,
        )
    if augment_comparison != (augment == [False, True]) or (not augment_comparison and len(set(augment)) > 1):
        raise f["augment" if "augment" in f else "strategies"].error(
            "a comparison changes one thing: one strategy twice takes augment [false, true]; "
            "any other preset one value for every arm",
            BAD_AUGMENT,
        )
    sweep: list = []
    if "sweep" in f:
        if strategies != ["features", "scratch"]:
            raise f["strategies"].error("a sweep compares [features, scratch]", BAD_STRATEGIES)
        if "train_per_class" in f:
            raise f["train_per_class"].error("a sweep sets the images per class itself", BAD_STRATEGIES)
        try:
            sweep = sweep_sizes_parse(n.text() for n in f["sweep"].items())
        except ValidationError as exc:
            raise f["sweep"].error_from(exc) from None
    return {
        "key": f["key"].text(max_length=50),
        "title": f["title"].text(max_length=200),
        "description": f["description"].text(blank=True) if "description" in f else "",
        "datasets": [_dataset(n) for n in f["datasets"].items(min_items=1)],
        "backbone": _backbone(f["backbone"]),
        "strategies": strategies,
        "epochs": f["epochs"].integer(low=1, high=MAX_PRESET_EPOCHS),
        "image_size": f["image_size"].integer(low=IMAGE_SIZE_MIN, high=IMAGE_SIZE_MAX) if "image_size" in f else None,
        "lr": f["lr"].number(low=LR_MIN, high=LR_MAX) if "lr" in f else 1e-3,
        "batch_size": f["batch_size"].integer(low=1, high=MAX_PRESET_BATCH) if "batch_size" in f else 32,
        "sweep_sizes": sweep,
        "augment": augment,
        "train_per_class": f["train_per_class"].integer(low=1, high=MAX_PER_CLASS) if "train_per_class" in f else None,
    }


def _augment(node: Node, arms: int) -> list[bool]:
    """``augment``: one value for every arm, or a list of one per strategy."""
    if not isinstance(node.node, yaml.SequenceNode):
        return [node.boolean()] * arms
    values = [n.boolean() for n in node.items()]
    if len(values) != arms:
        raise node.error(f"lists {len(values)} values for {arms} strategies; give one per strategy", BAD_AUGMENT)
    return values


def validate_lab(node: Node) -> dict:
    f = node.mapping({"shapes_from", "presets"})
    presets, keys = [], set()
    for item in f["presets"].items() if "presets" in f else []:
        preset = _preset(item)
        if preset["key"] in keys:
            raise item.error(f"key '{preset['key']}' appears twice", DUPLICATE_KEY)
        keys.add(preset["key"])
        presets.append(preset)
    return {"shapes_from": _backbone(f["shapes_from"]) if "shapes_from" in f else "", "presets": presets}


def save_lab(lesson: Lesson, parsed: dict) -> None:
    LessonLab.objects.update_or_create(lesson=lesson, defaults={"shapes_from": parsed["shapes_from"]})
    lesson.lab_presets.all().delete()
    LabPreset.objects.bulk_create(
        LabPreset(lesson=lesson, position=i, **preset) for i, preset in enumerate(parsed["presets"], start=1)
    )


def _run(node: Node) -> dict:
    f = node.mapping({"label", "strategy", "augment", "per_class", "seconds", "epochs"}, {"strategy", "seconds", "epochs"})
    s = f["seconds"].mapping({"startup", "extraction", "training"}, {"extraction", "training"})
    epochs, seen = [], set()
    for item in f["epochs"].items(min_items=1):
        e = item.mapping({"epoch", "val_accuracy", "val_loss", "elapsed"}, {"epoch", "val_accuracy", "elapsed"})
        epochs.append(
            {
                "epoch": epoch_number(e["epoch"], seen),
                "val_accuracy": e["val_accuracy"].number(low=0, high=1),
                "val_loss": e["val_loss"].number(low=0) if "val_loss" in e else None,
                "elapsed": e["elapsed"].number(low=0),
            }
        )
    return {
        "label": f["label"].text(max_length=100) if "label" in f else "",
        "strategy": _strategy(f["strategy"]),
        # written only where they apply: an arm that augments, an arm on fewer than all training images
        **({"augment": True} if "augment" in f and f["augment"].boolean() else {}),
        **({"per_class": f["per_class"].integer(low=1, high=MAX_PER_CLASS)} if "per_class" in f else {}),
        "seconds": {
            "startup": s["startup"].number(low=0) if "startup" in s else 0.0,
            "extraction": s["extraction"].number(low=0),
            "training": s["training"].number(low=0),
        },
        "epochs": sorted(epochs, key=lambda e: e["epoch"]),
    }


def _sweep_point(node: Node) -> dict:
    f = node.mapping({"per_class", "strategy", "val_accuracy"}, {"per_class", "strategy", "val_accuracy"})
    strategy = _strategy(f["strategy"])
    return {
        "per_class": f["per_class"].integer(low=1),
        "strategy": strategy,
        "val_accuracy": f["val_accuracy"].number(low=0, high=1),
    }


def validate_measured(node: Node) -> dict:
    required = {"title", "backbone", "dataset", "device", "date", "versions", "runs"}
    f = node.mapping(required | {"note", "sweep"}, required)
    try:
        measured_on = datetime.date.fromisoformat(f["date"].text())
    except ValueError:
        raise f["date"].error(f"'{f['date'].text()}' is not a date written YYYY-MM-DD", BAD_DATE) from None
    versions = f["versions"].mapping({"torch", "torchvision", "timm"}, {"torch", "torchvision"})
    runs = f["runs"].items(min_items=1)
    if len(runs) > MAX_MEASURED_RUNS:
        raise f["runs"].error(f"holds {len(runs)} runs; the limit is {MAX_MEASURED_RUNS}", TOO_MANY_RUNS)
    return {
        "title": f["title"].text(max_length=200),
        "note": f["note"].text(blank=True) if "note" in f else "",
        "backbone": _backbone(f["backbone"]),
        "dataset": f["dataset"].text(max_length=200),
        "device": f["device"].text(max_length=200),
        "measured_on": measured_on,
        "versions": {k: v.text(max_length=40) for k, v in versions.items()},
        "runs": [_run(n) for n in runs],
        "sweep": [_sweep_point(n) for n in f["sweep"].items()] if "sweep" in f else [],
    }


def save_measured(lesson: Lesson, parsed: dict) -> MeasuredReference:
    reference, _ = MeasuredReference.objects.update_or_create(lesson=lesson, defaults=parsed)
    return reference
