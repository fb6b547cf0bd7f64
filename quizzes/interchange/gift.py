r"""GIFT import, read the way Moodle's GIFT filter (``question/format/gift/format.php``) reads it.

(Export: ``gift_export.py``; the numerical and short-answer blocks: ``gift_typed.py``; escapes and
weights: ``gift_syntax.py``.)

Supported on import (everything else is reported, the rest of the file still imports):

* multiple choice with one answer (``{=right ~wrong ~%50%half}``) -> ``kind="single"``;
* multiple answers (``{~%50%a ~%50%b ~%-100%c}``, no ``=``) -> ``kind="multiple"``;
* true/false (``{T}``, ``{TRUE#wrong-answer feedback#right-answer feedback}``) -> ``kind="truefalse"``
  with choices ``True``/``False``; the feedback Moodle shows for picking an answer sits on that choice;
* numerical (``{#1822:1}``, ``{#1822}``, ``{#3.141..3.142}``, ``{# =1822:0 =%50%1822:2#close}``,
  ``{#3:2 ~#Completely wrong}``) -> ``kind="numeric"``: one choice per answer with its number,
  tolerance, credit and feedback; ``~#feedback`` is Moodle's answer ``*`` (any other answer, credit 0);
* short answer (``{=no one =nobody}``, ``{=Nazareth#Yes! =%75%Nazereth#Misspelled.}``, ``{Paris}``)
  -> ``kind="short"``: one choice per accepted answer with its credit and feedback (see gift_typed.py);
* missing word (``Grant is {=entombed ~buried} in Grant's tomb.``): a question of any of these kinds whose
  stem has ``_____`` where the answer block was (Moodle's rule: the block is not the last thing in the text).

Syntax handled as Moodle does: questions are separated by blank lines; lines starting with ``//`` are
comments; ``::title::``; ``$CATEGORY: ...`` blocks; ``[markdown]``/``[html]``/``[plain]``/``[moodle]``
format prefixes on any text (dropped, the text is kept raw - the site sanitises when rendering);
``%N%`` weights (negative and decimal too); ``#feedback``; ``####general feedback``; escapes
``\~ \= \# \{ \} \:`` and ``\\`` (a backslash), and ``\n`` (a line break); questions and answers on
several lines.

Reported in ``ImportResult.unsupported`` (``Problem.code`` = Moodle's type name, ``line`` = where the
question starts): ``matching``, ``essay`` (``{}``) and ``description`` (no braces).

Reported in ``ImportResult.errors`` (``line`` = where the question starts; nothing of that question is
kept): ``unterminated_brace`` (``{`` with no ``}``), ``unmatched_brace`` (``}`` with no ``{`` before it),
``extra_brace`` (a second unescaped ``{``/``}`` - escape it as ``\{``), ``answer_without_marker`` (text in
the answer block before the first ``=``/``~``), ``bad_weight`` (a ``%N%`` that is not a number or lies
outside -100..100), ``empty_answer``, ``too_few_answers`` (fewer than 2 choices), ``no_correct_answer``,
``fractions_sum`` (a multiple-answer question whose positive weights don't add up to 100% +-1%); for
numerical and short answers ``not_a_number`` (an answer, tolerance or range end), ``bad_tolerance``
(below 0, e.g. a range ``max..min``), ``bad_credit`` (outside 0..100%) and ``no_correct_answer``
(no answer worth 100%; Moodle's question editor asks for one too).

Where this deliberately differs from Moodle:

* ``TRUE``/``FALSE``/``T``/``F`` are accepted in any letter case (Moodle: upper case only).
* ``=%N%answer`` in a multiple-choice block gives credit N% (Moodle ignores the weight after ``=`` and
  keeps ``%N%`` in the answer text).
* Moodle silently keeps text before the first ``~``/``=`` as a wrong answer, keeps a second ``{...}`` in
  the question text, and accepts any weight; these are errors here (see above).
* Numerical: an answer that is not a number is an error (Moodle's importer turns it into ``*``, an
  answer that matches anything), and so is a negative tolerance; a range's midpoint and tolerance are
  exact decimals. ``{#0}`` and ``{0}`` are accepted (Moodle's empty() drops a first answer ``0``).
* Short answer: an answer that is only ``*`` (Moodle: any text) is kept as ``ANY_ANSWER``, the site's
  "any other answer", valid last and with no credit; a ``*`` inside an answer is kept in the text, and the
  site (quizzes.authoring.importing) matches it as the character and notes it (Moodle: any characters).
* A ``$CATEGORY:`` line may be followed by a question in the same block (Moodle needs a blank line).

Categories and difficulty: ``$CATEGORY: <category>/<difficulty>`` where difficulty is ``easy``,
``medium``, ``hard`` or empty sets both for the questions that follow; any other ``$CATEGORY:`` value
(e.g. Moodle's ``$course$/top/Default``) is taken whole as the category with no difficulty.

Extra fields GIFT cannot hold (worked steps, hints, common mistakes, quick check) are written as
GIFT comments directly above the question, one per line, so Moodle ignores them and
:func:`parse_gift` reads them back. The value is JSON (so line breaks and any character survive)::

    // @step {"title": "Expand", "body": "(a+b)^2 = a^2 + 2ab + b^2"}
    // @hint "Think of the area of a square."
    // @mistake "Forgetting the 2ab term."
    // @quickcheck "What is (x+1)^2?"

When the value is not valid JSON it is taken as plain text (for ``@step``: ``title :: body``), so the
lines can also be written by hand.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

from django.core.exceptions import ValidationError

from quizzes.vocabulary import DIFFICULTIES

from .gift_syntax import BLANK, parse_weight, post, pre, read_text
from .gift_typed import parse_numerical, parse_short
from .text import TRIM as _TRIM
from .text import source_text, split_lines
from .types import EMPTY_ANSWER, TOO_FEW_ANSWERS, ChoiceData, ImportResult, Problem, QuestionData, validate_question

__all__ = ["parse_gift"]

# Problem codes of a question this parser refuses (besides those of types.py: BAD_WEIGHT, EMPTY_ANSWER...).
UNTERMINATED_BRACE = "unterminated_brace"
UNMATCHED_BRACE = "unmatched_brace"
EXTRA_BRACE = "extra_brace"
ANSWER_WITHOUT_MARKER = "answer_without_marker"

_TRUEFALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_META_RE = re.compile(r"//\s*@(step|hint|mistake|quickcheck)\b\s?(.*)$", re.DOTALL)


# --------------------------------------------------------------------------------------------------
# Import


def _parse_meta(kind: str, value: str, target: dict) -> None:
    value = value.strip(_TRIM)
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        data = None
    if kind == "step":
        if isinstance(data, dict) and isinstance(data.get("title", ""), str) and isinstance(data.get("body", ""), str):
            target["steps"].append((data.get("title", ""), data.get("body", "")))
        elif isinstance(data, list) and len(data) == 2 and all(isinstance(x, str) for x in data):
            target["steps"].append((data[0], data[1]))
        else:
            title, sep, body = value.partition("::")
            if not sep:
                title, body = "", value
            target["steps"].append((title.strip(), body.strip()))
        return
    text = data if isinstance(data, str) else value
    if kind == "hint":
        target["hints"].append(text)
    elif kind == "mistake":
        target["mistakes"].append(text)
    else:
        target["quick_check"] = text


def _parse_choices(answertext: str) -> tuple[str, list[ChoiceData]]:
    markers = list(re.finditer(r"[~=]", answertext))
    before = answertext[: markers[0].start()].strip(_TRIM)
    if before:
        raise ValidationError(
            "the answer %(answer)r has no '=' (right) or '~' (wrong) in front of it",
            code=ANSWER_WITHOUT_MARKER,
            params={"answer": post(before)},
        )
    choices = []
    for i, marker in enumerate(markers):
        end = markers[i + 1].start() if i + 1 < len(markers) else len(answertext)
        piece = answertext[marker.end() : end].strip(_TRIM)
        fraction, piece = parse_weight(piece)
        if fraction is None:
            fraction = Decimal(1) if marker.group() == "=" else Decimal(0)
        text, _, feedback = piece.partition("#")
        text = read_text(text)
        if not text:
            raise ValidationError("an answer has no text", code=EMPTY_ANSWER)
        choices.append(ChoiceData(text=text, fraction=fraction, feedback=read_text(feedback)))
    if len(choices) < 2:
        raise ValidationError("a multiple-choice question needs at least two answers", code=TOO_FEW_ANSWERS)
    kind = "single" if "=" in answertext else "multiple"
    return kind, choices


def _question_type(answertext: str) -> str:
    """Moodle's type detection, in Moodle's order."""
    if answertext == "":
        return "essay"
    if answertext[0] == "#":
        return "numerical"
    if "~" in answertext:
        return "multichoice"
    if "=" in answertext and "->" in answertext:
        return "matching"
    check = answertext.split("#", 1)[0].strip(_TRIM)
    if check.upper() in _TRUEFALSE:
        return "truefalse"
    return "shortanswer"


class _Parser:
    def __init__(self) -> None:
        self.result = ImportResult()
        self.category = ""
        self.difficulty = ""

    def set_category(self, value: str) -> None:
        value = post(pre(value)).strip(_TRIM)
        head, sep, tail = value.rpartition("/")
        if sep and tail.strip().lower() in DIFFICULTIES + ("",):
            self.category, self.difficulty = head.strip(_TRIM), tail.strip().lower()
        else:
            self.category, self.difficulty = value, ""

    def block(self, lines: list[tuple[int, str]]) -> None:
        meta: dict = {"steps": [], "hints": [], "mistakes": [], "quick_check": ""}
        content = []
        for number, line in lines:
            if line.startswith("//"):
                match = _META_RE.match(line)
                if match:
                    _parse_meta(match.group(1), match.group(2), meta)
            else:
                content.append((number, line))
        if content and content[0][1].startswith("$CATEGORY:"):
            self.set_category(content[0][1][len("$CATEGORY:") :])
            content = content[1:]
        if not content:
            return
        start = content[0][0]
        try:
            question = self.question("\n".join(line for _, line in content), start)
        except ValidationError as exc:
            self.result.errors.append(Problem(line=start, message=exc.messages[0], code=exc.code))
            return
        if question is None:
            return
        problems = validate_question(question)
        if problems:
            self.result.errors.append(problems[0])
            return
        question.steps, question.hints = meta["steps"], meta["hints"]
        question.mistakes, question.quick_check = meta["mistakes"], meta["quick_check"]
        self.result.questions.append(question)

    def unsupported(self, kind: str, line: int) -> None:
        self.result.unsupported.append(Problem(line=line, message=f"{kind} questions cannot be imported", code=kind))

    def question(self, raw: str, start: int) -> QuestionData | None:
        text = pre(raw)
        title = ""
        if text.startswith("::"):
            text = text[2:]
            end = text.find("::")
            if end != -1:
                title = post(text[:end]).strip(_TRIM)
                text = text[end + 2 :].strip(_TRIM)

        open_at, close_at = text.find("{"), text.find("}")
        if open_at == -1 and close_at == -1:
            self.unsupported("description", start)
            return None
        if close_at == -1:
            raise ValidationError("'{' is never closed with '}'", code=UNTERMINATED_BRACE)
        if open_at == -1 or close_at < open_at:
            raise ValidationError("'}' without an opening '{' (escape it as '\\}')", code=UNMATCHED_BRACE)
        if text.find("{", open_at + 1) != -1 or text.find("}", close_at + 1) != -1:
            raise ValidationError(
                "more than one '{' or '}' (only one answer block; escape others as '\\{' '\\}')", code=EXTRA_BRACE
            )

        answertext = text[open_at + 1 : close_at].strip(_TRIM)
        if text.endswith("}"):
            stem = text[:open_at] + text[close_at + 1 :]
        else:
            stem = text[:open_at] + BLANK + text[close_at + 1 :]
        general = ""
        separator = answertext.rfind("####")
        if separator != -1:
            general = answertext[separator + 4 :]
            answertext = answertext[:separator].strip(_TRIM)

        qtype = _question_type(answertext)
        if qtype == "numerical":
            kind, choices = "numeric", parse_numerical(answertext)
        elif qtype == "shortanswer":
            kind, choices = "short", parse_short(answertext)
        elif qtype == "truefalse":
            bits = answertext.split("#", 2) + ["", ""]
            is_true = _TRUEFALSE[bits[0].strip(_TRIM).upper()]
            wrong, right = read_text(bits[1]), read_text(bits[2])
            choices = [
                ChoiceData("True", Decimal(1) if is_true else Decimal(0), right if is_true else wrong),
                ChoiceData("False", Decimal(0) if is_true else Decimal(1), wrong if is_true else right),
            ]
            kind = "truefalse"
        elif qtype == "multichoice":
            kind, choices = _parse_choices(answertext)
        else:
            self.unsupported(qtype, start)
            return None

        return QuestionData(
            kind=kind,
            stem=read_text(stem),
            choices=choices,
            title=title,
            general_feedback=read_text(general),
            difficulty=self.difficulty,
            category=self.category,
            line=start,
        )


def parse_gift(text: str) -> ImportResult:
    """Parse GIFT text; see the module docstring for what is imported, reported and refused.
    Raises ValidationError (code `text.NOT_TEXT`) when given anything but a str."""
    text = source_text(text, fmt="GIFT")
    parser = _Parser()
    block: list[tuple[int, str]] = []
    for number, raw in enumerate(split_lines(text), start=1):
        line = raw.strip(_TRIM)
        if line:
            block.append((number, line))
        elif block:
            parser.block(block)
            block = []
    if block:
        parser.block(block)
    return parser.result
