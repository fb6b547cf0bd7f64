"""The `questions:` section of a lesson file (see docs/quizzes.md for every field).

    questions:
      blueprint: {easy: 3, medium: 4, hard: 3}   # what "Test this pattern" draws
      exam: {minutes: 15, blueprint: {...}}      # the timed exam (blueprint: as the test's if absent)
      quiz: [question, ...]                      # the lesson's model quiz, in order
      practice: [question, ...]                  # the practice bank

The file owns the questions it declares and no others: each is matched by `key` among the
lesson's questions whose source is a lesson file, and saved through quizzes.authoring.questions
(a changed question becomes a new version; attempts keep the version they showed). A question
dropped from the file is deleted, unless students have answered it: then it is marked inactive
and keeps its history. Questions authored in the admin or imported are never touched: a file
key that one of them already uses is not loaded, and the load reports it.
Choices carry no letters: `correct: true` (or a `weight` in percent) marks the answer. A
typed-answer question (`kind: numeric` or `short`) has `answers:` instead of `choices:`, each
a `value` (numeric, with a `tolerance`) or a `text` (short), marked `correct: true` or given
a `credit` in percent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

from courses.content import LoadNotes
from courses.models import Lesson
from courses.yamlnodes import MISSING_FIELD, Node
from quizzes.grading import UNKNOWN_KIND, validate_choices, validate_no_letter_reference
from quizzes.authoring.questions import ChoiceContent, QuestionContent, QuestionPlace, question_retire, question_save
from quizzes.models import EXAM_DEFAULT_MINUTES, Kind, LessonExamSettings, LessonQuizSettings, Question, Role, Source
from quizzes.typed import (
    CREDIT_OUT_OF_RANGE,
    MAX_TYPED_LENGTH,
    NEGATIVE_TOLERANCE,
    NOT_A_NUMBER,
    parse_number,
    validate_answer,
    validate_answers,
)
from quizzes.vocabulary import DIFFICULTIES, TYPED_KINDS

_PLACES = Decimal("0.0000001")

# Error codes of the `questions:` section, besides those of courses.yamlnodes and quizzes.grading.
BAD_KEY = "bad_key"
DUPLICATE_KEY = "duplicate_key"
UNKNOWN_DIFFICULTY = "unknown_difficulty"
NO_SUCH_MISTAKE = "no_such_mistake"
CORRECT_WEIGHT_DISAGREE = "correct_weight_disagree"
BLUEPRINT_OVER_BANK = "blueprint_over_bank"
EXAM_ASKS_NOTHING = "exam_asks_nothing"
WRONG_ANSWER_FIELD = "wrong_answer_field"

# The field that holds a typed answer, by kind: numeric answers are values, short ones text.
_ANSWER_FIELD = {"numeric": "value", "short": "text"}


@dataclass
class ParsedQuestion:
    key: str
    role: str
    kind: str
    difficulty: str
    stem: str
    quick_check: str
    choices: list[dict]
    steps: list[dict] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    mistakes: list[str] = field(default_factory=list)


@dataclass
class ParsedSection:
    blueprint: dict | None
    questions: list[ParsedQuestion]
    exam: dict | None = None  # LessonExamSettings fields
    source: str = ""  # the lesson file, as file questions name it


def _prose(node: Node, **kw) -> str:
    """Text that must not name a choice by letter."""
    value = node.text(**kw)
    try:
        validate_no_letter_reference(value)
    except ValidationError as exc:
        raise node.error_from(exc) from None
    return value


def stable_key(node: Node) -> str:
    """A question's or card's `key`: the name reloads match it by."""
    key = node.text(max_length=80)
    if not all(ch.isalnum() or ch in "-_" for ch in key):
        raise node.error("use only letters, digits, '-' and '_'", BAD_KEY)
    return key


def _fractions(kind: str, rows: list[tuple[Node, bool | None, Decimal | None]]) -> list[Decimal]:
    """Weights as fractions: explicit `weight` percents win; otherwise `correct: true` shares
    100% equally, and (multiple answers only) each wrong choice takes away one correct share."""
    n_correct = sum(1 for _, correct, weight in rows if (weight is not None and weight > 0) or (weight is None and correct))
    out = []
    share = (Decimal(1) / n_correct).quantize(_PLACES) if n_correct else Decimal(0)
    given = 0
    for node, correct, weight in rows:
        if weight is not None:
            if correct is not None and correct != (weight > 0):
                raise node.error(
                    "'correct' and 'weight' disagree (a correct choice has a weight above 0)", CORRECT_WEIGHT_DISAGREE
                )
            out.append((weight / 100).quantize(_PLACES))
        elif correct:
            given += 1
            # the last correct share absorbs rounding so the shares add up to exactly 100%
            out.append(Decimal(1) - share * (n_correct - 1) if given == n_correct else share)
        else:
            out.append(-share if kind == Kind.MULTIPLE else Decimal(0))
    return out


def _mistake_number(c: dict[str, Node], mistakes: list[str]) -> int | None:
    """The 1-based common mistake a choice or answer links, checked against the question's list."""
    if "mistake" not in c:
        return None
    mistake = c["mistake"].integer(low=1)
    if mistake > len(mistakes):
        raise c["mistake"].error(f"there is no mistake {mistake}; this question lists {len(mistakes)}", NO_SUCH_MISTAKE)
    return mistake


