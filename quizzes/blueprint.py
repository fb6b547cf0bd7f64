"""Draw the questions of a "Test this pattern" attempt, and shuffle choices: pure functions.

The draw takes, for each difficulty, the number the lesson's blueprint asks for: questions
the student has never answered first, then ones already seen, each group in a random order
from the attempt's seed. Where a difficulty runs short, the shortfall is filled from the
other difficulties (unseen first, nearest difficulty first), so a test always has the
blueprint's total while the bank holds that many. The same inputs and seed always give the
same draw, and the seed is stored on the attempt.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from quizzes.vocabulary import DIFFICULTIES

#: What a test draws where the lesson sets no blueprint of its own: 10 questions.
DEFAULT_BLUEPRINT = {"easy": 3, "medium": 4, "hard": 3}


@dataclass(frozen=True)
class Candidate:
    id: int
    difficulty: str


def _ordered(pool: list[Candidate], seen: set[int], rng: random.Random) -> list[Candidate]:
    unseen = [c for c in pool if c.id not in seen]
    again = [c for c in pool if c.id in seen]
    rng.shuffle(unseen)
    rng.shuffle(again)
    return unseen + again


def draw(candidates: Iterable[Candidate], *, blueprint: Mapping[str, int], seen: Iterable[int], seed: int) -> list[int]:
    """Question ids for a test: grouped easy, medium, hard; unseen before seen."""
    rng = random.Random(seed)
    seen_ids = set(seen)
    pools = {d: [] for d in DIFFICULTIES}
    for c in sorted(candidates, key=lambda c: c.id):
        pools.setdefault(c.difficulty, []).append(c)
    queues = {d: _ordered(pools[d], seen_ids, rng) for d in pools}
    picked: dict[str, list[Candidate]] = {d: [] for d in pools}
    shortfall = 0
    for d in DIFFICULTIES:
        want = blueprint.get(d, 0)
        picked[d] = queues[d][:want]
        queues[d] = queues[d][want:]
        shortfall += want - len(picked[d])
    if shortfall:
        # Fill from what is left, unseen first, then the nearest difficulty (medium first).
        leftovers = [c for d in ("medium", "easy", "hard") for c in queues[d]]
        leftovers.sort(key=lambda c: c.id in seen_ids)
        for c in leftovers[:shortfall]:
            picked[c.difficulty].append(c)
    return [c.id for d in DIFFICULTIES for c in picked[d]]


def draw_plan(blueprint: Mapping[str, int], bank: Mapping[str, int]) -> dict[str, int]:
    """How many questions of each difficulty `draw` gives a student who has seen none of the bank
    (`bank`: questions per difficulty): the blueprint's count where the bank holds it, a shortfall
    filled from the difficulties left over (medium, easy, hard), and never more than the bank has.
    What a test or exam page advertises: a lesson with 9 questions never promises 10."""
    plan = {d: min(blueprint.get(d, 0), bank.get(d, 0)) for d in DIFFICULTIES}
    shortfall = sum(blueprint.get(d, 0) for d in DIFFICULTIES) - sum(plan.values())
    for d in ("medium", "easy", "hard"):
        extra = min(shortfall, bank.get(d, 0) - plan[d])
        plan[d] += extra
        shortfall -= extra
    return plan


def shuffle_choices(choice_ids: Sequence[int], *, secret: bytes, question_id: int) -> list[int]:
    """The order to show one question's choices in, stable for one (secret, question).

    `secret` must be something the student never sees. Seeded by what they can see (the
    attempt's id), two practice attempts revealed each question's authored order, and from
    then on every test's shuffle could be undone.
    """
    order = list(choice_ids)
    random.Random(hmac.new(secret, str(question_id).encode(), hashlib.sha256).digest()).shuffle(order)
    return order
