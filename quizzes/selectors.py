"""Reads of the quiz app. The question and result pages cost a fixed number of queries
whatever the number of choices, steps, hints and mistakes (prefetching does the work)."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from courses.models import Lesson
from quizzes.blueprint import DEFAULT_BLUEPRINT, draw_plan
from quizzes import exam
from quizzes.grading import letter
from quizzes.identity import Student
from quizzes.models import FEEDBACK_AT_END_MODES, Attempt, Choice, Mode, Question, Response, ReviewItem, Role
from quizzes.typed import MAX_TYPED_LENGTH
from quizzes.vocabulary import DIFFICULTIES, TYPED_KINDS

VERDICTS = (  # (lowest score, verdict): the first that the score reaches
    (Decimal("0.8"), "Strong: you can use this pattern with confidence."),
    (Decimal("0.6"), "Developing: review the solutions of the ones you missed, then practise again."),
    (Decimal("0"), "Needs work: re-read the lesson and practise with hints before testing again."),
)


def verdict(score: Decimal | None) -> str:
    for low, text in VERDICTS:
        if score is not None and score >= low:
            return text
    return ""


def lesson_get(*, slug: str) -> Lesson:
    return get_object_or_404(Lesson.objects.select_related("course"), slug=slug, published=True)


def lesson_test_blueprint(*, lesson: Lesson) -> dict[str, int]:
    """How many questions of each difficulty the lesson's test draws (its own, or the default)."""
    settings = getattr(lesson, "quiz_settings", None)
    return settings.blueprint() if settings else dict(DEFAULT_BLUEPRINT)


def practice_bank(*, lesson: Lesson, kinds: tuple[str, ...] | None = None):
    """The questions practice and tests ask: the lesson's active practice questions (of `kinds`)."""
    bank = Question.objects.filter(lesson=lesson, role=Role.PRACTICE, active=True)
    return bank if kinds is None else bank.filter(kind__in=kinds)


def lesson_test_plan(*, lesson: Lesson) -> dict[str, int]:
    """What "Test this pattern" really draws per difficulty from the lesson's bank (blueprint.draw_plan)."""
    return draw_plan(lesson_test_blueprint(lesson=lesson), practice_bank_counts(lesson=lesson))


def practice_bank_counts(*, lesson: Lesson, kinds: tuple[str, ...] | None = None) -> dict[str, int]:
    """Questions in the practice bank per difficulty, every difficulty listed in order (1 query)."""
    found = practice_bank(lesson=lesson, kinds=kinds).values_list("difficulty", flat=True)
    counts = dict.fromkeys(DIFFICULTIES, 0)
    for difficulty in found:
        counts[difficulty] = counts.get(difficulty, 0) + 1
    return counts


def _full_questions():
    return Question.objects.prefetch_related(
        Prefetch("choices", queryset=Choice.objects.select_related("mistake")),
        "steps", "hints", "mistakes",
    )


@dataclass
class ShownChoice:
    letter: str
    choice: Choice
    chosen: bool = False


@dataclass
class ShownQuestion:
    """A question as one student sees it: choices in their order, lettered, with their answer.
    A typed question has no choices; its `answers` are what the typed text was matched against."""

    number: int
    question: Question
    choices: list[ShownChoice]
    response: Response | None = None
    hints: list = field(default_factory=list)  # the hints revealed so far
    answers: list[Choice] = field(default_factory=list)  # typed kinds only, in authored order
    typed_max_length = MAX_TYPED_LENGTH  # the answer field's maxlength

    @property
    def answered(self) -> bool:
        return bool(self.response and self.response.answered)

    @property
    def typed(self) -> bool:
        return self.question.kind in TYPED_KINDS

    @property
    def accepted_answers(self) -> list[Choice]:
        """A typed question's answers that earn full credit."""
        return [a for a in self.answers if a.fraction >= 1]

    @property
    def matched_answer(self) -> Choice | None:
        """The answer the typed text matched, None when it matched none (or nothing was typed yet)."""
        chosen = set(self.response.chosen_choice_ids) if self.response else set()
        return next((a for a in self.answers if a.id in chosen), None)

    @property
    def correct_choices(self) -> list[ShownChoice]:
        return [c for c in self.choices if c.choice.is_correct]

    @property
    def chosen_choices(self) -> list[ShownChoice]:
        return [c for c in self.choices if c.chosen]

    @property
    def input_type(self) -> str:
        return "checkbox" if self.question.kind == "multiple" else "radio"


