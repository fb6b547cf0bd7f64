"""The lab's data: datasets, experiments (one training run each), their epoch rows, the workers seen; the lab's lesson content.

Progress lives here, not in Celery's result backend: the worker writes one EpochRecord
per finished epoch (and the running phase's ``progress`` at most once a second) and the
experiment's status moves through a small lifecycle whose transitions are conditional
UPDATEs in ``modellab.services.lifecycle``. A lesson's lab presets and its measured
reference are lesson content, filled from the lesson's YAML (``modellab.lesson_content``).
"""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse


class Dataset(models.Model):
    class Kind(models.TextChoices):
        BUILTIN = "builtin", "Built-in"
        UPLOAD = "upload", "Upload"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="lab_datasets",
        help_text="Empty for the built-in datasets every learner shares.",
    )
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    builtin_key = models.CharField(max_length=40, blank=True, help_text="Which built-in dataset (kind=builtin).")
    folder = models.CharField(max_length=255, help_text="ImageFolder directory, a path in the default storage.")
    report = models.JSONField(default=dict, blank=True, help_text="classes, counts, skipped, total_images")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["builtin_key", "folder"], condition=models.Q(kind="builtin"), name="lab_builtin_dataset_once"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def total_images(self) -> int:
        return int(self.report.get("total_images") or sum((self.report.get("counts") or {}).values()))


