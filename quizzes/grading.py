"""Grading and the rules a question's choices must follow: pure functions, no database.

Weights follow Moodle: each choice carries a fraction of the marks from -1 to 1. A single
answer (or true/false) question has exactly one choice at 1; a multiple answer question's
positive fractions sum to 1, and its wrong choices usually carry negative fractions so that
ticking everything does not earn full marks. A response's marks are the sum of the chosen
fractions, floored at 0 and capped at 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Mapping

from django.core.exceptions import ValidationError

from quizzes.vocabulary import KINDS

ONE = Decimal("1")
ZERO = Decimal("0")
# Fractions such as 1/3 are stored rounded; sums this close to 100% count as 100%.
TOLERANCE = Decimal("0.0001")

# Error codes: tests and callers rely on these, not on the wording.
TOO_FEW_CHOICES = "too_few_choices"
TRUEFALSE_TWO_CHOICES = "truefalse_two_choices"
WEIGHT_OUT_OF_RANGE = "weight_out_of_range"
SINGLE_NEEDS_ONE_CORRECT = "single_needs_one_correct"
SINGLE_CORRECT_IS_FULL = "single_correct_is_full"
MULTIPLE_NEEDS_CORRECT = "multiple_needs_correct"
WEIGHTS_NOT_100 = "weights_not_100"
UNKNOWN_KIND = "unknown_kind"


@dataclass(frozen=True)
class Grade:
    marks: Decimal  # 0..1
    correct: bool


def _clamp(value: Decimal) -> Decimal:
    value = max(ZERO, min(ONE, value))
    return ONE if ONE - value <= TOLERANCE else value


def grade(kind: str, fractions: Mapping[object, Decimal], chosen: Iterable[object]) -> Grade:
    """Grade a response. `fractions` maps every choice id to its weight; `chosen` lists the
    ids picked. Unknown ids earn nothing; a single-answer response with several picks earns 0."""
    picked = set(chosen)
    if kind in ("single", "truefalse"):
        if len(picked) != 1:
            return Grade(ZERO, False)
        (choice,) = picked
        marks = _clamp(Decimal(fractions.get(choice, ZERO)))
    elif kind == "multiple":
        if not picked:
            return Grade(ZERO, False)
        marks = _clamp(sum((Decimal(fractions.get(c, ZERO)) for c in picked), ZERO))
    else:
        raise ValueError(f"unknown question kind {kind!r}")
    return Grade(marks, marks == ONE)


def validate_choices(kind: str, fractions: list[Decimal]) -> None:
    """Raise ValidationError (with one of the codes above) unless these choice weights,
    in order, make a well-formed question of this kind. Used by the admin and the loader."""
    if kind not in KINDS:
        raise ValidationError("Unknown question kind %(kind)s.", code=UNKNOWN_KIND, params={"kind": kind})
    if len(fractions) < 2:
        raise ValidationError("A question needs at least two choices.", code=TOO_FEW_CHOICES)
    if kind == "truefalse" and len(fractions) != 2:
        raise ValidationError("A true/false question has exactly two choices.", code=TRUEFALSE_TWO_CHOICES)
    for number, value in enumerate(fractions, start=1):
        if not (-ONE <= value <= ONE):
            raise ValidationError(
                "Choice %(number)s has weight %(percent)s%%; weights go from -100%% to 100%%.",
                code=WEIGHT_OUT_OF_RANGE,
                params={"number": number, "percent": value * 100},
            )
    correct = [v for v in fractions if v > 0]
    if kind in ("single", "truefalse"):
        if len(correct) != 1:
            raise ValidationError(
                "A single-answer question needs exactly one correct choice; this one has %(count)s.",
                code=SINGLE_NEEDS_ONE_CORRECT,
                params={"count": len(correct)},
            )
        if abs(correct[0] - ONE) > TOLERANCE:
            raise ValidationError("The correct choice of a single-answer question is worth 100%.", code=SINGLE_CORRECT_IS_FULL)
    else:
        if not correct:
            raise ValidationError("A multiple-answer question needs at least one correct choice.", code=MULTIPLE_NEEDS_CORRECT)
        total = sum(correct, ZERO)
        if abs(total - ONE) > TOLERANCE:
            raise ValidationError(
                "The correct choices' weights add up to %(percent)s%%; they must add up to 100%%.",
                code=WEIGHTS_NOT_100,
                params={"percent": (total * 100).normalize()},
            )


def letter(index: int) -> str:
    """The letter of the choice shown at 0-based position `index`: A, B, ..., Z, AA, AB..."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


LETTER_REFERENCE = "letter_reference"
# "Option B", "choices C and D", "answer (A)", "= B": a letter typed into text. Letters are
# derived from the order a student sees, so text must name the choice by its content.
_LETTER_REF = re.compile(r"(?:\b(?:[Oo]ptions?|[Cc]hoices?|[Aa]nswers?)\s+\(?[A-H]\)?(?![\w'])|=\s*\(?[A-H]\)?(?![\w'(]))")


def find_letter_reference(text: str) -> str | None:
    """The first place where `text` names a choice by letter, or None."""
    match = _LETTER_REF.search(text or "")
    return match.group(0) if match else None


def validate_no_letter_reference(text: str) -> None:
    found = find_letter_reference(text)
    if found:
        raise ValidationError(
            "Refers to a choice by letter (%(found)s); letters follow the order each student "
            "sees, so name the choice by its content instead.",
            code=LETTER_REFERENCE,
            params={"found": found.strip()},
        )
