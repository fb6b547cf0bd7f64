"""What a run ran on (device, processor, cores, library versions): the provenance of a measured time."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path

import torch

LIBRARIES = ("torch", "torchvision", "timm")


def processor_name() -> str:
    """The CPU's model name as the kernel reports it ("AMD EPYC"), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown processor"


def cpu_cores() -> int:
    """Cores this process may run on (its affinity where the OS says, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def describe(device: torch.device) -> dict[str, object]:
    """``{"device": "CPU, 2 cores (AMD EPYC)", "torch": ..., "torchvision": ..., "timm": ...}``."""
    if device.type == "cuda":
        where = f"GPU ({torch.cuda.get_device_name(device)})"
    else:
        cores = cpu_cores()
        where = f"CPU, {cores} core{'s' if cores != 1 else ''} ({processor_name()})"
    info: dict[str, object] = {"device": where}
    for name in LIBRARIES:
        try:
            info[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            info[name] = ""
    return info
