"""GIFT export: questions written the way Moodle's GIFT format writes them, so that Moodle and `parse_gift` read them back.

Choice questions as Moodle's writequestion (``=`` for the one full-credit answer of a single-answer
question, ``~%N%`` for other credits, ``#feedback``, ``\t####`` general feedback), the typed kinds as
``gift_typed.typed_block``. Every text is escaped (Moodle's repchar) and the stem carries
``[markdown]``. The difficulty goes into the category path and the extra fields GIFT cannot hold
(steps, hints, mistakes, quick check) into ``// @...`` comments above the question: see gift.py.
"""

from __future__ import annotations

import json

from quizzes.vocabulary import TYPED_KINDS

from .gift_syntax import BLANK, escape, escape_text, percent
from .gift_typed import typed_block, unwritable
from .types import Problem, QuestionData

__all__ = ["dump_gift", "gift_problem"]


def gift_problem(question: QuestionData) -> Problem | None:
    """Why GIFT cannot carry `question` (a Problem naming it, with a stable code), or None."""
    found = unwritable(question)
    if found is None:
        return None
    code, message = found
    return Problem(line=question.line, message=f"{question.title or question.stem[:40]!r}: {message}", code=code)


def _meta_lines(question: QuestionData) -> list[str]:
    def dumps(value) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = [f"// @step {dumps({'title': t, 'body': b})}" for t, b in question.steps]
    lines += [f"// @hint {dumps(h)}" for h in question.hints]
    lines += [f"// @mistake {dumps(m)}" for m in question.mistakes]
    if question.quick_check:
        lines.append(f"// @quickcheck {dumps(question.quick_check)}")
    return lines


def _answer_block(question: QuestionData) -> str:
    general = f"\t####{escape_text(question.general_feedback)}\n" if question.general_feedback else ""
    if question.kind in TYPED_KINDS:
        return typed_block(question, general)
    if question.kind == "truefalse":
        true_choice, false_choice = question.choices[0], question.choices[1]
        is_true = true_choice.fraction == 1
        right = (true_choice if is_true else false_choice).feedback
        wrong = (false_choice if is_true else true_choice).feedback
        out = "{" + ("TRUE" if is_true else "FALSE")
        if wrong or right:
            out += "#" + escape_text(wrong)
        if right:
            out += "#" + escape_text(right)
        if general:
            out += general.strip("\t\n")
        return out + "}"
    lines = ["{"]
    used_equals = False
    for choice in question.choices:
        if question.kind == "single" and choice.fraction == 1 and not used_equals:
            marker, used_equals = "=", True
        elif choice.fraction == 0:
            marker = "~"
        else:
            marker = f"~%{percent(choice.fraction)}%"
        text = escape_text(choice.text)
        if text.startswith("%") and marker in ("=", "~"):
            marker += "%100%" if marker == "=" else "%0%"
        line = f"\t{marker}{text}"
        if choice.feedback:
            line += "#" + escape_text(choice.feedback)
        lines.append(line)
    return "\n".join(lines) + "\n" + general + "}"


def _question_text(question: QuestionData) -> str:
    out = ""
    if question.title:
        out += "::" + escape(question.title) + "::"
    out += "[markdown]"
    block = _answer_block(question)
    stem = question.stem
    index = stem.find(BLANK)
    if index != -1 and stem[index + len(BLANK) :].strip():
        # Missing word: the block goes where the blank is (text follows the closing brace).
        out += escape(stem[:index]) + block + escape(stem[index + len(BLANK) :])
    else:
        out += escape(stem) + block
    return out


def dump_gift(questions: list[QuestionData]) -> str:
    """Write questions as GIFT that Moodle imports and `parse_gift` reads back unchanged; a question
    for which `gift_problem` says why not is written too, but will not read back (check first)."""
    parts = []
    current = ("", "")
    for question in questions:
        wanted = (question.category, question.difficulty)
        if wanted != current:
            category = question.category.replace("\r", " ").replace("\n", " ").replace("\\", "\\\\")
            parts.append(f"$CATEGORY: {category}/{question.difficulty}")
            current = wanted
        lines = _meta_lines(question)
        lines.append(_question_text(question))
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + ("\n" if parts else "")
