"""Aiken import and export, read the way Moodle's Aiken filter (``question/format/aiken/format.php``) reads it.

The format::

    Question text
    A) Choice #1
    B. Choice #2
    ANSWER: B

* Lines are trimmed; lines shorter than two characters (blank lines) are skipped, as in Moodle.
* An option is a line starting with a capital letter, ``)`` or ``.`` and optionally a space/tab
  (Moodle's ``/^[A-Z][).][ \\t]?/``); ``ANSWER:`` ends the question and names the correct option.
* Every question is single answer (``kind="single"``), one correct choice (fraction 1), others 0.

Errors (``Problem.line`` = where the question starts, or the stray line): ``answer_letter_unknown``
(ANSWER names no option), ``missing_answer`` (a question ends without ``ANSWER:``),
``too_few_options`` (fewer than 2 options), ``duplicate_option_letter``, ``option_without_question``
and ``answer_without_question`` (Moodle's "question not started").

Deviations from Moodle: the ANSWER letter is matched against the options' letters (Moodle counts
positions: identical when options are lettered A, B, C...), and may be lower case; consecutive
stem lines before the first option form one multi-line stem (Moodle discards all but the last).
Moodle imports Aiken text as plain text (HTML-escaped); here the text is kept as written and
later rendered as Markdown.

What Aiken cannot hold (so :func:`dump_aiken` drops it): titles, categories, difficulty, feedback
(per choice and general), partial or negative credit, worked steps, hints, mistakes, quick checks,
line breaks inside a choice (written as spaces) and blank lines in a stem. Numeric and short-answer
questions, multiple-answer questions, questions with more than 26 choices or with no/several fully
correct choices, and stems that would read as an option or ``ANSWER:`` line cannot be written at all:
they are returned as ``skipped``, and :func:`aiken_problem` names each with a ``SKIPPED_`` code;
:func:`aiken_losses` names what a written question loses (its stem's layout, a choice's line breaks).
True/false questions are written as two options ``True``/``False``.
"""

from __future__ import annotations

import re
from decimal import Decimal

from quizzes.vocabulary import TYPED_KINDS

from .text import TRIM as _TRIM
from .text import source_text, split_lines
from .types import ChoiceData, ImportResult, Problem, QuestionData

__all__ = ["aiken_losses", "aiken_problem", "parse_aiken", "dump_aiken"]

# Problem codes of a question this parser refuses.
ANSWER_LETTER_UNKNOWN = "answer_letter_unknown"
MISSING_ANSWER = "missing_answer"
TOO_FEW_OPTIONS = "too_few_options"
DUPLICATE_OPTION_LETTER = "duplicate_option_letter"
OPTION_WITHOUT_QUESTION = "option_without_question"
ANSWER_WITHOUT_QUESTION = "answer_without_question"

# Problem codes of a question dump_aiken cannot write (aiken_problem).
SKIPPED_TYPED = "aiken_typed_kind"
SKIPPED_MULTIPLE = "aiken_multiple_answers"
SKIPPED_CHOICE_COUNT = "aiken_choice_count"
SKIPPED_NOT_ONE_CORRECT = "aiken_not_one_correct"
SKIPPED_STEM = "aiken_unreadable_stem"

# Problem codes of what a written question loses (aiken_losses): the layout of its stem, lines of a choice.
LOST_STEM_LAYOUT = "aiken_stem_layout_lost"
LOST_CHOICE_LINES = "aiken_choice_lines_joined"

_OPTION_RE = re.compile(r"([A-Z])[).][ \t]?")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class _Open:
    def __init__(self, line: int, stem: str):
        self.line = line
        self.stem_lines = [stem]
        self.options: list[tuple[str, str]] = []


