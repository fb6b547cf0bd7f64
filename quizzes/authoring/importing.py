"""Import of a GIFT or Aiken file into a lesson's questions (behind `import_questions` and the admin's import page).

How the formats map to the site's questions is in quizzes/interchange_services.py's docstring;
each question is checked with the rules the admin and the lesson loader apply and saved through
quizzes.authoring.questions, the one service that saves a question.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify

from courses.models import Lesson
from quizzes.authoring.questions import NEW_VERSION, ChoiceContent, QuestionContent, QuestionPlace, current_version, question_save
from quizzes.grading import validate_choices, validate_no_letter_reference
from quizzes.interchange import (
    ANY_ANSWER,
    Problem,
    QuestionData,
    decode_upload,
    parse_aiken,
    parse_gift,
    upload_format,
    validate_question,
)
from quizzes.interchange_services import GENERAL_FEEDBACK_TITLE
from quizzes.models import Difficulty, Kind, Question, Role, Source
from quizzes.typed import validate_answers
from quizzes.vocabulary import TYPED_KINDS

DEFAULT_DIFFICULTY = Difficulty.MEDIUM
_PLACES = Decimal("0.0000001")  # Choice.fraction has 7 decimal places
_KEY_MAX = 80

# What an import does with a question whose title the lesson already has as a key.
UPDATE, SKIP, NEW = "update", "skip", "new"
EXISTING_CHOICES = [(UPDATE, "Update it (a new version)"), (SKIP, "Skip it"), (NEW, "Add it as a new question")]

# Problem codes of an imported question the site's rules refuse, besides the grading codes.
EMPTY_STEM = "empty_stem"
TOO_LONG = "too_long"


@dataclass
class SavedQuestion:
    line: int
    key: str
    kind: str
    notes: list[str] = field(default_factory=list)  # what was changed to fit the site's rules
    version: int = 1


@dataclass
class KeptQuestion:
    """A question whose title the lesson already had: updated, unchanged or skipped."""

    line: int
    key: str
    outcome: str  # "updated (version N)", "unchanged (version N)" or "skipped: why"


@dataclass
class ImportReport:
    """Exactly what an import saved, skipped as unsupported, and rejected."""

    format: str
    saved: list[SavedQuestion] = field(default_factory=list)
    unsupported: list[Problem] = field(default_factory=list)  # code = the question type
    rejected: list[Problem] = field(default_factory=list)  # nothing of these was saved
    existing: list[KeptQuestion] = field(default_factory=list)  # titles the lesson already had

    @property
    def ok(self) -> bool:
        return not self.rejected

    def lines(self) -> list[str]:
        """The report as plain lines (the command prints them; the admin page lists them)."""
        numeric = sum(1 for s in self.saved if s.kind == Kind.NUMERIC)
        short = sum(1 for s in self.saved if s.kind == Kind.SHORT)
        typed = f" ({numeric + short} typed: {numeric} numeric, {short} short answer)" if numeric + short else ""
        out = [
            f"Format: {self.format}. Saved {len(self.saved)} question(s){typed}; "
            f"{len(self.unsupported)} unsupported; {len(self.rejected)} rejected."
            + (f" {len(self.existing)} the lesson already had: {self._existing_summary()}." if self.existing else "")
        ]
        for k in self.existing:
            out.append(f"line {k.line}: '{k.key}' {k.outcome}")
        for s in self.saved:
            out.append(f"line {s.line}: saved {s.kind} question '{s.key}'" + "".join(f" ({n})" for n in s.notes))
        for p in self.unsupported:
            out.append(f"line {p.line}: not imported, unsupported question type '{p.code}'")
        for p in self.rejected:
            out.append(f"line {p.line}: rejected: {p.message} [{p.code}]")
        return out

    def _existing_summary(self) -> str:
        counts = {
            word: sum(1 for k in self.existing if k.outcome.startswith(word)) for word in ("updated", "unchanged", "skipped")
        }
        return ", ".join(f"{n} {word}" for word, n in counts.items() if n)


def _message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _fit_typed(question: QuestionData) -> list[str]:
    """Notes on a typed question's answers that the site reads otherwise than Moodle: a `*` inside a
    short answer is the character (an answer that is only `*` is the catch-all, as in Moodle)."""
    return [
        f"'*' in the answer '{choice.text[:40]}' is matched as the character, not as any characters"
        for choice in question.choices
        if question.kind == Kind.SHORT and ANY_ANSWER in choice.text and choice.text != ANY_ANSWER
    ]


def _fit(question: QuestionData) -> tuple[QuestionData, list[str]]:
    """Adapt a parsed question to the site's model; return it with notes on what changed."""
    notes: list[str] = _fit_typed(question) if question.kind in TYPED_KINDS else []
    if (
        question.kind == Kind.SINGLE
        and [c.text for c in question.choices] == ["True", "False"]
        and sorted(c.fraction for c in question.choices) == [0, 1]
    ):
        question.kind = Kind.TRUEFALSE
    for choice in question.choices:
        choice.fraction = Decimal(choice.fraction).quantize(_PLACES, rounding=ROUND_HALF_EVEN)
    if question.kind == Kind.SINGLE and sum(1 for c in question.choices if c.fraction == 1) == 1:
        for choice in question.choices:
            if 0 < choice.fraction < 1:
                notes.append(f"partial credit {(choice.fraction * 100).normalize():f}% on '{choice.text[:40]}' dropped to 0%")
                choice.fraction = Decimal(0)
    return question, notes


