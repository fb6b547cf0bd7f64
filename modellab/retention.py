"""Which runs' model files the site removes: a pure rule over (run, learner, finished) rows, no Django."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class StoredModel:
    run: int  # the experiment's id
    owner: int  # the learner's id
    finished_at: datetime


def models_to_remove(models: list[StoredModel], *, keep_last: int, keep_days: float, now: datetime) -> list[int]:
    """The runs whose model files go: for each learner, all but the ``keep_last`` most recently finished,
    and of those only the ones finished more than ``keep_days`` days before ``now``. In run order."""
    cutoff = now - timedelta(days=keep_days)
    by_owner: dict[int, list[StoredModel]] = {}
    for m in models:
        by_owner.setdefault(m.owner, []).append(m)
    out = []
    for owned in by_owner.values():
        owned.sort(key=lambda m: (m.finished_at, m.run), reverse=True)
        out += [m.run for m in owned[max(keep_last, 0) :] if m.finished_at < cutoff]
    return sorted(out)
