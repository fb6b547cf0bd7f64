"""The networks a run trains: a backbone (feature extractor) and the classifier built on it, with its shape trace.

``Backbone`` maps ``N x 3 x H x W`` images to ``N x C x h x w`` feature maps;
``Classifier`` adds global average pooling and a new linear head. Fine-tuning freezes
the backbone except its tail (:meth:`Classifier.freeze_body`); the frozen part then
keeps its weights and its BatchNorm statistics while the model trains.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from .adapters import Parts

if TYPE_CHECKING:
    from .spec import BackboneSpec


class Backbone(nn.Module):
    """Feature extractor plus what the engine needs to know about it (its registry spec)."""

    def __init__(self, spec: BackboneSpec, parts: Parts, pretrained: bool):
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
        return self.imagenet_head(pool(self.body(x)))


class Classifier(nn.Module):
    """Backbone -> global average pooling -> linear head. ``trace`` records real shapes."""

    def __init__(self, backbone: Backbone, num_classes: int):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(backbone.spec.feature_channels, num_classes)
        self.body_frozen = False

    def freeze_body(self) -> None:
        """Train only the backbone's tail and the head from now on.

        The rest of the backbone gets no gradients, and :meth:`train` keeps it in eval
        mode so that its BatchNorm running statistics stay the pretrained ones.
        """
        for p in self.backbone.parameters():
            p.requires_grad_(False)
        for module in self.backbone.tail:
            for p in module.parameters():
                p.requires_grad_(True)
        self.body_frozen = True

    def train(self, mode: bool = True) -> Classifier:
        super().train(mode)
        if mode and self.body_frozen:
            # BatchNorm in train mode updates its running statistics even without gradients.
            self.backbone.eval()
            for module in self.backbone.tail:
                module.train()
        return self

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


def shape_trace(x: torch.Tensor, feats: torch.Tensor, pooled: torch.Tensor, logits: torch.Tensor | None = None) -> list[dict]:
    """[{stage, shape}] of input, backbone features, pooled features and (when given) the head's logits."""
    trace = [
        {"stage": "input", "shape": list(x.shape)},
        {"stage": "backbone features", "shape": list(feats.shape)},
        {"stage": "pooled", "shape": list(pooled.shape)},
    ]
    if logits is not None:
        trace.append({"stage": "head", "shape": list(logits.shape)})
    return trace
