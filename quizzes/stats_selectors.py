"""Item statistics of a lesson's test ("Test this pattern"), from the stored attempts.

The numbers come from `quizzes.statistics` (Moodle's definitions); this module only builds
the response matrix: by default each student's first finished test attempt (Moodle's
"first attempt" setting), optionally all finished test attempts.

A test draws its questions from the bank, so attempts need not share their questions. When
they all do, the whole matrix goes to `item_analysis` at once (exactly Moodle's report).
When they don't, each question is analysed over the attempts that asked it, with "the rest
of the test" being that attempt's total minus the question (how Moodle treats random
questions), and the test's figures are taken by position in the test (Moodle's slots).
A typed question's answers are counted like choices (the one each response matched), without
the weak-distractor flag (nobody is offered them), each as a % of the attempts that typed an
answer (matched or not); its most common unmatched typed answers are listed too (those only the
catch-all `*` matched included): what students type that no answer foresees. Choices are named
by their letter in the authored order and their text ("C (Its weights are reset)"), never by id.
Effective weight needs a common set of questions, so it is left out in that case. How the
result is laid out for people (columns, sort, CSV) is `quizzes.stats_report`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from courses.models import Lesson
from quizzes.identity import Student
from quizzes.models import Attempt, Mode, Question, Response, Role
from quizzes.statistics import (
    MIN_ATTEMPTS,
    TOO_FEW_ATTEMPTS,
    WEAK_DISTRACTOR,
    ChoiceReport,
    Flag,
    Flagged,
    QuestionStatistics,
    TestStatistics,
    item_analysis,
    question_statistics,
    test_statistics,
)
from quizzes.grading import letter
from quizzes.typed import common_answers
from quizzes.vocabulary import ANY_ANSWER, TYPED_KINDS

_REST = "__rest_of_test__"


@dataclass
class ChoiceRow:
    choice_id: int
    letter: str  # in the authored order (students see their own shuffle); "" for a typed answer
    text: str
    fraction: float
    count: int
    percent: float | None
    flags: list[Flag] = field(default_factory=list)

    @property
    def correct(self) -> bool:
        return self.fraction > 0


@dataclass
class QuestionRow(Flagged):
    question: Question
    stats: QuestionStatistics
    choices: list[ChoiceRow] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)  # question flags, weak distractors included
    unmatched: list[tuple[str, int]] = field(default_factory=list)  # typed kinds: (answer, count), most common first

    @property
    def too_few(self) -> bool:
        return self.flagged(TOO_FEW_ATTEMPTS)


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
        return self.test.flagged(TOO_FEW_ATTEMPTS)


def _test_attempts(*, lesson: Lesson, all_attempts: bool) -> list[Attempt]:
    attempts = Attempt.objects.filter(lesson=lesson, mode=Mode.TEST, finished_at__isnull=False).order_by("started_at", "id")
    if all_attempts:
        return list(attempts)
    first: dict[Student, Attempt] = {}
    for attempt in attempts:
        first.setdefault(Student.owning(attempt), attempt)
    return list(first.values())


def _choice_names(question: Question) -> dict[int, str]:
    """Each choice's name for people: its letter in the authored order and its text (a typed answer: its text)."""
    typed = question.kind in TYPED_KINDS
    return {c.id: f"'{c.text[:60]}'" if typed else f"{letter(i)} ({c.text[:60]})" for i, c in enumerate(question.choices.all())}


def _choice_rows(question: Question, report: ChoiceReport | None, typed_answers: int) -> list[ChoiceRow]:
    """The question's choices with their counts; a typed question's % is of the `typed_answers` typed."""
    by_id = {c.choice_id: c for c in report.choices} if report else {}
    typed = question.kind in TYPED_KINDS
    rows = []
    for i, choice in enumerate(question.choices.all()):
        stat = by_id.get(choice.id)
        count = stat.count if stat else 0
        percent = (100 * count / typed_answers if typed_answers else None) if typed else (stat.percent if stat else None)
        rows.append(
            ChoiceRow(
                choice_id=choice.id,
                letter="" if typed else letter(i),
                text=choice.text,
                fraction=float(choice.fraction),
                count=count,
                percent=percent,
                flags=list(stat.flags) if stat else [],
            )
        )
    return rows


