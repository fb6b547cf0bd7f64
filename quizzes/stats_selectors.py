"""Item statistics of a lesson's test ("Test this pattern"), from the stored attempts.

The numbers come from `quizzes.statistics` (Moodle's definitions); this module only builds
the response matrix: by default each student's first finished test attempt (Moodle's
"first attempt" setting), optionally all finished test attempts.

A test draws its questions from the bank, so attempts need not share their questions. When
they all do, the whole matrix goes to `item_analysis` at once (exactly Moodle's report).
When they don't, each question is analysed over the attempts that asked it, with "the rest
of the test" being that attempt's total minus the question (how Moodle treats random
questions), and the test's figures are taken by position in the test (Moodle's slots).
Effective weight needs a common set of questions, so it is left out in that case.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db.models import Q

from courses.models import Lesson
from quizzes.models import Attempt, Mode, Question, Response, Role
from quizzes.statistics import (
    MIN_ATTEMPTS,
    ChoiceReport,
    Flag,
    QuestionStatistics,
    TestStatistics,
    item_analysis,
    question_statistics,
    test_statistics,
)

TOO_FEW = "too_few_attempts"
TOO_FEW_TEXT = "too few attempts to judge"
_REST = "__rest_of_test__"


@dataclass
class ChoiceRow:
    choice_id: int
    text: str
    fraction: float
    count: int
    percent: float | None
    flags: list[Flag] = field(default_factory=list)

    @property
    def correct(self) -> bool:
        return self.fraction > 0


@dataclass
class QuestionRow:
    question: Question
    stats: QuestionStatistics
    choices: list[ChoiceRow] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)  # question flags, weak distractors included

    @property
    def too_few(self) -> bool:
        return any(f.code == TOO_FEW for f in self.flags)

    @property
    def flag_codes(self) -> list[str]:
        return [f.code for f in self.flags]

    @property
    def flag_text(self) -> str:
        return "; ".join(f.code.replace("_", " ") + ": " + f.message for f in self.flags)

    def value(self, column: str):
        """The value a column sorts on (None sorts last)."""
        q, s = self.question, self.stats
        return {
            "position": (q.role, q.position, q.id),
            "key": q.key,
            "difficulty": ("easy", "medium", "hard").index(q.difficulty) if q.difficulty in ("easy", "medium", "hard") else 9,
            "attempts": s.n,
            "facility": s.facility,
            "sd": s.sd,
            "discrimination": s.discrimination_index,
            "efficiency": s.discriminative_efficiency,
            "weight": s.effective_weight,
            "flags": ", ".join(self.flag_codes),
        }[column]


SORT_COLUMNS = ("position", "key", "difficulty", "attempts", "facility", "sd", "discrimination", "efficiency", "weight", "flags")


@dataclass
class LessonStatistics:
    lesson: Lesson
    all_attempts: bool
    attempts: int
    test: TestStatistics
    rows: list[QuestionRow]
    common_questions: bool  # every attempt asked the same questions

    @property
    def too_few(self) -> bool:
        return any(f.code == TOO_FEW for f in self.test.flags)


def _test_attempts(*, lesson: Lesson, all_attempts: bool) -> list[Attempt]:
    attempts = Attempt.objects.filter(lesson=lesson, mode=Mode.TEST, finished_at__isnull=False).order_by("started_at", "id")
    if all_attempts:
        return list(attempts)
    first: dict[str, Attempt] = {}
    for attempt in attempts:
        owner = f"user:{attempt.user_id}" if attempt.user_id else f"anon:{attempt.anon_id}"
        first.setdefault(owner, attempt)
    return list(first.values())


def _choice_rows(question: Question, report: ChoiceReport | None) -> list[ChoiceRow]:
    by_id = {c.choice_id: c for c in report.choices} if report else {}
    rows = []
    for choice in question.choices.all():
        stat = by_id.get(choice.id)
        rows.append(
            ChoiceRow(
                choice_id=choice.id, text=choice.text, fraction=float(choice.fraction),
                count=stat.count if stat else 0, percent=stat.percent if stat else None,
                flags=list(stat.flags) if stat else [],
            )
        )
    return rows


def lesson_item_statistics(*, lesson: Lesson, all_attempts: bool = False, min_attempts: int = MIN_ATTEMPTS) -> LessonStatistics:
    """Per-question and whole-test statistics of the lesson's finished test attempts."""
    attempts = _test_attempts(lesson=lesson, all_attempts=all_attempts)
    marks: dict[int, dict[int, float | None]] = {a.id: {qid: None for qid in a.question_ids} for a in attempts}
    picks: dict[int, dict[int, list[int]]] = {a.id: {} for a in attempts}
    answered = Response.objects.filter(attempt_id__in=marks, answered_at__isnull=False).values_list(
        "attempt_id", "question_id", "marks", "chosen_choice_ids"
    )
    for attempt_id, question_id, mark, chosen in answered:
        if question_id in marks[attempt_id]:
            marks[attempt_id][question_id] = float(mark)
            picks[attempt_id][question_id] = list(chosen or [])

    asked = {qid for a in attempts for qid in a.question_ids}
    questions = sorted(
        Question.objects.filter(Q(id__in=asked) | Q(lesson=lesson, role=Role.PRACTICE, active=True)).prefetch_related("choices"),
        key=lambda q: (q.role, q.position, q.id),
    )
    credit = {q.id: {c.id: c.fraction for c in q.choices.all()} for q in questions}
    difficulties = {q.id: q.difficulty for q in questions}

    def responses_for(qid: int, attempt_ids: list[int]) -> list:
        out = []
        for aid in attempt_ids:
            chosen = [c for c in picks[aid].get(qid, []) if c in credit[qid]]  # a choice deleted since: ignored
            out.append(chosen or None)
        return out

    common = len({frozenset(a.question_ids) for a in attempts}) <= 1
    per_question: dict[int, QuestionStatistics] = {}
    reports: dict[int, ChoiceReport] = {}
    if common and attempts:
        qids = list(attempts[0].question_ids)
        ids = [a.id for a in attempts]
        analysis = item_analysis(
            [marks[aid] for aid in ids], {qid: 1.0 for qid in qids}, difficulties=difficulties,
            responses={qid: responses_for(qid, ids) for qid in qids if qid in credit},
            choices={qid: credit[qid] for qid in qids if qid in credit}, min_attempts=min_attempts,
        )
        test = analysis.test
        per_question.update(analysis.questions)
        reports.update(analysis.choices)
    else:
        length = max((len(a.question_ids) for a in attempts), default=0)
        test = test_statistics(
            [{slot: marks[a.id][qid] for slot, qid in enumerate(a.question_ids)} for a in attempts],
            {slot: 1.0 for slot in range(length)}, min_attempts=min_attempts,
        )
        for qid in sorted(asked & set(credit)):
            having = [a for a in attempts if qid in marks[a.id]]
            cap = float(max(len(a.question_ids) - 1 for a in having))
            rows = []
            for a in having:
                x = marks[a.id][qid] or 0.0
                rest = sum(m or 0.0 for m in marks[a.id].values()) - x
                rows.append({qid: x, _REST: (rest, cap) if cap else 0.0})
            analysis = item_analysis(
                rows, {qid: 1.0, _REST: cap}, difficulties=difficulties,
                responses={qid: responses_for(qid, [a.id for a in having])}, choices={qid: credit[qid]},
                min_attempts=min_attempts,
            )
            stats = analysis.questions[qid]
            stats.effective_weight = None
            per_question[qid] = stats
            reports[qid] = analysis.choices[qid]

    rows = []
    for question in questions:
        stats = per_question.get(question.id)
        if stats is None:  # in the bank but never asked
            stats = question_statistics([], {question.id: 1.0}, min_attempts=min_attempts)[question.id]
        report = reports.get(question.id)
        flags = list(stats.flags)
        if report is not None:
            flags += [f for f in report.flags if f.code == "weak_distractor" and f not in flags]
        rows.append(QuestionRow(question=question, stats=stats, choices=_choice_rows(question, report), flags=flags))
    return LessonStatistics(
        lesson=lesson, all_attempts=all_attempts, attempts=len(attempts), test=test, rows=rows,
        common_questions=common,
    )


