"""The extraction pass prepares batches ahead on a worker thread: the same features as a plain loop, no thread left behind."""

import threading
from pathlib import Path

import pytest
import torch

from modellab.engine import RunConfig, build_backbone
from modellab.engine.backbones import get_spec
from modellab.engine.data import scan_image_folder, stratified_split
from modellab.engine.extractor import torch_extractor
from modellab.engine.features import _extract
from modellab.engine.loop import RunCancelled, Runtime, one_cpu_thread
from modellab.engine.pixels import Preprocess, ahead
from modellab.engine.progress import EXTRACT
from modellab.engine.strategy import RunData

CPU = torch.device("cpu")
WORKER = "image-batches-ahead"


def workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == WORKER]


def setup(tmp_path, dataset, batch_size=16):
    spec = get_spec("tiny")
    classes, samples = scan_image_folder(dataset)
    data = RunData(
        root=Path(dataset),
        class_names=classes,
        samples=samples,
        split=stratified_split([label for _, label in samples], 0.2, 0),
        image_size=spec.input_size,
        mean=spec.mean,
        std=spec.std,
        cache_dir=tmp_path / "cache",
    )
    config = RunConfig(
        dataset_dir=str(dataset), cache_dir=str(tmp_path / "cache"), output_dir=str(tmp_path / "out"), backbone="tiny",
        batch_size=batch_size, device="cpu",
    )  # fmt: skip
    return spec, data, config


@pytest.mark.parametrize("augment", [False, True])
def test_pipelined_pass_equals_a_per_batch_loop(tmp_path, toy_dataset, augment):
    """45 images in batches of 16 (the last one short): each batch gathered, (augmented,) normalised and
    extracted in turn on this thread gives exactly the features of the pass that prepares them ahead."""
    spec, data, config = setup(tmp_path, toy_dataset)
    runtime = Runtime(CPU)
    extractor = torch_extractor(build_backbone("tiny").eval(), CPU)
    preprocess = Preprocess(spec.mean, spec.std, augment=augment)
    with one_cpu_thread():
        torch.manual_seed(7)
        got, trace = _extract(config, data, runtime, extractor, preprocess, 0, runtime.meter(EXTRACT, 45))
        torch.manual_seed(7)
        pixels = data.pixels(runtime)
        expected = torch.cat([extractor(preprocess(pixels[i : i + 16]))[1] for i in range(0, 45, 16)])
    assert got.shape == (45, spec.feature_channels)
    assert torch.equal(got, expected)
    assert trace[0] == {"stage": "input", "shape": [16, 3, spec.input_size, spec.input_size]}
    assert workers() == []


def test_cancelling_stops_the_worker(tmp_path, toy_dataset):
    spec, data, config = setup(tmp_path, toy_dataset, batch_size=4)
    asked = []
    runtime = Runtime(CPU, should_cancel=lambda: asked.append(1) or len(asked) >= 3)
    extractor = torch_extractor(build_backbone("tiny").eval(), CPU)
    with pytest.raises(RunCancelled):
        _extract(config, data, runtime, extractor, Preprocess(spec.mean, spec.std), 0, runtime.meter(EXTRACT, 45))
    assert len(asked) == 3
    assert workers() == []


def test_an_error_while_preparing_reaches_the_consumer_at_its_batch():
    def batches():
        yield 1
        yield 2
        raise ValueError("unreadable image")

    got = []
    with pytest.raises(ValueError, match="unreadable image"):
        with ahead(batches()) as items:
            for item in items:
                got.append(item)
    assert got == [1, 2]
    assert workers() == []


def test_leaving_early_stops_a_worker_that_waits_to_hand_over():
    produced = []

    def endless():
        while True:
            produced.append(len(produced))
            yield produced[-1]

    with ahead(endless()) as items:
        assert next(items) == 0
    assert workers() == []
    assert len(produced) <= 3  # the one taken, the one queued, the one that found the queue full
