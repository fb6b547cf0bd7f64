"""Reads of the lab that need more than a one-line query."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from modellab.arms import AUGMENTATION, Arm
from modellab.datasize import SweepPoint
from modellab.heatmaps import gallery_order
from modellab.models import Dataset, EpochRecord, Experiment, LabPreset, Worker
from modellab.timing import EpochPoint, RunTiming

S = Experiment.Status


def experiments_visible_to(user) -> QuerySet[Experiment]:
    qs = Experiment.objects.select_related("dataset", "owner")
    return qs if user.is_staff else qs.filter(owner=user)


def datasets_visible_to(user) -> QuerySet[Dataset]:
    """Uploads of ``user`` (all uploads for staff) and the shared built-in datasets."""
    qs = Dataset.objects.select_related("owner")
    return qs if user.is_staff else qs.filter(Q(owner=user) | Q(owner__isnull=True))


def experiment_get_for_user(*, user, pk: int) -> Experiment:
    """The experiment, or 404 when it does not exist or is another learner's."""
    try:
        return experiments_visible_to(user).get(pk=pk)
    except Experiment.DoesNotExist:
        raise Http404("No such experiment.") from None


def lab_default_preset(*, lesson_slug: str = "") -> LabPreset | None:
    """The preset the lab form opens on when none is named: the first run or comparison (not a sweep)
    of the lesson ``lesson_slug``, else of the first published lesson that has one; None without any."""
    presets = (
        LabPreset.objects.select_related("lesson")
        .filter(lesson__published=True)
        .order_by("lesson__course__position", "lesson__course__title", "lesson__position", "lesson__title", "position")
    )
    runs = [p for p in presets if not p.is_sweep]
    return next((p for p in runs if p.lesson.slug == lesson_slug), None) or next(iter(runs), None)


def dataset_get_for_user(*, user, pk: int) -> Dataset:
    try:
        return datasets_visible_to(user).get(pk=pk)
    except Dataset.DoesNotExist:
        raise Http404("No such dataset.") from None


def upload_visible_to(*, user, pk: int) -> Dataset | None:
    """Upload ``pk`` when ``user`` may use it (their own; any, for staff), else None."""
    return datasets_visible_to(user).filter(kind=Dataset.Kind.UPLOAD, pk=pk).first()


def experiment_queue_position(*, experiment: Experiment) -> int | None:
    """1 for the next run a worker takes, None when the run is not queued."""
    if experiment.status != S.QUEUED:
        return None
    when = experiment.queued_at or experiment.created_at
    ahead = Experiment.objects.filter(status=S.QUEUED).filter(Q(queued_at__lt=when) | Q(queued_at=when, pk__lt=experiment.pk))
    return ahead.count() + 1


def experiment_epochs(*, experiment: Experiment) -> list[EpochRecord]:
    return list(EpochRecord.objects.filter(experiment=experiment).order_by("epoch"))


def experiment_group(*, experiment: Experiment, user) -> list[Experiment]:
    if not experiment.comparison_group:
        return [experiment]
    return list(experiments_visible_to(user).filter(comparison_group=experiment.comparison_group).order_by("pk"))


def experiments_running_count() -> int:
    return Experiment.objects.filter(status=S.RUNNING).count()


@dataclass(frozen=True)
class GalleryItem:
    index: int  # position in results["predictions"], the key of the image view
    path: str
    true: str
    predicted: str
    top_k: list
    correct: bool


def experiment_gallery(*, experiment: Experiment, limit: int = 48) -> list[GalleryItem]:
    """Validation predictions, misclassified first, then by confidence of the prediction (lowest first)."""
    preds = (experiment.results or {}).get("predictions") or []
    return [
        GalleryItem(i, p.get("path", ""), p["true"], p["predicted"], p.get("top_k") or [], p["true"] == p["predicted"])
        for i, p in ((i, preds[i]) for i in gallery_order(preds)[:limit])
    ]


def lesson_latest_comparison(*, user, lesson_slug: str) -> list[Experiment]:
    """The user's most recent finished comparison started from the lesson (empty when none)."""
    if not getattr(user, "is_authenticated", False):
        return []
    latest = (
        Experiment.objects.filter(owner=user, lesson_slug=lesson_slug, comparison_group__isnull=False, status=S.SUCCEEDED)
        .order_by("-finished_at")
        .values_list("comparison_group", flat=True)
        .first()
    )
    if latest is None:
        return []
    return list(Experiment.objects.filter(comparison_group=latest).order_by("pk"))