def parse_aiken(text: str) -> ImportResult:
    """Parse Aiken text into single-answer questions; see the module docstring.
    Raises ValidationError (code `text.NOT_TEXT`) when given anything but a str."""
    text = source_text(text, fmt="Aiken")
    result = ImportResult()
    current: _Open | None = None

    def error(line: int, code: str, message: str) -> None:
        result.errors.append(Problem(line=line, message=message, code=code))

    for number, raw in enumerate(split_lines(text), start=1):
        line = raw.strip(_TRIM)
        if len(line) < 2:
            continue
        option = _OPTION_RE.match(line)
        if option:
            if current is None:
                error(number, OPTION_WITHOUT_QUESTION, "an option line before any question text")
                continue
            current.options.append((option.group(1), line[2:].strip(_TRIM)))
        elif line.startswith("ANSWER:"):
            if current is None:
                error(number, ANSWER_WITHOUT_QUESTION, "an ANSWER line before any question text")
                continue
            question, current = current, None
            letter = line[len("ANSWER:") :].strip(_TRIM)[:1].upper()
            letters = [label for label, _ in question.options]
            if len(question.options) < 2:
                error(question.line, TOO_FEW_OPTIONS, "a question needs at least two options")
            elif len(set(letters)) != len(letters):
                error(question.line, DUPLICATE_OPTION_LETTER, "two options have the same letter")
            elif letter not in letters:
                error(
                    question.line,
                    ANSWER_LETTER_UNKNOWN,
                    f"ANSWER names {letter or 'nothing'!r}, which is not one of the options {', '.join(letters)}",
                )
            else:
                result.questions.append(
                    QuestionData(
                        kind="single",
                        stem="\n".join(question.stem_lines),
                        choices=[
                            ChoiceData(text=t, fraction=Decimal(1) if label == letter else Decimal(0))
                            for label, t in question.options
                        ],
                        line=question.line,
                    )
                )
        elif current is not None and not current.options:
            current.stem_lines.append(line)
        else:
            if current is not None:
                error(current.line, MISSING_ANSWER, "the question has no ANSWER line")
            current = _Open(number, line)
    if current is not None:
        error(current.line, MISSING_ANSWER, "the question has no ANSWER line")
    return result


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _unreadable(line: str) -> bool:
    return len(line) < 2 or bool(_OPTION_RE.match(line)) or line.startswith("ANSWER:")


def _write(question: QuestionData) -> str | tuple[str, str]:
    """The Aiken text of `question`, or ``(code, reason)`` when Aiken cannot hold it."""
    if question.kind in TYPED_KINDS:
        return SKIPPED_TYPED, f"Aiken holds only choice questions, not {question.kind} answers"
    if question.kind not in ("single", "truefalse"):
        return SKIPPED_MULTIPLE, "Aiken holds one correct choice, not multiple answers"
    choices = question.choices
    if not 2 <= len(choices) <= 26:
        return SKIPPED_CHOICE_COUNT, f"Aiken holds 2 to 26 choices, not {len(choices)}"
    correct = [i for i, choice in enumerate(choices) if choice.fraction == 1]
    if len(correct) != 1:
        return SKIPPED_NOT_ONE_CORRECT, f"Aiken holds exactly one fully correct choice, not {len(correct)}"
    stem_lines = [line.strip(_TRIM) for line in question.stem.splitlines() if line.strip(_TRIM)]
    if stem_lines and any(_unreadable(line) for line in stem_lines):
        stem_lines = [_one_line(question.stem)]
    if not stem_lines or _unreadable(stem_lines[0]):
        return SKIPPED_STEM, "the question text is empty or would read as an option or ANSWER: line"
    lines = list(stem_lines)
    # one letter per choice: the alphabet is longer than the (at most 26) choices
    for letter, choice in zip(_LETTERS, choices, strict=False):
        lines.append(f"{letter}) {_one_line(choice.text)}")
    lines.append(f"ANSWER: {_LETTERS[correct[0]]}")
    return "\n".join(lines)


def aiken_problem(question: QuestionData) -> Problem | None:
    """Why Aiken cannot hold `question` (a Problem naming it, with one of the SKIPPED_ codes), or None."""
    written = _write(question)
    if isinstance(written, str):
        return None
    code, reason = written
    return Problem(line=question.line, message=f"{question.title or question.stem[:40]!r}: {reason}", code=code)


def aiken_losses(question: QuestionData) -> list[Problem]:
    """What Aiken drops from a question it can write, beyond what it never holds (feedback, steps...):
    the stem's indentation and blank lines (code in a stem loses its layout), line breaks in a choice."""
    if aiken_problem(question) is not None:
        return []
    name = repr(question.title or question.stem[:40])
    lines = question.stem.strip("\n").splitlines()
    out = []
    if any(line != line.lstrip(_TRIM) for line in lines if line.strip(_TRIM)) or any(not line.strip(_TRIM) for line in lines):
        out.append(Problem(question.line, f"{name}: the indentation and blank lines of its text are lost", LOST_STEM_LAYOUT))
    joined = [c.text[:40] for c in question.choices if "\n" in c.text.strip()]
    if joined:
        out.append(
            Problem(question.line, f"{name}: the line breaks of the choice {joined[0]!r} become spaces", LOST_CHOICE_LINES)
        )
    return out


def dump_aiken(questions: list[QuestionData]) -> tuple[str, list[QuestionData]]:
    """Write what Aiken can hold; return ``(text, skipped)``, skipped = questions not written
    (`aiken_problem` says why)."""
    blocks, skipped = [], []
    for question in questions:
        block = _write(question)
        if isinstance(block, str):
            blocks.append(block)
        else:
            skipped.append(question)
    return ("\n\n".join(blocks) + "\n" if blocks else ""), skipped
