"""Services of the lab: submit and queue on commit, limits, cancel, the run and its failure paths, the sweep."""

from datetime import timedelta
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import ValidationError
from django.utils import timezone

from modellab import engine
from modellab.models import EpochRecord, Experiment
from modellab.services import lease
from modellab.services.datasets import dataset_get_or_create_builtin
from modellab.services.experiments import experiment_cancel, experiment_submit
from modellab.services.runs import TIME_LIMIT, UNEXPECTED_FAILURE, UNEXPECTED_REASON, experiment_run
from modellab.services.sweep import experiments_sweep_orphans

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lab_media")]
S = Experiment.Status


def submit(user, dataset, **overrides):
    kwargs = dict(owner=user, dataset=dataset, backbone="tiny", strategy="features", epochs=2, lr=0.01, batch_size=8)
    kwargs.update(overrides)
    return experiment_submit(**kwargs)


def test_submit_queues_the_task_on_commit_only(user, tiny_dataset, delay, django_capture_on_commit_callbacks):
    """The task is sent after the transaction commits, with the new experiment's id."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        (exp,) = submit(user, tiny_dataset)
    assert exp.status == S.QUEUED and exp.queued_at is not None
    delay.assert_not_called()
    for cb in callbacks:
        cb()
    delay.assert_called_once_with(exp.pk)


def test_compare_submits_pretrained_and_scratch_in_one_group(user, tiny_dataset, delay, django_capture_on_commit_callbacks):
    """Compare creates the pre-trained run and its from-scratch twin, sharing a comparison group."""
    with django_capture_on_commit_callbacks(execute=True):
        a, b = submit(user, tiny_dataset, compare=True, strategy="finetune")
    assert (a.strategy, b.strategy) == ("finetune", "scratch")
    assert a.comparison_group and a.comparison_group == b.comparison_group
    assert delay.call_count == 2


def test_concurrent_run_limit(user, tiny_dataset, delay, settings, django_capture_on_commit_callbacks):
    """A user with the maximum of active runs cannot queue another, and nothing is queued."""
    settings.LAB_MAX_CONCURRENT_RUNS_PER_USER = 2
    with django_capture_on_commit_callbacks(execute=True):
        submit(user, tiny_dataset)
        with pytest.raises(ValidationError) as err:
            submit(user, tiny_dataset, compare=True)
    assert err.value.code == "too_many_runs"
    assert Experiment.objects.count() == 1 and delay.call_count == 1


def test_epoch_and_image_limits(user, tiny_dataset, delay, settings):
    """Epochs over LAB_MAX_EPOCHS and datasets over LAB_MAX_IMAGES_PER_DATASET are refused."""
    settings.LAB_MAX_EPOCHS = 3
    with pytest.raises(ValidationError) as err:
        submit(user, tiny_dataset, epochs=4)
    assert err.value.code == "too_many_epochs"
    settings.LAB_MAX_IMAGES_PER_DATASET = 10
    with pytest.raises(ValidationError) as err:
        submit(user, tiny_dataset)
    assert err.value.code == "too_many_images"


def test_another_users_dataset_is_refused(other_user, tiny_dataset, delay):
    with pytest.raises(ValidationError) as err:
        submit(other_user, tiny_dataset)
    assert err.value.code == "dataset_forbidden"


def test_unavailable_backbone_is_refused_unless_from_scratch(user, tiny_dataset, delay, tmp_path, monkeypatch):
    """With an empty weights folder resnet18 can still train from scratch, never as pre-trained."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch-home"))
    assert not {b.name: b for b in engine.list_backbones()}["resnet18"].available
    with pytest.raises(ValidationError) as err:
        submit(user, tiny_dataset, backbone="resnet18")
    assert err.value.code == "backbone_unavailable"
    (exp,) = submit(user, tiny_dataset, backbone="resnet18", strategy="scratch")
    assert exp.strategy == "scratch"


