"""run()'s progress reports, its timings (elapsed per epoch, extraction seconds, environment) and train_per_class."""

import torch

from modellab.engine import Progress, run
from modellab.engine.data import Split, limit_train_per_class, stratified_split
from modellab.engine.progress import EXTRACT, TRAIN
from tests.modellab.engine.test_training import config


def test_train_per_class_subsets_are_nested_and_keep_validation():
    """The 2-image subset of a class is inside the 4-image one; validation and test never change."""
    labels = [0] * 20 + [1] * 20
    split = stratified_split(labels, 0.2, seed=3)
    small = limit_train_per_class(split, labels, 2, seed=3)
    large = limit_train_per_class(split, labels, 4, seed=3)
    assert set(small.train) < set(large.train) <= set(split.train)
    assert [sum(labels[i] == c for i in small.train) for c in (0, 1)] == [2, 2]
    assert (small.val, small.test) == (split.val, split.test) == (large.val, large.test)
    assert limit_train_per_class(split, labels, None, seed=3) is split
    assert limit_train_per_class(split, labels, 1000, seed=3).train == split.train
    # another seed draws other images
    assert limit_train_per_class(split, labels, 2, seed=4).train != small.train


def test_limit_of_an_empty_training_split_is_empty():
    assert limit_train_per_class(Split([], [0], []), [0], 3, seed=0).train == []


def test_runs_of_several_sizes_share_one_extraction(tmp_path, toy_dataset):
    """A features run on fewer training images hits the cache the larger one filled, same validation images."""
    small = run(config(tmp_path, toy_dataset, train_per_class=2, epochs=2))
    large = run(config(tmp_path, toy_dataset, train_per_class=5, epochs=2, output_dir=str(tmp_path / "out2")))
    assert not small.cache_hit and small.extract_seconds > 0
    assert large.cache_hit and large.extract_seconds == 0.0
    assert small.split_sizes == {"train": 6, "val": 9, "test": 9}
    assert large.split_sizes == {"train": 15, "val": 9, "test": 9}
    assert [p["path"] for p in small.predictions] == [p["path"] for p in large.predictions]
    assert any("at most 2 image(s) of each class" in n for n in small.notes)


def test_scratch_trains_on_the_subset_only(tmp_path, toy_dataset):
    result = run(config(tmp_path, toy_dataset, strategy="scratch", train_per_class=3, epochs=1, batch_size=4))
    assert result.split_sizes["train"] == 9 and result.extract_seconds == 0.0


def test_progress_reports_extraction_images_and_batches_of_every_epoch(tmp_path, toy_dataset):
    """Extraction counts images up to all of them; each epoch counts its batches up to the total."""
    heard: list[Progress] = []
    result = run(config(tmp_path, toy_dataset, epochs=3, batch_size=8), on_progress=heard.append)
    extract = [p for p in heard if p.phase == EXTRACT]
    n_images = sum(result.split_sizes.values())
    assert [p.done for p in extract] == sorted(p.done for p in extract) and extract[-1].done == n_images
    assert {p.total for p in extract} == {n_images} and all(p.unit == "images" for p in extract)
    train = [p for p in heard if p.phase == TRAIN]
    batches = -(-result.split_sizes["train"] // 8)
    for epoch in (1, 2, 3):
        done = [p.done for p in train if p.epoch == epoch]
        assert done == list(range(1, batches + 1)), (epoch, done)
    assert {(p.total, p.epochs, p.unit) for p in train} == {(batches, 3, "batches")}
    last = extract[-1]
    assert last.rate is not None and last.rate > 0 and last.seconds_left == 0
    assert set(last.to_dict()) >= {"phase", "done", "total", "rate", "seconds_left", "unit", "epoch", "epochs"}


def test_extraction_reports_its_start_before_the_first_batch(tmp_path, toy_dataset):
    """The first report comes as extraction begins (0 images done), so the run page shows the bar while the
    backbone is prepared and the first batch (the images decoded) takes its seconds."""
    heard: list[Progress] = []
    result = run(config(tmp_path, toy_dataset, epochs=1), on_progress=heard.append)
    n_images = sum(result.split_sizes.values())
    assert (heard[0].phase, heard[0].done, heard[0].total) == (EXTRACT, 0, n_images)


def test_a_cache_hit_reports_no_extraction(tmp_path, toy_dataset):
    run(config(tmp_path, toy_dataset, epochs=1))
    heard: list[Progress] = []
    run(config(tmp_path, toy_dataset, epochs=1, output_dir=str(tmp_path / "again")), on_progress=heard.append)
    assert heard and all(p.phase == TRAIN for p in heard)


def test_elapsed_grows_from_the_run_start_and_environment_is_recorded(tmp_path, toy_dataset):
    result = run(config(tmp_path, toy_dataset, strategy="scratch", epochs=3))
    elapsed = [e.elapsed for e in result.epochs]
    assert elapsed == sorted(elapsed) and elapsed[0] >= result.epochs[0].seconds
    assert elapsed[-1] <= result.seconds
    env = result.environment
    assert env["device"].startswith("CPU, ") and "core" in env["device"]
    assert env["torch"] == torch.__version__.split("+")[0] or env["torch"] == torch.__version__
    assert env["torchvision"] and "timm" in env


def test_progress_rate_and_time_left():
    p = Progress(EXTRACT, 30, 120, 10.0)
    assert p.rate == 3.0 and p.seconds_left == 30.0
    assert Progress(EXTRACT, 0, 120, 0.0).rate is None and Progress(EXTRACT, 0, 120, 0.0).seconds_left is None
