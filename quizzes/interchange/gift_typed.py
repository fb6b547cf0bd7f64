r"""GIFT's numerical and short-answer blocks, read and written the way Moodle's GIFT format does.

Moodle's ``question/format/gift/format.php``, cases ``numerical`` and ``shortanswer`` of readquestion
and writequestion, is followed rule by rule:

* Numerical (the block starts with ``#``): everything from the first ``~`` on is the feedback for any
  other answer (Moodle's answer ``*``, credit 0; the text between ``~`` and ``#`` is ignored). The rest
  is split at every ``=``; text before the first ``=`` is an answer too. Each answer is ``%N%`` (credit,
  default 100%), then ``min..max`` (the midpoint, with half the width as tolerance), or
  ``value:tolerance``, or ``value`` (tolerance 0), then ``#feedback``.
* Short answer: the block is split at every ``=``; text before the first ``=`` is an answer too
  (``{Paris}`` is one accepted answer). Each answer is ``%N%`` (default 100%), text, ``#feedback``.

Written as Moodle writes them: numerical ``{#`` then one ``=%N%value:tolerance#feedback`` line per
answer and ``~#feedback`` for ``*``; short answer one ``=%N%text#feedback`` line per answer.

Stricter than Moodle: a numerical answer or tolerance that is not a number is an error (Moodle turns
an answer that is not a number into ``*``, which then matches anything, and keeps a negative
tolerance); a credit outside 0..100% is an error (``%N%`` as in gift.py). Ranges are computed in
decimal, so ``3.141..3.142`` gives exactly 3.1415 with tolerance 0.0005 (Moodle: PHP floats). A first
answer ``0`` is kept (``{#0}``, ``{0}``: Moodle's empty() drops it and reports no answer).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError

from .gift_syntax import escape_text, parse_weight, percent, read_text
from .text import TRIM
from .types import ANY_ANSWER, EMPTY_ANSWER, NOT_A_NUMBER, ChoiceData, QuestionData, number_text, parse_number

__all__ = ["ARROW_IN_SHORT_ANSWER", "parse_numerical", "parse_short", "typed_block", "unwritable"]

# Problem code: a short-answer question GIFT cannot write (Moodle would read it back as matching).
ARROW_IN_SHORT_ANSWER = "arrow_in_short_answer"


def _answers(answertext: str) -> list[str]:
    """Moodle's explode('=') with the first piece dropped when it is empty."""
    pieces = answertext.split("=")
    if not pieces[0].strip(TRIM):
        pieces = pieces[1:]
    return [piece.strip(TRIM) for piece in pieces]


def _credit_text_feedback(piece: str) -> tuple[Decimal, str, str]:
    """``%N%text#feedback`` -> (credit, text, feedback); no ``%N%`` is full credit."""
    fraction, piece = parse_weight(piece)
    text, _, feedback = piece.partition("#")
    return (Decimal(1) if fraction is None else fraction), read_text(text), read_text(feedback)


def _number(raw: str, what: str) -> Decimal:
    value = parse_number(raw.strip(TRIM))
    if value is None:
        raise ValidationError(
            "the %(what)s %(raw)r is not a number", code=NOT_A_NUMBER, params={"what": what, "raw": raw.strip(TRIM)}
        )
    return value


def _value_and_tolerance(answer: str) -> tuple[Decimal, Decimal]:
    """Moodle's three forms: ``min..max``, ``value:tolerance``, ``value`` (tolerance 0)."""
    if answer.find("..") > 0:
        low, _, high = answer.partition("..")
        low_value, high_value = _number(low, "range start"), _number(high, "range end")
        middle = (low_value + high_value) / 2
        return middle, high_value - middle
    if answer.find(":") > 0:
        value, _, tolerance = answer.partition(":")
        return _number(value, "answer"), _number(tolerance, "tolerance")
    return _number(answer, "answer"), Decimal(0)


def parse_numerical(answertext: str) -> list[ChoiceData]:
    """The answers of a numerical block (`answertext` starts with ``#``, escapes still as placeholders)."""
    answertext = answertext[1:]
    other = None
    wrong_at = answertext.find("~")
    if wrong_at != -1:
        other, answertext = answertext[wrong_at:], answertext[:wrong_at]
    pieces = _answers(answertext)
    if not pieces:
        raise ValidationError("the numerical answer block {#...} has no answer", code=EMPTY_ANSWER)
    choices = []
    for piece in pieces:
        fraction, text, feedback = _credit_text_feedback(piece)
        if not text:
            raise ValidationError("a numerical answer has no number", code=EMPTY_ANSWER)
        value, tolerance = _value_and_tolerance(text)
        choices.append(ChoiceData(number_text(value), fraction, feedback, tolerance=tolerance.normalize()))
    if other is not None:
        choices.append(ChoiceData(ANY_ANSWER, Decimal(0), read_text(other.partition("#")[2])))
    return choices


def parse_short(answertext: str) -> list[ChoiceData]:
    """The accepted answers of a short-answer block (escapes still as placeholders)."""
    choices = []
    for piece in _answers(answertext):
        fraction, text, feedback = _credit_text_feedback(piece)
        if not text:
            raise ValidationError("a short answer is empty", code=EMPTY_ANSWER)
        choices.append(ChoiceData(text, fraction, feedback))
    if not choices:
        raise ValidationError("the short-answer block has no answer", code=EMPTY_ANSWER)
    return choices


def unwritable(question: QuestionData) -> tuple[str, str] | None:
    """Why GIFT cannot carry this question, as ``(code, message)``, or None when it can.

    GIFT has no escape for ``->``, and Moodle reads a block with ``=`` and ``->`` as matching."""
    if question.kind == "short" and any("->" in c.text or "->" in c.feedback for c in question.choices):
        return ARROW_IN_SHORT_ANSWER, "a short answer or its feedback contains '->', which GIFT reads as matching"
    return None


def typed_block(question: QuestionData, general: str) -> str:
    """The answer block of a numeric or short question, as Moodle writes it (`general`: the
    escaped ``\\t####...\\n`` line or "")."""
    lines = ["{#" if question.kind == "numeric" else "{"]
    others = []
    for choice in question.choices:
        feedback = escape_text(choice.feedback)
        if question.kind == "numeric" and choice.text == ANY_ANSWER:
            others.append(f"\t~#{feedback}")
        elif question.kind == "numeric":
            value = parse_number(choice.text)
            text = choice.text if value is None else number_text(value)
            lines.append(f"\t=%{percent(choice.fraction)}%{text}:{number_text(choice.tolerance)}#{feedback}")
        else:
            lines.append(f"\t=%{percent(choice.fraction)}%{escape_text(choice.text)}#{feedback}")
    return "\n".join(lines + others) + "\n" + general + "}"
