"""Publishing a measured reference: succeeded comparisons and data-size sweeps of one lesson written as its
``measured`` content (through the same validation as the lesson file), and that content back as YAML.

A lesson's presets may split what it compares over several groups ("Freeze or fine-tune?" runs its four
strategies as two comparisons that share two arms; "How much data?" a sweep and an augmentation comparison),
so one reference can be published from several groups run with the same settings: each arm once, from the
group chosen first."""

from __future__ import annotations

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from courses.models import Lesson
from courses.yamlnodes import parse_document
from modellab.arms import arm_label, starts_pretrained
from modellab.lesson_content import save_measured, validate_measured
from modellab.models import EpochRecord, Experiment, MeasuredReference

PUBLISH_NOT_A_GROUP = "publish_not_a_group"  # a run chosen is of no comparison or sweep
PUBLISH_MIXED = "publish_mixed"  # the groups chosen differ in lesson or settings, or hold two sweeps
PUBLISH_NOT_SUCCEEDED = "publish_not_succeeded"  # a run of the group has not succeeded
PUBLISH_NO_LESSON = "publish_no_lesson"  # the runs were not started from a lesson that exists
PUBLISH_NO_TIMES = "publish_no_times"  # a run has epochs without their elapsed time (recorded since issue 12)

TITLE = "Measured on this platform"


def _group_runs(experiments: list[Experiment]) -> list[list[Experiment]]:
    """Every run of each comparison or sweep that ``experiments`` belong to, a list per group in the order
    of their first runs; all succeeded, and sharing their lesson, data, network and settings."""
    keys = {(e.comparison_group, e.sweep_group) for e in experiments}
    if not keys or (None, None) in keys:
        raise ValidationError(
            "Choose runs of comparisons or data-size sweeps; a single run has nothing to compare.", code=PUBLISH_NOT_A_GROUP
        )
    if sum(1 for _, sweep in keys if sweep) > 1:
        raise ValidationError("Choose at most one data-size sweep.", code=PUBLISH_MIXED)
    groups = []
    for comparison, sweep in keys:
        runs = Experiment.objects.filter(sweep_group=sweep) if sweep else Experiment.objects.filter(comparison_group=comparison)
        groups.append(list(runs.select_related("dataset").order_by("pk")))
    groups.sort(key=lambda runs: runs[0].pk)
    runs = [e for group in groups for e in group]
    waiting = [f"#{e.pk}" for e in runs if e.status != Experiment.Status.SUCCEEDED]
    if waiting:
        raise ValidationError(
            "Every run of the group must have succeeded; not %(runs)s.",
            code=PUBLISH_NOT_SUCCEEDED,
            params={"runs": ", ".join(waiting)},
        )
    differ = [f"#{e.pk}" for e in runs if _shared(e) != _shared(runs[0])]
    if differ:
        raise ValidationError(
            "The groups must come from one lesson and share its data, network and settings; %(runs)s differ from #%(first)s.",
            code=PUBLISH_MIXED,
            params={"runs": ", ".join(differ), "first": runs[0].pk},
        )
    return groups


def _shared(e: Experiment) -> tuple:
    """What every published run must share: all but what an arm of a comparison or sweep may change."""
    return (e.lesson_slug, e.dataset_id, e.backbone, e.image_size, e.epochs, e.batch_size, e.lr, e.optimizer, e.seed)


def _arm(e: Experiment) -> tuple:
    """What tells a run's arm from another's: a reference shows each arm once."""
    return (e.strategy, e.augment, e.train_per_class)


def _run_entry(e: Experiment) -> dict:
    results = e.results or {}
    records = list(EpochRecord.objects.filter(experiment=e).order_by("epoch"))
    if any(r.elapsed_seconds is None for r in records):
        raise ValidationError(
            "Run #%(pk)s has no elapsed time per epoch (it ran before those were recorded); publish a newer run.",
            code=PUBLISH_NO_TIMES,
            params={"pk": e.pk},
        )
    extraction = float(results.get("extract_seconds") or 0.0)
    return {
        "label": arm_label(e.strategy, starts_pretrained(e.strategy, e.backbone), augment=e.augment, per_class=e.train_per_class),
        "strategy": e.strategy,
        **({"augment": True} if e.augment else {}),
        **({"per_class": e.train_per_class} if e.train_per_class is not None else {}),
        "seconds": {
            "startup": round(float(results.get("startup_seconds") or 0.0), 1),
            "extraction": round(extraction, 1),
            "training": round(max(float(results.get("seconds") or 0.0) - extraction, 0.0), 1),
        },
        "epochs": [
            {
                "epoch": r.epoch,
                "val_accuracy": round(r.val_accuracy, 4),
                "val_loss": round(r.val_loss, 4),
                "elapsed": round(r.elapsed_seconds, 1),
            }
            for r in records
        ],
    }


