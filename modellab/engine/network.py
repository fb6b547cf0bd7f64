"""The ``finetune``, ``finetune_all`` and ``scratch`` strategies: the whole Classifier trains on images, every epoch.

* ``finetune``     - pretrained backbone; its tail (last block) and the new head are trained,
  the rest stays frozen, BatchNorm statistics included (:meth:`.model.Classifier.freeze_body`).
* ``finetune_all`` - pretrained backbone, every layer trained: ``scratch`` in all but the starting weights.
* ``scratch``      - the same architecture from random weights, every layer trained.
"""

from __future__ import annotations

import torch

from .backbones import BackboneSpec, build_backbone
from .config import RunConfig
from .loop import Runtime
from .model import Classifier
from .pixels import Preprocess
from .strategy import RunData, Setup, image_loader


def prepare_network(config: RunConfig, spec: BackboneSpec, data: RunData, runtime: Runtime) -> Setup:
    """A Classifier (pretrained for finetune and finetune_all, partly frozen for finetune; random for scratch)
    and batches of its images."""
    pretrained = config.strategy != "scratch"
    model = Classifier(build_backbone(spec.name, pretrained=pretrained), len(data.class_names))
    if config.strategy == "finetune":
        model.freeze_body()
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    start = (
        "pre-trained weights"
        if spec.weights_sha256 is not None
        else "fixed random initialisation (it has no pre-trained weights)"
    )
    if config.strategy == "finetune":
        notes = [
            f"Fine-tuning the last block: the backbone's last block and the head are trained ({trainable:,} of {total:,} "
            f"parameters); the rest keeps the backbone's {start}."
        ]
    elif config.strategy == "finetune_all":
        notes = [f"Fine-tuning every layer: all {total:,} parameters trained, starting from the backbone's {start}."]
    else:
        notes = [f"From scratch: random initial weights, all {total:,} parameters trained."]
    model = model.to(runtime.device)
    if runtime.channels_last:
        model = model.to(memory_format=torch.channels_last)

    split = data.split
    plain = Preprocess(spec.mean, spec.std)
    train = image_loader(data, split.train, Preprocess(spec.mean, spec.std, config.augment), config, runtime, shuffle=True)
    val = image_loader(data, split.val, plain, config, runtime, shuffle=False)
    test = image_loader(data, split.test, plain, config, runtime, shuffle=False)

    def trace() -> list[dict]:
        # One whole batch, as a frozen backbone's trace is recorded on (its first extraction batch):
        # N is then the batch size the run trains with, for every strategy.
        x, _, _ = next(iter(val))
        with runtime.autocast():
            return model.eval().trace(runtime.to_device(x))

    return Setup(model=model, train=train, val=val, test=test, notes=notes, cache_hit=False, trace=trace)
