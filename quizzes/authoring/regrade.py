"""Regrade: re-mark the finished answers to a lesson's questions against each question's latest version (Moodle's regrade).

An answer is carried to the latest version by what it said, never by a row id that may be
gone: a chosen choice becomes the latest version's choice of the same lineage (the choice it was
copied from, quizzes/authoring/questions.py), else the one with the same text; a choice with
neither counts as not chosen. A typed answer is graded again from the text typed. The answer
then names the latest version (the result page shows what it is now marked against), the
attempt's score is recomputed and the attempt records when it was regraded and its score
before. A student's review deck entry for the question is rebuilt from their answers' new marks.
A dry run does all of it inside a transaction it rolls back: it changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from courses.models import Lesson
from quizzes import scheduler
from quizzes.grading import grade
from quizzes.identity import Student
from quizzes.models import Attempt, Choice, Question, Response, ReviewItem
from quizzes.selectors.shown import answer_grade
from quizzes.vocabulary import TYPED_KINDS

_SCORE_PLACES = Decimal("0.00001")  # Attempt.score has 5 decimal places


def _percent(score: Decimal | None) -> str:
    return "-" if score is None else f"{round(float(score) * 100)}%"


@dataclass(frozen=True)
class AttemptChange:
    """A finished attempt whose score the regrade changes."""

    attempt_id: int
    mode: str
    student: str
    before: Decimal
    after: Decimal

    def line(self) -> str:
        return f"attempt {self.attempt_id} ({self.mode}, {self.student}): {_percent(self.before)} -> {_percent(self.after)}"


@dataclass
class RegradeReport:
    dry_run: bool
    answers: int = 0  # finished answers re-marked against a newer version
    attempts: int = 0  # the attempts they belong to
    changes: list[AttemptChange] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # answers that could not be carried over, and why

    def lines(self) -> list[str]:
        """One line per attempt whose mark changes, then the summary."""
        verb = "would re-mark" if self.dry_run else "re-marked"
        summary = (
            f"{'Dry run: ' if self.dry_run else ''}{verb} {self.answers} answer(s) in {self.attempts} attempt(s); "
            f"{len(self.changes)} attempt score(s) {'would change' if self.dry_run else 'changed'}"
            + ("; nothing was saved." if self.dry_run else ".")
        )
        return [c.line() for c in self.changes] + self.skipped + [summary]


def _carry(old: Choice, latest: list[Choice]) -> Choice | None:
    """The latest version's choice a learner's old choice became: same lineage, else same text."""
    same = next((c for c in latest if c.lineage_id == old.lineage_id), None)
    return same or next((c for c in latest if c.text.strip() == old.text.strip()), None)


def _remark(response: Response, latest: Question, old_choices: dict[int, Choice]) -> list[int]:
    """Re-mark the response against `latest` (in memory); return the choice order it was shown, carried over."""
    choices = list(latest.choices.all())
    if latest.kind in TYPED_KINDS:  # graded again from what was typed, as a student's answer is
        response.chosen_choice_ids, result = answer_grade(question=latest, order=[], typed=response.typed_answer)
        response.correct, response.marks = result.correct, result.marks
        return []
    chosen = [_carry(old_choices[i], choices) for i in response.chosen_choice_ids if i in old_choices]
    response.chosen_choice_ids = sorted({c.id for c in chosen if c is not None})
    result = grade(latest.kind, {c.id: c.fraction for c in choices}, response.chosen_choice_ids)
    response.correct, response.marks = result.correct, result.marks
    shown = [_carry(old_choices[i], choices) for i in response.shown_choice_ids if i in old_choices]
    order = list(dict.fromkeys(c.id for c in shown if c is not None))
    return order + [c.id for c in choices if c.id not in order]  # a new choice is shown last


def _rebuild_review(*, lesson: Lesson, key: str, latest: Question, student: Student) -> None:
    """The student's deck entry for the question, as their answers' (new) marks would have scheduled it."""
    owner = {f"attempt__{name}": value for name, value in student.owner_filter().items()}
    events = []
    for r in Response.objects.filter(
        question__lesson=lesson, question__key=key, answered_at__isnull=False, **owner
    ).select_related("attempt"):
        if r.attempt.feedback_at_end and not r.attempt.finished:
            continue  # a test's answers reach the deck when it is finished
        events.append((r.attempt.finished_at if r.attempt.feedback_at_end else r.answered_at, r.id, r))
    item = None
    for when, _, r in sorted(events):
        if item is None and not scheduler.needs_review(correct=r.correct, hints_used=r.hints_used):
            continue
        item = item or ReviewItem(question=latest, due_at=when, **student.owner_fields())
        item.remember(
            scheduler.review(item.memory(), scheduler.rating_for_answer(correct=r.correct, hints_used=r.hints_used), when)
        )
    ReviewItem.objects.filter(question__lesson=lesson, question__key=key, **student.owner_filter()).delete()
    if item is not None:
        item.save()


def _student_label(attempt: Attempt) -> str:
    return attempt.user.get_username() if attempt.user_id else f"anonymous {attempt.anon_id[:8]}"


def regrade(*, lesson: Lesson, keys: Sequence[str] | None = None, dry_run: bool = False) -> RegradeReport:
    """Re-mark every answered response of a finished attempt that names an older version of the
    lesson's questions (those of `keys`, or all) against the latest version; see the module docstring."""
    report = RegradeReport(dry_run=dry_run)
    with transaction.atomic():
        _regrade(lesson, keys, report)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _regrade(lesson: Lesson, keys: Sequence[str] | None, report: RegradeReport) -> None:
    latest_of = Question.objects.filter(lesson=lesson, current=True).prefetch_related("choices")
    if keys is not None:
        latest_of = latest_of.filter(key__in=keys)
    latest = {q.key: q for q in latest_of}
    responses = list(
        Response.objects.select_for_update(of=("self",))
        .filter(
            question__lesson=lesson,
            question__current=False,
            question__key__in=list(latest),
            answered_at__isnull=False,
            attempt__finished_at__isnull=False,
        )
        .select_related("question")
        .order_by("attempt_id", "id")
    )
    old_choices = {c.id: c for c in Choice.objects.filter(question_id__in={r.question_id for r in responses})}
    by_attempt: dict[int, list[Response]] = defaultdict(list)
    for r in responses:
        if (r.question.kind in TYPED_KINDS) != (latest[r.question.key].kind in TYPED_KINDS):
            report.skipped.append(
                f"attempt {r.attempt_id}: the answer to '{r.question.key}' is kept as it was: the question changed "
                "between choosing and typing an answer"
            )
            continue
        by_attempt[r.attempt_id].append(r)
    now = timezone.now()
    rebuild = set()
    for attempt in Attempt.objects.select_for_update().select_related("user").filter(id__in=by_attempt).order_by("id"):
        for r in by_attempt[attempt.id]:
            new = latest[r.question.key]
            was_correct = r.correct
            order = _remark(r, new, old_choices)
            old_id = r.question_id
            attempt.question_ids = [new.id if i == old_id else i for i in attempt.question_ids]
            attempt.choice_orders.pop(str(old_id), None)
            attempt.choice_orders[str(new.id)] = order
            r.question, r.shown_choice_ids = new, order
            r.save(update_fields=["question", "shown_choice_ids", "chosen_choice_ids", "correct", "marks"])
            report.answers += 1
            if r.correct != was_correct:
                rebuild.add((new.key, Student.owning(attempt)))
        before = attempt.score
        total = sum((m for m in attempt.responses.filter(answered_at__isnull=False).values_list("marks", flat=True)), Decimal(0))
        attempt.score = (total / len(attempt.question_ids)).quantize(_SCORE_PLACES) if attempt.question_ids else Decimal(0)
        attempt.score_before_regrade, attempt.regraded_at = before, now
        attempt.save(update_fields=["question_ids", "choice_orders", "score", "score_before_regrade", "regraded_at"])
        report.attempts += 1
        if attempt.score != before:
            report.changes.append(
                AttemptChange(attempt.id, attempt.get_mode_display(), _student_label(attempt), before, attempt.score)
            )
    for key, student in sorted(rebuild, key=lambda ks: (ks[0], ks[1].user_id or 0, ks[1].anon_id)):
        _rebuild_review(lesson=lesson, key=key, latest=latest[key], student=student)