def rows_sorted(rows: list[QuestionRow], order: str) -> list[QuestionRow]:
    """Sort by a column of SORT_COLUMNS, `-column` for descending; empty values go last either way."""
    column = order.lstrip("-")
    if column not in SORT_COLUMNS:
        return list(rows)
    present = [r for r in rows if r.value(column) is not None]
    missing = [r for r in rows if r.value(column) is None]
    return sorted(present, key=lambda r: r.value(column), reverse=order.startswith("-")) + missing


CSV_HEADER = [
    "row", "question", "position", "difficulty", "kind", "attempts", "facility_pct", "sd_pct",
    "discrimination_index_pct", "discriminative_efficiency_pct", "effective_weight_pct",
    "choice", "choice_credit", "choice_count", "choice_pct", "flags",
]


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def statistics_csv(stats: LessonStatistics) -> str:
    """One row per question, then one per choice of it (distractor analysis). A question with
    too few attempts has its numbers left empty and says so in `flags`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in stats.rows:
        q, s = row.question, row.stats
        numbers = [s.facility, s.sd, s.discrimination_index, s.discriminative_efficiency, s.effective_weight]
        if row.too_few:
            numbers = [None] * len(numbers)
        writer.writerow(
            ["question", q.key, q.position, q.difficulty, q.kind, s.n, *map(_num, numbers), "", "", "", "",
             "; ".join(TOO_FEW_TEXT if f.code == TOO_FEW else f.code for f in row.flags)]
        )
        for c in row.choices:
            writer.writerow(
                ["choice", q.key, q.position, "", "", "", "", "", "", "", "", c.text, _num(c.fraction * 100), c.count,
                 _num(c.percent), "; ".join(f.code for f in c.flags)]
            )
    return out.getvalue()
