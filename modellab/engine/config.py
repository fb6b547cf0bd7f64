"""Run configuration and results of the lab engine (plain data, no torch needed to build them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

STRATEGIES = ("features", "finetune", "finetune_all", "scratch")
OPTIMIZERS = ("adam", "sgd", "adamw")
DEVICES = ("auto", "cpu", "cuda")
RUNTIMES = ("auto", "torch")  # feature extraction on the CPU: auto = ONNX Runtime when it matches PyTorch
CPU_PRECISIONS = ("auto", "float32", "bfloat16")  # training on the CPU: auto = bfloat16 where the CPU has it natively


@dataclass(frozen=True)
class RunConfig:
    """Everything one training run needs. Validated by :meth:`validate` (called by ``run``)."""

    dataset_dir: str  # ImageFolder directory (class/image) to train on
    cache_dir: str  # where extracted features are cached, shared between runs
    output_dir: str  # where this run writes its model (model.pt + model.json)
    backbone: str = "efficientnet_lite0"  # name in the backbone registry (see list_backbones())
    strategy: str = "features"  # features: frozen cached features + linear head; finetune: last block + head; finetune_all: every layer, from the pretrained weights; scratch: random init, every layer
    epochs: int = 5  # passes over the training split
    lr: float = 1e-3  # learning rate of the optimizer
    batch_size: int = 32  # images (or feature vectors) per step
    optimizer: str = "adam"  # adam | sgd (momentum 0.9) | adamw
    image_size: int | None = None  # square input side in pixels; None = the backbone's default
    augment: bool = False  # random crop + flip on training images
    augment_views: int = 2  # with strategy=features: augmented views cached per image
    seed: int = 0  # fixes the split, initialisation, shuffling and augmentation
    val_fraction: float = 0.2  # share of each class held out for validation (and again for test)
    train_per_class: int | None = None  # train on at most this many images of each class (seeded, nested); None = all
    device: str = "auto"  # auto (cuda when available) | cpu | cuda
    runtime: str = (
        "auto"  # strategy=features on the CPU: auto (ONNX Runtime, PyTorch when it cannot match) | torch (always PyTorch)
    )
    cpu_precision: str = (
        "auto"  # training on the CPU: auto (bfloat16 autocast where the CPU has native bfloat16) | float32 | bfloat16
    )

    def validate(self) -> None:
        """Raise ValueError naming the first invalid field."""
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, got {self.strategy!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {DEVICES}, got {self.device!r}")
        if self.runtime not in RUNTIMES:
            raise ValueError(f"runtime must be one of {RUNTIMES}, got {self.runtime!r}")
        if self.cpu_precision not in CPU_PRECISIONS:
            raise ValueError(f"cpu_precision must be one of {CPU_PRECISIONS}, got {self.cpu_precision!r}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be >= 1")
        if not self.lr > 0:
            raise ValueError("lr must be > 0")
        if self.augment and self.augment_views < 1:
            raise ValueError("augment_views must be >= 1 when augment is on")
        if self.image_size is not None and self.image_size < 16:
            raise ValueError("image_size must be >= 16")
        if not 0.0 < self.val_fraction < 0.5:
            raise ValueError("val_fraction must be in (0, 0.5)")
        if self.train_per_class is not None and self.train_per_class < 1:
            raise ValueError("train_per_class must be >= 1 (or None for all)")


@dataclass(frozen=True)
class EpochStats:
    """Metrics after one epoch; accuracies are fractions in [0, 1]."""

    epoch: int  # 1-based
    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    seconds: float  # wall time of the epoch (training + validation)
    elapsed: float = 0.0  # seconds since the run started, at the end of this epoch (extraction included)


@dataclass
class RunResult:
    """Everything a run produced. ``to_dict()`` is JSON-serialisable."""

    epochs: list[EpochStats]
    class_names: list[str]
    per_class_accuracy: dict[str, float]  # validation accuracy of each class
    confusion_matrix: list[list[int]]  # validation; rows = true class, columns = predicted
    predictions: list[dict[str, Any]]  # every validation image: path, true, predicted, top_k [[class, prob]]
    misclassified: list[dict[str, Any]]  # the predictions whose predicted != true
    test_accuracy: float | None  # on the held-out test split, None when there is none
    shape_trace: list[dict[str, Any]]  # [{stage, shape}] from a real forward pass
    cache_hit: bool  # strategy=features only: features came from the cache
    device: str  # device the run used, e.g. "cpu" or "cuda:0"
    notes: list[str] = field(default_factory=list)  # things the learner should know about this run
    model_path: str = ""  # model.pt, reload with predict_image()
    split_sizes: dict[str, int] = field(default_factory=dict)  # images in train/val/test
    seconds: float = 0.0  # wall time of the whole run
    extract_seconds: float = 0.0  # strategy=features: the backbone pass that filled the cache; 0.0 on a cache hit
    environment: dict[str, Any] = field(default_factory=dict)  # device, processor, library versions (environment.describe)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
