"""The decoded-image cache: images decoded once per dataset and size, the same pixels as Pillow's path, rebuilt when damaged."""

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import transforms as T

from modellab.engine import RunConfig, run
from modellab.engine import decoded as decoded_module
from modellab.engine.backbones import IMAGENET_MEAN as MEAN, IMAGENET_STD as STD
from modellab.engine.data import load_rgb, scan_image_folder
from modellab.engine.decoded import decoded_images
from modellab.engine.pixels import ImageBatches, Preprocess


@pytest.fixture
def decode_calls(monkeypatch):
    """Counts the images the cache decodes (each call opens one image file)."""
    calls = []
    real = decoded_module.decode_pixels

    def counting(path, size):
        calls.append(path)
        return real(path, size)

    monkeypatch.setattr(decoded_module, "decode_pixels", counting)
    return calls


def finetune(tmp_path, dataset, **kw):
    base = dict(
        dataset_dir=str(dataset),
        cache_dir=str(tmp_path / "cache"),
        output_dir=str(tmp_path / "out"),
        backbone="tiny",
        strategy="finetune",
        epochs=2,
        batch_size=8,
        device="cpu",
    )
    return RunConfig(**{**base, **kw})


def test_a_second_run_reads_the_decoded_images_without_decoding(tmp_path, toy_dataset, decode_calls):
    """The first run decodes every image once (not once per epoch); a second run, of another
    strategy, decodes none and leaves the file untouched."""
    run(finetune(tmp_path, toy_dataset, epochs=3))
    assert len(decode_calls) == 45  # 3 classes x 15 images, though 3 epochs and evaluations read them
    (cached,) = (tmp_path / "cache" / "decoded").glob("decoded-*.u8")
    written = cached.stat().st_mtime_ns
    run(finetune(tmp_path, toy_dataset, strategy="scratch"))
    run(finetune(tmp_path, toy_dataset, strategy="features"))
    assert len(decode_calls) == 45 and cached.stat().st_mtime_ns == written


def test_another_input_size_decodes_again(tmp_path, toy_dataset, decode_calls):
    """The key holds the input size: the same dataset at 48 px is decoded into a file of its own."""
    _, samples = scan_image_folder(toy_dataset)
    decoded_images(tmp_path, toy_dataset, samples, 32)
    bigger = decoded_images(tmp_path, toy_dataset, samples, 48)
    assert bigger.built and bigger.pixels.shape == (45, 3, 48, 48) and len(decode_calls) == 90


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_a_damaged_cache_file_is_rebuilt(tmp_path, toy_dataset, damage):
    """A cut, overwritten or empty file is decoded again and serves the right pixels."""
    _, samples = scan_image_folder(toy_dataset)
    first = decoded_images(tmp_path, toy_dataset, samples, 32)
    good, path = first.pixels.clone(), first.path
    raw = path.read_bytes()
    del first  # its memory map
    path.write_bytes({"truncated": raw[: len(raw) - 100], "garbage": b"\x89PNG not ours" * 50, "empty": b""}[damage])
    again = decoded_images(tmp_path, toy_dataset, samples, 32)
    assert again.built and torch.equal(again.pixels, good)
    assert path.read_bytes() == raw


def test_decoded_pixels_equal_pillow_and_torchvision(tmp_path):
    """Wide, tall, RGBA and grayscale files give exactly the pixels of torchvision's Resize and
    CenterCrop on the Pillow image, and normalised values within 1e-6 of ToTensor and Normalize."""
    rng = np.random.default_rng(3)
    root = tmp_path / "mixed"
    (root / "a").mkdir(parents=True)
    Image.fromarray(rng.integers(0, 256, (50, 90, 3), dtype=np.uint8)).save(root / "a" / "wide.png")
    Image.fromarray(rng.integers(0, 256, (120, 40, 3), dtype=np.uint8)).save(root / "a" / "tall.jpg", quality=90)
    Image.fromarray(rng.integers(0, 256, (64, 64, 4), dtype=np.uint8), "RGBA").save(root / "a" / "alpha.png")
    Image.fromarray(rng.integers(0, 256, (30, 30), dtype=np.uint8), "L").save(root / "a" / "gray.png")
    _, samples = scan_image_folder(root)
    size = 48
    cached = decoded_images(tmp_path / "cache", root, samples, size).pixels
    resize = T.Compose([T.Resize(size, antialias=True), T.CenterCrop(size)])
    reference = T.Compose([resize, T.ToTensor(), T.Normalize(MEAN, STD)])
    for i, (rel, _) in enumerate(samples):
        pil = load_rgb(root / rel)
        assert torch.equal(cached[i], T.PILToTensor()(resize(pil))), rel
        ours = Preprocess(MEAN, STD)(cached[i : i + 1])[0]
        assert (ours - reference(pil)).abs().max() < 1e-6, rel


def test_augmentation_draws_new_views_every_epoch(tmp_path, toy_dataset):
    """With augmentation the same image comes out differently in two epochs, and two copies of one
    image in a batch get different views; without it every epoch sees the same tensors."""
    _, samples = scan_image_folder(toy_dataset)
    pixels = decoded_images(tmp_path, toy_dataset, samples, 32).pixels
    labels = torch.tensor([label for _, label in samples])

    def epoch(batches):
        return {int(i): x[k] for x, _, idx in batches for k, i in enumerate(idx)}

    torch.manual_seed(0)
    augmented = ImageBatches(pixels, labels, range(45), 16, Preprocess(MEAN, STD, augment=True), torch.device("cpu"))
    first, second = epoch(augmented), epoch(augmented)
    assert all(not torch.equal(first[i], second[i]) for i in range(45))
    twins = ImageBatches(pixels, labels, [7] * 8, 8, Preprocess(MEAN, STD, augment=True), torch.device("cpu"))
    ((x, _, _),) = list(twins)
    assert len({tuple(v.flatten()[:64].tolist()) for v in x}) > 1
    plain = ImageBatches(
        pixels, labels, range(45), 16, Preprocess(MEAN, STD), torch.device("cpu"), torch.Generator().manual_seed(0)
    )
    a, b = epoch(plain), epoch(plain)
    assert all(torch.equal(a[i], b[i]) for i in range(45))
