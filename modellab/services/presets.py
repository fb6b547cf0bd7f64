"""A lesson's lab presets put to use: which of its datasets this server has, and submitting one in a click."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from modellab.builtins import BUILTINS, DATASET_UNAVAILABLE
from modellab.dataset_ref import DatasetRef
from modellab.models import Experiment, LabPreset
from modellab.services.experiments import experiment_submit
from modellab.services.size_sweep import size_sweep_submit


def preset_dataset(preset: LabPreset) -> DatasetRef:
    """The first of the preset's datasets this server has (the lesson lists them preferred first).
    Raises ValidationError(DATASET_UNAVAILABLE) with the first one's reason when none is here."""
    reasons = []
    for text in preset.datasets:
        ref = DatasetRef.parse(text)
        builtin = BUILTINS.get(ref.key)
        reason = builtin.unavailable_reason() if builtin is not None else f"{text} is not a built-in dataset."
        if not reason:
            return ref
        reasons.append(reason)
    raise ValidationError(reasons[0] if reasons else "The preset names no dataset.", code=DATASET_UNAVAILABLE)


def preset_form_initial(preset: LabPreset) -> dict:
    """The lab form's fields filled as the preset says (the dataset: the first one here)."""
    try:
        dataset = str(preset_dataset(preset))
    except ValidationError:
        dataset = preset.datasets[0] if preset.datasets else ""
    initial = {
        "dataset": dataset,
        "backbone": preset.backbone,
        "strategy": preset.strategies[0],
        "epochs": preset.epochs,
        "lr": preset.lr,
        "batch_size": preset.batch_size,
        "image_size": preset.image_size,
        "lesson": preset.lesson.slug,
        "frozen_arm": preset_frozen_arm(preset),
        "train_per_class": preset.train_per_class,
        # ticked when every arm augments; an augmentation comparison runs both (its button says so)
        "augment": all(preset.arms_augment),
    }
    if preset.is_sweep:
        initial["sweep_sizes"] = ", ".join("all" if n is None else str(n) for n in preset.sweep_sizes)
    return initial


def preset_frozen_arm(preset: LabPreset) -> bool:
    """Whether the preset's comparison has the third arm of frozen features (``[strategy, scratch, features]``)."""
    return preset.is_comparison and len(preset.strategies) == 3


def preset_submit(*, owner, preset: LabPreset) -> list[Experiment]:
    """Queue what the preset describes (a run, a comparison of strategies or of augmentation, or a data-size sweep)
    for ``owner``, on the first of its datasets this server has. Raises ValidationError like the submits it calls."""
    dataset = preset_dataset(preset)
    common = dict(
        owner=owner,
        dataset=dataset,
        backbone=preset.backbone,
        epochs=preset.epochs,
        lr=preset.lr,
        batch_size=preset.batch_size,
        image_size=preset.image_size,
        lesson_slug=preset.lesson.slug,
    )
    augment_compare = preset.is_augment_comparison
    common["augment"] = all(preset.arms_augment)  # every arm; an augmentation comparison sets each arm's itself
    if preset.is_sweep:
        return size_sweep_submit(**common, sizes=list(preset.sweep_sizes))
    return experiment_submit(
        **common,
        strategy=preset.strategies[0],
        train_per_class=preset.train_per_class,
        compare=preset.is_comparison and not augment_compare,
        frozen_arm=preset_frozen_arm(preset),
        augment_compare=augment_compare,
    )
