"""Every write of the lab, each in a transaction; the only place that queues a run.

Lifecycle of an experiment (all transitions are conditional UPDATEs, so two processes
never both win one)::

    QUEUED --(worker claims it; attempts += 1)--> RUNNING --> SUCCEEDED | FAILED | CANCELLED
    QUEUED --(cancel)--> CANCELLED
    RUNNING --(its worker is gone, attempts left)--> QUEUED        (the sweep)
    RUNNING --(its worker is gone, no attempts left)--> FAILED      (the sweep)

A worker holds a run by its attempt number: every write it makes filters on
``status=RUNNING, attempts=<its attempt>``, so a worker that was presumed dead and
replaced cannot overwrite the newer attempt's rows.
"""
from __future__ import annotations

import io
import logging
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Callable

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from modellab import storage
from modellab.limits import lab_limits
from modellab.models import Dataset, EpochRecord, Experiment

log = logging.getLogger(__name__)

S = Experiment.Status

# How often a running job reads its cancel flag and refreshes its heartbeat (one query).
CANCEL_CHECK_INTERVAL_S = 1.0


class LabError(Exception):
    """A request the lab refuses; ``code`` is stable (tests assert it), ``message`` is for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class _LeaseLost(Exception):
    """This worker's attempt is no longer the current one (the sweep gave the run away)."""


# --------------------------------------------------------------------------- built-in datasets


@dataclass(frozen=True)
class BuiltinDataset:
    key: str
    name: str
    description: str

    def per_class(self) -> int | None:
        if settings.LAB_BUILTIN_PER_CLASS:
            return settings.LAB_BUILTIN_PER_CLASS
        return 100 if self.key.startswith("cifar") else None

    def folder(self) -> str:
        return f"{storage.BUILTIN_ROOT}/{self.key}-{self.per_class() or 'all'}"

    def unavailable_reason(self) -> str:
        if self.key.startswith("cifar"):
            root = Path(settings.LAB_CIFAR_ROOT)
            if not (root / "cifar-10-batches-py").is_dir() and not storage.local_dir(self.folder()).is_dir():
                return (
                    f"The CIFAR-10 archive is not on this server: download "
                    f"https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz and extract it into {root} "
                    f"(LAB_CIFAR_ROOT)."
                )
        return ""

    def materialize(self, dest: Path):
        from modellab import engine

        if self.key == "digits":
            return engine.materialize_digits(dest, max_per_class=self.per_class())
        if self.key == "digits-3":
            return engine.materialize_digits(dest, classes=[0, 1, 2], max_per_class=self.per_class())
        return engine.materialize_cifar10(
            settings.LAB_CIFAR_ROOT, dest, classes=("cat", "dog", "bird"), per_class=self.per_class() or 100
        )


BUILTINS = {
    b.key: b
    for b in (
        BuiltinDataset("digits", "Handwritten digits (0-9)", "scikit-learn's 1,797 handwritten digits, 10 classes."),
        BuiltinDataset("digits-3", "Handwritten digits 0, 1, 2 (quick)", "Three digit classes: a run takes seconds."),
        BuiltinDataset("cifar-cat-dog-bird", "Cat, dog, bird (CIFAR-10)", "The lesson's scenario: 32x32 photos."),
    )
}


def dataset_get_or_create_builtin(*, key: str) -> Dataset:
    """The shared Dataset row of built-in dataset ``key`` (its files appear on first use by a worker)."""
    spec = BUILTINS.get(key)
    if spec is None:
        raise LabError("unknown_dataset", f"There is no built-in dataset {key!r}.")
    reason = spec.unavailable_reason()
    if reason:
        raise LabError("dataset_unavailable", reason)
    with transaction.atomic():
        dataset, _ = Dataset.objects.get_or_create(
            kind=Dataset.Kind.BUILTIN, builtin_key=key, folder=spec.folder(), defaults={"name": spec.name}
        )
    return dataset


def _ensure_builtin_files(dataset: Dataset) -> Path:
    from modellab import engine

    local = storage.pull_dir(dataset.folder)
    if local.is_dir() and any(local.iterdir()):
        return local
    try:
        report = BUILTINS[dataset.builtin_key].materialize(local)
    except engine.DatasetError as exc:
        if exc.code != "dest_not_empty":  # another run materialised it first: use theirs
            raise
    else:
        storage.push_dir(dataset.folder)
        with transaction.atomic():
            Dataset.objects.filter(pk=dataset.pk).update(report=report.to_dict())
    return local


