"""The one service that saves a question: the lesson loader, the admin and GIFT/Aiken import all call `question_save`.

What a student sees or how an answer is marked (`QuestionContent`: kind, stem, quick check, choices
or typed answers with their order, weights, feedback, tolerances and linked mistakes, worked
steps, hints, mistakes) is never changed on a stored row. A save whose content differs from the
current version's makes a new version: a new Question row with new parts, `version` one more,
the old row kept as it was (no longer current, so not asked) for the attempts that showed it.
A save with the same content makes none. Where the question is asked (`QuestionPlace`: role,
position, difficulty, active) is changed on the current version in place. A student's review
deck follows the question to its new version.

Each choice of a new version carries the lineage of the choice it continues, which regrade uses
to find a learner's answer in the latest version: given by the admin (the row edited), else the
previous version's choice with the same text, else (a reworded choice) the previous version's
unmatched choices in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Max

from courses.models import Lesson
from courses.numbered import numbered_create
from quizzes.models import Choice, Difficulty, Hint, Mistake, Question, ReviewItem, Role, SolutionStep

_PLACES = Decimal("0.0000001")  # Choice.fraction has 7 decimal places

# What question_save did.
CREATED = "created"
NEW_VERSION = "new_version"
UNCHANGED = "unchanged"


@dataclass(frozen=True)
class ChoiceContent:
    text: str
    fraction: Decimal
    feedback: str = ""
    tolerance: float = 0.0
    mistake: int | None = None  # 1-based number in QuestionContent.mistakes
    # The lineage of the stored choice this one continues (the admin knows the row); None: matched.
    lineage: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class QuestionContent:
    """Everything of a question that a student sees or that marks an answer."""

    kind: str
    stem: str
    quick_check: str = ""
    choices: tuple[ChoiceContent, ...] = ()
    steps: tuple[tuple[str, str], ...] = ()
    hints: tuple[str, ...] = ()
    mistakes: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuestionPlace:
    """Where a question is asked; changed in place, never a new version."""

    role: str = Role.PRACTICE
    position: int = 0
    difficulty: str = Difficulty.MEDIUM
    active: bool = True


@dataclass(frozen=True)
class Saved:
    question: Question  # the current version after the save
    outcome: str  # CREATED, NEW_VERSION or UNCHANGED


def _text(value: str) -> str:
    # A browser's textarea sends CRLF and forms strip: neither is a change an author made.
    return value.replace("\r\n", "\n").strip()


def _compared(content: QuestionContent) -> tuple:
    """The content as compared between versions: texts normalised, numbers as numbers."""
    return (
        content.kind,
        _text(content.stem),
        _text(content.quick_check),
        tuple(
            (_text(c.text), Decimal(c.fraction).quantize(_PLACES), _text(c.feedback), float(c.tolerance), c.mistake)
            for c in content.choices
        ),
        tuple((_text(t), _text(b)) for t, b in content.steps),
        tuple(_text(h) for h in content.hints),
        tuple(_text(m) for m in content.mistakes),
    )


def question_content(question: Question) -> QuestionContent:
    """A stored version's content (its choices carry their lineage)."""
    mistakes = list(question.mistakes.order_by("position", "id"))
    number = {m.id: i for i, m in enumerate(mistakes, start=1)}
    return QuestionContent(
        kind=question.kind,
        stem=question.stem,
        quick_check=question.quick_check,
        choices=tuple(
            ChoiceContent(
                text=c.text,
                fraction=c.fraction,
                feedback=c.feedback,
                tolerance=c.tolerance,
                mistake=number.get(c.mistake_id),
                lineage=c.lineage_id,
            )
            for c in question.choices.order_by("position", "id")
        ),
        steps=tuple((s.title, s.body) for s in question.steps.order_by("position", "id")),
        hints=tuple(h.text for h in question.hints.order_by("position", "id")),
        mistakes=tuple(m.text for m in mistakes),
    )


