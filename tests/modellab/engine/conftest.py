"""Fixtures for the engine tests: tiny generated image datasets and an empty weights folder (no network, no downloads)."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

COLOURS = {"red": (210, 40, 40), "green": (40, 190, 60), "blue": (40, 60, 210)}


def make_toy_dataset(root: Path, per_class: int = 15, size: int = 32, seed: int = 0, classes=("red", "green", "blue")) -> Path:
    """Noisy single-colour squares with a random bright shape: separable by colour."""
    rng = np.random.default_rng(seed)
    for name in classes:
        (root / name).mkdir(parents=True, exist_ok=True)
        base = np.array(COLOURS[name])
        for i in range(per_class):
            arr = np.clip(base + rng.integers(-35, 36, (size, size, 3)), 0, 255).astype(np.uint8)
            y, x = rng.integers(0, size // 2, 2)
            arr[y : y + size // 4, x : x + size // 4] = 255
            Image.fromarray(arr).save(root / name / f"{name}_{i:03d}.png")
    return root


@pytest.fixture
def toy_dataset(tmp_path: Path) -> Path:
    return make_toy_dataset(tmp_path / "toy")


@pytest.fixture
def empty_hub(tmp_path, monkeypatch) -> Path:
    """$TORCH_HOME points at an empty folder: no torchvision weights on this machine. Returns the hub dir."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    hub = tmp_path / "torch-home" / "hub"
    assert torch.hub.get_dir() == str(hub), "torch.hub.set_dir() was called: $TORCH_HOME is not read"
    return hub
