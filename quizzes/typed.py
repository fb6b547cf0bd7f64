"""Grading of typed answers (the kinds in vocabulary.TYPED_KINDS): pure functions, no database.

A typed question's answers are what a student's text is matched against, never shown before
answering. Each has a credit (``fraction``, 0..1: 1 is full credit, between is partial, 0 a
known wrong answer that may link a common mistake).

* numeric: the answer's text is a number and ``tolerance`` the accepted distance either side;
  a typed number matches when ``|typed - value| <= tolerance`` (inclusive, as Moodle's
  numerical question). A number may be typed ``1539``, ``1,539``, ``1 539``, ``1.539e3``,
  ``-0.5`` or with the Unicode minus; anything else is refused as not a number (code
  NOT_A_NUMBER) and nothing is recorded.
* short: compared without regard to case, with runs of whitespace made one space. When the
  accepted answer is a shape, the typed text is read as a shape and the two compared as
  shapes: ``1000 x 7 x 7 x 512``, ``1000×7×7×512``, ``1000, 7, 7, 512``, ``(1000 x 7 x 7 x 512)``,
  ``(1000, 7, 7, 512)``, ``[1000,7,7,512]``, ``torch.Size([1000, 7, 7, 512])`` and
  ``torch.Size((1000, 7, 7, 512))`` are the same.

The matching answer with the best credit wins (the first of equals, in the authored order);
marks are its credit, correct means full credit, and no match earns 0. An answer whose text is
``vocabulary.ANY_ANSWER`` (``*``, Moodle's "any other answer": credit 0, last) matches only what no
other answer matched, so its feedback and mistake are shown for an answer nobody foresaw.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Hashable, Iterable, Sequence

from django.core.exceptions import ValidationError

from common.codes import EMPTY_ANSWER, NOT_A_NUMBER
from quizzes.grading import ONE, ZERO
from quizzes.vocabulary import ANY_ANSWER

#: The longest answer a student may type: the answer field's maxlength and Response.typed_answer's.
MAX_TYPED_LENGTH = 200
#: How many of the most common unmatched answers the item statistics list per question.
TOP_UNMATCHED = 5

# Error codes: tests and callers rely on these, not on the wording (and EMPTY_ANSWER, NOT_A_NUMBER).
ANSWER_TOO_LONG = "answer_too_long"
NO_ANSWERS = "no_answers"
NO_FULL_CREDIT = "no_full_credit"
CREDIT_OUT_OF_RANGE = "credit_out_of_range"
NEGATIVE_TOLERANCE = "negative_tolerance"
TOLERANCE_NOT_NUMERIC = "tolerance_not_numeric"
BAD_ANY_ANSWER = "bad_any_answer"

_MINUSES = str.maketrans({"\u2212": "-", "\u2013": "-"})  # the Unicode minus sign, and an en dash typed for it
# At most three exponent digits: a number beyond 1e999 is no answer, and would overflow a subtraction.
_PLAIN = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]{1,3})?")
# Digits grouped in threes by commas, spaces (also thin and no-break ones) or underscores.
_GROUPED = re.compile(r"([+-]?)([0-9]{1,3}([, _\u00a0\u202f\u2009])[0-9]{3}(?:\3[0-9]{3})*)(\.[0-9]+)?(e[+-]?[0-9]{1,3})?")
_SIZE = re.compile(r"[0-9]+")
_SIZE_CALL = re.compile(r"(?:torch\.)?size\s*\((.*)\)")  # torch.Size(...) around a list or tuple
_BRACKETS = re.compile(r"\((.*)\)|\[(.*)\]")
_TIMES = re.compile(r"\s*[x×]\s*")


def parse_number(text: str) -> Decimal:
    """The number written in `text`, or ValidationError NOT_A_NUMBER.

    Accepts a sign (the Unicode minus too), a decimal point, an exponent, and digits grouped
    in threes by commas or spaces (``1,281,167``); a comma is never a decimal point."""
    cleaned = text.strip().translate(_MINUSES).lower()
    if _PLAIN.fullmatch(cleaned):
        return Decimal(cleaned)
    grouped = _GROUPED.fullmatch(cleaned)
    if grouped:
        sign, digits, separator, decimals, exponent = grouped.groups()
        return Decimal(sign + digits.replace(separator, "") + (decimals or "") + (exponent or ""))
    raise ValidationError(
        "'%(text)s' is not a number: type digits, with a '.' for decimals (for example 1539, 1,539 or 11.7).",
        code=NOT_A_NUMBER,
        params={"text": text.strip()},
    )


def parse_shape(text: str) -> tuple[int, ...] | None:
    """The shape written in `text` as a tuple of sizes, or None when it is not a shape.

    A shape is at least two sizes joined by ``x``, ``×`` or commas, bare or in brackets
    (``8, 512, 7, 7``, ``(8 x 512 x 7 x 7)``), or sizes in brackets separated by commas, a
    trailing one allowed: ``(512,)``, ``[1000, 7, 7, 512]``; ``torch.Size(...)`` may wrap the
    brackets. Spaces anywhere between the parts are ignored; one shape does not mix ``x`` and commas."""
    cleaned = " ".join(text.strip().lower().split())
    call = _SIZE_CALL.fullmatch(cleaned)
    if call:
        cleaned = call.group(1).strip()
    brackets = _BRACKETS.fullmatch(cleaned)
    if brackets:
        cleaned = (brackets.group(1) if brackets.group(1) is not None else brackets.group(2)).strip()
    elif call:
        return None  # torch.Size takes one list or tuple
    parts = [p.strip() for p in cleaned.split(",")]
    if brackets and len(parts) > 1 and parts[-1] == "":
        parts.pop()  # a trailing comma, as in the one-dimensional (512,)
    if "," not in cleaned:
        parts = _TIMES.split(cleaned)
    if not all(_SIZE.fullmatch(p) for p in parts) or (len(parts) == 1 and not brackets):
        return None  # a bare number is not a shape
    return tuple(int(p) for p in parts)


def normalize_text(text: str) -> str:
    """Case folded, whitespace collapsed: the form short answers are compared in."""
    return " ".join(text.casefold().split())


def clean_typed(text: str) -> str:
    """What a student typed, stripped; ValidationError when it is empty or longer than MAX_TYPED_LENGTH."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise ValidationError("Type your answer first.", code=EMPTY_ANSWER)
    if len(cleaned) > MAX_TYPED_LENGTH:
        raise ValidationError(
            "Your answer is %(length)s characters long; answers are at most %(limit)s.",
            code=ANSWER_TOO_LONG,
            params={"length": len(cleaned), "limit": MAX_TYPED_LENGTH},
        )
    return cleaned


