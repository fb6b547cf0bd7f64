"""Where the question linter's data comes from: a lesson file (with each question's lines) or the database.

`lint_file` reads a lesson file's `questions:` section with the loader's own validation
(`quizzes.content.validate_questions`, so a file the loader refuses is one INVALID_FILE error
at the loader's line) and the lines from the YAML nodes; when that lesson is loaded in the
database, its questions' measured statistics are checked too. `lint_question` and
`lint_lesson` check what is stored, for the admin. The rules are `quizzes.lint`'s.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import DatabaseError

from courses.models import Lesson
from courses.yamlnodes import Node, parse_document
from quizzes.blueprint import DEFAULT_BLUEPRINT
from quizzes.content import ParsedQuestion, validate_questions
from quizzes.lint import (
    ERROR,
    INVALID_FILE,
    MIN_RESPONSES,
    Finding,
    LintChoice,
    LintQuestion,
    check_blueprint,
    check_question,
    statistics_findings,
)
from quizzes.models import Question, Response, Role
from quizzes.vocabulary import DIFFICULTIES

# The lists of a question whose items each have their own line; a typed question's answers count as choices.
_LISTS = {"choices": "choices", "answers": "choices", "hints": "hints", "mistakes": "mistakes"}


def _lines(item: yaml.Node) -> dict[str, int]:
    """Each place of one question in its file: the question, its fields, each item of its lists."""
    lines = {"question": item.start_mark.line + 1}
    if isinstance(item, yaml.MappingNode):
        for key_node, value in item.value:
            name = _LISTS.get(key_node.value)
            if name and isinstance(value, yaml.SequenceNode):
                for number, element in enumerate(value.value, start=1):
                    lines[f"{name}[{number}]"] = element.start_mark.line + 1
            else:
                lines[key_node.value] = value.start_mark.line + 1
    return lines


def _from_parsed(q: ParsedQuestion, lines: dict[str, int]) -> LintQuestion:
    return LintQuestion(
        key=q.key,
        kind=q.kind,
        difficulty=q.difficulty,
        stem=q.stem,
        quick_check=q.quick_check,
        choices=tuple(
            LintChoice(c["text"], Decimal(c["fraction"]), c["feedback"], c["mistake"], Decimal(c["tolerance"])) for c in q.choices
        ),
        hints=tuple(q.hints),
        mistakes=tuple(q.mistakes),
        lines=lines,
    )


def _child(node: Node, name: str) -> yaml.Node | None:
    if isinstance(node.node, yaml.MappingNode):
        for key_node, value in node.node.value:
            if key_node.value == name:
                return value
    return None


def _bank(difficulties: list[str]) -> dict[str, int]:
    return {d: difficulties.count(d) for d in DIFFICULTIES}


def _statistics(lesson: Lesson, keys: dict[str, int | None]) -> list[Finding]:
    """The measured findings of the lesson's questions named in `keys` (key -> line), from the database."""
    from quizzes.stats_selectors import lesson_item_statistics

    if not Response.objects.filter(question__lesson=lesson, question__key__in=keys).exists():
        return []
    out = []
    for row in lesson_item_statistics(lesson=lesson).rows:
        if row.question.key in keys:
            out += statistics_findings(row.question.key, row.stats.n, row.flag_codes, line=keys[row.question.key])
    return out


def _loaded_lesson(root: Node, source: str) -> Lesson | None:
    """The file's lesson as loaded in the database; None when it is not, or there is no database
    to read (a fresh checkout): the file's own checks need none."""
    lesson_node = _child(root, "lesson")
    slug = _child(Node(lesson_node, "lesson", source), "slug") if lesson_node is not None else None
    if not isinstance(slug, yaml.ScalarNode):
        return None
    try:
        return Lesson.objects.filter(slug=slug.value).first()
    except DatabaseError:
        return None


