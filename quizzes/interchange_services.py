"""Import and export of a lesson's questions as GIFT or Aiken (the writes and reads behind the
`import_questions` / `export_questions` commands and the admin pages).

The parsers and writers are pure (`quizzes.interchange`); this module maps their
`QuestionData` to and from the quiz models and checks every imported question with the same
rules the admin and the lesson loader enforce (`quizzes.grading.validate_choices`,
`validate_no_letter_reference`).

Where the model and the formats differ:

* General feedback (GIFT's `####`) has no field of its own: it becomes the question's last
  worked step, titled `GENERAL_FEEDBACK_TITLE`, and such a step is written back as `####`.
* A GIFT single-answer question may give partial credit to wrong answers (`~%50%almost`);
  our single-answer questions have exactly one correct choice, so partial credit is dropped
  to 0% and the report says so for that question.
* Aiken has no true/false questions: a single-answer question whose choices are exactly
  `True` and `False` is imported as true/false.
* GIFT titles become the question's key (made unique in the lesson); export writes the key
  as the title, so a round trip keeps keys.
* Numeric and short-answer questions (GIFT `{#...}` and `{=a =b}`) keep their answers as
  choices: the number and its tolerance (`Choice.tolerance`), or the accepted text. Moodle's
  answer `*` ("any other answer", `~#feedback` or `=%0%*#feedback`) is kept as a choice whose text
  is `*` (quizzes.vocabulary.ANY_ANSWER), matched only by what no other answer matches; a `*`
  inside a short answer is matched as the character (Moodle: any characters), and noted.
* Aiken cannot hold numeric or short questions, GIFT cannot hold a short answer with `->`
  (Moodle reads it as matching): export skips them, each with a Problem naming it.
* Which choice illustrates which common mistake is not carried by either format.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils.text import slugify

from courses.models import Lesson
from courses.numbered import numbered_create
from quizzes.grading import validate_choices, validate_no_letter_reference
from quizzes.typed import validate_answers
from quizzes.interchange import (
    ANY_ANSWER,
    ChoiceData,
    Problem,
    QuestionData,
    aiken_losses,
    aiken_problem,
    check_format,
    decode_upload,
    dump_aiken,
    dump_gift,
    gift_problem,
    parse_aiken,
    parse_gift,
    upload_format,
    validate_question,
)
from quizzes.models import Choice, Difficulty, Hint, Kind, Mistake, Question, Role, SolutionStep
from quizzes.vocabulary import TYPED_KINDS

GENERAL_FEEDBACK_TITLE = "General feedback"
DEFAULT_DIFFICULTY = Difficulty.MEDIUM
_PLACES = Decimal("0.0000001")  # Choice.fraction has 7 decimal places
_KEY_MAX = 80

# Problem codes of an imported question the site's rules refuse, besides the grading codes.
EMPTY_STEM = "empty_stem"
TOO_LONG = "too_long"


@dataclass
class SavedQuestion:
    line: int
    key: str
    kind: str
    notes: list[str] = field(default_factory=list)  # what was changed to fit the site's rules


@dataclass
class ImportReport:
    """Exactly what an import saved, skipped as unsupported, and rejected."""

    format: str
    saved: list[SavedQuestion] = field(default_factory=list)
    unsupported: list[Problem] = field(default_factory=list)  # code = the question type
    rejected: list[Problem] = field(default_factory=list)  # nothing of these was saved

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
        ]
        for s in self.saved:
            out.append(f"line {s.line}: saved {s.kind} question '{s.key}'" + "".join(f" ({n})" for n in s.notes))
        for p in self.unsupported:
            out.append(f"line {p.line}: not imported, unsupported question type '{p.code}'")
        for p in self.rejected:
            out.append(f"line {p.line}: rejected: {p.message} [{p.code}]")
        return out


@dataclass
class ExportResult:
    text: str
    format: str
    exported: list[Question]
    skipped: list[Question]  # questions the format cannot hold (Aiken: multiple answers, numeric, ...)
    problems: list[Problem] = field(default_factory=list)  # one per skipped question: its key and why
    losses: list[Problem] = field(default_factory=list)  # what written questions lost (Aiken: a stem's layout)

    def notes(self) -> list[str]:
        """What the export left out, for people: each skipped question and each loss, with its code."""
        return [f"skipped {p.message} [{p.code}]" for p in self.problems] + [f"{p.message} [{p.code}]" for p in self.losses]


# --------------------------------------------------------------------------------------------------
# Import


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
    if question.kind == Kind.SINGLE and [c.text for c in question.choices] == ["True", "False"] and sorted(
        c.fraction for c in question.choices
    ) == [0, 1]:
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


def _save(*, lesson: Lesson, question: QuestionData, key: str, position: int) -> Question:
    row = Question.objects.create(
        lesson=lesson, key=key, role=Role.PRACTICE, position=position, stem=question.stem,
        difficulty=question.difficulty or DEFAULT_DIFFICULTY, kind=question.kind,
        quick_check=question.quick_check,
    )
    steps = list(question.steps)
    if question.general_feedback.strip():
        steps.append((GENERAL_FEEDBACK_TITLE, question.general_feedback))
    numbered_create(SolutionStep, [{"title": t, "body": b} for t, b in steps], question=row)
    numbered_create(Hint, [{"text": t} for t in question.hints], question=row)
    numbered_create(Mistake, [{"text": t} for t in question.mistakes], question=row)
    numbered_create(
        Choice,
        [
            {"text": c.text, "fraction": c.fraction, "feedback": c.feedback, "tolerance": float(c.tolerance)}
            for c in question.choices
        ],
        question=row,
    )
    return row


def questions_parse(*, data: bytes | str, fmt: str | None = None) -> tuple[str, list[QuestionData], list[Problem], list[Problem]]:
    """Decode and parse a file: (format, questions, unsupported, errors). Raises ValidationError
    when the file as a whole cannot be read (not text, with `params["line"]`; unknown format)."""
    text = decode_upload(data)
    fmt = upload_format(fmt, text)
    result = parse_gift(text) if fmt == "gift" else parse_aiken(text)
    return fmt, result.questions, result.unsupported, result.errors


@transaction.atomic
def questions_import(*, lesson: Lesson, data: bytes | str, fmt: str | None = None) -> ImportReport:
    """Import a GIFT or Aiken file into the lesson's practice bank, in one transaction.

    Every valid question is saved; a question with an error is saved not at all and reported
    with its line; unsupported question types are reported with their line and type.
    Raises ValidationError (nothing saved; code `interchange.NOT_TEXT` with `params["line"]`, or
    `interchange.UNKNOWN_FORMAT`) when the file is not text or the format is unknown.
    """
    fmt, questions, unsupported, errors = questions_parse(data=data, fmt=fmt)
    report = ImportReport(format=fmt, unsupported=list(unsupported), rejected=list(errors))
    taken = set(Question.objects.filter(lesson=lesson).values_list("key", flat=True))
    position = (
        Question.objects.filter(lesson=lesson, role=Role.PRACTICE).aggregate(m=Max("position"))["m"] or 0
    )
    for parsed in questions:
        parsed, notes = _fit(parsed)
        problem = _check(parsed)
        if problem is not None:
            report.rejected.append(problem)
            continue
        position += 1
        key = _unique_key(parsed.title or parsed.stem[:50], taken)
        _save(lesson=lesson, question=parsed, key=key, position=position)
        report.saved.append(SavedQuestion(line=parsed.line, key=key, kind=parsed.kind, notes=notes))
    report.rejected.sort(key=lambda p: p.line)
    report.unsupported.sort(key=lambda p: p.line)
    return report


# --------------------------------------------------------------------------------------------------
# Export


def question_data(question: Question, *, category: str = "") -> QuestionData:
    """A stored question as the interchange formats see it."""
    steps = [(s.title, s.body) for s in question.steps.all()]
    general = ""
    if steps and steps[-1][0] == GENERAL_FEEDBACK_TITLE:
        general = steps.pop()[1]
    return QuestionData(
        kind=question.kind,
        stem=question.stem,
        choices=[
            ChoiceData(
                text=c.text, fraction=c.fraction, feedback=c.feedback, tolerance=Decimal(repr(c.tolerance)).normalize()
            )
            for c in question.choices.all()
        ],
        title=question.key,
        general_feedback=general,
        difficulty=question.difficulty,
        category=category,
        steps=steps,
        hints=[h.text for h in question.hints.all()],
        mistakes=[m.text for m in question.mistakes.all()],
        quick_check=question.quick_check,
    )


def questions_export(
    *, fmt: str, lesson: Lesson | None = None, questions: QuerySet | list[Question] | None = None
) -> ExportResult:
    """Write a lesson's questions (the model quiz and the bank), or the given ones, as GIFT or Aiken.
    GIFT carries the lesson's slug as the category and the difficulty in the category path."""
    check_format(fmt)
    if questions is None:
        if lesson is None:
            raise ValueError("give a lesson or questions")
        questions = Question.objects.filter(lesson=lesson)
    if isinstance(questions, QuerySet):
        questions = questions.select_related("lesson").prefetch_related("choices", "steps", "hints", "mistakes")
        questions = list(questions.order_by("lesson", "role", "position", "id"))
    data = [question_data(q, category=q.lesson.slug) for q in questions]
    problem_of = gift_problem if fmt == "gift" else aiken_problem
    problems = [problem_of(d) for d in data]
    writable = [d for d, p in zip(data, problems) if p is None]
    text = dump_gift(writable) if fmt == "gift" else dump_aiken(writable)[0]
    return ExportResult(
        text=text,
        format=fmt,
        exported=[q for q, p in zip(questions, problems) if p is None],
        skipped=[q for q, p in zip(questions, problems) if p is not None],
        problems=[p for p in problems if p is not None],
        losses=[loss for d in writable for loss in aiken_losses(d)] if fmt == "aiken" else [],
    )