def test_run_records_every_epoch_and_results(user, tiny_dataset, delay):
    """A real run with the tiny backbone: epoch rows, results, a model that predicts."""
    (exp,) = submit(user, tiny_dataset, epochs=3)
    status = experiment_run(experiment_id=exp.pk, worker_hostname="w1@test", worker_pid=123)
    exp.refresh_from_db()
    assert status == exp.status == S.SUCCEEDED
    assert list(exp.epoch_records.values_list("epoch", flat=True)) == [1, 2, 3]
    assert exp.attempts == 1 and exp.worker_hostname == "w1@test" and exp.finished_at
    assert set(exp.results["per_class_accuracy"]) == {"0", "1", "2"}
    assert exp.results["predictions"] and exp.results["model_path"].endswith("model.pt")
    assert exp.results["shape_trace"][0]["shape"][1:] == [3, 32, 32]


def test_lab_extract_runtime_torch_keeps_cpu_extraction_in_pytorch(user, tiny_dataset, delay, settings):
    """LAB_EXTRACT_RUNTIME=torch: the run extracts with PyTorch, so no ONNX file appears in the feature cache."""
    from modellab import storage

    settings.LAB_EXTRACT_RUNTIME = "torch"
    (exp,) = submit(user, tiny_dataset)
    assert experiment_run(experiment_id=exp.pk, worker_hostname="w1@test", worker_pid=1) == S.SUCCEEDED
    cache = storage.local_dir(storage.FEATURE_CACHE)
    assert list(cache.glob("features-*.pt")) and not (cache / "onnx").exists()


def test_lab_cpu_precision_reaches_the_run_and_its_notes(user, tiny_dataset, delay, settings):
    """LAB_CPU_PRECISION=bfloat16: the run trains under bfloat16 autocast (emulated on a CPU without it) and says so."""
    settings.LAB_CPU_PRECISION = "bfloat16"
    (exp,) = submit(user, tiny_dataset, strategy="scratch", epochs=1)
    assert experiment_run(experiment_id=exp.pk, worker_hostname="w1@test", worker_pid=1) == S.SUCCEEDED
    exp.refresh_from_db()
    assert exp.results["environment"]["precision"] == "bfloat16"
    assert any(n.startswith("Trained in bfloat16 autocast with channels_last") for n in exp.results["notes"])


def test_epoch_rows_appear_while_running(user, tiny_dataset, delay):
    """Each epoch's row is committed when that epoch ends, before the run finishes."""
    (exp,) = submit(user, tiny_dataset, epochs=3)
    seen = []
    real_run = engine.run

    def spy(config, *, on_epoch_end, should_cancel, **more):
        def cb(stats):
            on_epoch_end(stats)
            seen.append(EpochRecord.objects.filter(experiment=exp).count())

        return real_run(config, on_epoch_end=cb, should_cancel=should_cancel, **more)

    with mock.patch.object(engine, "run", spy):
        experiment_run(experiment_id=exp.pk)
    assert seen == [1, 2, 3]


def test_engine_error_fails_with_its_message_and_code_without_server_paths(user, tiny_dataset, delay, settings):
    """The engine's own message is the learner's reason, its code kept; a server folder in it is named in words."""
    (exp,) = submit(user, tiny_dataset)
    folder = f"{settings.LAB_LOCAL_CACHE_DIR}/lab/datasets/upload/u1/x"
    error = engine.DatasetError("empty_dataset", f"No images found in {folder}.")
    with mock.patch.object(engine, "run", side_effect=error):
        assert experiment_run(experiment_id=exp.pk) == S.FAILED
    exp.refresh_from_db()
    assert exp.failure_code == "empty_dataset"
    assert exp.failure_reason == "No images found in a folder on the server." and "/" not in exp.failure_reason


def test_unexpected_error_fails_with_our_message_and_logs_the_raw_one(user, tiny_dataset, delay, caplog):
    """A raw exception (its text may hold a server path) reaches the log, never the learner's page."""
    (exp,) = submit(user, tiny_dataset)
    raw = FileNotFoundError(2, "No such file or directory", "/srv/worker/lab-local/lab/datasets/upload/u1/x/a.png")
    with mock.patch.object(engine, "run", side_effect=raw):
        assert experiment_run(experiment_id=exp.pk) == S.FAILED
    exp.refresh_from_db()
    assert exp.failure_code == UNEXPECTED_FAILURE and exp.failure_reason == UNEXPECTED_REASON
    assert "/srv/worker" not in exp.failure_reason and "FileNotFoundError" not in exp.failure_reason
    assert "/srv/worker/lab-local" in caplog.text  # the traceback is for whoever runs the site


