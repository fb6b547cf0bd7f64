"""Reads of flashcards: the card a student sees next, a card turned over, how many are due.

A deck is one lesson's cards, or with `course=` those of every published lesson of a course (in
the lessons' order): the course-wide deck is the same cards with the same schedules, so a card
rated there is rated in its lesson too, and the daily limit of new cards counts the whole deck.

Each read is two queries (the lesson's cards, the student's schedules of them) whatever the
number of cards: a lesson's deck is small, so the choosing is done in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.http import Http404
from django.utils import timezone

from courses.models import Course, Lesson
from quizzes import scheduler
from quizzes.identity import Student
from quizzes.models import Flashcard, FlashcardSchedule

NEW_PER_DAY = 20  # new cards a student starts per lesson and day (Anki's default)
# When nothing is due, a card due within this long is shown early (Anki's learn-ahead limit),
# so a card just missed comes back within the same sitting.
LEARN_AHEAD = timedelta(minutes=20)


@dataclass
class Deck:
    """One student's flashcards of one lesson at one moment."""

    card: Flashcard | None  # the card to show now; None when nothing is due
    due: int  # started cards due now
    new: int  # new cards the student may still start today
    new_waiting: int  # new cards held back until tomorrow by the daily limit
    next_due_at: datetime | None  # when nothing is shown: when the next started card falls due
    total: int  # the lesson's cards

    @property
    def summary(self) -> str:
        """A few words for the lesson's mode picker."""
        if not self.total:
            return ""
        counts = []
        if self.due:
            counts.append(f"{self.due} card{'s' if self.due != 1 else ''} due")
        if self.new:
            counts.append(f"{self.new} new")
        return ", ".join(counts) or "Nothing due"


@dataclass
class Turned:
    """A card turned over: both faces, and when each rating would bring it back."""

    card: Flashcard
    reviews: int  # the ratings it has had, posted back to catch a second submit
    due_by_rating: dict[str, datetime]  # form value ("again", ...) -> when it would be due


def card_scope(*, lesson: Lesson | None = None, course: Course | None = None) -> dict:
    """The filter of a deck's cards: the lesson's, or the course's published lessons' (`course` given)."""
    if course is not None:
        return {"lesson__course": course, "lesson__published": True}
    return {"lesson": lesson}


def _cards_and_schedules(*, student: Student, scope: dict) -> tuple[list[Flashcard], dict[int, FlashcardSchedule]]:
    cards = list(Flashcard.objects.filter(active=True, **scope).order_by("lesson__position", "lesson__title", "position", "id"))
    if not student.known:
        return cards, {}
    schedules = FlashcardSchedule.objects.filter(
        card__active=True, **{f"card__{k}": v for k, v in scope.items()}, **student.owner_filter()
    )
    return cards, {s.card_id: s for s in schedules}


def flashcard_deck(*, student: Student, now: datetime, lesson: Lesson | None = None, course: Course | None = None) -> Deck:
    """The card to show: the longest overdue started card, else the next new card (in the
    lesson's order, within today's new-card limit), else a card due within LEARN_AHEAD.
    A day starts at midnight in the site's time zone."""
    cards, schedules = _cards_and_schedules(student=student, scope=card_scope(lesson=lesson, course=course))
    by_id = {c.id: c for c in cards}
    order = {c.id: i for i, c in enumerate(cards)}
    started = sorted(schedules.values(), key=lambda s: (s.due_at, order[s.card_id], s.card_id))
    due = [s for s in started if s.due_at <= now]
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    introduced_today = sum(1 for s in schedules.values() if s.introduced_at >= midnight)
    unseen = [c for c in cards if c.id not in schedules]
    new = min(len(unseen), max(0, NEW_PER_DAY - introduced_today))
    if due:
        card = by_id[due[0].card_id]
    elif new:
        card = unseen[0]
    elif started and started[0].due_at <= now + LEARN_AHEAD:
        card = by_id[started[0].card_id]
    else:
        card = None
    return Deck(
        card=card,
        due=len(due),
        new=new,
        new_waiting=len(unseen) - new,
        next_due_at=started[0].due_at if started and card is None else None,
        total=len(cards),
    )


def flashcard_turned(
    *, student: Student, card_id: int, now: datetime, lesson: Lesson | None = None, course: Course | None = None
) -> Turned:
    """One of the deck's active cards turned over for the student, or 404."""
    card = Flashcard.objects.filter(pk=card_id, active=True, **card_scope(lesson=lesson, course=course)).first()
    if card is None:
        raise Http404("No such flashcard in this lesson.")
    schedule = FlashcardSchedule.objects.filter(card=card, **student.owner_filter()).first() if student.known else None
    memory = schedule.memory() if schedule else scheduler.Memory()
    due = scheduler.preview(memory, now)
    return Turned(card, schedule.reviews if schedule else 0, {name: due[r] for name, r in scheduler.RATINGS.items()})