def lesson_lab_state(lesson, request) -> str:
    """The lesson page's Lab line: the user's runs started from the lesson that are queued or
    running, else the last one's validation accuracy; '' for a visitor or before the first run."""
    if not request.user.is_authenticated:
        return ""
    runs = Experiment.objects.filter(owner=request.user, lesson_slug=lesson.slug)
    active = runs.filter(status__in=Experiment.ACTIVE).count()
    if active:
        return f"{active} run{'s' if active > 1 else ''} in progress"
    last = runs.filter(status=S.SUCCEEDED).order_by("-finished_at", "-id").first()
    if last is not None and last.comparison_group is not None:
        arms = [
            f"{_arm_name(e)} {round(acc * 100)}%"
            for e in runs.filter(comparison_group=last.comparison_group, status=S.SUCCEEDED).order_by("pk")
            if (acc := _val_accuracy(e)) is not None
        ]
        return f"Last comparison: {', '.join(arms)} validation accuracy" if arms else ""
    accuracy = _val_accuracy(last) if last else None
    return f"Last run: {round(accuracy * 100)}% validation accuracy" if accuracy is not None else ""


def lessons_lab_runs(lessons, request) -> dict[int, str]:
    """The course page's Lab runs column: per lesson, how many runs the user started from it (one query)."""
    if not request.user.is_authenticated:
        return {}
    by_slug = {lesson.slug: lesson.pk for lesson in lessons}
    counts = (
        Experiment.objects.filter(owner=request.user, lesson_slug__in=by_slug)
        .values_list("lesson_slug")
        .annotate(n=Count("id"))
        .values_list("lesson_slug", "n")
    )
    return {by_slug[slug]: str(n) for slug, n in counts}


def _val_accuracy(experiment: Experiment) -> float | None:
    return ((experiment.results or {}).get("final") or {}).get("val_accuracy")


def _arm_name(experiment: Experiment) -> str:
    """ "pre-trained features", "from scratch": the strategy's name without its parenthesis, in a sentence."""
    name = experiment.get_strategy_display().split(" (")[0]
    return name[:1].lower() + name[1:]


@dataclass(frozen=True)
class WorkerSeen:
    worker: Worker
    current: list[Experiment]  # the runs it holds now (RUNNING, recorded on its hostname)
    silent_s: float  # seconds since its last heartbeat
    alive: bool  # heard from within LAB_HEARTBEAT_STALE_S


@dataclass(frozen=True)
class LabStatus:
    workers: list[WorkerSeen]
    runs_by_state: list[tuple[str, int]]  # (status label, count) for every status, in lifecycle order
    oldest_queued_s: float | None  # age of the run that has waited longest in the queue; None: none queued


