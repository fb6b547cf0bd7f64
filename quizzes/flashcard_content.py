"""The `flashcards:` section of a lesson file: a list of cards, each a `key`, a `front` and a `back`.

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

from courses.models import Lesson
from courses.yamlnodes import Node
from quizzes.content import DUPLICATE_KEY, stable_key
from quizzes.models import Flashcard


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
            lesson=lesson, key=card.key,
            defaults={"position": position, "front": card.front, "back": card.back, "on_sheet": card.on_sheet,
                      "active": True},
        )
    gone = Flashcard.objects.filter(lesson=lesson).exclude(key__in=[c.key for c in cards])
    gone.filter(schedules__isnull=False).update(active=False)
    gone.filter(schedules__isnull=True).delete()
