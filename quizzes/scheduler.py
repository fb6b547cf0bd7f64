"""Spaced repetition for Review mode: SuperMemo-2 (SM-2), pure functions.

A question enters a student's review deck when they miss it or need a hint for it, in
any mode. Every later answer to it, in any mode, is graded 0-5 and rescheduled:

- quality: 5 = correct without a hint, 3 = correct after a hint, 2 = partly right
  (a multiple-answer question with some credit), 1 = wrong.
- easiness EF starts at 2.5 and after each answer becomes
  EF + (0.1 - (5 - q) * (0.08 + (5 - q) * 0.02)), never below 1.3.
- a correct answer (q >= 3) counts a repetition; the interval is 1 day after the first,
  6 days after the second, then the previous interval times the new EF, rounded.
- a wrong answer (q < 3) resets the repetitions and makes the question due at once:
  SM-2 repeats failed items in the same session until they are recalled.

Review mode asks the due questions, the longest overdue first.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

MIN_EASINESS = 1.3
START_EASINESS = 2.5


@dataclass(frozen=True)
class ReviewState:
    easiness: float = START_EASINESS
    repetitions: int = 0
    interval_days: int = 0


def quality(*, correct: bool, marks: float, hints_used: int) -> int:
    """The SM-2 quality (0-5) of one answer."""
    if correct:
        return 3 if hints_used else 5
    return 2 if marks > 0 else 1


def sm2(state: ReviewState, q: int) -> ReviewState:
    """The state after an answer of quality q (0-5)."""
    if not 0 <= q <= 5:
        raise ValueError(f"quality must be 0..5, got {q}")
    easiness = max(MIN_EASINESS, state.easiness + (0.1 - (5 - q) * (0.08 + (5 - q) * 0.02)))
    if q < 3:
        return ReviewState(easiness=easiness, repetitions=0, interval_days=0)
    reps = state.repetitions + 1
    if reps == 1:
        interval = 1
    elif reps == 2:
        interval = 6
    else:
        interval = max(1, round(state.interval_days * easiness))
    return replace(state, easiness=easiness, repetitions=reps, interval_days=interval)


def next_due(state: ReviewState, now: datetime) -> datetime:
    return now + timedelta(days=state.interval_days)


def needs_review(*, correct: bool, hints_used: int) -> bool:
    """Whether an answer puts a question into the deck (it stays there once in)."""
    return not correct or hints_used > 0
