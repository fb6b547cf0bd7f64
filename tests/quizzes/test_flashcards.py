"""Flashcard writes and reads: rating a card, which card comes next, the daily new-card limit,
double submits, and anonymous schedules carried over to an account."""

from datetime import datetime, timedelta, timezone

import pytest
from django.core.exceptions import ValidationError

from quizzes import scheduler
from quizzes.selectors import flashcards as flashcard_selectors
from quizzes.services.flashcards import UNKNOWN_CARD, flashcard_rate
from quizzes.services.accounts import attempts_claim_anonymous
from quizzes.identity import Student
from quizzes.models import Flashcard, FlashcardSchedule

ANON = Student(None, "anon-cards")
NOW = datetime(2026, 5, 4, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def cards(lesson):
    return [
        Flashcard.objects.create(lesson=lesson, key=f"c{i}", position=i, front=f"Front {i}", back=f"Back {i}")
        for i in range(1, 4)
    ]


def rate(lesson, card, rating, now, student=ANON, seen=None):
    if seen is None:
        existing = FlashcardSchedule.objects.filter(card=card, **student.owner_filter()).first()
        seen = existing.reviews if existing else 0
    return flashcard_rate(
        student=student, lesson=lesson, card_id=card.pk, rating=scheduler.RATINGS[rating], seen_reviews=seen, now=now
    )


def deck(lesson, now, student=ANON):
    return flashcard_selectors.flashcard_deck(student=student, lesson=lesson, now=now)


def test_a_new_card_is_shown_first_in_lesson_order_and_scheduled_by_its_first_rating(lesson, cards):
    assert (deck(lesson, NOW).card, deck(lesson, NOW).new, deck(lesson, NOW).due) == (cards[0], 3, 0)
    schedule, rated = rate(lesson, cards[0], "good", NOW)
    assert rated and schedule.reviews == 1 and schedule.introduced_at == NOW
    assert (schedule.state, schedule.step, schedule.due_at) == (scheduler.LEARNING, 1, NOW + timedelta(minutes=10))
    assert schedule.memory() == scheduler.review(scheduler.Memory(), scheduler.GOOD, NOW)
    assert deck(lesson, NOW).card == cards[1]


def test_due_cards_come_before_new_ones_longest_overdue_first(lesson, cards):
    rate(lesson, cards[0], "again", NOW)  # due at 10:01
    rate(lesson, cards[1], "hard", NOW)  # due at 10:05:30
    later = NOW + timedelta(minutes=6)
    shown = deck(lesson, later)
    assert (shown.card, shown.due, shown.new) == (cards[0], 2, 1)
    rate(lesson, cards[0], "good", later)
    assert deck(lesson, later).card == cards[1]


def test_when_nothing_is_due_a_card_due_within_20_minutes_is_shown_early(lesson, cards):
    for card in cards:
        rate(lesson, card, "easy", NOW)
    rate(lesson, cards[2], "again", NOW + timedelta(seconds=1))  # back in a minute: within the learn-ahead limit
    soon = deck(lesson, NOW + timedelta(seconds=2))
    assert (soon.card, soon.due, soon.new) == (cards[2], 0, 0)
    rate(lesson, cards[2], "good", NOW + timedelta(seconds=2))
    rate(lesson, cards[2], "good", NOW + timedelta(seconds=3))  # 10 minutes: still within the limit
    done = deck(lesson, NOW + timedelta(seconds=4))
    assert done.card is None and done.summary == "Nothing due"
    assert done.next_due_at == min(FlashcardSchedule.objects.values_list("due_at", flat=True))
    assert done.next_due_at >= NOW + timedelta(days=1)


def test_at_most_20_new_cards_a_day(lesson, monkeypatch):
    """Anki's default: the 21st new card waits for the next day (midnight in the site's time zone)."""
    many = [Flashcard.objects.create(lesson=lesson, key=f"n{i}", position=i, front="F", back="B") for i in range(22)]
    for i, card in enumerate(many[:20]):
        rate(lesson, card, "easy", NOW + timedelta(seconds=i))
    today = deck(lesson, NOW + timedelta(minutes=1))
    assert (today.card, today.new, today.new_waiting) == (None, 0, 2)
    tomorrow = deck(lesson, datetime(2026, 5, 5, 0, 0, tzinfo=timezone.utc))
    assert (tomorrow.card, tomorrow.new, tomorrow.new_waiting) == (many[20], 2, 0)


def test_a_second_submit_of_the_same_rating_changes_nothing(lesson, cards):
    """A double click or a resent form carries the rating count the student saw: one rating counts."""
    first, rated = rate(lesson, cards[0], "good", NOW, seen=0)
    again, rated_again = rate(lesson, cards[0], "good", NOW + timedelta(seconds=1), seen=0)
    assert rated and not rated_again
    again.refresh_from_db()
    assert (again.pk, again.reviews, again.due_at) == (first.pk, 1, NOW + timedelta(minutes=10))


def test_only_the_lessons_active_cards_can_be_rated(lesson, cards, make_question):
    from courses.models import Lesson

    other = Lesson.objects.create(course=lesson.course, slug="other", title="Other", published=True)
    stranger = Flashcard.objects.create(lesson=other, key="x", front="F", back="B")
    retired = Flashcard.objects.create(lesson=lesson, key="old", front="F", back="B", active=False)
    for card in (stranger, retired):
        with pytest.raises(ValidationError) as exc:
            rate(lesson, card, "good", NOW)
        assert exc.value.code == UNKNOWN_CARD
    assert not FlashcardSchedule.objects.exists()


def test_students_have_their_own_schedules(lesson, cards, django_user_model):
    user = Student(django_user_model.objects.create_user("kim", password="pw-123456789").pk)
    rate(lesson, cards[0], "easy", NOW)
    assert deck(lesson, NOW, student=user).card == cards[0]
    assert deck(lesson, NOW, student=Student(None, "")).card == cards[0]  # a visitor without an id yet


def test_signing_in_carries_anonymous_schedules_over_and_the_accounts_own_win(lesson, cards, django_user_model):
    user = django_user_model.objects.create_user("lee", password="pw-123456789")
    rate(lesson, cards[0], "easy", NOW)
    rate(lesson, cards[1], "again", NOW)
    mine, _ = rate(lesson, cards[1], "easy", NOW, student=Student(user.pk))
    attempts_claim_anonymous(user=user, anon_id=ANON.anon_id)
    assert not FlashcardSchedule.objects.filter(anon_id=ANON.anon_id).exists()
    owned = {s.card_id: s for s in FlashcardSchedule.objects.filter(user=user)}
    assert set(owned) == {cards[0].pk, cards[1].pk}
    assert owned[cards[1].pk].pk == mine.pk and owned[cards[1].pk].state == scheduler.REVIEW


def test_the_picker_summary(lesson, cards):
    assert deck(lesson, NOW).summary == "3 new"
    rate(lesson, cards[0], "again", NOW)
    assert deck(lesson, NOW + timedelta(minutes=2)).summary == "1 card due, 2 new"
    assert flashcard_selectors.Deck(None, 4, 0, 0, None, 9).summary == "4 cards due"
    assert flashcard_selectors.Deck(None, 0, 0, 0, None, 0).summary == ""  # a lesson without cards says nothing