def _choices(f: dict[str, Node], kind: str, mistakes: list[str]) -> list[dict]:
    rows, choices = [], []
    for item in f["choices"].items():
        c = item.mapping({"text", "correct", "weight", "feedback", "mistake"}, {"text"})
        weight = c["weight"].decimal() if "weight" in c else None
        rows.append((item, c["correct"].boolean() if "correct" in c else None, weight))
        choices.append(
            {
                "text": c["text"].text(),
                "feedback": _prose(c["feedback"], blank=True) if "feedback" in c else "",
                "mistake": _mistake_number(c, mistakes),
                "tolerance": 0,
            }
        )
    fractions = _fractions(kind, rows)
    try:
        validate_choices(kind, fractions)
    except ValidationError as exc:
        raise f["choices"].error_from(exc) from None
    for choice, fraction in zip(choices, fractions, strict=True):
        choice["fraction"] = fraction
    return choices


def _number_field(a: dict[str, Node], name: str, key: str, default: Decimal) -> Decimal:
    if name not in a:
        return default
    try:
        return parse_number(a[name].text())
    except ValidationError as exc:
        raise a[name].error(f"question '{key}': {' '.join(exc.messages)}", exc.code) from None


def _answers(f: dict[str, Node], kind: str, key: str, mistakes: list[str]) -> list[dict]:
    """A typed question's `answers:`: `correct: true` is 100% credit, `credit` a percent (0 if neither)."""
    field = _ANSWER_FIELD[kind]
    allowed = {field, "correct", "credit", "feedback", "mistake"} | ({"tolerance"} if kind == "numeric" else set())
    answers = []
    for number, item in enumerate(f["answers"].items(), start=1):
        a = item.mapping(allowed, {field})
        correct = a["correct"].boolean() if "correct" in a else None
        credit = _number_field(a, "credit", key, Decimal(100) if correct else Decimal(0))
        if correct is not None and correct != (credit == 100):
            raise item.error(
                f"question '{key}': 'correct' and 'credit' disagree (a correct answer has credit 100)", CORRECT_WEIGHT_DISAGREE
            )
        text = a[field].text(max_length=MAX_TYPED_LENGTH)
        tolerance = _number_field(a, "tolerance", key, Decimal(0))
        try:
            validate_answer(kind, number, text, credit / 100, tolerance)
        except ValidationError as exc:
            # the error at the field it is about: the value, the tolerance, the credit
            place = a.get(
                {NOT_A_NUMBER: field, NEGATIVE_TOLERANCE: "tolerance", CREDIT_OUT_OF_RANGE: "credit"}.get(exc.code), item
            )
            raise place.error(f"question '{key}': {' '.join(exc.messages)}", exc.code) from None
        answers.append(
            {
                "text": text,
                "fraction": (credit / 100).quantize(_PLACES),
                "tolerance": tolerance,
                "feedback": _prose(a["feedback"], blank=True) if "feedback" in a else "",
                "mistake": _mistake_number(a, mistakes),
            }
        )
    try:
        validate_answers(kind, [(a["text"], a["fraction"], a["tolerance"]) for a in answers])
    except ValidationError as exc:
        raise f["answers"].error(f"question '{key}': {' '.join(exc.messages)}", exc.code) from None
    return answers


def _question(node: Node, role: str) -> ParsedQuestion:
    f = node.mapping(
        {"key", "kind", "difficulty", "stem", "choices", "answers", "steps", "quick_check", "hints", "mistakes"},
        {"key", "stem"} | ({"difficulty"} if role == Role.PRACTICE else set()),
    )
    key = stable_key(f["key"])
    kind = f["kind"].text() if "kind" in f else Kind.SINGLE
    if kind not in Kind.values:
        raise f["kind"].error(f"'{kind}' is not one of: {', '.join(Kind.values)}", UNKNOWN_KIND)
    difficulty = f["difficulty"].text() if "difficulty" in f else "easy"
    if difficulty not in DIFFICULTIES:
        raise f["difficulty"].error(f"'{difficulty}' is not one of: {', '.join(DIFFICULTIES)}", UNKNOWN_DIFFICULTY)
    mistakes = [_prose(m, max_length=300) for m in f["mistakes"].items()] if "mistakes" in f else []
    wanted, unwanted = ("answers", "choices") if kind in TYPED_KINDS else ("choices", "answers")
    if unwanted in f:
        raise f[unwanted].error(f"question '{key}' is {kind}: its answers go under '{wanted}:'", WRONG_ANSWER_FIELD)
    if wanted not in f:
        raise node.error(f"question '{key}': missing required field '{wanted}'", MISSING_FIELD)
    choices = _answers(f, kind, key, mistakes) if kind in TYPED_KINDS else _choices(f, kind, mistakes)
    steps = []
    for item in f["steps"].items() if "steps" in f else []:
        s = item.mapping({"title", "body"}, {"title", "body"})
        steps.append({"title": _prose(s["title"], max_length=200), "body": _prose(s["body"])})
    return ParsedQuestion(
        key=key,
        role=role,
        kind=kind,
        difficulty=difficulty,
        stem=f["stem"].text(),
        quick_check=_prose(f["quick_check"], blank=True) if "quick_check" in f else "",
        choices=choices,
        steps=steps,
        hints=[_prose(h) for h in f["hints"].items()] if "hints" in f else [],
        mistakes=mistakes,
    )


