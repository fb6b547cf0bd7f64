"""The ``features`` strategy: a frozen backbone's pooled features, extracted once and cached, train a new linear head.

One backbone pass over every image (plus one per augmented view) fills the cache
(:mod:`.cache`); a run whose key is already there skips the backbone entirely. The
head then trains on batches of cached vectors (:class:`FeatureBatches`) with the same
``train_one_epoch`` / ``evaluate`` as the other strategies.
"""

from __future__ import annotations

import time
from typing import Iterator

import torch
from torch import nn

from .backbones import BackboneSpec
from .cache import FeatureCache, FeatureKey
from .config import RunConfig
from .data import content_hash
from .extractor import Extractor, choose_extractor, extract_precision, loop_threads
from .loop import Runtime
from .model import shape_trace
from .pixels import AHEAD_BUFFERS, Preprocess, ahead
from .progress import EXTRACT, Meter
from .strategy import RunData, Setup, image_loader


class FeatureBatches:
    """Batches ``(x, y)`` of cached feature vectors, already on the device; iterable once per epoch.

    ``bank`` is ``versions x N x C``: version 0 the clean features, then the augmented views.
    With a ``generator`` (training) each pass draws a new order and, per sample, one version;
    without one (evaluation) the clean features in the order of ``indices``.
    """

    def __init__(
        self,
        bank: torch.Tensor,
        labels: torch.Tensor,
        indices: list[int],
        batch_size: int,
        generator: torch.Generator | None = None,
    ):
        self.bank = bank
        self.labels = labels  # N, on the bank's device
        self.indices = torch.tensor(indices, dtype=torch.long, device=bank.device)
        self.batch_size = batch_size
        self.generator = generator

    def __len__(self) -> int:
        """Batches in one pass."""
        return -(-len(self.indices) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        dev, n = self.bank.device, len(self.indices)
        if self.generator is None:
            order, version = self.indices, torch.zeros(n, dtype=torch.long, device=dev)
        else:
            order = self.indices[torch.randperm(n, generator=self.generator).to(dev)]
            version = torch.randint(0, self.bank.shape[0], (n,), generator=self.generator).to(dev)
        for start in range(0, n, self.batch_size):
            idx = order[start : start + self.batch_size]
            yield self.bank[version[start : start + self.batch_size], idx], self.labels[idx]


def prepare_features(config: RunConfig, spec: BackboneSpec, data: RunData, runtime: Runtime) -> Setup:
    """The cached features (extracted on a miss), a new linear head, and the notes saying which happened."""
    payload, hit = cached_features(config, spec, data, runtime)
    n_img = len(data.samples)
    if hit:
        notes = [
            f"Cache hit: the frozen backbone's features of all {n_img} images were reused; "
            "only the linear head was trained. The shape trace is the one recorded when they were extracted."
        ]
    else:
        notes = [
            f"Frozen backbone: features of all {n_img} images were extracted once "
            f"({payload['extract_seconds']:.1f} s) and cached; the linear head trained on them every epoch."
        ]
    if payload.get("fallback") and not hit:
        notes.append(f"Features were extracted with PyTorch, not ONNX Runtime: {payload['fallback']}.")
    if config.augment:
        notes.append(
            f"Augmentation with cached features: {config.augment_views} fixed augmented view(s) of each image were "
            f"extracted once and cached; each epoch the head sees one of these {config.augment_views + 1} versions "
            "(original included) per image, not a new random augmentation."
        )

    dev = runtime.device
    clean = payload["features"].to(dev).unsqueeze(0)
    bank = torch.cat([clean, payload["views"].to(dev)]) if config.augment else clean
    labels = data.labels(range(n_img)).to(dev)
    head = nn.Linear(clean.shape[2], len(data.class_names)).to(dev)
    split, bs = data.split, config.batch_size

    def trace() -> list[dict]:
        # The cached trace comes from the real backbone pass made when the features were extracted.
        stages = [dict(t) for t in payload["trace"]]
        with torch.no_grad():
            logits = head(clean[0, : stages[-1]["shape"][0]])
        return stages + [{"stage": "head", "shape": list(logits.shape)}]

    return Setup(
        model=head,
        train=FeatureBatches(bank, labels, split.train, bs, torch.Generator().manual_seed(config.seed)),
        val=FeatureBatches(clean, labels, split.val, bs),
        test=FeatureBatches(clean, labels, split.test, bs),
        notes=notes,
        cache_hit=hit,
        trace=trace,
        extract_seconds=0.0 if hit else payload["extract_seconds"],
    )


def cached_features(config: RunConfig, spec: BackboneSpec, data: RunData, runtime: Runtime) -> tuple[dict, bool]:
    """(the cache payload for this run's key, whether it was a hit); extracts and stores it on a miss."""
    views = config.augment_views if config.augment else 0
    key = FeatureKey(
        dataset_hash=content_hash(data.root),
        backbone=spec.name,
        weights_id=spec.weights_id,
        image_size=data.image_size,
        mean=spec.mean,
        std=spec.std,
        augment_views=views,
        precision=extract_precision(runtime.device),
    )
    cache = FeatureCache(config.cache_dir)
    paths = [p for p, _ in data.samples]
    payload = cache.load(key)
    if payload is not None and payload["paths"] == paths:
        return payload, True

    t0 = time.perf_counter()
    # Extraction leaves the run's RNG untouched (a hit and a miss train the same head) and draws
    # augmented views from a seed fixed by the key (the cached file does not depend on the run's seed).
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(key.digest()[:8], 16))
        meter = runtime.meter(EXTRACT, total=len(data.samples) * (1 + views))
        # Reported at once: preparing the backbone and the first batch (which decodes the images on a
        # miss of the decoded-image cache) can take many seconds, and the learner sees a bar meanwhile.
        meter.advance(0)
        extractor, fallback = choose_extractor(spec, data.image_size, runtime.device, config.cache_dir, config.runtime)
        with loop_threads(extractor):
            clean, trace = _extract(config, data, runtime, extractor, Preprocess(spec.mean, spec.std), 0, meter)
            augmented = []
            for v in range(views):
                aug = Preprocess(spec.mean, spec.std, augment=True)
                augmented.append(_extract(config, data, runtime, extractor, aug, 1 + v, meter)[0])
    payload = {
        "paths": paths,
        "features": clean,
        "views": torch.stack(augmented) if augmented else torch.empty(0),
        "trace": trace,
        "extract_seconds": time.perf_counter() - t0,
        "fallback": fallback,  # why PyTorch extracted on the CPU ("" when ONNX Runtime did, or on CUDA)
    }
    cache.save(key, payload)
    return payload, False


