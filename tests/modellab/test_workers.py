"""Who runs what: worker records, where a run ran, the admin's Lab status page and the queue depths it reads from the broker."""

import os
import uuid
from datetime import timedelta
from types import SimpleNamespace
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from kombu import Connection

from modellab import broker, signals
from modellab.models import Experiment, Worker
from modellab.services.runs import experiment_run
from modellab.services.workers import CPU, device_name, torch_version, worker_heartbeat, worker_started, worker_threads
from harness.processes import port_open

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lab_media")]
S = Experiment.Status


def make_experiment(owner, dataset, **fields):
    defaults = dict(
        backbone="tiny", strategy="features", epochs=1, lr=0.01, batch_size=8, status=S.QUEUED, queued_at=timezone.now()
    )
    return Experiment.objects.create(owner=owner, dataset=dataset, **{**defaults, **fields})


def test_a_starting_worker_records_itself(settings):
    settings.LAB_SWEEP_INTERVAL_S = 0
    consumer = SimpleNamespace(
        hostname="gpu1@host", task_consumer=SimpleNamespace(queues=[SimpleNamespace(name="gpu"), SimpleNamespace(name="default")])
    )
    signals.sweep_on_worker_ready(sender=consumer)
    worker = Worker.objects.get(hostname="gpu1@host")
    assert worker.queues == "default,gpu" and worker.device == CPU and worker.pid == os.getpid()
    assert worker.torch_version == torch_version() and worker.torch_version.split(".")[0].isdigit()


def test_a_worker_with_two_processes_records_that_it_runs_two_at_once(settings):
    """`make run LAB_WORKER_PROCESSES=2` is one Celery worker (one record) whose pool runs two runs at once."""
    settings.LAB_SWEEP_INTERVAL_S = 0
    consumer = SimpleNamespace(
        hostname="cpu1@host",
        task_consumer=SimpleNamespace(queues=[SimpleNamespace(name="gpu")]),
        controller=SimpleNamespace(concurrency=2, max_concurrency=None),
    )
    signals.sweep_on_worker_ready(sender=consumer)
    assert Worker.objects.get(hostname="cpu1@host").concurrency == 2


def test_each_worker_process_trains_on_lab_worker_threads(settings):
    import torch

    before = torch.get_num_threads()
    try:
        settings.LAB_WORKER_THREADS = 1
        assert worker_threads() == 1 == torch.get_num_threads()
        settings.LAB_WORKER_THREADS = 0  # torch's own choice is left as it is
        torch.set_num_threads(2)
        assert worker_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_the_device_is_kept_from_the_last_run_when_the_parent_cannot_know_it(settings):
    """With LAB_DEVICE=auto the parent never asks CUDA: a restarted worker keeps the device its last job recorded."""
    settings.LAB_DEVICE = "auto"
    worker_started(hostname="gpu1@host", queues=["gpu"], pid=1)
    assert Worker.objects.get().device == ""
    worker_heartbeat(hostname="gpu1@host", device="NVIDIA H100 80GB HBM3")
    worker_started(hostname="gpu1@host", queues=["gpu"], pid=2)
    assert Worker.objects.get().device == "NVIDIA H100 80GB HBM3"


def test_a_heartbeat_recreates_a_record_an_admin_deleted():
    worker_heartbeat(hostname="cpu1@host", device=CPU)
    assert Worker.objects.get(hostname="cpu1@host").device == CPU


def test_device_name_on_the_cpu():
    assert device_name("cpu") == CPU


def test_the_experiment_records_where_it_ran_and_a_requeue_forgets_it(user, tiny_dataset):
    exp = make_experiment(user, tiny_dataset)
    with mock.patch("modellab.services.runs._train", return_value={}):
        experiment_run(experiment_id=exp.pk, worker_hostname="gpu1@host", worker_pid=7, worker_device="Tesla T4")
    exp.refresh_from_db()
    assert (exp.status, exp.worker_hostname, exp.device) == (S.SUCCEEDED, "gpu1@host", "Tesla T4")


@pytest.fixture
def purged_queues():
    """The test settings' filesystem broker, emptied after the test (its folder outlives one test)."""
    yield
    with broker._connection() as conn:
        for name in broker.QUEUES:
            conn.default_channel.queue_purge(name)


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "pw-root-123")