@dataclass(frozen=True)
class TypedAnswer:
    """One answer of a typed question, as grading reads it (a Choice row's id, text, fraction, tolerance)."""

    id: Hashable
    text: str
    fraction: Decimal
    tolerance: Decimal = ZERO


@dataclass(frozen=True)
class TypedGrade:
    answer_id: Hashable | None  # the answer matched, None when none did
    marks: Decimal  # 0..1
    correct: bool


def _matches(kind: str, answer: TypedAnswer, typed: str, number: Decimal | None) -> bool:
    if kind == "numeric":
        return abs(number - parse_number(answer.text)) <= answer.tolerance
    shape = parse_shape(answer.text)
    if shape is not None:
        return parse_shape(typed) == shape
    return normalize_text(typed) == normalize_text(answer.text)


def grade_typed(kind: str, answers: Sequence[TypedAnswer], typed: str) -> TypedGrade:
    """Grade what a student typed against a question's answers (see the module's docstring).

    Raises ValidationError (EMPTY_ANSWER, ANSWER_TOO_LONG, or NOT_A_NUMBER for a numeric
    question) when the text cannot be graded at all: the student is asked again."""
    typed = clean_typed(typed)
    if kind not in ("numeric", "short"):
        raise ValueError(f"{kind!r} is not a typed question kind")
    number = parse_number(typed) if kind == "numeric" else None
    best: TypedAnswer | None = None
    for answer in answers:
        if answer.text == ANY_ANSWER:
            continue
        if (best is None or answer.fraction > best.fraction) and _matches(kind, answer, typed, number):
            best = answer
    if best is None:
        best = next((a for a in answers if a.text == ANY_ANSWER), None)
    if best is None:
        return TypedGrade(None, ZERO, False)
    marks = max(ZERO, min(ONE, Decimal(best.fraction)))
    return TypedGrade(best.id, marks, marks == ONE)


