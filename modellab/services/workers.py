"""Who runs what: each worker's record (hostname, queues, device, torch version, heartbeat), written by the worker itself."""

from __future__ import annotations

from importlib import metadata

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from modellab.models import Worker

CPU = "CPU"


def torch_version() -> str:
    """The installed torch's version, read from its package metadata: importing torch is not needed."""
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return ""


def device_name(setting: str) -> str:
    """What LAB_DEVICE ``setting`` trains on here: "CPU", or the CUDA device's name.

    It asks CUDA, which initialises it in this process: call it only in the process that trains
    (a task's child), never in the worker's parent, whose forked children must find CUDA untouched.
    """
    if setting == "cpu":
        return CPU
    import torch

    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return CPU


def worker_started(*, hostname: str, queues: list[str], pid: int | None, concurrency: int = 1) -> Worker:
    """Record a worker that is starting, with how many runs it takes at once (``concurrency``, its
    pool's processes: the queue's ETA plays the queue forward on that many slots). Its device is
    CPU when LAB_DEVICE says so; otherwise it is known once the worker trains (the parent never
    asks CUDA) and kept from its last run."""
    now = timezone.now()
    fields = {
        "queues": ",".join(queues)[:200],
        "pid": pid,
        "concurrency": max(1, concurrency),
        "torch_version": torch_version(),
        "started_at": now,
        "heartbeat_at": now,
    }
    if settings.LAB_DEVICE == "cpu":
        fields["device"] = CPU
    with transaction.atomic():
        worker, _ = Worker.objects.update_or_create(hostname=hostname[:255], defaults=fields)
    return worker


def worker_heartbeat(*, hostname: str, device: str = "") -> None:
    """Say the worker is alive (and, from a task, what it trains on); recreates a record an admin deleted."""
    now = timezone.now()
    fields = {"heartbeat_at": now, **({"device": device[:120]} if device else {})}
    with transaction.atomic():
        if not Worker.objects.filter(hostname=hostname[:255]).update(**fields):
            Worker.objects.get_or_create(
                hostname=hostname[:255], defaults={**fields, "started_at": now, "torch_version": torch_version()}
            )


def worker_threads() -> int:
    """Set PyTorch's CPU threads in this process (a task's child) to LAB_WORKER_THREADS; 0 leaves
    torch's own choice (OMP_NUM_THREADS, which `make run` sets to the same). Returns the count in use.

    Each of the worker's processes trains on this many threads (ONNX Runtime's extraction follows
    torch's count): processes x threads should not exceed the cores, or they wait on each other.
    """
    import torch

    if settings.LAB_WORKER_THREADS > 0:
        torch.set_num_threads(settings.LAB_WORKER_THREADS)
    return torch.get_num_threads()