def _check(question: QuestionData) -> Problem | None:
    """The admin's and the loader's rules, applied to an imported question."""

    def problem(code: str, message: str) -> Problem:
        return Problem(line=question.line, message=message, code=code)

    if not question.stem.strip():
        return problem(EMPTY_STEM, "the question has no text")
    if question.kind in TYPED_KINDS:
        # The interchange's rules for typed answers, then the site's, as the admin and the loader apply them.
        found = validate_question(question)
        if found:
            return found[0]
        try:
            validate_answers(question.kind, [(c.text, c.fraction, c.tolerance) for c in question.choices])
        except ValidationError as exc:
            return problem(exc.code or "invalid", _message(exc))
    else:
        try:
            validate_choices(question.kind, [c.fraction for c in question.choices])
        except ValidationError as exc:
            return problem(exc.code or "invalid", _message(exc))
    for title, _ in question.steps:
        if len(title) > 200:
            return problem(TOO_LONG, "a worked step's title is longer than 200 characters")
    for mistake in question.mistakes:
        if len(mistake) > 300:
            return problem(TOO_LONG, "a common mistake is longer than 300 characters")
    prose = [c.feedback for c in question.choices] + [question.general_feedback, question.quick_check]
    prose += [t for step in question.steps for t in step] + question.hints + question.mistakes
    for text in prose:
        try:
            validate_no_letter_reference(text)
        except ValidationError as exc:
            return problem(exc.code or "letter_reference", _message(exc))
    return None


def _unique_key(base: str, taken: set[str]) -> str:
    base = slugify(base)[:_KEY_MAX].strip("-_") or "question"
    key, n = base, 1
    while key in taken:
        n += 1
        suffix = f"-{n}"
        key = base[: _KEY_MAX - len(suffix)].rstrip("-_") + suffix
    taken.add(key)
    return key


def _content(question: QuestionData) -> QuestionContent:
    steps = list(question.steps)
    if question.general_feedback.strip():
        steps.append((GENERAL_FEEDBACK_TITLE, question.general_feedback))
    return QuestionContent(
        kind=question.kind,
        stem=question.stem,
        quick_check=question.quick_check,
        choices=tuple(
            ChoiceContent(text=c.text, fraction=c.fraction, feedback=c.feedback, tolerance=float(c.tolerance))
            for c in question.choices
        ),
        steps=tuple(steps),
        hints=tuple(question.hints),
        mistakes=tuple(question.mistakes),
    )


