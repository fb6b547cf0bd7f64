"""Where each queued run stands and when it should start and finish, on the run, comparison, sweep and Lab status pages."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from modellab.eta_selectors import queue_eta
from modellab.models import Experiment, Worker

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lab_media")]

S = Experiment.Status


def make_run(owner, dataset, *, ago=0, **fields):
    now = timezone.now()
    defaults = dict(
        backbone="tiny",
        strategy="scratch",
        epochs=3,
        lr=0.01,
        batch_size=8,
        status=S.QUEUED,
        queued_at=now - timedelta(seconds=ago),
    )
    return Experiment.objects.create(owner=owner, dataset=dataset, **{**defaults, **fields})


def finished(owner, dataset, seconds, **fields):
    """A succeeded run that took ``seconds`` on its worker, an hour ago."""
    end = timezone.now() - timedelta(hours=1)
    return make_run(owner, dataset, status=S.SUCCEEDED, started_at=end - timedelta(seconds=seconds), finished_at=end, **fields)


@pytest.fixture
def queue(user, other_user, tiny_dataset):
    """Three earlier 60 s runs; one run running for 20 s; two queued behind it (bob's first, then alice's)."""
    for _ in range(3):
        finished(user, tiny_dataset, 60)
    running = make_run(other_user, tiny_dataset, ago=100, status=S.RUNNING, started_at=timezone.now() - timedelta(seconds=20))
    bobs = make_run(other_user, tiny_dataset, ago=50)
    alices = make_run(user, tiny_dataset, ago=10)
    return running, bobs, alices


def test_queue_eta_plays_the_queue_forward_on_one_worker(queue):
    running, bobs, alices = queue
    slots = queue_eta()
    assert slots[running.pk].position is None and slots[running.pk].finish_s == pytest.approx(40, abs=2)
    assert (slots[bobs.pk].position, slots[alices.pk].position) == (1, 2)
    assert slots[alices.pk].start_s == pytest.approx(100, abs=2) and slots[alices.pk].finish_s == pytest.approx(160, abs=2)


def test_two_live_workers_halve_the_wait(queue):
    running, bobs, alices = queue
    for name in ("w1@host", "w2@host"):
        Worker.objects.create(hostname=name, started_at=timezone.now(), heartbeat_at=timezone.now())
    slots = queue_eta()
    assert slots[bobs.pk].start_s == 0 and slots[alices.pk].start_s == pytest.approx(40, abs=2)


def test_one_worker_with_two_processes_counts_as_two(queue):
    """The queue is played forward on the runs that can run at once, not on the worker records."""
    running, bobs, alices = queue
    Worker.objects.create(hostname="w1@host", concurrency=2, started_at=timezone.now(), heartbeat_at=timezone.now())
    slots = queue_eta()
    assert slots[bobs.pk].start_s == 0 and slots[alices.pk].start_s == pytest.approx(40, abs=2)


def test_queued_run_page_says_when_it_starts_and_finishes(client, user, queue):
    _, _, alices = queue
    client.force_login(user)
    html = client.get(alices.get_absolute_url()).content.decode()
    assert "position 2 in the queue" in html
    assert "starts in about 2 min, done in about 3 min" in html  # 40 s left of the running run, 60 s of bob's, 60 of hers
    assert "from 3 earlier runs with these settings" in html


def test_comparison_and_sweep_pages_say_where_each_run_stands(client, user, tiny_dataset, queue):
    _, _, alices = queue
    scratch = make_run(user, tiny_dataset, ago=5, strategy="features", comparison_group=None)
    client.force_login(user)
    html = client.get(f"{reverse('modellab:compare')}?ids={alices.pk}&ids={scratch.pk}").content.decode()
    assert "2nd in the queue" in html and "3rd in the queue" in html
    assert "no estimate yet (no finished run like it on this site)" in html  # no features run has finished here
    group = Experiment.objects.filter(pk=alices.pk).update(sweep_group="6f1b1f34-0000-4000-8000-000000000001")
    assert group == 1
    html = client.get(reverse("modellab:size_sweep", args=["6f1b1f34-0000-4000-8000-000000000001"])).content.decode()
    assert "2nd in the queue · starts in about 2 min" in re.sub(r"<[^>]+>", "", html)


def test_the_comparison_page_gives_each_runs_start_as_the_classroom_benchmark_reads_it(client, user, tiny_dataset, queue):
    """benchmarks/classroom.py reads when each run should start from the page a learner lands on;
    a run whose page says "no estimate yet" reads as no estimate."""
    from benchmarks.classroom import page_estimates

    _, _, alices = queue
    features = make_run(user, tiny_dataset, ago=5, strategy="features")
    client.force_login(user)
    html = client.get(f"{reverse('modellab:compare')}?ids={alices.pk}&ids={features.pk}").content.decode()
    assert page_estimates(html) == {alices.pk: pytest.approx(100, abs=2), features.pk: None}


def test_the_page_moves_with_the_queue(client, user, queue):
    """Bob's run starts: alice's becomes 1st, as the polled partial shows."""
    running, bobs, alices = queue
    client.force_login(user)
    trace = reverse("modellab:experiment_trace", args=[alices.pk])
    assert "position 2 in the queue" in client.get(trace).content.decode()
    Experiment.objects.filter(pk=running.pk).update(status=S.SUCCEEDED, finished_at=timezone.now())
    Experiment.objects.filter(pk=bobs.pk).update(status=S.RUNNING, started_at=timezone.now())
    html = client.get(trace, HTTP_HX_REQUEST="true").content.decode()
    assert "position 1 in the queue" in html and "starts in about 60 s" in html


def test_a_finished_run_reads_no_queue(client, user, tiny_dataset):
    done = finished(user, tiny_dataset, 30)
    client.force_login(user)
    html = client.get(reverse("modellab:experiment_trace", args=[done.pk])).content.decode()
    assert "lab-eta" not in html


def test_lab_status_lists_each_active_run_with_its_place(client, admin_user, queue):
    running, bobs, alices = queue
    client.force_login(admin_user)
    html = client.get(reverse("admin:modellab_lab_status")).content.decode()
    assert html.index(f'data-run="{running.pk}"') < html.index(f'data-run="{bobs.pk}"') < html.index(f'data-run="{alices.pk}"')
    assert "1st in the queue" in html and "2nd in the queue" in html and "done in about 40 s" in html
