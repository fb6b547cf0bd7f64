"""A small CIFAR-10 archive in CIFAR's real on-disk format, written by the tests (no download).

``cifar-10-batches-py/`` holds ``data_batch_1`` .. ``data_batch_5`` and ``batches.meta``, each a
pickled dict as the real files are: a batch has ``data`` (N x 3072 uint8: 1024 red, 1024 green,
1024 blue values, row by row) and ``labels``; the meta file has ``label_names``.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

LABEL_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
# A colour per class, so a test can tell from a written PNG which image it came from.
COLOURS = {name: ((37 * i) % 256, (91 * i + 40) % 256, (53 * i + 90) % 256) for i, name in enumerate(LABEL_NAMES)}


def write_cifar_archive(root: Path, per_class_per_batch: int = 2, classes=("bird", "cat", "dog", "truck")) -> Path:
    """Write the archive under ``root`` (the LAB_CIFAR_ROOT); returns ``root``."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    for b in range(1, 6):
        labels, rows = [], []
        for name in classes:
            for _ in range(per_class_per_batch):
                image = np.zeros((32, 32, 3), dtype=np.uint8)
                image[:] = COLOURS[name]
                image[b, :, :] = 255  # a white line: the batch's number
                labels.append(LABEL_NAMES.index(name))
                rows.append(image.transpose(2, 0, 1).reshape(-1))  # channel planes, as CIFAR stores them
        batch = {
            "batch_label": f"training batch {b} of 5",
            "labels": labels,
            "data": np.stack(rows),
            "filenames": [f"img_{b}_{i}.png" for i in range(len(rows))],
        }
        (folder / f"data_batch_{b}").write_bytes(pickle.dumps(batch, protocol=2))
    meta = {"num_cases_per_batch": len(classes) * per_class_per_batch, "label_names": LABEL_NAMES, "num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return root
