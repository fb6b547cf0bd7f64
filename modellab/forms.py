"""Forms of the lab: they parse and validate input; services do the writes."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms

from modellab import selectors
from modellab.builtins import BUILTINS, DATASET_UNAVAILABLE
from modellab.dataset_ref import DatasetRef
from modellab.limits import IMAGE_SIZE_MAX, IMAGE_SIZE_MIN, LR_MAX, LR_MIN, check_upload_size, lab_limits
from modellab.models import Dataset, Experiment
from modellab.public_text import backbone_unavailable_text
from modellab.services.experiments import BACKBONE_UNAVAILABLE
from modellab.services.size_sweep import DEFAULT_SIZES, sweep_sizes_from_text

NOT_ZIP = "not_zip"
IMAGE_TOO_LARGE = "image_too_large"


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    description: str = ""
    available: bool = True
    reason: str = ""  # why it is unavailable, in words for anyone: what to run and where is on the admin's Lab status


def dataset_options(*, user) -> list[Option]:
    """The built-in datasets (with why one is unavailable here) and the uploads ``user`` may use;
    each value is a dataset reference."""
    options = []
    for b in BUILTINS.values():
        reason = b.unavailable_reason()
        options.append(Option(str(DatasetRef.builtin(b.key)), b.name, b.description, not reason, reason))
    for d in selectors.datasets_visible_to(user).filter(kind=Dataset.Kind.UPLOAD):
        counts = d.report.get("counts") or {}
        desc = f"{len(counts)} classes, {d.total_images} images"
        options.append(Option(str(DatasetRef.upload(d.pk)), f"{d.name} (your upload)", desc))
    return options


def backbone_options(*, user) -> list[Option]:
    """Every backbone; one whose weights are missing says so in words for anyone (the engine's
    reason, with its path and what to run, is on the admin's Lab status page)."""
    from modellab import engine

    return [
        Option(
            b.name,
            b.label,
            f"input {b.input_size}x{b.input_size}, weights: {b.weights_source}",
            b.available,
            "" if b.available else backbone_unavailable_text(b.label),
        )
        for b in engine.list_backbones()
    ]


class DatasetUploadForm(forms.Form):
    archive = forms.FileField(label="Zip of class folders", help_text="cat/001.jpg, dog/002.png, ... (ImageFolder layout)")
    name = forms.CharField(max_length=100, required=False, label="Name (optional)")

    def clean_archive(self):
        f = self.cleaned_data["archive"]
        check_upload_size(f.size)
        if not f.name.lower().endswith(".zip"):
            raise forms.ValidationError("Upload a .zip file.", code=NOT_ZIP)
        return f


class ExperimentForm(forms.Form):
    """The lab's submit form. It parses; the limits on the numbers are the submit service's
    (``limits.check_run_settings``), whose refusal the view shows beside the field it names."""

    dataset = forms.ChoiceField()
    backbone = forms.ChoiceField()
    strategy = forms.ChoiceField(choices=Experiment.Strategy.choices, initial=Experiment.Strategy.FEATURES)
    epochs = forms.IntegerField(initial=5)
    lr = forms.FloatField(label="Learning rate", initial=1e-3)
    batch_size = forms.IntegerField(initial=32)
    image_size = forms.IntegerField(
        label="Input size (pixels)",
        required=False,
        help_text="Images are resized to this square side; empty: the backbone's own (224). Smaller is faster.",
    )
    frozen_arm = forms.BooleanField(
        label="With Compare, also run frozen features from the same weights",
        required=False,
        help_text="A third run that shows what freezing the backbone saves.",
    )
    augment = forms.BooleanField(
        label="Augment training images (random crop and flip)",
        required=False,
        help_text="Training images only, in every run of a comparison or sweep. With frozen features, a few fixed "
        "views of each image are extracted once and cached beside the original.",
    )
    train_per_class = forms.IntegerField(
        label="Training images per class",
        required=False,
        min_value=1,
        help_text="Train on at most this many images of each class; empty: all. Validation images stay the same.",
    )
    sweep_sizes = forms.CharField(
        label="Sweep sizes (training images per class)",
        required=False,
        initial=DEFAULT_SIZES,
        max_length=100,
        help_text="For a data-size sweep: pre-trained and from scratch at each size, e.g. 5, 10, 25, 50, all.",
    )
    lesson = forms.SlugField(
        required=False, max_length=Experiment._meta.get_field("lesson_slug").max_length, widget=forms.HiddenInput
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        limits = lab_limits()
        self.dataset_opts = dataset_options(user=user)
        self.backbone_opts = backbone_options(user=user)
        self.fields["dataset"].choices = [(o.value, o.label) for o in self.dataset_opts]
        self.fields["backbone"].choices = [(o.value, o.label) for o in self.backbone_opts]
        # The browser's hints only: the submit service checks the same limits.
        for name, low, high in (
            ("epochs", 1, limits.max_epochs),
            ("batch_size", 1, limits.max_batch_size),
            ("lr", LR_MIN, LR_MAX),
            ("image_size", IMAGE_SIZE_MIN, IMAGE_SIZE_MAX),
        ):
            self.fields[name].widget.attrs.update({"min": low, "max": high})

    def clean_dataset(self) -> DatasetRef:
        value = self.cleaned_data["dataset"]
        option = next(o for o in self.dataset_opts if o.value == value)
        if not option.available:
            raise forms.ValidationError(option.reason, code=DATASET_UNAVAILABLE)
        return DatasetRef.parse(value)

    def clean_sweep_sizes(self) -> list[int | None] | None:
        """The sizes of a sweep, parsed only when the sweep button was pressed."""
        if self.data.get("action") != "sweep":
            return None
        return sweep_sizes_from_text(self.cleaned_data["sweep_sizes"] or DEFAULT_SIZES)

    def clean(self):
        data = super().clean()
        backbone, strategy = data.get("backbone"), data.get("strategy")
        if backbone and strategy:
            option = next(o for o in self.backbone_opts if o.value == backbone)
            needs_weights = strategy != Experiment.Strategy.SCRATCH or self.data.get("action") in ("compare", "sweep")
            if needs_weights and not option.available:
                self.add_error("backbone", forms.ValidationError(option.reason, code=BACKBONE_UNAVAILABLE))
        return data


class PredictForm(forms.Form):
    image = forms.FileField(label="An image to classify")

    def clean_image(self):
        f = self.cleaned_data["image"]
        if f.size > lab_limits().max_upload_bytes:
            raise forms.ValidationError("That image is too large.", code=IMAGE_TOO_LARGE)
        return f