def lint_text(text: str, source: str = "<text>") -> list[Finding]:
    """Every finding of one lesson document; a document the loader refuses is one INVALID_FILE error."""
    try:
        root = parse_document(text, source)
        section = _child(root, "questions")
        if section is None:
            return []
        parsed = validate_questions(Node(section, "questions", source))
    except ValidationError as exc:
        params = getattr(exc, "params", None) or {}
        return [
            Finding(
                INVALID_FILE,
                ERROR,
                params.get("field") or "file",
                params.get("line"),
                f"the loader refuses it [{exc.code}]: {params.get('problem') or ' '.join(exc.messages)}",
            )
        ]
    items: list[yaml.Node] = []
    for role in (Role.QUIZ, Role.PRACTICE):
        listed = _child(Node(section, "questions", source), role)
        items += list(listed.value) if isinstance(listed, yaml.SequenceNode) else []
    questions = [_from_parsed(q, _lines(item)) for q, item in zip(parsed.questions, items, strict=True)]
    findings = [f for q in questions for f in check_question(q)]
    practice = [q.difficulty for q in parsed.questions if q.role == Role.PRACTICE]
    if practice or parsed.blueprint:
        blueprint = parsed.blueprint or dict(DEFAULT_BLUEPRINT)
        where = _child(Node(section, "questions", source), "blueprint")
        findings += check_blueprint("blueprint", blueprint, _bank(practice), line=where.start_mark.line + 1 if where else None)
        if parsed.exam and parsed.exam.get("easy") is not None:
            where = _child(Node(section, "questions", source), "exam")
            exam = {d: parsed.exam[d] for d in DIFFICULTIES}
            findings += check_blueprint("exam", exam, _bank(practice), line=where.start_mark.line + 1 if where else None)
    lesson = _loaded_lesson(root, source)
    if lesson is not None:
        findings += _statistics(lesson, {q.key: q.line() for q in questions})
    return sorted(findings, key=lambda f: f.line or 0)


def lint_file(path: Path | str) -> list[Finding]:
    """`lint_text` of a file; a file that cannot be read is one INVALID_FILE error."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [Finding(INVALID_FILE, ERROR, "file", None, f"cannot be read: {exc}")]
    return lint_text(text, str(path))


def _from_db(question: Question) -> LintQuestion:
    mistakes = list(question.mistakes.all())
    number = {m.id: n for n, m in enumerate(mistakes, start=1)}
    return LintQuestion(
        key=question.key,
        kind=question.kind,
        difficulty=question.difficulty,
        stem=question.stem,
        quick_check=question.quick_check,
        choices=tuple(
            LintChoice(c.text, c.fraction, c.feedback, number.get(c.mistake_id), Decimal(repr(c.tolerance)))
            for c in question.choices.all()
        ),
        hints=tuple(h.text for h in question.hints.all()),
        mistakes=tuple(m.text for m in mistakes),
    )


def lint_question(question: Question, *, answered: int | None = None) -> list[Finding]:
    """The findings of one stored question (no lines): its text, and its statistics once it has
    MIN_RESPONSES responses (`answered`: their number where the caller counted them already)."""
    findings = check_question(_from_db(question))
    if answered is None:
        answered = Response.objects.filter(question=question, answered_at__isnull=False).count()
    if answered >= MIN_RESPONSES:
        findings += _statistics(question.lesson, {question.key: None})
    return findings


def lint_lesson(lesson: Lesson) -> list[Finding]:
    """The findings of a stored lesson: each question's, and its test's and exam's draw against
    the active practice bank."""
    from quizzes.selectors.exams import exam_plan
    from quizzes.selectors.bank import lesson_test_blueprint

    questions = list(Question.objects.filter(lesson=lesson).prefetch_related("choices", "hints", "mistakes"))
    findings = [f for q in questions for f in check_question(_from_db(q))]
    bank = _bank([q.difficulty for q in questions if q.role == Role.PRACTICE and q.active])
    findings += check_blueprint("blueprint", lesson_test_blueprint(lesson=lesson), bank)
    findings += check_blueprint("exam", exam_plan(lesson), bank)
    return findings + _statistics(lesson, {q.key: None for q in questions})