def test_soft_time_limit_fails_with_time_limit(user, tiny_dataset, delay):
    (exp,) = submit(user, tiny_dataset)
    with mock.patch.object(engine, "run", side_effect=SoftTimeLimitExceeded()):
        experiment_run(experiment_id=exp.pk)
    exp.refresh_from_db()
    assert exp.status == S.FAILED and "time limit" in exp.failure_reason and exp.failure_code == TIME_LIMIT


def test_cancel_queued_run_is_immediate(user, tiny_dataset, delay):
    (exp,) = submit(user, tiny_dataset)
    experiment_cancel(experiment=exp)
    exp.refresh_from_db()
    assert exp.status == S.CANCELLED
    # its message, when it arrives, runs nothing
    assert experiment_run(experiment_id=exp.pk) is None
    assert exp.epoch_records.count() == 0


def test_cancel_running_run_stops_it_at_the_next_check(user, tiny_dataset, delay):
    """The flag set while running makes should_cancel True; the engine stops; the run is CANCELLED."""
    (exp,) = submit(user, tiny_dataset, epochs=5)
    real_run = engine.run

    def cancel_after_first_epoch(config, *, on_epoch_end, should_cancel, **more):
        def cb(stats):
            on_epoch_end(stats)
            if stats.epoch == 1:
                experiment_cancel(experiment=Experiment.objects.get(pk=exp.pk))
                real_clock = lease.time.monotonic
                with mock.patch.object(lease.time, "monotonic", lambda: real_clock() + 60):
                    assert should_cancel() is True

        return real_run(config, on_epoch_end=cb, should_cancel=should_cancel, **more)

    with mock.patch.object(engine, "run", cancel_after_first_epoch):
        assert experiment_run(experiment_id=exp.pk) == S.CANCELLED
    exp.refresh_from_db()
    assert exp.status == S.CANCELLED and exp.epoch_records.count() == 1


def test_cancel_finished_run_is_refused(user, tiny_dataset, delay):
    (exp,) = submit(user, tiny_dataset)
    Experiment.objects.filter(pk=exp.pk).update(status=S.SUCCEEDED)
    with pytest.raises(ValidationError) as err:
        experiment_cancel(experiment=exp)
    assert err.value.code == "not_cancellable"


def test_redelivered_message_never_runs_twice(user, tiny_dataset, delay):
    """A second message for a run that is RUNNING (or done) is a no-op."""
    (exp,) = submit(user, tiny_dataset)
    calls = []

    def nested(config, *, on_epoch_end, should_cancel, **more):
        calls.append(1)
        assert experiment_run(experiment_id=exp.pk) is None  # the redelivery, while running
        raise RuntimeError("stop")

    with mock.patch.object(engine, "run", nested):
        experiment_run(experiment_id=exp.pk)
    assert calls == [1]
    assert experiment_run(experiment_id=exp.pk) is None
    exp.refresh_from_db()
    assert exp.attempts == 1


def test_retry_starts_epoch_rows_afresh(user, tiny_dataset, delay):
    (exp,) = submit(user, tiny_dataset, epochs=2)
    Experiment.objects.filter(pk=exp.pk).update(attempts=1)
    EpochRecord.objects.create(experiment=exp, epoch=7, train_loss=9, train_accuracy=0, val_loss=9, val_accuracy=0, seconds=1)
    experiment_run(experiment_id=exp.pk)
    exp.refresh_from_db()
    assert exp.attempts == 2
    assert list(exp.epoch_records.values_list("epoch", flat=True)) == [1, 2]


def test_attempts_are_bounded(user, tiny_dataset, delay, settings):
    settings.LAB_MAX_ATTEMPTS = 2
    (exp,) = submit(user, tiny_dataset)
    Experiment.objects.filter(pk=exp.pk).update(attempts=2)
    assert experiment_run(experiment_id=exp.pk) is None
    exp.refresh_from_db()
    assert exp.status == S.FAILED and "2 attempt" in exp.failure_reason


def running(exp, *, hostname="w1@host", attempts=1, heartbeat_age_s=0, started_age_s=0):
    now = timezone.now()
    Experiment.objects.filter(pk=exp.pk).update(
        status=S.RUNNING,
        attempts=attempts,
        worker_hostname=hostname,
        worker_pid=42,
        heartbeat_at=now - timedelta(seconds=heartbeat_age_s),
        started_at=now - timedelta(seconds=started_age_s),
    )


