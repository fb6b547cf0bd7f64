"""Plain data types shared by the question interchange formats (GIFT, Aiken), and the rules a question obeys.

These dataclasses are the contract between the parsers/writers in this package and
the rest of the site: nothing here touches Django models or the database. A problem with
one question is a `Problem` (a stable `code`, a message for people, the line); a file that
cannot be read at all raises ValidationError (see `text.py` and `upload.py`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

__all__ = [
    "ChoiceData",
    "QuestionData",
    "Problem",
    "ImportResult",
    "validate_question",
]

# Problem codes of the rules every imported question must satisfy (validate_question).
BAD_WEIGHT = "bad_weight"
NO_CORRECT_ANSWER = "no_correct_answer"
FRACTIONS_SUM = "fractions_sum"
BAD_TRUEFALSE = "bad_truefalse"
BAD_KIND = "bad_kind"
TOO_FEW_ANSWERS = "too_few_answers"


@dataclass
class ChoiceData:
    """One answer choice of a question."""

    text: str  # Markdown
    fraction: Decimal  # credit, -1..1 (GIFT's %N% / 100); 1 for "=" in a single-answer question
    feedback: str = ""  # per-choice feedback (Markdown)


@dataclass
class QuestionData:
    """A question as the interchange formats see it.

    * ``kind="single"``: choices with fraction 1 are correct (partial credit allowed on others).
    * ``kind="multiple"``: the positive fractions sum to 1.
    * ``kind="truefalse"``: exactly two choices, ``"True"`` then ``"False"``, fractions 1/0
      (or 0/1); GIFT's true/false feedback sits on the respective choice.

    Missing-word questions keep a blank ``_____`` in the stem where the choices were.
    """

    kind: str
    stem: str  # Markdown
    choices: list[ChoiceData]
    title: str = ""
    general_feedback: str = ""
    difficulty: str = ""  # "easy" | "medium" | "hard" | ""
    category: str = ""
    line: int = 0  # 1-based line where the question starts in the source (0 = not from a file)
    steps: list[tuple[str, str]] = field(default_factory=list)  # worked solution: (title, body)
    hints: list[str] = field(default_factory=list)
    mistakes: list[str] = field(default_factory=list)
    quick_check: str = ""


@dataclass
class Problem:
    """Something in the source that was not imported; ``code`` is stable, ``message`` is for people."""

    line: int
    message: str
    code: str


@dataclass
class ImportResult:
    questions: list[QuestionData] = field(default_factory=list)
    unsupported: list[Problem] = field(default_factory=list)  # code = the GIFT type name
    errors: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _fraction_problem(question: QuestionData) -> tuple[str, str] | None:
    """Check the credit rules every kind must satisfy; return ``(code, message)`` or None."""
    for choice in question.choices:
        if not (Decimal(-1) <= choice.fraction <= Decimal(1)):
            return BAD_WEIGHT, f"a choice's credit {choice.fraction * 100}% is outside -100%..100%"
    if question.kind == "single":
        if not any(c.fraction == 1 for c in question.choices):
            return NO_CORRECT_ANSWER, "no choice gives full credit"
    elif question.kind == "multiple":
        positive = sum((c.fraction for c in question.choices if c.fraction > 0), Decimal(0))
        if positive == 0:
            return NO_CORRECT_ANSWER, "no choice gives positive credit"
        if abs(positive - 1) > Decimal("0.01"):
            return (
                FRACTIONS_SUM,
                f"the positive credits of a multiple-answer question sum to {positive * 100}%, not 100%",
            )
    elif question.kind == "truefalse":
        if [c.text for c in question.choices] != ["True", "False"] or sorted(
            c.fraction for c in question.choices
        ) != [0, 1]:
            return BAD_TRUEFALSE, "a true/false question needs choices True/False, one of them correct"
    else:
        return BAD_KIND, f"unknown question kind {question.kind!r}"
    if question.kind != "truefalse" and len(question.choices) < 2:
        return TOO_FEW_ANSWERS, "a multiple-choice question needs at least two choices"
    return None


def validate_question(question: QuestionData) -> list[Problem]:
    """The rules an imported question must satisfy (empty list = valid)."""
    found = _fraction_problem(question)
    if found is None:
        return []
    return [Problem(line=question.line, message=found[1], code=found[0])]
