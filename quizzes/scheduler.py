"""Spaced repetition for flashcards and Review mode: FSRS, the scheduler Anki uses, as pure functions.

Everything a student learns on a schedule (a flashcard, a question in their review deck)
has a `Memory`: FSRS's state (Learning, Review or Relearning), its learning step, its
stability (days until the chance of recall falls to 90%), its difficulty (1 to 10), when
it is due and when it was last reviewed. `review(memory, rating, now)` is the memory after
one rating; `preview(memory, now)` is when each rating would make it due.

- ratings: Again (forgotten), Hard, Good, Easy. A student rates a flashcard; an answer to
  a question is rated for them (`rating_for_answer`): correct without a hint = Good,
  correct after a hint = Hard, partly right or wrong = Again.
- the scheduler is the `fsrs` package's (py-fsrs) with its defaults: the 21 default
  parameters, 90% desired retention, learning steps of 1 and 10 minutes, one relearning
  step of 10 minutes, whole-day intervals up to 36500 days. Intervals are not fuzzed:
  Anki fuzzes to spread a large deck's reviews over nearby days, at the price of a schedule
  nobody can predict; a lesson's deck is small, and a deterministic schedule is testable.
- a question enters the review deck when a student misses it or needs a hint for it
  (`needs_review`) and stays there; a flashcard's memory starts at its first rating.

`memory_from_sm2` turns the SuperMemo-2 state Review mode kept before FSRS (easiness,
repetitions, interval) into a Memory due when it was due, by Anki's own conversion
(fsrs-rs `memory_state_from_sm2`): the stability that gives the same interval at the
retention SM-2 achieved (90%: the stability is the interval), and the difficulty at which
FSRS's next Good review grows that interval by the SM-2 easiness, as SM-2 would have.

Datetimes in and out are timezone-aware (returned in UTC).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from fsrs import Card, Rating, Scheduler, State
from fsrs.scheduler import MAX_DIFFICULTY, MIN_DIFFICULTY, STABILITY_MIN

LEARNING, REVIEW, RELEARNING = State.Learning, State.Review, State.Relearning
AGAIN, HARD, GOOD, EASY = Rating.Again, Rating.Hard, Rating.Good, Rating.Easy
RATINGS = {"again": AGAIN, "hard": HARD, "good": GOOD, "easy": EASY}  # form value -> rating

# The retention Anki assumes SM-2 reached when it converts a card to FSRS (its default).
SM2_RETENTION = 0.9

SCHEDULER = Scheduler(enable_fuzzing=False)


@dataclass(frozen=True)
class Memory:
    """What FSRS knows of one thing one student learns. The defaults are a new card, due now."""

    state: int = LEARNING
    step: int | None = 0  # learning or relearning step; None in the Review state
    stability: float | None = None  # None until the first rating
    difficulty: float | None = None
    due: datetime | None = None  # None: due now
    last_review: datetime | None = None


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"a timezone-aware datetime is needed, got {moment!r}")
    return moment.astimezone(timezone.utc)


def _card(memory: Memory, now: datetime) -> Card:
    return Card(
        card_id=0,  # fsrs would otherwise make an id from the clock, sleeping 1 ms to keep it unique
        state=State(memory.state),
        step=memory.step,
        stability=memory.stability,
        difficulty=memory.difficulty,
        due=_utc(memory.due or now),
        last_review=_utc(memory.last_review) if memory.last_review else None,
    )


def review(memory: Memory, rating: Rating, now: datetime) -> Memory:
    """The memory after rating it at `now`. Raises ValueError for a rating that is not 1..4."""
    card, _ = SCHEDULER.review_card(_card(memory, now), Rating(rating), review_datetime=_utc(now))
    return Memory(int(card.state), card.step, card.stability, card.difficulty, card.due, card.last_review)


def preview(memory: Memory, now: datetime) -> dict[Rating, datetime]:
    """When each rating given at `now` would make the memory due next."""
    return {rating: review(memory, rating, now).due for rating in Rating}


def rating_for_answer(*, correct: bool, hints_used: int) -> Rating:
    """The rating of an answer to a question (a partly right answer is not correct: Again)."""
    if correct:
        return HARD if hints_used else GOOD
    return AGAIN


def needs_review(*, correct: bool, hints_used: int) -> bool:
    """Whether an answer puts a question into the deck (it stays there once in)."""
    return not correct or hints_used > 0


def memory_from_sm2(
    *, easiness: float, repetitions: int, interval_days: int, due: datetime, last_reviewed: datetime | None
) -> Memory:
    """The FSRS memory of an SM-2 review item, due when it was due.

    An item with repetitions (its last answer was right) is in the Review state, with
    Anki's stability and difficulty for that easiness and interval. An item without (its
    last answer was wrong, so SM-2 kept no interval) is in its first learning step with
    no memory state yet: its next rating starts one, as for a new card.
    """
    if repetitions == 0 or interval_days == 0:
        return Memory(LEARNING, 0, None, None, _utc(due), _utc(last_reviewed) if last_reviewed else None)
    w = SCHEDULER.parameters
    decay = -w[20]
    factor = 0.9 ** (1 / decay) - 1
    stability = max(interval_days, STABILITY_MIN) * factor / (SM2_RETENTION ** (1 / decay) - 1)
    growth = math.exp(w[8]) * stability ** -w[9] * math.expm1((1 - SM2_RETENTION) * w[10])
    difficulty = min(max(11 - (easiness - 1) / growth, MIN_DIFFICULTY), MAX_DIFFICULTY)
    last = last_reviewed if last_reviewed is not None else due - timedelta(days=interval_days)
    return Memory(REVIEW, None, stability, difficulty, _utc(due), _utc(last))