def test_sweep_requeues_run_of_a_restarting_worker(user, tiny_dataset, delay, django_capture_on_commit_callbacks):
    """At worker start, runs recorded on that worker's hostname are requeued (attempts left)."""
    (exp,) = submit(user, tiny_dataset)
    running(exp, hostname="w1@host")
    delay.reset_mock()
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = experiments_sweep_orphans(restarting_hostname="w1@host")
    exp.refresh_from_db()
    assert [o.action for o in outcomes] == ["requeued"]
    assert exp.status == S.QUEUED and exp.worker_hostname == ""
    delay.assert_called_once_with(exp.pk)


def test_sweep_leaves_live_runs_alone(user, tiny_dataset, delay):
    (exp,) = submit(user, tiny_dataset)
    running(exp, hostname="w2@host", heartbeat_age_s=5)
    assert experiments_sweep_orphans(restarting_hostname="w1@host") == []
    exp.refresh_from_db()
    assert exp.status == S.RUNNING


def test_sweep_fails_stale_run_without_attempts_left(user, tiny_dataset, delay, settings):
    settings.LAB_MAX_ATTEMPTS = 2
    settings.LAB_HEARTBEAT_STALE_S = 60
    (exp,) = submit(user, tiny_dataset)
    running(exp, hostname="gone@host", attempts=2, heartbeat_age_s=120)
    (outcome,) = experiments_sweep_orphans()
    exp.refresh_from_db()
    assert outcome.action == "failed" and exp.status == S.FAILED
    assert "gone@host" in exp.failure_reason and "stopped" in exp.failure_reason


def test_sweep_fails_run_past_the_hard_limit_with_time_limit(user, tiny_dataset, delay, settings):
    settings.CELERY_TASK_TIME_LIMIT = 100
    settings.LAB_HEARTBEAT_STALE_S = 60
    (exp,) = submit(user, tiny_dataset)
    running(exp, heartbeat_age_s=90, started_age_s=200)
    experiments_sweep_orphans()
    exp.refresh_from_db()
    assert exp.status == S.FAILED and "time limit" in exp.failure_reason


def test_a_replaced_attempt_cannot_write(user, tiny_dataset, delay):
    """When the sweep gave the run away mid-run, the old attempt stops and writes nothing."""
    (exp,) = submit(user, tiny_dataset, epochs=3)
    real_run = engine.run

    def taken_over(config, *, on_epoch_end, should_cancel, **more):
        def cb(stats):
            if stats.epoch == 2:  # another worker took over attempt 2
                Experiment.objects.filter(pk=exp.pk).update(attempts=2)
            on_epoch_end(stats)

        return real_run(config, on_epoch_end=cb, should_cancel=should_cancel, **more)

    with mock.patch.object(engine, "run", taken_over):
        assert experiment_run(experiment_id=exp.pk) is None
    exp.refresh_from_db()
    assert exp.status == S.RUNNING and exp.epoch_records.count() == 1


def test_builtin_dataset_materialises_on_first_run(user, delay, settings):
    settings.LAB_BUILTIN_PER_CLASS = 6
    ds = dataset_get_or_create_builtin(key="digits-3")
    assert dataset_get_or_create_builtin(key="digits-3").pk == ds.pk
    (exp,) = submit(user, ds, epochs=1)
    assert experiment_run(experiment_id=exp.pk) == S.SUCCEEDED
    ds.refresh_from_db()
    assert ds.report["counts"] == {"0": 6, "1": 6, "2": 6}


def test_cifar_unavailable_says_so_plainly_and_staff_read_where_to_put_it():
    """The refusal a learner may read has no command or path; the setup hint (for staff) has them."""
    from modellab.builtins import BUILTINS

    with pytest.raises(ValidationError) as err:
        dataset_get_or_create_builtin(key="cifar-cat-dog-bird")
    assert err.value.code == "dataset_unavailable" and err.value.messages == ["CIFAR-10 is not available on this site."]
    assert "cifar-10-python.tar.gz" in BUILTINS["cifar-cat-dog-bird"].setup_hint()