def measured_data(experiments: list[Experiment]) -> tuple[Lesson, dict]:
    """The lesson the runs' groups were started from, and its ``measured`` section as the lesson file holds it.

    A comparison gives its runs; a sweep gives every arm as a point of its data-size chart and,
    as its runs, the pre-trained and from-scratch arms with the most training images. Each arm is
    shown once: a later group's repeat of an arm already shown is left out, and the note says so.
    """
    groups = _group_runs(experiments)
    first = groups[0][0]
    lesson = Lesson.objects.filter(slug=first.lesson_slug).first() if first.lesson_slug else None
    if lesson is None:
        raise ValidationError(
            "These runs were not started from a lesson, so there is no lesson page to show them on.", code=PUBLISH_NO_LESSON
        )
    shown, sweep, described, repeats = [], [], [], []
    for runs in groups:
        candidates = runs
        if runs[0].sweep_group:
            for e in runs:
                classes = len(e.results.get("class_names") or []) or 1
                sweep.append(
                    {
                        "per_class": round(e.results["split_sizes"]["train"] / classes),
                        "strategy": e.strategy,
                        "val_accuracy": round(e.results["final"]["val_accuracy"], 4),
                    }
                )
            largest = max(e.results["split_sizes"]["train"] for e in runs)
            candidates = [e for e in runs if e.results["split_sizes"]["train"] == largest]
        for e in candidates:
            (repeats if _arm(e) in {_arm(s) for s in shown} else shown).append(e)
        described.append(f"the {'sweep' if runs[0].sweep_group else 'comparison'} of runs {_numbers(runs)}")
    env = first.results.get("environment") or {}
    size = first.image_size
    dataset = f"{first.dataset.name}, {first.dataset.total_images} images" + (f", input {size} x {size}" if size else "")
    note = (
        f"Published from {' and '.join(described)}: {first.epochs} epochs each, "
        f"batch {first.batch_size}, learning rate {first.lr:g}, seed {first.seed}"
        + (
            ", with the real pre-trained weights."
            if starts_pretrained("features", first.backbone)
            else "; the backbone has no pre-trained weights."
        )
    )
    if repeats:
        note += f" Left out as repeats of an arm shown: {_numbers(repeats)}."
    note += _precisions(shown)
    data = {
        "title": TITLE,
        "note": note,
        "backbone": first.backbone,
        "dataset": dataset,
        "device": str(env.get("device") or first.results.get("device") or "unknown"),
        "date": (first.finished_at or first.created_at).date().isoformat(),
        "versions": {k: str(env.get(k) or "unknown") for k in ("torch", "torchvision", "timm")},
        "runs": [_run_entry(e) for e in shown],
    }
    if sweep:
        data["sweep"] = sweep
    return lesson, data


def _numbers(runs: list[Experiment]) -> str:
    return ", ".join(f"#{e.pk}" for e in runs)


def _precisions(runs: list[Experiment]) -> str:
    """`` Trained in bfloat16 autocast: #1, #2; in float32: #3.``: the precision each run shown trained in, as the
    run recorded it (a CPU with native bfloat16 trains in it, engine.loop); "" for runs from before it was recorded."""
    by_precision: dict[str, list[Experiment]] = {}
    for e in runs:
        precision = ((e.results or {}).get("environment") or {}).get("precision")
        if precision:
            by_precision.setdefault(precision, []).append(e)
    if not by_precision:
        return ""
    said = [f"in {p}{' autocast' if p != 'float32' else ''}: {_numbers(rs)}" for p, rs in by_precision.items()]
    return f" Trained {'; '.join(said)}."


def measured_publish(*, experiments: list[Experiment]) -> MeasuredReference:
    """Publish the comparisons or sweep of ``experiments`` as their lesson's measured reference, replacing
    any earlier one. It goes through the lesson file's own validation, so what is published can be
    exported as YAML and loaded back unchanged. Raises ValidationError (a PUBLISH_* code)."""
    lesson, data = measured_data(experiments)
    node = parse_document(yaml.safe_dump({"measured": data}, sort_keys=False), source="published reference")
    parsed = validate_measured(node.mapping({"measured"})["measured"])
    with transaction.atomic():
        return save_measured(lesson, parsed)


def measured_to_yaml(reference: MeasuredReference) -> str:
    """The reference as the ``measured:`` section of a lesson file (paste it into the lesson's YAML)."""
    data = {
        "title": reference.title,
        "note": reference.note,
        "backbone": reference.backbone,
        "dataset": reference.dataset,
        "device": reference.device,
        "date": reference.measured_on.isoformat(),
        "versions": reference.versions,
        # an epoch's val_loss is optional: left out rather than written as null
        "runs": [
            {**run, "epochs": [{k: v for k, v in e.items() if v is not None} for e in run["epochs"]]} for run in reference.runs
        ],
    }
    if reference.sweep:
        data["sweep"] = reference.sweep
    if not reference.note:
        del data["note"]
    return yaml.safe_dump({"measured": data}, sort_keys=False, allow_unicode=True, width=100)