@torch.no_grad()  # not inference_mode: the head trains on these tensors afterwards
def _extract(
    config: RunConfig,
    data: RunData,
    runtime: Runtime,
    extractor: Extractor,
    preprocess: Preprocess,
    seed_offset: int,
    meter: Meter,
) -> tuple[torch.Tensor, list[dict]]:
    """Pooled features (CPU float32, N x C) of every sample, and the shapes of the first batch;
    ``meter`` advances by the images of each batch.

    Batches are gathered, augmented and normalised :func:`.pixels.ahead` of the backbone: on a
    worker thread, into reused buffers, while the extractor runs on the batch before (on the
    CPU, in ONNX Runtime's threads with the GIL released). Augmented views draw from torch's
    global generator on that thread in the same order as a plain loop would.
    """
    every = list(range(len(data.samples)))
    loader = image_loader(data, every, preprocess, config, runtime, shuffle=False, seed_offset=seed_offset, buffers=AHEAD_BUFFERS)
    out: torch.Tensor | None = None
    trace: list[dict] = []
    with ahead(loader) as batches:
        for x, _, idx in batches:
            runtime.check_cancelled()
            feats, pooled = extractor(x)
            if out is None:
                out = torch.empty(len(every), pooled.shape[1])
                trace = shape_trace(x, feats, pooled)
            out[idx] = pooled  # a copy: x's buffer and ONNX Runtime's output are reused or freed
            meter.advance(len(idx))
    assert out is not None, "a dataset has at least one image"
    return out, trace
