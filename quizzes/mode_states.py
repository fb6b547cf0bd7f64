"""The lines the lesson page's mode picker shows about the current student: one function per mode,
registered with courses.modes.register_mode_state in QuizzesConfig.ready."""
from django.template.defaultfilters import pluralize
from django.utils.timesince import timeuntil

from quizzes.selectors.attempts import attempt_answered_count, attempt_latest
from quizzes.selectors.bank import practice_bank
from quizzes.selectors.responses import responses_revealed
from quizzes.selectors.reviews import review_due, review_next_due
from quizzes.exam import exam_clock
from quizzes.services import exams
from quizzes.selectors.drill import drill_progress
from quizzes.identity import student_for
from quizzes.models import Attempt, Mode
from quizzes.vocabulary import TYPED_KINDS


def _in_progress(attempt: Attempt) -> str:
    # how many are answered, never which are right: a test tells nothing until it is finished
    return f"In progress: {attempt_answered_count(attempt=attempt)} of {len(attempt.question_ids)} answered"


def practice_state(lesson, request) -> str:
    """The practice round in progress, or how the last one went: 'Last practice: 12 of 16 right'."""
    last = attempt_latest(student=student_for(request), lesson=lesson, mode=Mode.PRACTICE)
    if last is None:
        return ""
    if not last.finished:
        return _in_progress(last)
    return f"Last practice: {last.responses.filter(correct=True).count()} of {len(last.question_ids)} right"


def test_state(lesson, request) -> str:
    """'Last test: 70%', or the test in progress; '' before the first."""
    last = attempt_latest(student=student_for(request), lesson=lesson, mode=Mode.TEST)
    if last is None:
        return ""
    return f"Last test: {last.score_percent}%" if last.finished else _in_progress(last)


def review_state(lesson, request) -> str:
    """How many questions are due now, or when the next one is; '' while the deck is empty."""
    student = student_for(request)
    due = review_due(student=student, lesson=lesson).count()
    if due:
        return f"{due} question{pluralize(due)} due"
    following = review_next_due(student=student, lesson=lesson)
    return f"Next due in {timeuntil(following.due_at, depth=1)}" if following else ""


def numbers_state(lesson, request) -> str:
    """How many of the lesson's typed-answer questions the student has answered right, in any mode."""
    student = student_for(request)
    if not student.known:
        return ""
    bank = practice_bank(lesson=lesson, kinds=TYPED_KINDS)
    answered = responses_revealed(student=student, lesson=lesson).filter(question__in=bank)
    if not answered.exists():
        return ""
    right = answered.filter(correct=True).values("question_id").distinct().count()
    return f"{right} of {bank.count()} answered right"


def exam_state(lesson, request) -> str:
    """'Last exam: 80%', or the minutes left of the one running; '' before the first."""
    student = student_for(request)
    if not student.known:
        return ""
    exams.exams_close(student=student, lesson=lesson)
    last = attempt_latest(student=student, lesson=lesson, mode=Mode.EXAM)
    if last is None:
        return ""
    if not last.finished:
        return f"In progress: {exam_clock(last).minutes_left} min left"
    return f"Last exam: {last.score_percent}%"


def drill_state(lesson, request) -> str:
    """How many of the mistakes the student has shown are left to fix; '' before any is shown."""
    progress = drill_progress(student=student_for(request), lesson=lesson)
    if not progress:
        return ""
    left = sum(1 for p in progress if not p.done)
    return f"{left} mistake{pluralize(left)} left" if left else "Every mistake fixed"
