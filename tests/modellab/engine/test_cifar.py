"""CIFAR-10 read from its own on-disk format (a small archive the test writes), and fetching it."""

import os
import pickle

import numpy as np
import pytest
from PIL import Image

from modellab.engine import DatasetError, materialize_cifar10
from modellab.engine.builtin import read_cifar10
from tests.modellab.cifar_archive import COLOURS, LABEL_NAMES, write_cifar_archive


def test_reads_every_training_batch_with_its_labels(tmp_path):
    write_cifar_archive(tmp_path, per_class_per_batch=2)
    names, data, labels = read_cifar10(tmp_path)
    assert names == LABEL_NAMES
    assert data.shape == (5 * 4 * 2, 32, 32, 3) and data.dtype == np.uint8
    assert [names[t] for t in labels[:4]] == ["bird", "bird", "cat", "cat"]
    # the channel planes became pixels: the colour of the class, and batch 1's white row 1
    assert tuple(data[0, 10, 10]) == COLOURS["bird"] and tuple(data[0, 1, 5]) == (255, 255, 255)


def test_writes_the_lessons_classes_as_pngs(tmp_path):
    """cat, dog and bird, per_class of each, in the order the batches hold them; other classes left out."""
    write_cifar_archive(tmp_path / "cifar", per_class_per_batch=2)
    report = materialize_cifar10(tmp_path / "cifar", tmp_path / "out", classes=("cat", "dog", "bird"), per_class=3)
    assert report.counts == {"bird": 3, "cat": 3, "dog": 3}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["bird", "cat", "dog"]
    first_cat = sorted((tmp_path / "out" / "cat").iterdir())[0]
    with Image.open(first_cat) as im:
        assert im.size == (32, 32) and im.getpixel((10, 10)) == COLOURS["cat"]


def test_a_missing_batch_says_which_and_how_to_fetch(tmp_path):
    write_cifar_archive(tmp_path)
    os.remove(tmp_path / "cifar-10-batches-py" / "data_batch_3")
    with pytest.raises(DatasetError) as err:
        read_cifar10(tmp_path)
    assert err.value.code == "cifar_missing"
    assert "data_batch_3 is missing" in err.value.message and "manage.py fetch_data cifar10" in err.value.message


def test_a_foreign_pickle_is_refused_and_never_run(tmp_path):
    """A planted batch that would call a function on load is refused as unreadable; the function never runs."""
    write_cifar_archive(tmp_path)
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (tmp_path / "cifar-10-batches-py" / "data_batch_2").write_bytes(pickle.dumps({"data": Evil(), "labels": []}))
    with pytest.raises(DatasetError) as err:
        read_cifar10(tmp_path)
    assert err.value.code == "cifar_unreadable" and "data_batch_2" in err.value.message
    assert not marker.exists()


def test_a_batch_without_labels_is_unreadable(tmp_path):
    write_cifar_archive(tmp_path)
    (tmp_path / "cifar-10-batches-py" / "data_batch_1").write_bytes(pickle.dumps({"data": np.zeros((1, 3072), np.uint8)}))
    with pytest.raises(DatasetError) as err:
        read_cifar10(tmp_path)
    assert err.value.code == "cifar_unreadable"
