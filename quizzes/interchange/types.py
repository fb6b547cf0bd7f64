"""Plain data types shared by the question interchange formats (GIFT, Aiken), and the rules a question obeys.

These dataclasses are the contract between the parsers/writers in this package and
the rest of the site: nothing here touches Django models or the database. A problem with
one question is a `Problem` (a stable `code`, a message for people, the line); a file that
cannot be read at all raises ValidationError (see `text.py` and `upload.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from common.codes import EMPTY_ANSWER, NOT_A_NUMBER
from quizzes.vocabulary import ANY_ANSWER, TYPED_KINDS

__all__ = [
    "ANY_ANSWER",
    "ChoiceData",
    "QuestionData",
    "Problem",
    "ImportResult",
    "number_text",
    "parse_number",
    "validate_question",
]

# Problem codes of the rules every imported question must satisfy (validate_question), EMPTY_ANSWER too.
BAD_WEIGHT = "bad_weight"
NO_CORRECT_ANSWER = "no_correct_answer"
FRACTIONS_SUM = "fractions_sum"
BAD_TRUEFALSE = "bad_truefalse"
BAD_KIND = "bad_kind"
TOO_FEW_ANSWERS = "too_few_answers"
# ... and of the typed kinds (numeric, short), NOT_A_NUMBER too.
BAD_TOLERANCE = "bad_tolerance"
BAD_CREDIT = "bad_credit"
BAD_ANY_ANSWER = "bad_any_answer"

# A number as PHP's is_numeric reads one (Moodle's test for a numerical answer): sign, digits with an
# optional point, optional exponent. No thousands separators, no decimal comma, no inf/nan.
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# A float's range: Choice.tolerance is a float and typed numbers are compared as floats.
_LARGEST_EXPONENT = 308


@dataclass
class ChoiceData:
    """One answer choice of a question."""

    text: str  # Markdown; kind "numeric": the number (`number_text`) or ANY_ANSWER
    fraction: Decimal  # credit, -1..1 (GIFT's %N% / 100); 1 for "=" in a single-answer question
    feedback: str = ""  # per-choice feedback (Markdown)
    tolerance: Decimal = Decimal(0)  # kind "numeric": an answer this close to the number matches


@dataclass
class QuestionData:
    """A question as the interchange formats see it.

    * ``kind="single"``: choices with fraction 1 are correct (partial credit allowed on others).
    * ``kind="multiple"``: the positive fractions sum to 1.
    * ``kind="truefalse"``: exactly two choices, ``"True"`` then ``"False"``, fractions 1/0
      (or 0/1); GIFT's true/false feedback sits on the respective choice.
    * ``kind="numeric"``: the choices are the accepted answers: ``text`` the number in canonical
      form (``number_text``: "1822", "3.1415"), ``tolerance`` the distance either side that still
      matches, ``fraction`` the credit 0..1 (0 = a known wrong answer, for its feedback); at least
      one gives full credit. ``ANY_ANSWER`` (once, last, credit 0) is Moodle's "any other answer".
    * ``kind="short"``: the choices are the accepted answers (text), credits and ``ANY_ANSWER`` as for numeric.

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


def parse_number(text: str) -> Decimal | None:
    """The number `text` writes (``"1822"``, ``"-3.1415"``, ``"1.5e3"``), or None when it is not one
    (as Moodle's is_numeric, without surrounding space) or lies outside a float's range."""
    if not _NUMBER_RE.fullmatch(text):
        return None
    value = Decimal(text)
    if value and abs(value.adjusted()) > _LARGEST_EXPONENT:
        return None
    return value


def number_text(value: Decimal) -> str:
    """A number in canonical form: no exponent, no trailing zeros, no sign on zero (1.50E+3 -> "1500")."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def _choice_problem(question: QuestionData) -> tuple[str, str] | None:
    """Check the credit rules of the choice kinds; return ``(code, message)`` or None."""
    for choice in question.choices:
        if not (Decimal(-1) <= choice.fraction <= Decimal(1)):
            return BAD_WEIGHT, f"a choice's credit {choice.fraction * 100}% is outside -100%..100%"
        if choice.tolerance != 0:
            return BAD_TOLERANCE, f"the choice {choice.text[:40]!r} has a tolerance; only numeric answers have one"
    if question.kind == "single":
        if not any(c.fraction == 1 for c in question.choices):
            return NO_CORRECT_ANSWER, "no choice gives full credit"
    elif question.kind == "multiple":
        positive = sum((c.fraction for c in question.choices if c.fraction > 0), Decimal(0))
        if positive == 0:
            return NO_CORRECT_ANSWER, "no choice gives positive credit"
        if abs(positive - 1) > Decimal("0.01"):
            return (FRACTIONS_SUM, f"the positive credits of a multiple-answer question sum to {positive * 100}%, not 100%")
    elif question.kind == "truefalse":
        if [c.text for c in question.choices] != ["True", "False"] or sorted(c.fraction for c in question.choices) != [0, 1]:
            return BAD_TRUEFALSE, "a true/false question needs choices True/False, one of them correct"
    else:
        return BAD_KIND, f"unknown question kind {question.kind!r}"
    if question.kind != "truefalse" and len(question.choices) < 2:
        return TOO_FEW_ANSWERS, "a multiple-choice question needs at least two choices"
    return None


def _answer_problem(kind: str, number: int, choice: ChoiceData) -> tuple[str, str] | None:
    """Check one answer of a typed question (`number` counts from 1); return ``(code, message)`` or None."""
    name = f"answer {number} ({choice.text[:40]!r})"
    if not choice.text.strip():
        return EMPTY_ANSWER, f"answer {number} is empty"
    if not (Decimal(0) <= choice.fraction <= Decimal(1)):
        return BAD_CREDIT, f"{name} has credit {(choice.fraction * 100).normalize():f}%; credits go from 0% to 100%"
    if not choice.tolerance.is_finite() or choice.tolerance < 0:
        return BAD_TOLERANCE, f"{name} has tolerance {choice.tolerance}; a tolerance is a number, 0 or more"
    if kind == "short" and choice.tolerance != 0:
        return BAD_TOLERANCE, f"{name} has a tolerance; a short answer is matched as text"
    if choice.text == ANY_ANSWER:
        if choice.fraction != 0 or choice.tolerance != 0:
            return BAD_ANY_ANSWER, f"{name}: the answer '*' (any other answer) gives no credit and has no tolerance"
    elif kind == "numeric" and parse_number(choice.text) is None:
        return NOT_A_NUMBER, f"{name} is not a number (write it as 1822, -3.5 or 1.5e3)"
    return None


def _typed_problem(question: QuestionData) -> tuple[str, str] | None:
    """Check the answers of a numeric or short-answer question; return ``(code, message)`` or None."""
    if not question.choices:
        return EMPTY_ANSWER, "the question has no answer"
    for number, choice in enumerate(question.choices, start=1):
        found = _answer_problem(question.kind, number, choice)
        if found:
            return found
    texts = [c.text for c in question.choices]
    if ANY_ANSWER in texts[:-1]:
        return BAD_ANY_ANSWER, "the answer '*' (any other answer) comes once, after all the others"
    if not any(c.fraction == 1 for c in question.choices):
        return NO_CORRECT_ANSWER, "no answer gives full credit"
    return None


def validate_question(question: QuestionData) -> list[Problem]:
    """The rules an imported question must satisfy (empty list = valid)."""
    if question.kind in TYPED_KINDS:
        found = _typed_problem(question)
    else:
        found = _choice_problem(question)
    if found is None:
        return []
    return [Problem(line=question.line, message=found[1], code=found[0])]
