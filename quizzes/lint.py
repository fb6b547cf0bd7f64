"""The question linter's rules: pure functions over question data that find item-writing flaws.

A check reads a `LintQuestion` (from a lesson file or the database, see `quizzes.lint_sources`)
and returns `Finding`s, each with a stable code (the constants below), a severity, the
question's key and the line in its file where one is known (None for a question from the
database). ERROR is a flaw a student is sure to meet (the answer given away, a choice that
cannot be told apart); WARNING asks an author to look (it may be deliberate). The wording is
for people; callers and tests rely on the codes. docs/quizzes.md, "The question linter",
describes each code.

The text checks are lexical, so they are calibrated to miss rather than cry wolf: a hint gives
the answer away when it repeats the correct choice's own text, or at least two of the words that
only the correct choice has (in neither the stem nor any other choice), or quotes a choice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from difflib import SequenceMatcher
from typing import Mapping

from quizzes.statistics import DIFFICULTY_MISMATCH, NEGATIVE_DISCRIMINATION
from quizzes.vocabulary import ANY_ANSWER, DIFFICULTIES, TYPED_KINDS

ERROR = "error"
WARNING = "warning"

# Finding codes (docs/quizzes.md, "The question linter").
HINT_GIVES_ANSWER = "hint_gives_answer"
QUICK_CHECK_GIVES_ANSWER = "quick_check_gives_answer"
MISTAKE_UNLINKED = "mistake_unlinked"
MISTAKES_NEAR_IDENTICAL = "mistakes_near_identical"
WRONG_CHOICE_NO_FEEDBACK = "wrong_choice_no_feedback"
CORRECT_CHOICE_LONGEST = "correct_choice_longest"
ALL_OR_NONE_OF_THE_ABOVE = "all_or_none_of_the_above"
DUPLICATE_CHOICES = "duplicate_choices"
TYPED_FORM_UNSTATED = "typed_form_unstated"
DIFFICULTY_DISAGREES = "difficulty_disagrees"
LOW_DISCRIMINATION = "low_discrimination"
BLUEPRINT_UNFILLABLE = "blueprint_unfillable"
BLUEPRINT_SHORT_OF_DIFFICULTY = "blueprint_short_of_difficulty"
INVALID_FILE = "invalid_file"

#: Responses a question needs before its statistics are held against its stated difficulty.
MIN_RESPONSES = 30
#: The correct choice is "clearly longer" when at least this many times the longest distractor ...
LONGEST_RATIO = 1.5
#: ... and at least this many characters longer (short choices vary too much to judge).
LONGEST_MARGIN = 20
#: Two mistakes are near-identical at this similarity of their words (0..1).
NEAR_IDENTICAL = 0.8

_WORD = re.compile(r"[a-z0-9][a-z0-9_.'-]*[a-z0-9]|[a-z0-9]")
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”")
_ABOVE = re.compile(r"\b(all|none|both|neither) of (the )?(above|these|the options|them)\b|\ball (of )?the above\b")
_STOPWORDS = frozenset(
    "a an the of to in on for and or but is are was were be been it its this that these those with as at by from "
    "what which who how why when does do did not no can you your they their them than then so into only each "
    "every any all one two per".split()
)
# Words that say what form a typed answer takes (a count, a unit, a precision, a shape, a term).
_FORM_WORDS = re.compile(
    r"\b(how many|how much|what number|in (millions|thousands|billions|percent|seconds|minutes|bytes)|decimal|"
    r"percent|round|nearest|whole number|integer|digits|shape|written|write|type|format|word|term|name)\b"
)


@dataclass(frozen=True)
class LintChoice:
    text: str
    fraction: Decimal  # credit, -1..1; above 0 is correct
    feedback: str = ""
    mistake: int | None = None  # 1-based number of the linked common mistake
    tolerance: Decimal = Decimal(0)


@dataclass(frozen=True)
class LintQuestion:
    """A question as the linter reads it; `lines` maps a place ("question", "hints[1]", "quick_check",
    "choices[2]", "mistakes[1]") to its line in the file (empty for a question from the database)."""

    key: str
    kind: str
    difficulty: str
    stem: str
    choices: tuple[LintChoice, ...]
    quick_check: str = ""
    hints: tuple[str, ...] = ()
    mistakes: tuple[str, ...] = ()
    lines: Mapping[str, int] = field(default_factory=dict)

    def line(self, place: str = "question") -> int | None:
        return self.lines.get(place) or self.lines.get("question")


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # ERROR or WARNING
    key: str  # the question's key ("blueprint" or "exam" for a lesson's draw)
    line: int | None
    message: str

    def format(self, source: str = "") -> str:
        where = f"{source}:{self.line}" if self.line else source
        return f"{where + ': ' if where else ''}{self.severity} {self.code}: {self.key}: {self.message}"


def _finding(q: LintQuestion, code: str, severity: str, place: str, message: str) -> Finding:
    return Finding(code, severity, q.key, q.line(place), message)


def _plain(text: str) -> str:
    """Case folded, Markdown marks and quotes dropped, spaces collapsed."""
    return " ".join(re.sub(r"[`*_\"“”]", " ", text.casefold()).split())


def _stems(text: str) -> set[str]:
    """Content words cut to their first five letters (a crude stem: reused, reuse -> reuse)."""
    return {w[:5] for w in _WORD.findall(_plain(text)) if w not in _STOPWORDS and len(w) > 2}


def _contains(text: str, phrase: str) -> bool:
    return bool(phrase) and re.search(rf"(?<![\w.]){re.escape(phrase)}(?![\w])", text) is not None


def gives_answer(text: str, q: LintQuestion) -> str:
    """Why `text` (a hint or quick check) gives the correct answer away, or "" when it does not."""
    correct = [c for c in q.choices if c.fraction > 0]
    wrong = [c for c in q.choices if c.fraction <= 0 and c.text != ANY_ANSWER]
    plain = _plain(text)
    if q.kind == "truefalse" or not correct:
        return ""
    for choice in correct:
        if len(_plain(choice.text)) >= 3 and _contains(plain, _plain(choice.text)):
            return f"it repeats the correct answer '{choice.text}'"
    if q.kind in TYPED_KINDS:
        return ""
    for quoted in _QUOTED.findall(text):
        phrase = _plain(quoted[0] or quoted[1])
        if phrase and not _contains(_plain(q.stem), phrase) and any(_contains(_plain(c.text), phrase) for c in q.choices):
            return f"it quotes the words '{phrase}' of a choice"
    others = _stems(q.stem).union(*(_stems(c.text) for c in wrong))
    for choice in correct:
        own = (_stems(choice.text) - others) & _stems(text)
        if len(own) >= 2:
            words = dict.fromkeys(w for w in _WORD.findall(plain) if w[:5] in own)
            return f"it uses words only the correct choice has: {', '.join(words)}"
    return ""


def _giveaways(q: LintQuestion) -> list[Finding]:
    out = []
    for number, hint in enumerate(q.hints, start=1):
        why = gives_answer(hint, q)
        if why:
            out.append(_finding(q, HINT_GIVES_ANSWER, ERROR, f"hints[{number}]", f"hint {number} gives the answer away: {why}"))
    # The quick check is shown with the worked solution, after answering, and may name the answer
    # there; but the summary sheet prints it, before any answer, as the correction of a mistake
    # that no choice is linked to.
    linked = {c.mistake for c in q.choices if c.mistake}
    on_sheet = any(n not in linked for n in range(1, len(q.mistakes) + 1))
    why = gives_answer(q.quick_check, q) if q.quick_check and on_sheet else ""
    if why:
        out.append(
            _finding(
                q,
                QUICK_CHECK_GIVES_ANSWER,
                WARNING,
                "quick_check",
                f"the summary sheet prints the quick check (the correction of an unlinked mistake) before any answer, and {why}",
            )
        )
    return out


def _mistakes(q: LintQuestion) -> list[Finding]:
    out = []
    linked = {c.mistake for c in q.choices if c.mistake}
    for number, text in enumerate(q.mistakes, start=1):
        if number not in linked:
            out.append(
                _finding(
                    q,
                    MISTAKE_UNLINKED,
                    WARNING,
                    f"mistakes[{number}]",
                    f"mistake {number} ('{text}') is linked to no choice, so no answer shows it",
                )
            )
    for i, first in enumerate(q.mistakes):
        for j in range(i + 1, len(q.mistakes)):
            second = q.mistakes[j]
            a, b = _stems(first), _stems(second)
            overlap = len(a & b) / len(a | b) if a | b else 1.0
            similar = SequenceMatcher(None, _plain(first), _plain(second)).ratio()
            if max(overlap, similar) >= NEAR_IDENTICAL:
                out.append(
                    _finding(
                        q,
                        MISTAKES_NEAR_IDENTICAL,
                        WARNING,
                        f"mistakes[{j + 1}]",
                        f"mistakes {i + 1} and {j + 1} say nearly the same: '{first}' / '{second}'",
                    )
                )
    return out


def _choice_key(q: LintQuestion, choice: LintChoice) -> tuple:
    if q.kind == "numeric":
        return (choice.text.strip(), choice.tolerance)
    return (_plain(choice.text),)


def _choices(q: LintQuestion) -> list[Finding]:
    out = []
    seen: dict[tuple, int] = {}
    for number, choice in enumerate(q.choices, start=1):
        place = f"choices[{number}]"
        if choice.fraction <= 0 and not choice.feedback.strip():
            out.append(
                _finding(
                    q,
                    WRONG_CHOICE_NO_FEEDBACK,
                    WARNING,
                    place,
                    f"wrong answer {number} ('{choice.text[:60]}') has no feedback to say why",
                )
            )
        if q.kind not in TYPED_KINDS and _ABOVE.search(_plain(choice.text)):
            out.append(
                _finding(
                    q,
                    ALL_OR_NONE_OF_THE_ABOVE,
                    ERROR,
                    place,
                    f"choice {number} ('{choice.text[:60]}') refers to the others, which are shuffled",
                )
            )
        key = _choice_key(q, choice)
        if key in seen:
            out.append(
                _finding(
                    q, DUPLICATE_CHOICES, ERROR, place, f"answers {seen[key]} and {number} are the same ('{choice.text[:60]}')"
                )
            )
        seen.setdefault(key, number)
    correct = [c for c in q.choices if c.fraction > 0]
    wrong = [len(c.text) for c in q.choices if c.fraction <= 0]
    if q.kind == "single" and len(correct) == 1 and wrong:
        length, longest = len(correct[0].text), max(wrong)
        if length >= LONGEST_RATIO * longest and length - longest >= LONGEST_MARGIN:
            out.append(
                _finding(
                    q,
                    CORRECT_CHOICE_LONGEST,
                    WARNING,
                    f"choices[{q.choices.index(correct[0]) + 1}]",
                    f"the correct choice has {length} characters, every other at most {longest}: length alone points to it",
                )
            )
    return out


def _typed_form(q: LintQuestion) -> list[Finding]:
    if q.kind not in TYPED_KINDS or _FORM_WORDS.search(_plain(q.stem)):
        return []
    form = "a number (its unit or precision)" if q.kind == "numeric" else "a short text (a shape, a word, a name)"
    return [_finding(q, TYPED_FORM_UNSTATED, WARNING, "stem", f"the stem does not say the answer is {form}")]


def check_question(q: LintQuestion) -> list[Finding]:
    """Every finding of one question, from its text alone, in the order of the checks."""
    return _giveaways(q) + _mistakes(q) + _choices(q) + _typed_form(q)


def statistics_findings(key: str, responses: int, flag_codes: list[str], *, line: int | None = None) -> list[Finding]:
    """What a question's measured statistics say against it, once it has MIN_RESPONSES responses:
    the statistics' own flags (quizzes.statistics, one home for their thresholds) as findings."""
    if responses < MIN_RESPONSES:
        return []
    out = []
    if DIFFICULTY_MISMATCH in flag_codes:
        out.append(
            Finding(
                DIFFICULTY_DISAGREES,
                WARNING,
                key,
                line,
                f"its facility index over {responses} responses disagrees with its stated difficulty",
            )
        )
    if NEGATIVE_DISCRIMINATION in flag_codes:
        out.append(
            Finding(
                LOW_DISCRIMINATION,
                WARNING,
                key,
                line,
                f"its discrimination index over {responses} responses is below 0: students who did well elsewhere did worse here",
            )
        )
    return out


def check_blueprint(
    name: str, blueprint: Mapping[str, int], bank: Mapping[str, int], *, line: int | None = None
) -> list[Finding]:
    """A test or exam draw (`name`: "blueprint" or "exam") against the active practice bank's
    questions by difficulty: an error when the bank has fewer questions than the draw asks in all,
    a warning for each difficulty that runs short (the draw fills it from the others)."""
    asked, have = sum(blueprint.values()), sum(bank.get(d, 0) for d in DIFFICULTIES)
    if asked > have:
        return [Finding(BLUEPRINT_UNFILLABLE, ERROR, name, line, f"asks for {asked} questions but the practice bank has {have}")]
    out = []
    for difficulty in DIFFICULTIES:
        wanted, got = blueprint.get(difficulty, 0), bank.get(difficulty, 0)
        if wanted > got:
            out.append(
                Finding(
                    BLUEPRINT_SHORT_OF_DIFFICULTY,
                    WARNING,
                    name,
                    line,
                    f"asks for {wanted} {difficulty} questions but the bank has {got}; "
                    "the others fill in, so the draw is not the mix it states",
                )
            )
    return out


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)
