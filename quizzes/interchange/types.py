"""Plain data types shared by the question interchange formats (GIFT, Aiken).

These dataclasses are the contract between the parsers/writers in this package and
the rest of the site: nothing here touches Django models or the database.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

__all__ = [
    "KINDS",
    "DIFFICULTIES",
    "ChoiceData",
    "QuestionData",
    "Problem",
    "ImportResult",
    "InterchangeError",
    "validate_question",
]

#: Question kinds the site supports.
KINDS = ("single", "multiple", "truefalse")
#: Difficulty labels (``""`` = not set).
DIFFICULTIES = ("easy", "medium", "hard")


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


class InterchangeError(Exception):
    """The input as a whole cannot be read (e.g. an upload that is not text)."""

    def __init__(self, code: str, message: str, line: int = 0):
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line

    def __str__(self) -> str:  # pragma: no cover - trivial
        return f"{self.message} [{self.code}]"


def _fraction_problem(question: QuestionData) -> tuple[str, str] | None:
    """Check the credit rules every kind must satisfy; return ``(code, message)`` or None."""
    for choice in question.choices:
        if not (Decimal(-1) <= choice.fraction <= Decimal(1)):
            return "bad_weight", f"a choice's credit {choice.fraction * 100}% is outside -100%..100%"
    if question.kind == "single":
        if not any(c.fraction == 1 for c in question.choices):
            return "no_correct_answer", "no choice gives full credit"
    elif question.kind == "multiple":
        positive = sum((c.fraction for c in question.choices if c.fraction > 0), Decimal(0))
        if positive == 0:
            return "no_correct_answer", "no choice gives positive credit"
        if abs(positive - 1) > Decimal("0.01"):
            return (
                "fractions_sum",
                f"the positive credits of a multiple-answer question sum to {positive * 100}%, not 100%",
            )
    elif question.kind == "truefalse":
        if [c.text for c in question.choices] != ["True", "False"] or sorted(
            c.fraction for c in question.choices
        ) != [0, 1]:
            return "bad_truefalse", "a true/false question needs choices True/False, one of them correct"
    else:
        return "bad_kind", f"unknown question kind {question.kind!r}"
    if question.kind != "truefalse" and len(question.choices) < 2:
        return "too_few_answers", "a multiple-choice question needs at least two choices"
    return None


def validate_question(question: QuestionData) -> list[Problem]:
    """The rules an imported question must satisfy (empty list = valid)."""
    found = _fraction_problem(question)
    if found is None:
        return []
    return [Problem(line=question.line, message=found[1], code=found[0])]