def test_lab_status_page_shows_workers_queues_and_runs(client, admin_user, user, tiny_dataset, purged_queues):
    from modellab.tasks import run_experiment

    now = timezone.now()
    Worker.objects.create(
        hostname="gpu1@host", queues="gpu", device="NVIDIA A100", torch_version="2.14.1", started_at=now, heartbeat_at=now
    )
    Worker.objects.create(
        hostname="gone@host", queues="gpu", device=CPU, started_at=now - timedelta(days=1), heartbeat_at=now - timedelta(hours=2)
    )
    running = make_experiment(user, tiny_dataset, status=S.RUNNING, worker_hostname="gpu1@host", attempts=1)
    queued = make_experiment(user, tiny_dataset, queued_at=now - timedelta(seconds=90))
    make_experiment(user, tiny_dataset, status=S.FAILED)
    run_experiment.apply_async(args=[queued.pk])  # a real message on the gpu queue of the filesystem broker

    client.force_login(admin_user)
    response = client.get(reverse("admin:modellab_lab_status"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-worker="gpu1@host" data-alive="1"' in html and 'data-worker="gone@host" data-alive="0"' in html
    assert 'data-device="NVIDIA A100"' in html and f'data-run="{running.pk}"' in html
    assert 'data-queue="gpu" data-depth="1"' in html and 'data-queue="default" data-depth="0"' in html
    for state, count in (("queued", 1), ("running", 1), ("failed", 1), ("succeeded", 0)):
        assert f'data-state="{state}" data-count="{count}"' in html
    oldest = response.context["status"].oldest_queued_s
    assert 90 <= oldest < 120
    # the workers' list links here
    assert reverse("admin:modellab_lab_status") in client.get(reverse("admin:modellab_worker_changelist")).content.decode()


def test_lab_status_page_is_for_staff_who_may_view_workers(client, staff_user):
    client.force_login(staff_user)  # staff without the permission
    assert client.get(reverse("admin:modellab_lab_status")).status_code == 403


def test_lab_status_page_says_when_the_broker_does_not_answer(client, admin_user):
    client.force_login(admin_user)
    with mock.patch.object(broker, "_connection", lambda: Connection("redis://127.0.0.1:1/0", connect_timeout=1)):
        html = client.get(reverse("admin:modellab_lab_status")).content.decode()
    assert 'data-code="broker_unavailable"' in html and "data-depth" not in html


def depth_after_one_message(url: str) -> dict:
    """Queue depths read from the broker at ``url`` with one message in a queue of its own."""
    name = f"lab-depth-test-{uuid.uuid4().hex[:8]}"
    with Connection(url, connect_timeout=3) as conn:
        queue = conn.SimpleQueue(name)
        queue.put({"n": 1})
        try:
            with mock.patch.object(broker, "_connection", lambda: Connection(url, connect_timeout=3)):
                depths = broker.queue_depths([name, f"{name}-unknown"])
        finally:
            queue.queue.delete()
            queue.close()
    return {"one message": depths[name], "unknown queue": depths[f"{name}-unknown"]}


def test_queue_depth_from_redis():
    if not port_open("127.0.0.1", 6379):
        pytest.skip("Redis does not answer at 127.0.0.1:6379 (.ci/run starts it)")
    db = os.environ.get("LAB_IT_REDIS_DB", "11")
    assert depth_after_one_message(f"redis://127.0.0.1:6379/{db}") == {"one message": 1, "unknown queue": 0}


def test_queue_depth_from_rabbitmq():
    if not port_open("127.0.0.1", 5672):
        pytest.skip("RabbitMQ does not answer at 127.0.0.1:5672")
    assert depth_after_one_message("amqp://guest:guest@127.0.0.1:5672//") == {"one message": 1, "unknown queue": 0}


def test_health_is_ok_when_database_broker_and_storage_answer(client):
    response = client.get(reverse("health"))
    assert response.status_code == 200 and response.json() == {"database": "ok", "broker": "ok", "storage": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_health_names_the_broker_when_it_does_not_answer(client):
    with mock.patch.object(broker, "_connection", lambda: Connection("redis://127.0.0.1:1/0", connect_timeout=1)):
        response = client.get(reverse("health"))
    assert response.status_code == 503 and response.json() == {"database": "ok", "broker": "unavailable", "storage": "ok"}
