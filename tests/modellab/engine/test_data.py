"""Built-in datasets, content hashing and the stratified split."""

from collections import Counter

import numpy as np

import pytest
from PIL import Image

from modellab.engine import DatasetError, content_hash, materialize_cifar10, materialize_digits, scan_image_folder
from modellab.engine.data import stratified_split


def test_digits_subset_written_as_rgb_png(tmp_path):
    report = materialize_digits(tmp_path / "digits", classes=[3, 7], max_per_class=6, image_size=24)
    assert report.classes == ["3", "7"]
    assert report.counts == {"3": 6, "7": 6}
    files = sorted((tmp_path / "digits").rglob("*.png"))
    assert len(files) == 12
    with Image.open(files[0]) as im:
        assert (im.mode, im.size) == ("RGB", (24, 24))
        assert im.getextrema()[0][1] > 100  # strokes are bright, not an empty image


def test_digits_all_classes_by_default(tmp_path):
    report = materialize_digits(tmp_path / "d", max_per_class=2, image_size=8)
    assert report.classes == [str(i) for i in range(10)]


def test_digits_bad_class(tmp_path):
    with pytest.raises(DatasetError) as err:
        materialize_digits(tmp_path / "d", classes=[11])
    assert err.value.code == "bad_classes"


def test_cifar_missing_says_where_to_put_it(tmp_path):
    with pytest.raises(DatasetError) as err:
        materialize_cifar10(tmp_path / "cifar-root", tmp_path / "out", per_class=3)
    assert err.value.code == "cifar_missing"
    assert str((tmp_path / "cifar-root").resolve() / "cifar-10-batches-py") in err.value.message
    assert "cifar-10-python.tar.gz" in err.value.message
    assert not (tmp_path / "out").exists()


def test_content_hash_tracks_paths_and_bytes(toy_dataset):
    first = content_hash(toy_dataset)
    assert content_hash(toy_dataset) == first
    (toy_dataset / ".DS_Store").write_bytes(b"finder junk")
    assert content_hash(toy_dataset) == first, "hidden files are not content"

    img = toy_dataset / "red" / "red_000.png"
    original = img.read_bytes()
    img.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    changed = content_hash(toy_dataset)
    assert changed != first
    img.write_bytes(original)
    assert content_hash(toy_dataset) == first

    img.rename(toy_dataset / "red" / "renamed.png")
    assert content_hash(toy_dataset) not in (first, changed)


def test_scan_image_folder(toy_dataset):
    classes, samples = scan_image_folder(toy_dataset)
    assert classes == ["blue", "green", "red"]
    assert len(samples) == 45
    assert samples[0] == ("blue/blue_000.png", 0)


def test_split_is_stratified_disjoint_and_deterministic():
    labels = [0] * 30 + [1] * 20 + [2] * 10
    split = stratified_split(labels, val_fraction=0.2, seed=3)
    everything = split.train + split.val + split.test
    assert sorted(everything) == list(range(60))
    assert Counter(labels[i] for i in split.val) == {0: 6, 1: 4, 2: 2}
    assert Counter(labels[i] for i in split.test) == {0: 6, 1: 4, 2: 2}
    assert stratified_split(labels, 0.2, seed=3) == split
    assert stratified_split(labels, 0.2, seed=4) != split


def test_split_without_test_when_a_class_is_small():
    labels = [0] * 30 + [1] * 6
    split = stratified_split(labels, val_fraction=0.2, seed=0)
    assert split.test == []
    assert Counter(labels[i] for i in split.val) == {0: 6, 1: 1}
    assert all(any(labels[i] == c for i in split.train) for c in (0, 1))


def test_materialize_loses_a_race_to_another_worker_cleanly(tmp_path):
    """Two workers materialising one built-in dataset at once: the one that finishes second gets
    dest_not_empty (its caller then uses the finished copy), and the finished copy is left whole."""
    from modellab.engine.builtin import _write

    dest = tmp_path / "digits"

    def items():
        yield "0", "a.png", np.zeros((8, 8, 3), dtype=np.uint8)
        materialize_digits(dest, classes=[0, 1], max_per_class=2, image_size=8)  # the other worker finishes first
        yield "1", "b.png", np.zeros((8, 8, 3), dtype=np.uint8)

    with pytest.raises(DatasetError) as err:
        _write(dest, items())
    assert err.value.code == "dest_not_empty"
    assert scan_image_folder(dest)[0] == ["0", "1"] and len(scan_image_folder(dest)[1]) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digits"]  # no half-written .part left
