"""A question's versions as the admin lists them: each with its answers counted and what changed from the one before."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.db.models import Count

from quizzes.authoring.questions import QuestionContent, question_content
from quizzes.models import Question


@dataclass(frozen=True)
class VersionRow:
    question: Question
    responses: int  # answers recorded against this version
    changes: list[str]  # a unified diff of its content against the version before (empty for the first)


def content_lines(content: QuestionContent) -> list[str]:
    """The content as text, one field a line, so two versions can be compared line by line."""
    lines = [f"kind: {content.kind}", *(f"stem: {t}" for t in content.stem.splitlines() or [""])]
    lines += [f"quick check: {t}" for t in content.quick_check.splitlines()]
    for n, c in enumerate(content.choices, start=1):
        weight = f"{(c.fraction * 100).normalize():f}%"
        tolerance = f" ± {c.tolerance:g}" if c.tolerance else ""
        mistake = f" [mistake {c.mistake}]" if c.mistake else ""
        lines.append(f"choice {n} ({weight}{tolerance}){mistake}: {c.text}")
        lines += [f"choice {n} feedback: {t}" for t in c.feedback.splitlines()]
    for n, (title, body) in enumerate(content.steps, start=1):
        lines.append(f"step {n}: {title}")
        lines += [f"step {n} body: {t}" for t in body.splitlines()]
    lines += [f"hint {n}: {t}" for n, t in enumerate(content.hints, start=1)]
    lines += [f"mistake {n}: {t}" for n, t in enumerate(content.mistakes, start=1)]
    return lines


def question_versions(question: Question) -> list[VersionRow]:
    """Every version of the question's lesson and key, newest first."""
    versions = list(
        Question.objects.filter(lesson_id=question.lesson_id, key=question.key)
        .annotate(answered=Count("responses"))
        .order_by("version")
    )
    rows, before = [], None
    for version in versions:
        lines = content_lines(question_content(version))
        changes = (
            []
            if before is None
            else [
                line
                for line in difflib.unified_diff(
                    before, lines, f"version {version.version - 1}", f"version {version.version}", n=0, lineterm=""
                )
            ]
        )
        rows.append(VersionRow(version, version.answered, changes))
        before = lines
    return rows[::-1]


def responses_to_any_version(question: Question) -> int:
    return Question.objects.filter(lesson_id=question.lesson_id, key=question.key).aggregate(n=Count("responses"))["n"]