def shown_question(question: Question, order: list[int], response: Response | None, number: int = 1) -> ShownQuestion:
    hints = list(question.hints.all())[: response.hints_used] if response else []
    if question.kind in TYPED_KINDS:
        return ShownQuestion(number, question, [], response, hints, answers=list(question.choices.all()))
    by_id = {c.id: c for c in question.choices.all()}
    ids = [i for i in (response.shown_choice_ids if response and response.shown_choice_ids else order) if i in by_id]
    ids += [i for i in by_id if i not in ids]  # a choice added after the attempt began
    chosen = set(response.chosen_choice_ids) if response else set()
    choices = [ShownChoice(letter(n), by_id[i], i in chosen) for n, i in enumerate(ids)]
    return ShownQuestion(number, question, choices, response, hints)


def attempt_get(*, pk: int, student: Student) -> Attempt:
    """The student's own attempt, or 404: nobody sees another student's attempts.

    An exam past its deadline and grace period is finished first (quizzes/exam.py), so what
    the student sees never depends on the closing task having run.
    """
    if not student.known:
        raise Http404("No such attempt.")
    attempt = get_object_or_404(Attempt.objects.select_related("lesson", "lesson__course"), pk=pk, **student.owner_filter())
    return exam.exam_close(attempt=attempt) if attempt.deadline and not attempt.finished else attempt


def attempt_question(*, attempt: Attempt, number: int) -> ShownQuestion:
    """Question `number` (1-based) of an attempt with its response: 3 queries + 1 to 4 prefetches.

    Only what the page shows is fetched: the worked steps and mistakes once a practice or
    review answer is revealed, the hints outside a test (where they are never offered).
    """
    if not 1 <= number <= len(attempt.question_ids):
        raise Http404("No such question in this attempt.")
    qid = attempt.question_ids[number - 1]
    response = Response.objects.filter(attempt=attempt, question_id=qid).first()
    related = [Prefetch("choices", queryset=Choice.objects.select_related("mistake"))]
    if not attempt.feedback_at_end or response is not None:
        related.append("hints")
    if not attempt.feedback_at_end and response is not None and response.answered:
        related += ["steps", "mistakes"]
    question = get_object_or_404(Question.objects.prefetch_related(*related), pk=qid)
    return shown_question(question, attempt.choice_orders.get(str(qid), []), response, number)


def attempt_answered_count(*, attempt: Attempt) -> int:
    return attempt.responses.filter(answered_at__isnull=False).count()


def attempt_next_number(*, attempt: Attempt) -> int | None:
    """The first question not yet answered (1-based), None when all are."""
    answered = set(attempt.responses.filter(answered_at__isnull=False).values_list("question_id", flat=True))
    for n, qid in enumerate(attempt.question_ids, start=1):
        if qid not in answered:
            return n
    return None


def attempt_questions(*, attempt: Attempt) -> list[ShownQuestion]:
    """Every question of the attempt with its response, in order (result and review pages)."""
    questions = {q.id: q for q in _full_questions().filter(id__in=attempt.question_ids)}
    responses = {r.question_id: r for r in attempt.responses.all()}
    return [
        shown_question(questions[qid], attempt.choice_orders.get(str(qid), []), responses.get(qid), n)
        for n, qid in enumerate(attempt.question_ids, start=1)
        if qid in questions
    ]


@dataclass
class Breakdown:
    difficulty: str
    total: int = 0
    correct: int = 0
    marks: Decimal = Decimal("0")

    @property
    def percent(self) -> int:
        return round(float(self.marks) / self.total * 100) if self.total else 0


def breakdown(shown: list[ShownQuestion]) -> list[Breakdown]:
    rows = {d: Breakdown(d) for d in DIFFICULTIES}
    for s in shown:
        row = rows[s.question.difficulty]
        row.total += 1
        if s.answered:
            row.correct += int(s.response.correct)
            row.marks += s.response.marks
    return [r for r in rows.values() if r.total]


def missed_question_ids(*, attempt: Attempt) -> list[int]:
    right = set(attempt.responses.filter(correct=True).values_list("question_id", flat=True))
    return [q for q in attempt.question_ids if q not in right]


def responses_answered(*, student: Student, lesson: Lesson):
    """The student's answers in the lesson, in any mode, unfinished tests and exams included."""
    return Response.objects.filter(
        attempt__lesson=lesson, answered_at__isnull=False,
        **{f"attempt__{k}": v for k, v in student.owner_filter().items()},
    )


def responses_revealed(*, student: Student, lesson: Lesson):
    """The student's answers whose correctness they have been told: all but those of a test or exam
    still running. Whatever tells a student how they did (mode lines, the drill) reads these, so
    nothing shows a running test's right and wrong answers before it is finished."""
    return responses_answered(student=student, lesson=lesson).exclude(
        attempt__mode__in=FEEDBACK_AT_END_MODES, attempt__finished_at__isnull=True
    )


