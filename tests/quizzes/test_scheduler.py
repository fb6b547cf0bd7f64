"""SM-2 review scheduling: pure functions."""
from datetime import datetime, timedelta, timezone

import pytest

from quizzes.scheduler import MIN_EASINESS, ReviewState, needs_review, next_due, quality, sm2


def test_quality_from_an_answer():
    assert quality(correct=True, marks=1, hints_used=0) == 5
    assert quality(correct=True, marks=1, hints_used=1) == 3
    assert quality(correct=False, marks=0.5, hints_used=0) == 2
    assert quality(correct=False, marks=0, hints_used=0) == 1


def test_intervals_grow_1_6_then_times_easiness():
    """Correct answers schedule 1 day, 6 days, then the interval times EF."""
    s = sm2(ReviewState(), 5)
    assert (s.repetitions, s.interval_days) == (1, 1)
    s = sm2(s, 5)
    assert (s.repetitions, s.interval_days) == (2, 6)
    s = sm2(s, 5)
    assert s.interval_days == round(6 * s.easiness)
    assert s.easiness == pytest.approx(2.8)


def test_a_miss_resets_and_is_due_at_once():
    s = sm2(sm2(sm2(ReviewState(), 5), 5), 1)
    assert (s.repetitions, s.interval_days) == (0, 0)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert next_due(s, now) == now
    assert next_due(sm2(ReviewState(), 4), now) == now + timedelta(days=1)


def test_easiness_follows_the_formula_and_never_drops_below_1_3():
    assert sm2(ReviewState(), 3).easiness == pytest.approx(2.5 - 0.14)
    s = ReviewState()
    for _ in range(20):
        s = sm2(s, 0)
    assert s.easiness == MIN_EASINESS


def test_quality_out_of_range():
    with pytest.raises(ValueError):
        sm2(ReviewState(), 6)


def test_what_enters_the_deck():
    assert needs_review(correct=False, hints_used=0)
    assert needs_review(correct=True, hints_used=1)
    assert not needs_review(correct=True, hints_used=0)
