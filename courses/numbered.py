"""Rows of one owner kept in the order a file or form lists them: created numbered 1, 2, ... or replaced.

The lesson loader (a lesson's stages and layers), the `questions:` section and the question
import (a question's choices, steps, hints and mistakes) all write such rows through here.
"""

from __future__ import annotations

from collections.abc import Iterable


def numbered_create(model, rows: Iterable[dict], **owner) -> list:
    """Create one `model` row per dict of `rows` for `owner` (e.g. question=q), `position` 1, 2, ... in order."""
    return model.objects.bulk_create(model(**owner, position=i, **row) for i, row in enumerate(rows, start=1))


def numbered_replace(model, rows: Iterable[dict], **owner) -> list:
    """The owner's `model` rows become `rows`, numbered from 1: the old rows are deleted first."""
    model.objects.filter(**owner).delete()
    return numbered_create(model, rows, **owner)
