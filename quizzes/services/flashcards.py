"""Every write of flashcards: the lesson file's `flashcards:` section, a student's rating of a card, and anonymous
schedules carried over.

The section is a list of cards, each a `key`, a `front` and a `back`:

    flashcards:
      - key: backbone                  # stable name: a reload updates the card in place
        front: What is a *backbone*?   # Markdown
        back: The pre-trained layers that turn an image into features.
        sheet: true                    # optional: listed on the summary sheet's numbers and formulas

Cards are matched by `key` and updated in place, so students' schedules survive a reload.
A card dropped from the file is deleted, unless a student has rated it: then it is marked
inactive and keeps their schedule.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from courses.models import Course, Lesson
from courses.yamlnodes import Node
from quizzes import scheduler
from quizzes.content import DUPLICATE_KEY, stable_key
from quizzes.identity import Student
from quizzes.models import Flashcard, FlashcardSchedule
from quizzes.selectors.flashcards import card_scope

UNKNOWN_CARD = "unknown_card"


def _locked_schedule(*, student: Student, card: Flashcard, now) -> FlashcardSchedule:
    """The student's schedule of the card under a row lock, created (new, due now) at its first rating."""
    existing = FlashcardSchedule.objects.select_for_update().filter(card=card, **student.owner_filter()).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():  # a savepoint: a concurrent first rating may win the unique constraint
            return FlashcardSchedule.objects.create(card=card, introduced_at=now, due_at=now, **student.owner_fields())
    except IntegrityError:
        return FlashcardSchedule.objects.select_for_update().get(card=card, **student.owner_filter())


@transaction.atomic
def flashcard_rate(
    *,
    student: Student,
    card_id: int,
    rating: scheduler.Rating,
    seen_reviews: int,
    now=None,
    lesson: Lesson | None = None,
    course: Course | None = None,
) -> tuple[FlashcardSchedule, bool]:
    """Rate one of the deck's cards (the lesson's, or the course's) for the student, who saw it after
    `seen_reviews` ratings.

    Returns (schedule, rated). When the schedule already holds more ratings than the student
    saw (a double click, a resent form), nothing changes and rated is False. Raises
    ValidationError(code=UNKNOWN_CARD) for a card that is not one of the deck's active cards.
    """
    card = Flashcard.objects.filter(pk=card_id, active=True, **card_scope(lesson=lesson, course=course)).first()
    if card is None:
        where = "course" if course is not None else "lesson"
        raise ValidationError(f"That card is not one of this {where}'s flashcards.", code=UNKNOWN_CARD)
    now = now or timezone.now()
    schedule = _locked_schedule(student=student, card=card, now=now)
    if schedule.reviews != seen_reviews:
        return schedule, False
    schedule.remember(scheduler.review(schedule.memory(), rating, now))
    schedule.reviews += 1
    schedule.save()
    return schedule, True


def schedules_claim_anonymous(*, user, anon_id: str) -> None:
    """Give an anonymous student's card schedules to their account; the account's own
    schedule of a card wins. Runs inside the caller's transaction."""
    have = FlashcardSchedule.objects.filter(user=user).values_list("card_id", flat=True)
    anon = FlashcardSchedule.objects.filter(user__isnull=True, anon_id=anon_id)
    anon.filter(card_id__in=list(have)).delete()
    anon.update(user=user, anon_id="")


@dataclass
class ParsedCard:
    key: str
    front: str
    back: str
    on_sheet: bool = False


def validate_flashcards(node: Node) -> list[ParsedCard]:
    cards: list[ParsedCard] = []
    seen: dict[str, int] = {}
    for item in node.items():
        f = item.mapping({"key", "front", "back", "sheet"}, {"key", "front", "back"})
        key = stable_key(f["key"])
        if key in seen:
            raise f["key"].error(f"key '{key}' is already used by the card on line {seen[key]}", DUPLICATE_KEY)
        seen[key] = item.line
        on_sheet = f["sheet"].boolean() if "sheet" in f else False
        cards.append(ParsedCard(key=key, front=f["front"].text(), back=f["back"].text(), on_sheet=on_sheet))
    return cards


def save_flashcards(lesson: Lesson, cards: list[ParsedCard]) -> None:
    """Write the section (inside the loader's transaction)."""
    for position, card in enumerate(cards, start=1):
        Flashcard.objects.update_or_create(
            lesson=lesson,
            key=card.key,
            defaults={"position": position, "front": card.front, "back": card.back, "on_sheet": card.on_sheet, "active": True},
        )
    gone = Flashcard.objects.filter(lesson=lesson).exclude(key__in=[c.key for c in cards])
    gone.filter(schedules__isnull=False).update(active=False)
    gone.filter(schedules__isnull=True).delete()