def question_ids_seen(*, student: Student, lesson: Lesson) -> set[int]:
    """Questions the student answered in any mode, and every question of their finished tests:
    one skipped there counts as seen, so the next test draws never-seen questions first."""
    answered = set(responses_answered(student=student, lesson=lesson).values_list("question_id", flat=True))
    tests = Attempt.objects.filter(lesson=lesson, mode=Mode.TEST, finished_at__isnull=False, **student.owner_filter())
    return answered.union(*tests.values_list("question_ids", flat=True))


def attempt_unfinished(*, student: Student, lesson: Lesson, mode: str) -> Attempt | None:
    if not student.known:
        return None
    return Attempt.objects.filter(lesson=lesson, mode=mode, finished_at__isnull=True, **student.owner_filter()).first()


def attempt_latest(*, student: Student, lesson: Lesson, mode: str) -> Attempt | None:
    if not student.known:
        return None
    return Attempt.objects.filter(lesson=lesson, mode=mode, **student.owner_filter()).first()


def review_due(*, student: Student, lesson: Lesson | None = None, now=None):
    """The student's review items due now, the longest overdue first."""
    if not student.known:
        return ReviewItem.objects.none()
    items = ReviewItem.objects.filter(
        due_at__lte=now or timezone.now(), question__active=True, **student.owner_filter()
    ).select_related("question", "question__lesson")
    return items.filter(question__lesson=lesson) if lesson else items


def review_next_due(*, student: Student, lesson: Lesson):
    if not student.known:
        return None
    return ReviewItem.objects.filter(question__lesson=lesson, question__active=True, **student.owner_filter()).order_by("due_at").first()


def model_quiz(*, student: Student, lesson: Lesson) -> tuple[Attempt | None, list[ShownQuestion]]:
    """The lesson's model quiz as this student last left it (2-4 queries)."""
    attempt = attempt_latest(student=student, lesson=lesson, mode=Mode.QUIZ)
    questions = list(
        Question.objects.filter(lesson=lesson, role=Role.QUIZ, active=True).prefetch_related(
            Prefetch("choices", queryset=Choice.objects.select_related("mistake"))
        )
    )
    responses = {r.question_id: r for r in attempt.responses.all()} if attempt else {}
    orders = attempt.choice_orders if attempt else {}
    shown = [
        shown_question(q, orders.get(str(q.id), [c.id for c in q.choices.all()]), responses.get(q.id), n)
        for n, q in enumerate(questions, start=1)
    ]
    return attempt, shown


@dataclass
class LessonProgress:
    lesson: Lesson
    best_test: Decimal | None = None
    last_test: Decimal | None = None
    tests: int = 0
    practised: int = 0
    due: list = field(default_factory=list)

    @staticmethod
    def percent(value):
        return None if value is None else round(float(value) * 100)

    @property
    def best_percent(self):
        return self.percent(self.best_test)

    @property
    def last_percent(self):
        return self.percent(self.last_test)


def progress(*, student: Student) -> list[LessonProgress]:
    """Per lesson the student has touched: best and last finished test, practice count, due reviews."""
    if not student.known:
        return []
    rows: dict[int, LessonProgress] = {}
    attempts = Attempt.objects.filter(**student.owner_filter()).select_related("lesson", "lesson__course").order_by("started_at", "id")
    for a in attempts:
        row = rows.setdefault(a.lesson_id, LessonProgress(a.lesson))
        if a.mode == Mode.TEST and a.finished:
            row.tests += 1
            row.last_test = a.score
            row.best_test = a.score if row.best_test is None else max(row.best_test, a.score)
        elif a.mode == Mode.PRACTICE:
            row.practised += 1
    for item in review_due(student=student):
        rows.setdefault(item.question.lesson_id, LessonProgress(item.question.lesson)).due.append(item)
    return sorted(rows.values(), key=lambda r: (r.lesson.course_id, r.lesson.position, r.lesson.title))


def question_preview(*, pk: int) -> tuple[ShownQuestion, ShownQuestion]:
    """A question before and after a (made-up, unsaved) correct answer, for staff."""
    question = get_object_or_404(_full_questions().select_related("lesson"), pk=pk)
    order = [] if question.kind in TYPED_KINDS else [c.id for c in question.choices.all()]
    if question.kind in TYPED_KINDS:  # typed as the first full-credit answer is written
        first = next((c for c in question.choices.all() if c.fraction >= 1), None)
        chosen, typed = ([first.id], first.text) if first else ([], "")
    else:
        chosen, typed = [c.id for c in question.choices.all() if c.is_correct], ""
    right = Response(
        shown_choice_ids=order, chosen_choice_ids=chosen, typed_answer=typed,
        correct=True, marks=Decimal("1"), answered_at=timezone.now(),
    )
    return shown_question(question, order, None), shown_question(question, order, right)