class Experiment(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    TERMINAL = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    class Strategy(models.TextChoices):
        # The label names what trains and from where, never "pre-trained": that depends on the backbone (modellab.arms).
        FEATURES = "features", "Frozen features (the backbone's weights kept, only a new head trained)"
        FINETUNE = "finetune", "Fine-tune the last block (and a new head; the rest frozen)"
        FINETUNE_ALL = "finetune_all", "Fine-tune every layer (starting from the backbone's weights)"
        SCRATCH = "scratch", "From scratch (random weights, every layer trained)"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lab_experiments")
    # RESTRICT, not PROTECT: a dataset in use cannot be deleted alone, but an account deleted with its
    # datasets and its runs together can (PROTECT refused that).
    dataset = models.ForeignKey(Dataset, on_delete=models.RESTRICT, related_name="experiments")
    backbone = models.CharField(max_length=60)
    strategy = models.CharField(max_length=20, choices=Strategy.choices)
    epochs = models.PositiveSmallIntegerField()
    lr = models.FloatField()
    batch_size = models.PositiveSmallIntegerField()
    optimizer = models.CharField(max_length=10, default="adam")
    seed = models.IntegerField(default=0)
    image_size = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Square input side in pixels; empty: the backbone's default."
    )
    train_per_class = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Train on at most this many images of each class; empty: all."
    )
    augment = models.BooleanField(
        default=False, help_text="Random crop and flip of the training images (strategy features: fixed views, cached)."
    )

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True)
    failure_reason = models.TextField(blank=True, help_text="What a learner reads: a message we wrote, never a raw error.")
    failure_code = models.CharField(max_length=60, blank=True, help_text="The stable code of failure_reason.")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times a worker started this run.")
    worker_hostname = models.CharField(max_length=255, blank=True)
    worker_pid = models.IntegerField(null=True, blank=True)
    device = models.CharField(max_length=120, blank=True, help_text="Where the worker ran it: CPU or the CUDA device.")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    comparison_group = models.UUIDField(null=True, blank=True, db_index=True)
    sweep_group = models.UUIDField(null=True, blank=True, db_index=True, help_text="The data-size sweep of this run.")
    progress = models.JSONField(
        default=dict, blank=True, help_text="The running phase: engine.Progress.to_dict(), written at most once a second."
    )
    lesson_slug = models.SlugField(max_length=200, blank=True, help_text="The lesson this run was started from.")

    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    results = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "queued_at"], name="lab_exp_status_queued")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.backbone} {self.strategy}"

    def get_absolute_url(self) -> str:
        return reverse("modellab:experiment", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_done(self) -> bool:
        return self.status in self.TERMINAL

    @property
    def starts_pretrained(self) -> bool:
        """Whether this run starts from pre-trained weights: its strategy keeps the backbone's weights and they are pre-trained."""
        from modellab.arms import starts_pretrained

        return starts_pretrained(self.strategy, self.backbone)

    @property
    def label(self) -> str:
        """``#12 Pre-trained (every layer fine-tuned)``, ``#13 From scratch``: worded from the facts (modellab.arms)."""
        from modellab.arms import arm_label

        return f"#{self.pk} {arm_label(self.strategy, self.starts_pretrained, augment=self.augment)}"

    @property
    def augmentation(self) -> str:
        """The run's augmentation in words, as its settings and a comparison's sentences say it (modellab.arms)."""
        from modellab.arms import augmentation_words

        return augmentation_words(self.augment, self.strategy)


def new_group() -> uuid.UUID:
    return uuid.uuid4()


class EpochRecord(models.Model):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="epoch_records")
    epoch = models.PositiveSmallIntegerField()
    train_loss = models.FloatField()
    train_accuracy = models.FloatField()
    val_loss = models.FloatField()
    val_accuracy = models.FloatField()
    seconds = models.FloatField()
    elapsed_seconds = models.FloatField(
        null=True, blank=True, help_text="Seconds since the worker started the run, at the end of this epoch."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["experiment", "epoch"]
        constraints = [models.UniqueConstraint(fields=["experiment", "epoch"], name="lab_epoch_once")]

    def __str__(self) -> str:
        return f"{self.experiment_id} epoch {self.epoch}"


class Worker(models.Model):
    """A Celery worker as it last reported itself: written by the worker process at start and on a timer."""

    hostname = models.CharField(max_length=255, unique=True, help_text="Celery's node name, e.g. gpu1@host.")
    queues = models.CharField(max_length=200, blank=True, help_text="The queues it consumes, comma-separated.")
    device = models.CharField(max_length=120, blank=True, help_text="CPU or the CUDA device; known once it ran a job.")
    torch_version = models.CharField(max_length=40, blank=True)
    pid = models.IntegerField(null=True, blank=True, help_text="The worker's main process.")
    concurrency = models.PositiveSmallIntegerField(
        default=1, help_text="How many runs it takes at once: its pool's processes (celery --concurrency)."
    )
    started_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField()

    class Meta:
        ordering = ["hostname"]

    def __str__(self) -> str:
        return self.hostname


class LessonLab(models.Model):
    """The lab side of a lesson (its YAML's ``lab``): which backbone the pipeline's shapes come from."""

    lesson = models.OneToOneField("courses.Lesson", on_delete=models.CASCADE, related_name="lab")
    shapes_from = models.CharField(
        max_length=60, blank=True, help_text="The backbone (registry name) whose shapes the lesson's pipeline shows."
    )

    def __str__(self) -> str:
        return f"lab of lesson {self.lesson_id}"


class LabPreset(models.Model):
    """A ready-made lab run that a lesson's YAML names (``lab.presets``); the lesson page links to it."""

    lesson = models.ForeignKey("courses.Lesson", on_delete=models.CASCADE, related_name="lab_presets")
    position = models.PositiveIntegerField()
    key = models.SlugField(max_length=50)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    datasets = models.JSONField(default=list, help_text="Dataset references, preferred first: the first this server has is used.")
    backbone = models.CharField(max_length=60)
    strategies = models.JSONField(
        default=list,
        help_text="One strategy: a run; a strategy and scratch: a comparison; one strategy twice: without and with augmentation.",
    )
    augment = models.JSONField(
        default=list, blank=True, help_text="Whether each arm (as strategies) augments its training images; empty: none does."
    )
    train_per_class = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Train on at most this many images of each class; empty: all (not with a sweep)."
    )
    epochs = models.PositiveSmallIntegerField()
    lr = models.FloatField()
    batch_size = models.PositiveSmallIntegerField()
    image_size = models.PositiveSmallIntegerField(null=True, blank=True)
    sweep_sizes = models.JSONField(
        default=list, blank=True, help_text="Images per class of a data-size sweep (null: all); empty: no sweep."
    )

    class Meta:
        ordering = ["lesson", "position"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "key"], name="lab_preset_key_once"),
            models.UniqueConstraint(fields=["lesson", "position"], name="lab_preset_position_once"),
        ]

    def __str__(self) -> str:
        return f"{self.lesson_id}: {self.title}"

    @property
    def is_sweep(self) -> bool:
        return bool(self.sweep_sizes)

    @property
    def is_comparison(self) -> bool:
        return len(self.strategies) > 1

    @property
    def arms_augment(self) -> list[bool]:
        """Whether each arm augments, one per strategy (a preset saved without ``augment``: none does)."""
        return list(self.augment) if len(self.augment) == len(self.strategies) else [False] * len(self.strategies)

    @property
    def is_augment_comparison(self) -> bool:
        """The same strategy without and with augmentation, equal in every other setting."""
        return len(set(self.arms_augment)) > 1


class MeasuredReference(models.Model):
    """A real comparison (and data-size sweep) measured on this platform, shown on the lesson page
    beside the illustrative trace, with its provenance. Lesson content: the YAML's ``measured``."""

    lesson = models.OneToOneField("courses.Lesson", on_delete=models.CASCADE, related_name="measured_reference")
    title = models.CharField(max_length=200)
    note = models.TextField(blank=True, help_text="How it was measured, in a sentence or two (plain text).")
    backbone = models.CharField(max_length=60)
    dataset = models.CharField(max_length=200)
    device = models.CharField(max_length=200, help_text='e.g. "CPU, 2 cores (AMD EPYC)"')
    measured_on = models.DateField()
    versions = models.JSONField(default=dict, help_text="torch, torchvision, timm")
    runs = models.JSONField(default=list, help_text="label, strategy, seconds {total, extraction, training}, epochs")
    sweep = models.JSONField(default=list, blank=True, help_text="[{per_class, strategy, val_accuracy}]")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.title} ({self.measured_on})"