def _lineages(choices: tuple[ChoiceContent, ...], previous: list[Choice]) -> list[int | None]:
    """Each new choice's lineage: given, else the same text, else the unmatched previous ones in order."""
    known = {p.lineage_id for p in previous}
    out = [c.lineage if c.lineage in known else None for c in choices]
    free = [p for p in previous if p.lineage_id not in set(out)]
    for i, choice in enumerate(choices):
        if out[i] is None:
            same = next((p for p in free if _text(p.text) == _text(choice.text)), None)
            if same is not None:
                out[i] = same.lineage_id
                free.remove(same)
    for i in range(len(choices)):
        if out[i] is None and free:
            out[i] = free.pop(0).lineage_id
    return out


def _write_parts(question: Question, content: QuestionContent, previous: list[Choice]) -> None:
    numbered_create(SolutionStep, [{"title": t, "body": b} for t, b in content.steps], question=question)
    numbered_create(Hint, [{"text": h} for h in content.hints], question=question)
    mistakes = numbered_create(Mistake, [{"text": m} for m in content.mistakes], question=question)
    lineages = _lineages(content.choices, previous)
    numbered_create(
        Choice,
        [
            {
                "text": c.text,
                "fraction": Decimal(c.fraction).quantize(_PLACES),
                "feedback": c.feedback,
                "tolerance": float(c.tolerance),
                "mistake": mistakes[c.mistake - 1] if c.mistake else None,
                "lineage": lineage,
            }
            for c, lineage in zip(content.choices, lineages, strict=True)
        ],
        question=question,
    )


def current_version(*, lesson: Lesson, key: str) -> Question | None:
    return Question.objects.filter(lesson=lesson, key=key, current=True).first()


@transaction.atomic
def question_save(
    *, lesson: Lesson, key: str, content: QuestionContent, place: QuestionPlace, source: str, source_file: str = ""
) -> Saved:
    """Save the question `key` of `lesson` as `content`, asked at `place`: a first version, a new
    version (the content differs from the current one's), or the place alone (UNCHANGED).
    The caller has checked the content (grading's and typed's rules) and who owns the key."""
    current = Question.objects.select_for_update().filter(lesson=lesson, key=key, current=True).first()
    placed = {"role": place.role, "position": place.position, "difficulty": place.difficulty, "active": place.active}
    if current is not None and _compared(question_content(current)) == _compared(content):
        changed = [name for name, value in placed.items() if getattr(current, name) != value]
        if source_file and current.source_file != source_file:
            current.source_file = source_file
            changed.append("source_file")
        for name in changed:
            setattr(current, name, placed.get(name, getattr(current, name)))
        if changed:
            current.save(update_fields=changed)
        return Saved(current, UNCHANGED)
    previous: list[Choice] = []
    # after all its versions: a key whose current version was deleted starts after the ones kept
    version = (Question.objects.filter(lesson=lesson, key=key).aggregate(n=Max("version"))["n"] or 0) + 1
    if current is not None:
        previous = list(current.choices.order_by("position", "id"))
        source, source_file = current.source, source_file or current.source_file
        Question.objects.filter(pk=current.pk).update(current=False, active=False)
    question = Question.objects.create(
        lesson=lesson,
        key=key,
        version=version,
        current=True,
        source=source,
        source_file=source_file,
        kind=content.kind,
        stem=content.stem,
        quick_check=content.quick_check,
        **placed,
    )
    _write_parts(question, content, previous)
    if current is not None:
        ReviewItem.objects.filter(question=current).update(question=question)
    return Saved(question, NEW_VERSION if current is not None else CREATED)


@transaction.atomic
def question_retire(question: Question) -> None:
    """Take a question out of its lesson: deleted with all its versions when nobody answered any,
    else its current version made inactive (its history kept)."""
    versions = Question.objects.filter(lesson=question.lesson_id, key=question.key)
    if versions.filter(responses__isnull=False).exists():
        versions.filter(current=True).update(active=False)
    else:
        versions.delete()
