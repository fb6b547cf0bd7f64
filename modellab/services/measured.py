"""Publishing a measured reference: a succeeded comparison or data-size sweep written as its lesson's
``measured`` content (through the same validation as the lesson file), and that content back as YAML."""

from __future__ import annotations

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from courses.models import Lesson
from courses.yamlnodes import parse_document
from modellab.arms import arm_label, starts_pretrained
from modellab.lesson_content import save_measured, validate_measured
from modellab.models import EpochRecord, Experiment, MeasuredReference

PUBLISH_NOT_ONE_GROUP = "publish_not_one_group"  # the runs chosen are not of one comparison or sweep
PUBLISH_NOT_SUCCEEDED = "publish_not_succeeded"  # a run of the group has not succeeded
PUBLISH_NO_LESSON = "publish_no_lesson"  # the runs were not started from a lesson that exists
PUBLISH_NO_TIMES = "publish_no_times"  # a run has epochs without their elapsed time (recorded since issue 12)

TITLE = "Measured on this platform"


def _group_runs(experiments: list[Experiment]) -> tuple[list[Experiment], str]:
    """Every run of the one comparison or sweep that ``experiments`` belong to, and which kind it is."""
    keys = {(e.comparison_group, e.sweep_group) for e in experiments}
    if len(keys) != 1 or keys == {(None, None)}:
        raise ValidationError("Choose runs of one comparison or one data-size sweep.", code=PUBLISH_NOT_ONE_GROUP)
    comparison, sweep = keys.pop()
    runs = Experiment.objects.filter(sweep_group=sweep) if sweep else Experiment.objects.filter(comparison_group=comparison)
    runs = list(runs.select_related("dataset").order_by("pk"))
    waiting = [f"#{e.pk}" for e in runs if e.status != Experiment.Status.SUCCEEDED]
    if waiting:
        raise ValidationError(
            "Every run of the group must have succeeded; not %(runs)s.",
            code=PUBLISH_NOT_SUCCEEDED,
            params={"runs": ", ".join(waiting)},
        )
    return runs, "sweep" if sweep else "comparison"


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
        "label": arm_label(e.strategy, starts_pretrained(e.strategy, e.backbone)),
        "strategy": e.strategy,
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
    """The lesson the runs' group was started from, and its ``measured`` section as the lesson file holds it.

    A comparison gives its runs; a sweep gives every arm as a point of its data-size chart and,
    as its runs, the pre-trained and from-scratch arms with the most training images.
    """
    runs, kind = _group_runs(experiments)
    lesson = Lesson.objects.filter(slug=runs[0].lesson_slug).first() if runs[0].lesson_slug else None
    if lesson is None:
        raise ValidationError(
            "These runs were not started from a lesson, so there is no lesson page to show them on.", code=PUBLISH_NO_LESSON
        )
    shown = runs
    sweep = []
    if kind == "sweep":
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
        shown = [e for e in runs if e.results["split_sizes"]["train"] == largest]
    first = runs[0]
    env = first.results.get("environment") or {}
    size = first.image_size
    dataset = f"{first.dataset.name}, {first.dataset.total_images} images" + (f", input {size} x {size}" if size else "")
    data = {
        "title": TITLE,
        "note": (
            f"Published from the {kind} of runs {', '.join(f'#{e.pk}' for e in runs)}: {first.epochs} epochs each, "
            f"batch {first.batch_size}, learning rate {first.lr:g}, seed {first.seed}"
            + (
                ", with the real pre-trained weights."
                if starts_pretrained("features", first.backbone)
                else "; the backbone has no pre-trained weights."
            )
        ),
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


def measured_publish(*, experiments: list[Experiment]) -> MeasuredReference:
    """Publish the comparison or sweep of ``experiments`` as its lesson's measured reference, replacing
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
