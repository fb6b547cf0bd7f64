"""The catalog of built-in datasets every learner shares: what each is, where its files go, when it is unavailable."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from modellab import public_text, storage

DATASET_UNAVAILABLE = "dataset_unavailable"  # the code of a refusal that gives unavailable_reason()


@dataclass(frozen=True)
class BuiltinDataset:
    key: str  # the ``builtin:<key>`` of a dataset reference
    name: str  # what the submit form shows
    description: str

    def per_class(self) -> int | None:
        """Images per class (LAB_BUILTIN_PER_CLASS; else all digits, 100 CIFAR images)."""
        if settings.LAB_BUILTIN_PER_CLASS:
            return settings.LAB_BUILTIN_PER_CLASS
        return 100 if self.key.startswith("cifar") else None

    def folder(self) -> str:
        """The storage folder of its files: a new per-class setting gets its own folder."""
        return f"{storage.BUILTIN_ROOT}/{self.key}-{self.per_class() or 'all'}"

    def unavailable_reason(self) -> str:
        """Why this server cannot offer it, in words any learner may read (no server path, nothing
        to run), or ""."""
        if self.key.startswith("cifar"):
            root = Path(settings.LAB_CIFAR_ROOT)
            if not (root / "cifar-10-batches-py").is_dir() and not storage.local_dir(self.folder()).is_dir():
                return public_text.not_on_this_site("CIFAR-10")
        return ""

    def setup_hint(self) -> str:
        """What whoever runs the site does to offer it, with where its files go (a path: for the
        admin's Lab status page only), or "" when it is available."""
        if not self.unavailable_reason():
            return ""
        return (
            "Run `python manage.py fetch_data cifar10`, or download "
            "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz and extract it into LAB_CIFAR_ROOT "
            f"({Path(settings.LAB_CIFAR_ROOT)})."
        )

    def materialize(self, dest: Path):
        """Write its images into ``dest`` (ImageFolder layout); returns the engine's DatasetReport."""
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
        BuiltinDataset("digits-3", "Handwritten digits 0, 1, 2 (quick)", "Three digit classes, 537 images of 8x8 pixels."),
        BuiltinDataset("cifar-cat-dog-bird", "Cat, dog, bird (CIFAR-10)", "Three CIFAR-10 classes as 32x32 photos."),
    )
}