# --------------------------------------------------------------------------- uploads

MESSAGES = {
    "upload_too_large": "The zip is {size_mb:.1f} MB; the limit is {limit_mb} MB.",
    "too_many_images": "The dataset has {count} images; the limit is {limit} per dataset.",
    "too_many_epochs": "At most {limit} epochs per run.",
    "too_many_runs": "You already have {active} run(s) queued or running; the limit is {limit} at once. "
    "Wait for one to finish or cancel one.",
    "backbone_unavailable": "{reason}",
    "unknown_backbone": "There is no backbone {name!r}.",
    "dataset_forbidden": "That dataset is not yours.",
    "not_cancellable": "This run has already finished.",
    "no_model": "This run has no trained model (it did not succeed).",
    "bad_image": "That file is not an image we can read ({detail}).",
}


def _error(code: str, **kwargs) -> LabError:
    return LabError(code, MESSAGES[code].format(**kwargs))


def dataset_create_from_upload(*, owner, uploaded_file, name: str = "") -> Dataset:
    """Validate and extract an uploaded zip of class folders into a new Dataset of ``owner``.

    Raises LabError with the engine's DatasetError code (bad_zip, path_traversal, too_few_classes, ...)
    or one of ours (upload_too_large, too_many_images). Nothing is kept on failure.
    """
    from modellab import engine

    limits = lab_limits()
    if uploaded_file.size > limits.max_upload_bytes:
        raise _error("upload_too_large", size_mb=uploaded_file.size / 2**20, limit_mb=limits.max_upload_bytes // 2**20)
    folder = f"{storage.UPLOAD_ROOT}/u{owner.pk}/{uuid.uuid4().hex}"
    dest = storage.local_dir(folder)
    engine_limits = engine.UploadLimits(
        max_files=limits.max_images_per_dataset + 500,  # room for folders and skipped files
        max_total_bytes=min(engine.UploadLimits().max_total_bytes, 20 * limits.max_upload_bytes),
    )
    with tempfile.TemporaryDirectory(prefix="lab-upload-") as tmp:
        zip_path = Path(tmp) / "upload.zip"
        with open(zip_path, "wb") as out:
            for chunk in uploaded_file.chunks():
                out.write(chunk)
        try:
            report = engine.prepare_upload(zip_path, dest, limits=engine_limits)
        except engine.DatasetError as exc:
            raise LabError(exc.code, exc.message) from exc
    if report.total_images > limits.max_images_per_dataset:
        shutil.rmtree(dest, ignore_errors=True)
        raise _error("too_many_images", count=report.total_images, limit=limits.max_images_per_dataset)
    storage.push_dir(folder)
    display = name.strip() or Path(getattr(uploaded_file, "name", "upload.zip")).stem[:100] or "My dataset"
    with transaction.atomic():
        return Dataset.objects.create(
            owner=owner, name=display, kind=Dataset.Kind.UPLOAD, folder=folder, report=report.to_dict()
        )


# --------------------------------------------------------------------------- submit and cancel


def _enqueue(experiment_id: int) -> None:
    from modellab.tasks import run_experiment

    transaction.on_commit(lambda: run_experiment.delay(experiment_id))


def _check_backbone(name: str, strategy: str) -> None:
    from modellab import engine

    infos = {b.name: b for b in engine.list_backbones()}
    if name not in infos:
        raise _error("unknown_backbone", name=name)
    if strategy != "scratch" and not infos[name].available:
        raise _error("backbone_unavailable", reason=infos[name].unavailable_reason)


def experiment_submit(
    *,
    owner,
    dataset: Dataset,
    backbone: str,
    strategy: str,
    epochs: int,
    lr: float,
    batch_size: int,
    optimizer: str = "adam",
    compare: bool = False,
    lesson_slug: str = "",
) -> list[Experiment]:
    """Create one experiment (or, with ``compare``, the pre-trained one and its from-scratch twin)
    and queue each on commit. Raises LabError when a limit or a permission says no.
    """
    limits = lab_limits()
    if dataset.owner_id is not None and dataset.owner_id != owner.pk and not owner.is_staff:
        raise _error("dataset_forbidden")
    if epochs > limits.max_epochs:
        raise _error("too_many_epochs", limit=limits.max_epochs)
    if dataset.kind == Dataset.Kind.UPLOAD and dataset.total_images > limits.max_images_per_dataset:
        raise _error("too_many_images", count=dataset.total_images, limit=limits.max_images_per_dataset)
    if compare:
        strategies = [strategy if strategy != "scratch" else "features", "scratch"]
    else:
        strategies = [strategy]
    for s in strategies:
        _check_backbone(backbone, s)
    group = uuid.uuid4() if compare else None
    with transaction.atomic():
        # Lock the user's row so two simultaneous submits cannot both pass the limit.
        get_user_model().objects.select_for_update().filter(pk=owner.pk).first()
        active = Experiment.objects.filter(owner=owner, status__in=Experiment.ACTIVE).count()
        if active + len(strategies) > limits.max_concurrent_runs_per_user:
            raise _error("too_many_runs", active=active, limit=limits.max_concurrent_runs_per_user)
        now = timezone.now()
        created = []
        for s in strategies:
            exp = Experiment.objects.create(
                owner=owner, dataset=dataset, backbone=backbone, strategy=s, epochs=epochs, lr=lr,
                batch_size=batch_size, optimizer=optimizer, comparison_group=group, lesson_slug=lesson_slug,
                status=S.QUEUED, queued_at=now,
            )
            _enqueue(exp.pk)
            created.append(exp)
    return created


def experiment_cancel(*, experiment: Experiment) -> Experiment:
    """Cancel a queued run at once; ask a running one to stop (it does within a batch)."""
    with transaction.atomic():
        now = timezone.now()
        if Experiment.objects.filter(pk=experiment.pk, status=S.QUEUED).update(
            status=S.CANCELLED, cancel_requested=True, finished_at=now
        ):
            pass
        elif not Experiment.objects.filter(pk=experiment.pk, status=S.RUNNING).update(cancel_requested=True):
            raise _error("not_cancellable")
    experiment.refresh_from_db()
    return experiment


# --------------------------------------------------------------------------- running (the worker side)


def _claim(experiment_id: int, *, worker_hostname: str, worker_pid: int | None) -> Experiment | None:
    """QUEUED -> RUNNING for this worker, or None when the message must not run (any more)."""
    max_attempts = lab_limits().max_attempts
    now = timezone.now()
    with transaction.atomic():
        claimed = Experiment.objects.filter(
            pk=experiment_id, status=S.QUEUED, cancel_requested=False, attempts__lt=max_attempts
        ).update(
            status=S.RUNNING, attempts=F("attempts") + 1, started_at=now, heartbeat_at=now, finished_at=None,
            worker_hostname=worker_hostname[:255], worker_pid=worker_pid, failure_reason="",
        )
        if claimed:
            # A retried run starts its trace afresh.
            EpochRecord.objects.filter(experiment_id=experiment_id).delete()
            return Experiment.objects.select_related("dataset").get(pk=experiment_id)
        # Settle what a late or redelivered message finds; RUNNING and finished runs are left alone.
        Experiment.objects.filter(pk=experiment_id, status=S.QUEUED, cancel_requested=True).update(
            status=S.CANCELLED, finished_at=now
        )
        Experiment.objects.filter(pk=experiment_id, status=S.QUEUED, attempts__gte=max_attempts).update(
            status=S.FAILED, finished_at=now,
            failure_reason=f"Gave up after {max_attempts} attempt(s): the worker running it stopped each time.",
        )
    return None


def _results_for_storage(result, *, dataset: Dataset, output_name: str) -> dict:
    data = result.to_dict()
    epochs = data.pop("epochs", None) or []  # the trace lives in EpochRecord rows
    data["final"] = epochs[-1] if epochs else {}
    data["misclassified_count"] = len(data.pop("misclassified", []) or [])
    root = storage.local_dir(dataset.folder).resolve()
    for p in data.get("predictions", []):
        path = Path(p["path"])
        if path.is_absolute():
            try:
                p["path"] = path.resolve().relative_to(root).as_posix()
            except ValueError:
                p["path"] = ""
    data["model_path"] = f"{output_name}/model.pt"
    return data


def experiment_run(*, experiment_id: int, worker_hostname: str = "", worker_pid: int | None = None) -> str | None:
    """Run one experiment on this worker and record everything; returns its final status
    (None when this message had nothing to run). Never raises for a failed run."""
    from modellab import engine

    exp = _claim(experiment_id, worker_hostname=worker_hostname, worker_pid=worker_pid)
    if exp is None:
        log.info("experiment %s: nothing to run (not queued)", experiment_id)
        return None
    attempt = exp.attempts
    lease = Experiment.objects.filter(pk=exp.pk, status=S.RUNNING, attempts=attempt)
    output_name = f"{storage.RUNS_ROOT}/{exp.pk}"

    def on_epoch_end(stats) -> None:
        with transaction.atomic():
            if not lease.update(heartbeat_at=timezone.now()):
                raise _LeaseLost()
            EpochRecord.objects.update_or_create(
                experiment_id=exp.pk, epoch=stats.epoch,
                defaults={
                    "train_loss": stats.train_loss, "train_accuracy": stats.train_accuracy,
                    "val_loss": stats.val_loss, "val_accuracy": stats.val_accuracy, "seconds": stats.seconds,
                },
            )

    should_cancel = _cancel_checker(exp.pk, attempt)

    def finish(status: str, *, reason: str = "", results: dict | None = None) -> str:
        fields = {"status": status, "finished_at": timezone.now(), "failure_reason": reason[:4000]}
        if results is not None:
            fields["results"] = results
        with transaction.atomic():
            if not lease.update(**fields):
                log.warning("experiment %s attempt %s lost its lease; result dropped", exp.pk, attempt)
        return status

    t0 = time.monotonic()
    try:
        dataset_dir = _dataset_local_dir(exp.dataset)
        out = storage.local_dir(output_name)
        shutil.rmtree(out, ignore_errors=True)
        config = engine.RunConfig(
            dataset_dir=str(dataset_dir), cache_dir=str(storage.local_dir(storage.FEATURE_CACHE)),
            output_dir=str(out), backbone=exp.backbone, strategy=exp.strategy, epochs=exp.epochs, lr=exp.lr,
            batch_size=exp.batch_size, optimizer=exp.optimizer, seed=exp.seed, device=settings.LAB_DEVICE,
        )
        result = engine.run(config, on_epoch_end=on_epoch_end, should_cancel=should_cancel)
        storage.push_dir(output_name)
        results = _results_for_storage(result, dataset=exp.dataset, output_name=output_name)
    except _LeaseLost:
        log.warning("experiment %s attempt %s: another attempt took over; stopping", exp.pk, attempt)
        return None
    except engine.RunCancelled:
        return finish(S.CANCELLED, reason="Cancelled on request.")
    except SoftTimeLimitExceeded:
        limit = lab_limits().soft_time_limit_s
        return finish(S.FAILED, reason=_time_limit_reason(limit))
    except engine.DatasetError as exc:
        return finish(S.FAILED, reason=exc.message)
    except Exception as exc:  # the engine's message is the learner's best explanation
        log.exception("experiment %s failed", exp.pk)
        return finish(S.FAILED, reason=str(exc) or type(exc).__name__)
    log.info("experiment %s attempt %s succeeded in %.1f s", exp.pk, attempt, time.monotonic() - t0)
    return finish(S.SUCCEEDED, results=results)


def _time_limit_reason(seconds: int) -> str:
    return f"Stopped at the time limit: a run may take at most {seconds} s."


def experiment_fail_hard_time_limit(*, experiment_id: int) -> bool:
    """Fail a run whose worker process was killed at the hard time limit. Returns whether a
    RUNNING run was failed (a run that already ended is left as it is)."""
    limit = lab_limits().hard_time_limit_s
    with transaction.atomic():
        failed = Experiment.objects.filter(pk=experiment_id, status=S.RUNNING).update(
            status=S.FAILED, finished_at=timezone.now(),
            failure_reason=_time_limit_reason(limit),
        )
    return bool(failed)


def _dataset_local_dir(dataset: Dataset) -> Path:
    if dataset.kind == Dataset.Kind.BUILTIN:
        return _ensure_builtin_files(dataset)
    return storage.pull_dir(dataset.folder)


def _cancel_checker(experiment_id: int, attempt: int) -> Callable[[], bool]:
    """should_cancel for the engine: one query per CANCEL_CHECK_INTERVAL_S that also refreshes the heartbeat."""
    last = [0.0]
    flag = [False]

    def should_cancel() -> bool:
        now = time.monotonic()
        if flag[0] or now - last[0] < CANCEL_CHECK_INTERVAL_S:
            return flag[0]
        last[0] = now
        with transaction.atomic():
            lease = Experiment.objects.filter(pk=experiment_id, status=S.RUNNING, attempts=attempt)
            if not lease.update(heartbeat_at=timezone.now()):
                raise _LeaseLost()
            flag[0] = lease.filter(cancel_requested=True).exists()
        return flag[0]

    return should_cancel


# --------------------------------------------------------------------------- the sweep


@dataclass(frozen=True)
class SweepOutcome:
    experiment_id: int
    action: str  # "requeued" | "failed"
    reason: str


def experiments_sweep_orphans(*, restarting_hostname: str = "") -> list[SweepOutcome]:
    """Requeue (attempts left) or fail RUNNING runs whose worker is gone.

    A worker is gone when the run's heartbeat is older than LAB_HEARTBEAT_STALE_S, or when
    ``restarting_hostname`` (a worker that is just starting, so runs nothing yet) is the
    worker the run was recorded on. A run older than the hard time limit fails with
    "time limit" (the hard limit kills the process without a word).
    """
    limits = lab_limits()
    now = timezone.now()
    gone = Q(heartbeat_at__lt=now - timedelta(seconds=settings.LAB_HEARTBEAT_STALE_S)) | Q(heartbeat_at__isnull=True)
    if restarting_hostname:
        gone |= Q(worker_hostname=restarting_hostname)
    outcomes = []
    for exp in Experiment.objects.filter(gone, status=S.RUNNING).only("pk", "attempts", "worker_hostname", "worker_pid", "started_at"):
        lease = Experiment.objects.filter(pk=exp.pk, status=S.RUNNING, attempts=exp.attempts)
        worker = f"{exp.worker_hostname or 'unknown worker'} (pid {exp.worker_pid})"
        with transaction.atomic():
            if exp.started_at and exp.started_at < now - timedelta(seconds=limits.hard_time_limit_s):
                reason = _time_limit_reason(limits.hard_time_limit_s)
                if lease.update(status=S.FAILED, finished_at=now, failure_reason=reason):
                    outcomes.append(SweepOutcome(exp.pk, "failed", reason))
            elif exp.attempts < limits.max_attempts:
                if lease.update(
                    status=S.QUEUED, queued_at=now, heartbeat_at=None, worker_hostname="", worker_pid=None,
                    failure_reason="", cancel_requested=False,
                ):
                    _enqueue(exp.pk)
                    reason = f"Worker {worker} stopped during attempt {exp.attempts}; requeued."
                    outcomes.append(SweepOutcome(exp.pk, "requeued", reason))
            else:
                reason = (
                    f"The worker running it, {worker}, stopped (attempt {exp.attempts} of {limits.max_attempts}); "
                    "not retried again."
                )
                if lease.update(status=S.FAILED, finished_at=now, failure_reason=reason):
                    outcomes.append(SweepOutcome(exp.pk, "failed", reason))
    for o in outcomes:
        log.warning("lab sweep: experiment %s %s: %s", o.experiment_id, o.action, o.reason)
    return outcomes


# --------------------------------------------------------------------------- predictions


def experiment_predict(*, experiment: Experiment, image_file, top_k: int = 3) -> list[tuple[str, float]]:
    """Classify one uploaded image with the run's trained model (in this process)."""
    from PIL import Image, UnidentifiedImageError

    from modellab import engine

    if experiment.status != S.SUCCEEDED or not experiment.results.get("model_path"):
        raise _error("no_model")
    data = image_file.read(lab_limits().max_upload_bytes + 1)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > engine.UploadLimits().max_image_pixels:
                raise _error("bad_image", detail="too many pixels")
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except LabError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise _error("bad_image", detail=type(exc).__name__) from exc
    model_name = experiment.results["model_path"]
    storage.pull_dir(model_name.rsplit("/", 1)[0])
    return engine.predict_image(storage.local_dir(model_name), image, top_k=top_k)