def _blueprint(node: Node, bank: int) -> dict[str, int]:
    b = node.mapping(set(DIFFICULTIES))
    blueprint = {d: b[d].integer(low=0, high=100) if d in b else 0 for d in DIFFICULTIES}
    if sum(blueprint.values()) > bank:
        raise node.error(f"asks for {sum(blueprint.values())} questions but the practice bank has {bank}", BLUEPRINT_OVER_BANK)
    return blueprint


def _exam(node: Node, bank: int) -> dict:
    f = node.mapping({"minutes", "blueprint", "attempts"})
    blueprint = _blueprint(f["blueprint"], bank) if "blueprint" in f else {d: None for d in DIFFICULTIES}
    if "blueprint" in f and not sum(blueprint.values()):
        raise f["blueprint"].error("asks for no questions; give at least one", EXAM_ASKS_NOTHING)
    minutes = f["minutes"].integer(low=1, high=600) if "minutes" in f else EXAM_DEFAULT_MINUTES
    attempts = f["attempts"].integer(low=1, high=100) if "attempts" in f else None  # None: unlimited
    return {"minutes": minutes, "attempts": attempts, **blueprint}


def validate_questions(node: Node) -> ParsedSection:
    f = node.mapping({"blueprint", "exam", "quiz", "practice"})
    questions: list[ParsedQuestion] = []
    seen: dict[str, int] = {}
    for role in (Role.QUIZ, Role.PRACTICE):
        for item in f[role].items() if role in f else []:
            q = _question(item, role)
            if q.key in seen:
                raise item.error(f"key '{q.key}' is already used by the question on line {seen[q.key]}", DUPLICATE_KEY)
            seen[q.key] = item.line
            questions.append(q)
    bank = sum(1 for q in questions if q.role == Role.PRACTICE)
    blueprint = _blueprint(f["blueprint"], bank) if "blueprint" in f else None
    exam = _exam(f["exam"], bank) if "exam" in f else None
    return ParsedSection(blueprint=blueprint, questions=questions, exam=exam, source=_file_name(node.source))


def _file_name(source: str) -> str:
    """The file as an author finds it: relative to the project when it lies inside it."""
    try:
        return str(Path(source).resolve().relative_to(Path(settings.BASE_DIR).resolve()))
    except (ValueError, OSError):
        return source


def _content(q: ParsedQuestion) -> QuestionContent:
    return QuestionContent(
        kind=q.kind,
        stem=q.stem,
        quick_check=q.quick_check,
        choices=tuple(
            ChoiceContent(
                text=c["text"],
                fraction=c["fraction"],
                feedback=c["feedback"],
                tolerance=float(c["tolerance"]),
                mistake=c["mistake"],
            )
            for c in q.choices
        ),
        steps=tuple((s["title"], s["body"]) for s in q.steps),
        hints=tuple(q.hints),
        mistakes=tuple(q.mistakes),
    )


def save_questions(lesson: Lesson, parsed: ParsedSection) -> LoadNotes:
    """Write the section (inside the loader's transaction); return a note for each file question
    not loaded because an author's question of another source holds its key."""
    if parsed.blueprint is not None:
        LessonQuizSettings.objects.update_or_create(lesson=lesson, defaults=parsed.blueprint)
    if parsed.exam is not None:
        LessonExamSettings.objects.update_or_create(lesson=lesson, defaults=parsed.exam)
    current = {q.key: q for q in Question.objects.filter(lesson=lesson, current=True)}
    notes = LoadNotes()
    positions = {Role.QUIZ: 0, Role.PRACTICE: 0}
    for q in parsed.questions:
        positions[q.role] += 1
        held = current.get(q.key)
        if held is not None and held.source != Source.FILE:
            notes.append(
                f"question '{q.key}' not loaded: the lesson already has a question with that key from "
                f"{held.get_source_display().lower()}; rename it in the file or in the admin"
            )
            continue
        question_save(
            lesson=lesson,
            key=q.key,
            content=_content(q),
            source=Source.FILE,
            source_file=parsed.source,
            place=QuestionPlace(role=q.role, position=positions[q.role], difficulty=q.difficulty, active=True),
        )
    declared = {q.key for q in parsed.questions}
    for question in current.values():
        if question.source == Source.FILE and question.key not in declared:
            question_retire(question)
    return notes