def lesson_item_statistics(*, lesson: Lesson, all_attempts: bool = False, min_attempts: int = MIN_ATTEMPTS) -> LessonStatistics:
    """Per-question and whole-test statistics of the lesson's finished test attempts."""
    attempts = _test_attempts(lesson=lesson, all_attempts=all_attempts)
    marks: dict[int, dict[int, float | None]] = {a.id: {qid: None for qid in a.question_ids} for a in attempts}
    picks: dict[int, dict[int, list[int]]] = {a.id: {} for a in attempts}
    typed: dict[int, list[tuple[str, list[int]]]] = {}  # question id -> (typed answer, the answer it matched)
    answered = Response.objects.filter(attempt_id__in=marks, answered_at__isnull=False).values_list(
        "attempt_id", "question_id", "marks", "chosen_choice_ids", "typed_answer"
    )
    for attempt_id, question_id, mark, chosen, typed_answer in answered:
        if question_id in marks[attempt_id]:
            marks[attempt_id][question_id] = float(mark)
            picks[attempt_id][question_id] = list(chosen or [])
            if typed_answer:
                typed.setdefault(question_id, []).append((typed_answer, list(chosen or [])))

    asked = {qid for a in attempts for qid in a.question_ids}
    questions = sorted(
        Question.objects.filter(Q(id__in=asked) | Q(lesson=lesson, role=Role.PRACTICE, active=True)).prefetch_related("choices"),
        key=lambda q: (q.role, q.position, q.id),
    )
    # A typed question's answers as ids alone: counted, but never flagged as weak distractors.
    credit = {q.id: {c.id: c.fraction for c in q.choices.all()} for q in questions}
    known = {q.id: list(credit[q.id]) if q.kind in TYPED_KINDS else credit[q.id] for q in questions}
    difficulties = {q.id: q.difficulty for q in questions}
    names = {cid: name for q in questions for cid, name in _choice_names(q).items()}
    catch_all = {c.id for q in questions for c in q.choices.all() if c.text == ANY_ANSWER}

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
            [marks[aid] for aid in ids],
            {qid: 1.0 for qid in qids},
            difficulties=difficulties,
            responses={qid: responses_for(qid, ids) for qid in qids if qid in credit},
            choices={qid: known[qid] for qid in qids if qid in credit},
            min_attempts=min_attempts,
            names=names,
        )
        test = analysis.test
        per_question |= analysis.questions
        reports |= analysis.choices
    else:
        length = max((len(a.question_ids) for a in attempts), default=0)
        test = test_statistics(
            [{slot: marks[a.id][qid] for slot, qid in enumerate(a.question_ids)} for a in attempts],
            {slot: 1.0 for slot in range(length)},
            min_attempts=min_attempts,
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
                rows,
                {qid: 1.0, _REST: cap},
                difficulties=difficulties,
                responses={qid: responses_for(qid, [a.id for a in having])},
                choices={qid: known[qid]},
                min_attempts=min_attempts,
                names=names,
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
            flags += [f for f in report.flags if f.code == WEAK_DISTRACTOR and f not in flags]
        given = typed.get(question.id, [])
        unmatched = [text for text, chosen in given if not set(chosen) - catch_all]  # none matched, or only '*'
        rows.append(
            QuestionRow(
                question=question,
                stats=stats,
                choices=_choice_rows(question, report, len(given)),
                flags=flags,
                unmatched=common_answers(question.kind, unmatched) if question.kind in TYPED_KINDS else [],
            )
        )
    return LessonStatistics(
        lesson=lesson, all_attempts=all_attempts, attempts=len(attempts), test=test, rows=rows, common_questions=common
    )