def lab_status(*, now: datetime | None = None) -> LabStatus:
    """Workers seen with what they run, runs by state, and how long the oldest queued run has waited."""
    now = now or timezone.now()
    running: dict[str, list[Experiment]] = {}
    for exp in Experiment.objects.filter(status=S.RUNNING).select_related("owner").order_by("pk"):
        running.setdefault(exp.worker_hostname, []).append(exp)
    workers = []
    for w in Worker.objects.all():
        silent = (now - w.heartbeat_at).total_seconds()
        workers.append(WorkerSeen(w, running.get(w.hostname, []), silent, silent <= settings.LAB_HEARTBEAT_STALE_S))
    counts = dict(Experiment.objects.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n"))
    oldest = Experiment.objects.filter(status=S.QUEUED).aggregate(t=Min("queued_at"))["t"]
    return LabStatus(
        workers=workers,
        runs_by_state=[(label, counts.get(value, 0)) for value, label in S.choices],
        oldest_queued_s=(now - oldest).total_seconds() if oldest else None,
    )


def run_timing(*, experiment: Experiment, records: list[EpochRecord]) -> RunTiming:
    """The run's times (from its results once it has finished) and its accuracy by epoch, for modellab.timing."""
    results = experiment.results or {}
    seconds = results.get("seconds")
    extraction = float(results.get("extract_seconds") or 0.0)
    return RunTiming(
        label=experiment.label,
        pretrained=experiment.starts_pretrained,
        strategy=experiment.strategy,
        epochs_planned=experiment.epochs,
        points=tuple(EpochPoint(r.epoch, r.val_accuracy, r.elapsed_seconds) for r in records),
        finished=experiment.status == S.SUCCEEDED,
        startup=results.get("startup_seconds"),
        extraction=extraction,
        training=None if seconds is None else max(float(seconds) - extraction, 0.0),
        cache_hit=bool(results.get("cache_hit")),
    )


def experiment_arm(*, experiment: Experiment) -> Arm:
    """The run as an arm of a comparison: its settings in words, for the sentences of modellab.arms."""
    e = experiment
    size = f"{e.image_size} x {e.image_size}" if e.image_size else "the backbone's own"
    return Arm(
        name=f"#{e.pk}",
        strategy=e.strategy,
        pretrained=e.starts_pretrained,
        settings=(
            ("network", backbone_short_name(e.backbone)),
            ("data", e.dataset.name),
            ("training images per class", "all" if e.train_per_class is None else str(e.train_per_class)),
            ("split and seed", f"seed {e.seed}"),
            ("epochs", str(e.epochs)),
            ("learning rate", f"{e.lr:g}"),
            ("batch size", str(e.batch_size)),
            ("optimizer", e.optimizer),
            ("input size", size),
            (AUGMENTATION, e.augmentation),
        ),
        augment=e.augment,
    )


def size_sweep_get_for_user(*, user, group: uuid.UUID) -> list[Experiment]:
    """The runs of a data-size sweep, pre-trained arms first, each by size; 404 when none is ``user``'s to see."""
    runs = list(experiments_visible_to(user).filter(sweep_group=group))
    if not runs:
        raise Http404("No such sweep.")
    return sorted(
        runs, key=lambda e: (e.strategy == Experiment.Strategy.SCRATCH, e.train_per_class is None, e.train_per_class or 0)
    )


def sweep_points(*, experiments: list[Experiment]) -> list[SweepPoint]:
    """The finished arms as points: the training images per class each really had, its final validation accuracy."""
    points = []
    for e in experiments:
        results = e.results or {}
        classes = len(results.get("class_names") or []) or 1
        train = (results.get("split_sizes") or {}).get("train")
        if e.status != S.SUCCEEDED or train is None:
            continue
        points.append(
            SweepPoint(round(train / classes), e.strategy != Experiment.Strategy.SCRATCH, results["final"]["val_accuracy"])
        )
    return points


def backbone_short_name(name: str) -> str:
    """ "EfficientNet-Lite0" for "efficientnet_lite0": the registry's label without its parenthesis."""
    from modellab import engine

    labels = {b.name: b.label for b in engine.list_backbones()}
    return labels.get(name, name).split(" (")[0]


def experiment_lesson_shapes(*, experiment: Experiment) -> dict | None:
    """The run's real shapes under the four stages of the lesson it was started from, and what differs:
    {"lesson", "stages": [shapes.StageShape], "differences": [str]}; None without such a lesson or trace."""
    from courses.models import Lesson
    from modellab import engine
    from modellab.shapes import differences, map_to_lesson

    trace = (experiment.results or {}).get("shape_trace") or []
    lesson = Lesson.objects.filter(slug=experiment.lesson_slug).select_related("lab").first() if experiment.lesson_slug else None
    if lesson is None or not trace:
        return None
    stages = [(s.name, s.output_shape) for s in lesson.stages.all()]
    mapped = map_to_lesson(trace, stages)
    if not mapped:
        return None
    lab = getattr(lesson, "lab", None)
    theirs = backbone_short_name(lab.shapes_from) if lab and lab.shapes_from else ""
    stats = {b.name: (b.mean, b.std) for b in engine.list_backbones()}
    notes = differences(
        trace,
        stages,
        run_backbone=backbone_short_name(experiment.backbone),
        lesson_backbone=theirs,
        run_stats=stats.get(experiment.backbone),
        lesson_stats=stats.get(lab.shapes_from) if lab and lab.shapes_from else None,
    )
    return {"lesson": lesson, "stages": mapped, "differences": notes}
