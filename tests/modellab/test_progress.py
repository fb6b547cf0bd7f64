"""Progress of a running run: written through the lease at most once a second, shown as accessible bars."""

from unittest import mock

import pytest
from django.urls import reverse

from modellab import engine
from modellab.engine.progress import EXTRACT, TRAIN, Progress
from modellab.models import Experiment
from modellab.services import lease as lease_module
from modellab.services.experiments import experiment_submit
from modellab.services.lease import LeaseLost, ProgressWriter, RunLease
from modellab.services.runs import experiment_claim, experiment_run
from modellab.trace import progress_view

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lab_media")]
S = Experiment.Status


def queued(user, dataset, **overrides):
    kwargs = dict(owner=user, dataset=dataset, backbone="tiny", strategy="features", epochs=3, lr=0.01, batch_size=4)
    kwargs.update(overrides)
    return experiment_submit(**kwargs)[0]


def test_the_writer_writes_at_most_once_a_second(user, tiny_dataset, delay):
    """Reports 0.3 s apart: the first is written, the next ones only once a second has passed."""
    exp = queued(user, tiny_dataset)
    held = experiment_claim(experiment_id=exp.pk, worker_hostname="w@h", worker_pid=1)
    clock = iter([100.0, 100.3, 100.6, 100.9, 101.2, 101.5])
    writes = []
    with (
        mock.patch.object(lease_module.time, "monotonic", lambda: next(clock)),
        mock.patch.object(RunLease, "record_progress", lambda self, data: writes.append(data["done"])),
    ):
        writer = ProgressWriter(held)
        for done in range(1, 7):
            writer(Progress(EXTRACT, done * 10, 60, done * 0.3))
    assert writes == [10, 50]


def test_progress_is_written_through_the_lease_only(user, tiny_dataset, delay):
    """A replaced attempt cannot write progress: LeaseLost, and the row keeps the new attempt's."""
    exp = queued(user, tiny_dataset)
    held = experiment_claim(experiment_id=exp.pk, worker_hostname="w@h", worker_pid=1)
    held.record_progress(Progress(TRAIN, 1, 4, 0.5, 1, 3).to_dict())
    assert Experiment.objects.get(pk=exp.pk).progress["done"] == 1
    Experiment.objects.filter(pk=exp.pk).update(attempts=2)
    with pytest.raises(LeaseLost):
        held.record_progress(Progress(TRAIN, 2, 4, 0.9, 1, 3).to_dict())
    assert Experiment.objects.get(pk=exp.pk).progress["done"] == 1


def test_a_run_reports_extraction_and_epochs_and_a_retry_starts_afresh(user, tiny_dataset, delay):
    """A real run (tiny backbone, throttle off) writes extraction progress, then batches of each epoch;
    claiming the run again clears what the earlier attempt wrote."""
    exp = queued(user, tiny_dataset, epochs=2)
    written = []
    real = RunLease.record_progress

    def spy(self, data):
        written.append((data["phase"], data["epoch"], data["done"], data["total"]))
        real(self, data)

    # the writer's interval off (a default bound when it was defined), so every report is written
    with mock.patch.object(ProgressWriter.__init__, "__defaults__", (0.0,)), mock.patch.object(RunLease, "record_progress", spy):
        assert experiment_run(experiment_id=exp.pk) == S.SUCCEEDED
    extract = [w for w in written if w[0] == "extract"]
    assert extract and extract[-1][2] == extract[-1][3] == 24  # every image of the dataset
    batches = -(-18 // 4)  # 18 training images, batches of 4
    assert [w[2] for w in written if w[0] == "train" and w[1] == 2] == list(range(1, batches + 1))
    assert Experiment.objects.get(pk=exp.pk).progress["phase"] == "train"
    Experiment.objects.filter(pk=exp.pk).update(status=S.QUEUED, cancel_requested=False)
    experiment_claim(experiment_id=exp.pk, worker_hostname="w@h", worker_pid=2)
    assert Experiment.objects.get(pk=exp.pk).progress == {}


def test_the_extraction_bar_says_images_rate_and_time_left():
    view = progress_view(Progress(EXTRACT, 320, 537, 8.0).to_dict())
    assert (view.label, view.done, view.total, view.percent) == ("Extracting features", 320, 537, 59)
    assert view.text == "320 of 537 images · 40.0 images/s · about 5.4 s left"
    epoch = progress_view(Progress(TRAIN, 7, 10, 3.0, 2, 5).to_dict())
    assert (epoch.label, epoch.text) == ("Epoch 2 of 5", "7 of 10 batches")
    assert progress_view({}) is None and progress_view(None) is None


def test_the_live_trace_shows_an_accessible_progress_bar(client, user, tiny_dataset, delay):
    """While running: a <progress> named by its label and described by its text; gone once the run ends."""
    exp = queued(user, tiny_dataset)
    Experiment.objects.filter(pk=exp.pk).update(status=S.RUNNING, progress=Progress(EXTRACT, 12, 24, 2.0).to_dict())
    client.force_login(user)
    html = client.get(reverse("modellab:experiment_trace", args=[exp.pk])).content.decode()
    bar = (
        f'<progress id="progress-{exp.pk}" max="24" value="12" aria-labelledby="progress-{exp.pk}-label" '
        f'aria-describedby="progress-{exp.pk}-text">50%</progress>'
    )
    assert bar in html
    assert f'id="progress-{exp.pk}-label">Extracting features<' in html
    assert "12 of 24 images · 6.0 images/s · about 2.0 s left" in html
    Experiment.objects.filter(pk=exp.pk).update(status=S.SUCCEEDED)
    assert "<progress" not in client.get(reverse("modellab:experiment_trace", args=[exp.pk])).content.decode()


def test_the_comparison_shows_each_running_runs_bar(client, user, tiny_dataset, delay):
    a, b = experiment_submit(
        owner=user, dataset=tiny_dataset, backbone="tiny", strategy="features", epochs=3, lr=0.01, batch_size=4, compare=True
    )
    Experiment.objects.filter(pk=b.pk).update(status=S.RUNNING, progress=Progress(TRAIN, 3, 5, 1.0, 2, 3).to_dict())
    client.force_login(user)
    html = client.get(reverse("modellab:compare") + f"?ids={a.pk}&ids={b.pk}").content.decode()
    assert html.count("<progress") == 1 and "Epoch 2 of 3" in html and "3 of 5 batches" in html


def test_engine_progress_without_a_listener_costs_nothing(tmp_path):
    """The engine's meter without a callback is a counter: nothing is called."""
    meter = engine.loop.Runtime(device=None).meter(TRAIN, 3)
    meter.advance(1)
    assert meter.done == 1 and meter.callback is None
