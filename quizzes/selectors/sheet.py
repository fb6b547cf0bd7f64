"""The summary sheet of a lesson, read from its content: the pipeline with its shapes, the key
insight, the numbers and formulas, and every common mistake of its questions with the correction."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch

from courses.models import Lesson
from quizzes.models import Choice, Flashcard, Mistake


@dataclass(frozen=True)
class SheetMistake:
    text: str
    correction: str  # Markdown
    question_key: str


@dataclass(frozen=True)
class Sheet:
    lesson: Lesson  # with its stages and epochs prefetched (courses.selectors.lesson_get_for_page)
    facts: list[Flashcard]  # the cards marked `sheet: true`: the numbers and formulas
    mistakes: list[SheetMistake]

    @property
    def trace(self) -> tuple | None:
        """The illustrative training trace's first and last epochs, or None without one."""
        epochs = list(self.lesson.epochs.all())
        return (epochs[0], epochs[-1]) if len(epochs) > 1 else None


def mistake_correction(mistake: Mistake) -> str:
    """What the question teaches against a common mistake, from its authored content alone: the
    feedback of the wrong choices that show the mistake, in their order; where no choice shows
    it, the question's quick check. "" when the question has neither.

    Expects `mistake.question` and `mistake.choices` (ordered) loaded, as lesson_sheet does."""
    feedback = [c.feedback for c in mistake.choices.all() if not c.is_correct and c.feedback.strip()]
    if feedback:
        return "\n\n".join(dict.fromkeys(feedback))
    return mistake.question.quick_check


def lesson_sheet(*, lesson: Lesson) -> Sheet:
    """The sheet of a lesson read with its stages and epochs: 3 queries more, whatever its size.

    Mistakes come in the order of their questions (the model quiz, then the practice bank),
    those of inactive questions left out."""
    facts = list(Flashcard.objects.filter(lesson=lesson, active=True, on_sheet=True))
    mistakes = (
        Mistake.objects.filter(question__lesson=lesson, question__active=True)
        .select_related("question")
        .prefetch_related(Prefetch("choices", queryset=Choice.objects.order_by("position", "id")))
        .order_by("-question__role", "question__position", "question__id", "position", "id")
    )
    return Sheet(
        lesson=lesson, facts=facts, mistakes=[SheetMistake(m.text, mistake_correction(m), m.question.key) for m in mistakes]
    )