def _save(*, lesson: Lesson, question: QuestionData, key: str, position: int) -> Question:
    return question_save(
        lesson=lesson,
        key=key,
        content=_content(question),
        source=Source.IMPORT,
        place=QuestionPlace(role=Role.PRACTICE, position=position, difficulty=question.difficulty or DEFAULT_DIFFICULTY),
    ).question


def _update(*, lesson: Lesson, question: QuestionData, held: Question) -> str:
    """A new version of `held` from the imported question (its place kept); what happened, for the report."""
    if held.source == Source.FILE:
        return f"skipped: it comes from the lesson file {held.source_file}; edit it there"
    place = QuestionPlace(
        role=held.role, position=held.position, difficulty=question.difficulty or held.difficulty, active=held.active
    )
    saved = question_save(lesson=lesson, key=held.key, content=_content(question), place=place, source=held.source)
    return f"{'updated' if saved.outcome == NEW_VERSION else 'unchanged'} (version {saved.question.version})"


def questions_parse(*, data: bytes | str, fmt: str | None = None) -> tuple[str, list[QuestionData], list[Problem], list[Problem]]:
    """Decode and parse a file: (format, questions, unsupported, errors). Raises ValidationError
    when the file as a whole cannot be read (not text, with `params["line"]`; unknown format)."""
    text = decode_upload(data)
    fmt = upload_format(fmt, text)
    result = parse_gift(text) if fmt == "gift" else parse_aiken(text)
    return fmt, result.questions, result.unsupported, result.errors


@transaction.atomic
def questions_import(*, lesson: Lesson, data: bytes | str, fmt: str | None = None, existing: str = NEW) -> ImportReport:
    """Import a GIFT or Aiken file into the lesson's practice bank, in one transaction.

    A titled question whose title the lesson already has as a key is updated, skipped or added
    as new, as `existing` (UPDATE, SKIP, NEW) says; see the module docstring.

    Every valid question is saved; a question with an error is saved not at all and reported
    with its line; unsupported question types are reported with their line and type.
    Raises ValidationError (nothing saved; code `interchange.NOT_TEXT` with `params["line"]`, or
    `interchange.UNKNOWN_FORMAT`) when the file is not text or the format is unknown.
    """
    fmt, questions, unsupported, errors = questions_parse(data=data, fmt=fmt)
    report = ImportReport(format=fmt, unsupported=list(unsupported), rejected=list(errors))
    taken = set(Question.objects.filter(lesson=lesson).values_list("key", flat=True))
    kept_keys: set[str] = set()
    position = Question.objects.filter(lesson=lesson, role=Role.PRACTICE).aggregate(m=Max("position"))["m"] or 0
    for parsed in questions:
        parsed, notes = _fit(parsed)
        problem = _check(parsed)
        if problem is not None:
            report.rejected.append(problem)
            continue
        held = current_version(lesson=lesson, key=slugify(parsed.title)[:_KEY_MAX]) if parsed.title and existing != NEW else None
        if held is not None and held.key not in kept_keys:
            kept_keys.add(held.key)  # the file's first question of that name; a second one is added as new
            outcome = _update(lesson=lesson, question=parsed, held=held) if existing == UPDATE else "skipped, as asked"
            report.existing.append(KeptQuestion(line=parsed.line, key=held.key, outcome=outcome))
            continue
        position += 1
        key = _unique_key(parsed.title or parsed.stem[:50], taken)
        _save(lesson=lesson, question=parsed, key=key, position=position)
        report.saved.append(SavedQuestion(line=parsed.line, key=key, kind=parsed.kind, notes=notes))
    report.rejected.sort(key=lambda p: p.line)
    report.unsupported.sort(key=lambda p: p.line)
    return report
