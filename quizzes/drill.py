"""The mistake drill's rule, as a pure function: how far a student is with one common mistake.

A student has shown a common mistake when they picked a choice linked to it, in any mode. The
drill asks the question the mistake belongs to (its choices reshuffled each round) until it is
answered right MASTERY times in a row in the drill. Picking the mistake's choice again, anywhere,
starts the count over, and so does a wrong drill answer to its question; right answers outside
the drill neither count nor reset. Once fixed, a mistake stays fixed until it is shown again.

Nothing else is stored: the streak is read from the student's answers, so it goes wherever
their attempts go (an anonymous student's, to their account on log-in) and cannot disagree
with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

MASTERY = 2  # right drill answers in a row that fix a mistake


@dataclass(frozen=True)
class Answer:
    """One answer to the mistake's question, as the drill reads it."""

    correct: bool
    in_drill: bool
    mistake_ids: frozenset[int]  # the mistakes linked to the choices picked


def streak(mistake_id: int, answers: Iterable[Answer]) -> int | None:
    """Right drill answers in a row since the mistake was last shown, at most MASTERY; None when
    these answers (in the order given) never show it."""
    count = None
    for answer in answers:
        if mistake_id in answer.mistake_ids:
            count = 0
        elif count is not None and count < MASTERY and answer.in_drill:
            count = count + 1 if answer.correct else 0
    return count