def tolerance_decimal(value) -> Decimal:
    """A stored tolerance (a float field) as the exact decimal it was written as: 0.05, not 0.05000000000000000277."""
    return Decimal(repr(float(value))) if value else ZERO


def validate_answer(kind: str, number: int, text: str, fraction: Decimal, tolerance: Decimal) -> None:
    """Raise ValidationError unless answer `number` (1-based) is well formed: credit within 0..100%
    (CREDIT_OUT_OF_RANGE); numeric: its value a number (NOT_A_NUMBER) and its tolerance 0 or more
    (NEGATIVE_TOLERANCE); short: no tolerance (TOLERANCE_NOT_NUMERIC)."""
    if text == ANY_ANSWER:
        if fraction or tolerance:
            raise ValidationError(
                "Answer %(number)s is '*', any other answer: it gives no credit and has no tolerance.",
                code=BAD_ANY_ANSWER,
                params={"number": number},
            )
        return
    if not ZERO <= fraction <= ONE:
        raise ValidationError(
            "Answer %(number)s has credit %(percent)s%%; credit goes from 0%% to 100%%.",
            code=CREDIT_OUT_OF_RANGE,
            params={"number": number, "percent": f"{(fraction * 100).normalize():f}"},
        )
    if kind != "numeric":
        if tolerance:
            raise ValidationError(
                "Answer %(number)s has a tolerance; only numeric answers have one.",
                code=TOLERANCE_NOT_NUMERIC,
                params={"number": number},
            )
        return
    try:
        parse_number(text)
    except ValidationError as exc:
        raise ValidationError(
            "Answer %(number)s: %(problem)s", code=NOT_A_NUMBER, params={"number": number, "problem": " ".join(exc.messages)}
        ) from None
    if tolerance < 0:
        raise ValidationError(
            "Answer %(number)s has tolerance %(tolerance)s; a tolerance is 0 or more.",
            code=NEGATIVE_TOLERANCE,
            params={"number": number, "tolerance": tolerance},
        )


def validate_answers(kind: str, answers: Sequence[tuple[str, Decimal, Decimal]]) -> None:
    """Raise ValidationError unless these (text, fraction, tolerance) answers, in order, make a
    well-formed typed question: at least one answer (NO_ANSWERS), each well formed
    (validate_answer), one at full credit (NO_FULL_CREDIT), ANY_ANSWER only last, with no credit
    (BAD_ANY_ANSWER). Used by the admin and the loader."""
    if not answers:
        raise ValidationError("A typed-answer question needs at least one answer.", code=NO_ANSWERS)
    for number, (text, fraction, tolerance) in enumerate(answers, start=1):
        validate_answer(kind, number, text, fraction, tolerance)
        if text == ANY_ANSWER and number != len(answers):
            raise ValidationError(
                "Answer %(number)s is '*', any other answer: it comes once, after all the others.",
                code=BAD_ANY_ANSWER,
                params={"number": number},
            )
    if not any(fraction == ONE for _, fraction, _ in answers):
        raise ValidationError("No answer earns full credit: mark the right one correct (credit 100%).", code=NO_FULL_CREDIT)


def display_number(text: str) -> str:
    """A numeric answer as a reader expects it: 1539 -> 1,539; 11.7 stays 11.7; text that is not a number unchanged."""
    try:
        value = parse_number(text)
    except ValidationError:
        return text
    if value == value.to_integral_value() and abs(value) < Decimal("1e15"):
        return f"{int(value):,}"
    return f"{value:,f}" if abs(value) >= 1000 else str(value)


def answer_key(kind: str, typed: str) -> Hashable:
    """What makes two typed answers the same for counting: the number, the shape, or the normalized text."""
    if kind == "numeric":
        try:
            return parse_number(typed).normalize()
        except (ValidationError, InvalidOperation):
            pass
    return parse_shape(typed) or normalize_text(typed)


def common_answers(kind: str, typed: Iterable[str], top: int = TOP_UNMATCHED) -> list[tuple[str, int]]:
    """The `top` most common of these typed answers as (the first way it was typed, count), most
    common first; answers that are the same number, shape or text count together."""
    counts: Counter = Counter()
    first: dict[Hashable, str] = {}
    for text in typed:
        key = answer_key(kind, text)
        counts[key] += 1
        first.setdefault(key, text.strip())
    return [(first[key], count) for key, count in counts.most_common(top)]
