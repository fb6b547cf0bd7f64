"""FSRS scheduling through our wrapper: the fsrs package's own documented expectations
(tests/test_basic.py of fsrs 6.3.2), the answer-to-rating mapping, and the SM-2 conversion."""

from datetime import datetime, timedelta, timezone

import pytest

from quizzes.scheduler import (
    AGAIN,
    EASY,
    GOOD,
    HARD,
    LEARNING,
    RELEARNING,
    REVIEW,
    Memory,
    memory_from_sm2,
    needs_review,
    preview,
    rating_for_answer,
    review,
)

START = datetime(2022, 11, 29, 12, 30, tzinfo=timezone.utc)
# fsrs's TEST_RATINGS_1 and the intervals (days) its test_review_card asserts for them
RATINGS_1 = (GOOD, GOOD, GOOD, GOOD, GOOD, GOOD, AGAIN, AGAIN, GOOD, GOOD, GOOD, GOOD, GOOD)
INTERVALS_1 = [0, 2, 11, 46, 163, 498, 0, 0, 2, 4, 7, 12, 21]


def test_the_fsrs_review_sequence_gives_its_documented_intervals():
    """fsrs test_review_card: each review on its due date, unfuzzed, gives these intervals."""
    memory, now, intervals = Memory(), START, []
    for rating in RATINGS_1:
        memory = review(memory, rating, now)
        intervals.append((memory.due - memory.last_review).days)
        now = memory.due
    assert intervals == INTERVALS_1


def test_the_fsrs_memory_state_example():
    """fsrs test_memo_state: Again then five Goods at 0, 0, 1, 3, 8 and 21 days give this memory."""
    memory, now = Memory(), START
    for rating, days in zip((AGAIN, GOOD, GOOD, GOOD, GOOD, GOOD), (0, 0, 1, 3, 8, 21), strict=True):
        now += timedelta(days=days)
        memory = review(memory, rating, now)
    assert memory.stability == pytest.approx(53.62691, abs=1e-4)
    assert memory.difficulty == pytest.approx(6.3574867, abs=1e-4)


def test_learning_steps_are_1_and_10_minutes():
    """fsrs test_{again,hard,good,easy}_learning_steps: a new card's first rating."""
    new = Memory()
    after = {rating: review(new, rating, START) for rating in (AGAIN, HARD, GOOD, EASY)}
    assert (after[AGAIN].state, after[AGAIN].step, after[AGAIN].due - START) == (LEARNING, 0, timedelta(minutes=1))
    assert (after[HARD].state, after[HARD].step, after[HARD].due - START) == (LEARNING, 0, timedelta(minutes=5.5))
    assert (after[GOOD].state, after[GOOD].step, after[GOOD].due - START) == (LEARNING, 1, timedelta(minutes=10))
    assert after[EASY].state == REVIEW and after[EASY].step is None and after[EASY].due - START >= timedelta(days=1)
    graduated = review(after[GOOD], GOOD, after[GOOD].due)
    assert graduated.state == REVIEW and graduated.due - after[GOOD].due >= timedelta(days=1)


def test_a_lapse_relearns_for_10_minutes():
    """fsrs test_relearning: Again on a card in review is due again in 10 minutes."""
    memory, now = Memory(), START
    for rating in (GOOD, GOOD, GOOD):
        memory = review(memory, rating, now)
        now = memory.due
    lapsed = review(memory, AGAIN, now)
    assert (lapsed.state, lapsed.step, lapsed.due - now) == (RELEARNING, 0, timedelta(minutes=10))
    relearned = review(lapsed, GOOD, lapsed.due)
    assert relearned.state == REVIEW and relearned.due - lapsed.due >= timedelta(days=1)


def test_always_easy_reaches_the_lowest_difficulty():
    """fsrs test_repeated_correct_reviews: ten Easy ratings make the difficulty 1."""
    memory = Memory()
    for i in range(10):
        memory = review(memory, EASY, START + timedelta(microseconds=i))
    assert memory.difficulty == 1.0


def test_preview_says_when_each_rating_makes_the_card_due():
    due = preview(Memory(), START)
    assert due == {
        AGAIN: START + timedelta(minutes=1),
        HARD: START + timedelta(minutes=5.5),
        GOOD: START + timedelta(minutes=10),
        EASY: review(Memory(), EASY, START).due,
    }


def test_datetimes_must_be_aware_and_come_back_in_utc():
    plus_two = timezone(timedelta(hours=2))
    memory = review(Memory(), GOOD, datetime(2026, 1, 1, 14, 0, tzinfo=plus_two))
    assert memory.last_review == datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
    assert memory.last_review.tzinfo == timezone.utc
    with pytest.raises(ValueError):
        review(Memory(), GOOD, datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        review(Memory(), 5, START)


def test_an_answer_is_rated_good_hard_or_again():
    assert rating_for_answer(correct=True, hints_used=0) == GOOD
    assert rating_for_answer(correct=True, hints_used=2) == HARD
    assert rating_for_answer(correct=False, hints_used=0) == AGAIN  # wrong, or partly right


def test_what_enters_the_deck():
    assert needs_review(correct=False, hints_used=0)
    assert needs_review(correct=True, hints_used=1)
    assert not needs_review(correct=True, hints_used=0)


@pytest.mark.parametrize("easiness, interval", [(2.5, 6), (1.7, 15), (2.2, 1)])
def test_an_sm2_item_keeps_its_due_date_and_grows_as_sm2_would(easiness, interval):
    """Converted, an item answered Good on its due date gets SM-2's next interval: interval x easiness."""
    due = START + timedelta(days=interval)
    memory = memory_from_sm2(easiness=easiness, repetitions=3, interval_days=interval, due=due, last_reviewed=START)
    assert (memory.state, memory.step, memory.due, memory.last_review) == (REVIEW, None, due, START)
    assert memory.stability == pytest.approx(interval)  # at 90% retention the interval is the stability
    assert 1 <= memory.difficulty <= 10
    after = review(memory, GOOD, due)
    assert (after.due - due).days == pytest.approx(interval * easiness, abs=1)


def test_a_harder_sm2_item_is_a_harder_fsrs_memory():
    kw = dict(repetitions=2, interval_days=6, due=START, last_reviewed=None)
    assert memory_from_sm2(easiness=1.3, **kw).difficulty > memory_from_sm2(easiness=2.5, **kw).difficulty
    # with no last review on record, it was reviewed one interval before it fell due
    assert memory_from_sm2(easiness=2.5, **kw).last_review == START - timedelta(days=6)


def test_an_sm2_item_missed_last_time_starts_learning_where_it_was_due():
    missed = memory_from_sm2(easiness=1.96, repetitions=0, interval_days=0, due=START, last_reviewed=START)
    assert missed == Memory(LEARNING, 0, None, None, START, START)
    relearnt = review(missed, AGAIN, START + timedelta(hours=1))
    assert relearnt.due == START + timedelta(hours=1, minutes=1)
