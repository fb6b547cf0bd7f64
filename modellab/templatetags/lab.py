"""Template tags of the lab's data on any page: a lesson's comparison, presets and measured reference, a run's progress, server text made public."""

from dataclasses import replace

from django import template

from modellab import public_text as text
from modellab import selectors
from modellab.arms import (
    AUGMENTATION,
    Arm,
    arm_label,
    augmentation_words,
    difference_sentences,
    effect_sentences,
    headline_pair,
    shared_sentence,
    starts_pretrained,
)
from modellab.datasize import SweepPoint, sweep_chart, sweep_rows
from modellab.timing import definition, duration, elapsed_chart, headline, timings_from_content
from modellab.trace import overlay_chart, progress_view

register = template.Library()


@register.simple_tag(takes_context=True)
def lab_lesson_comparison(context, lesson):
    """The signed-in user's latest finished comparison started from ``lesson``:
    {"experiments": [...], "chart": SVG} or None."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None:
        return None
    experiments = selectors.lesson_latest_comparison(user=user, lesson_slug=lesson.slug)
    if not experiments:
        return None
    traces = [(e.label, selectors.experiment_epochs(experiment=e)) for e in experiments]
    return {
        "experiments": experiments,
        "ids_query": "&".join(f"ids={e.pk}" for e in experiments),
        "chart": overlay_chart(traces, metric="val_accuracy", chart_id="lesson-lab-chart"),
        "rows": [(e, records) for e, (_, records) in zip(experiments, traces, strict=True)],
    }


@register.filter(name="duration")
def duration_filter(seconds) -> str:
    """Seconds read plainly: ``12 ms``, ``4.2 s``, ``9 min 10 s`` (modellab.timing.duration)."""
    return duration(seconds)


@register.filter
def public_text(value) -> str:
    """A stored reason (a run's failure, a skipped file's detail) without server paths or object reprs."""
    return text.public_text(str(value or ""))


@register.simple_tag
def lab_progress(experiment):
    """The running experiment's progress bar (a trace.ProgressView), or None when it is not running or has none."""
    if experiment.status != experiment.Status.RUNNING:
        return None
    return progress_view(experiment.progress)


@register.simple_tag
def lab_lesson_presets(lesson):
    """The lesson's lab presets, each with the dataset it would use here and its runs' labels:
    [{"preset", "dataset" (a built-in's name, or ""), "unavailable" (why none of its datasets is here), "arms"}]."""
    from django.core.exceptions import ValidationError

    from modellab.builtins import BUILTINS
    from modellab.services.presets import preset_dataset

    out = []
    from modellab.models import LabPreset

    for preset in LabPreset.objects.filter(lesson__slug=lesson.slug).select_related("lesson"):
        arms = [
            arm_label(s, starts_pretrained(s, preset.backbone), augment=a)
            for s, a in zip(preset.strategies, preset.arms_augment, strict=True)
        ]
        try:
            ref = preset_dataset(preset)
        except ValidationError as exc:
            out.append({"preset": preset, "dataset": "", "unavailable": " ".join(exc.messages), "arms": arms})
        else:
            out.append({"preset": preset, "dataset": BUILTINS[ref.key].name, "unavailable": "", "arms": arms})
    return out


@register.simple_tag
def lab_measured_reference(lesson):
    """The lesson's measured reference as stored (lesson content), or None: one query."""
    from modellab.models import MeasuredReference

    return MeasuredReference.objects.filter(lesson__slug=lesson.slug).first()


@register.simple_tag
def lab_measured(lesson):
    """The lesson's measured reference ready to show: headline, per-run times, epoch rows and the
    two charts; None when the lesson has none."""
    reference = lab_measured_reference(lesson)
    if reference is None:
        return None
    return measured_view(reference)


def measured_arms(reference) -> list[Arm]:
    """The reference's runs as arms, each named and labelled from its strategy, augmentation, training images
    and the backbone's weights (never from the file's ``label``); what they share is the reference's backbone,
    dataset and epochs, and where a run says them, its training images per class and augmentation."""
    arms = []
    varied = any("per_class" in r or r.get("augment") for r in reference.runs)
    for r in reference.runs:
        pretrained = starts_pretrained(r["strategy"], reference.backbone)
        augment, per_class = bool(r.get("augment")), r.get("per_class")
        settings = (
            ("network", selectors.backbone_short_name(reference.backbone)),
            ("data", reference.dataset),
            ("epochs", str(len(r["epochs"]))),
        )
        if varied:
            settings += (
                ("training images per class", str(per_class or "all")),
                (AUGMENTATION, augmentation_words(augment, r["strategy"])),
            )
        name = arm_label(r["strategy"], pretrained, augment=augment, per_class=per_class)
        arms.append(Arm(name, r["strategy"], pretrained, settings, augment=augment))
    return arms


def measured_view(reference) -> dict:
    """What the lesson page shows of a measured reference (lesson content, plain data)."""
    arms = measured_arms(reference)
    timings = timings_from_content(reference.runs, pretrained=[a.pretrained for a in arms])
    timings = [replace(t, label=a.name) for t, a in zip(timings, arms, strict=True)]
    pair = headline_pair(arms)
    line = headline(timings[pair[0]], timings[pair[1]]) if pair else None
    epochs = sorted({e["epoch"] for r in reference.runs for e in r["epochs"]})
    by_run = [{e["epoch"]: e for e in r["epochs"]} for r in reference.runs]
    points = [SweepPoint(p["per_class"], p["strategy"] != "scratch", p["val_accuracy"]) for p in reference.sweep]
    sweep_strategy = next((p["strategy"] for p in reference.sweep if p["strategy"] != "scratch"), "features")
    sweep_label = arm_label(sweep_strategy, starts_pretrained(sweep_strategy, reference.backbone))
    return {
        "reference": reference,
        "arms": arms,
        "labels": ", ".join(a.name for a in arms),
        "shared": shared_sentence(arms),
        "differences": difference_sentences(arms),
        "effects": effect_sentences(arms, timings),
        "headline": line,
        "definition": definition(arms[pair[0]].name) if pair else "",
        "sweep_label": sweep_label,
        "timings": [(t, t.time_to(line.target) if line else None) for t in timings],
        "epoch_rows": [(n, [run.get(n) for run in by_run]) for n in epochs],
        "elapsed_chart": elapsed_chart(timings, chart_id="measured-elapsed"),
        "sweep_rows": sweep_rows(points),
        "sweep_chart": sweep_chart(points, chart_id="measured-sweep", label=sweep_label),
    }


@register.filter
def eta_of(slots, experiment):
    """The run's eta.Slot in a {id: Slot} mapping (eta_selectors.queue_eta), or None."""
    return (slots or {}).get(getattr(experiment, "pk", None))


@register.filter
def ordinal(n) -> str:
    """3 -> "3rd" (modellab.eta.ordinal)."""
    from modellab.eta import ordinal as ordinal_text

    return ordinal_text(int(n))


@register.filter
def eta_about(seconds) -> str:
    """Seconds from now read as "in about 3 min" (modellab.eta.about)."""
    from modellab.eta import about

    return about(float(seconds))


@register.filter
def eta_basis(estimate) -> str:
    """What an eta.Estimate rests on (modellab.eta.basis_text)."""
    from modellab.eta import basis_text

    return basis_text(estimate)
