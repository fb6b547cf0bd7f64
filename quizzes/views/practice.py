"""Practice and the test ("Test this pattern"): their start pages, and their lines in the mode picker."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from quizzes.identity import student_for
from quizzes.models import Attempt, Mode
from quizzes.selectors.attempts import attempt_answered_count, attempt_latest, attempt_unfinished, missed_question_ids
from quizzes.selectors.bank import lesson_get, lesson_test_plan, practice_bank_counts
from quizzes.views.attempts import attempt_for, start


def _mode_page(request, lesson, student, mode, counts: dict[str, int]):
    """The start page of practice or a test: questions per difficulty, and the last attempt."""
    return render(
        request,
        "quizzes/mode_start.html",
        {
            "lesson": lesson,
            "scope": lesson,
            "mode": mode,
            "counts": counts,
            "total": sum(counts.values()),
            "unfinished": attempt_unfinished(student=student, lesson=lesson, mode=mode),
            "last": attempt_latest(student=student, lesson=lesson, mode=mode),
        },
    )


@require_http_methods(["GET", "POST"])
def practice(request, slug):
    lesson = lesson_get(slug=slug)
    student = student_for(request)
    if request.method == "POST":
        retry_ids = None
        try:
            if request.POST.get("retry"):
                previous = attempt_for(request, int(request.POST["retry"]))
                retry_ids = missed_question_ids(attempt=previous)
            elif request.POST.get("question"):  # one question, e.g. one skipped in a test
                retry_ids = [int(request.POST["question"])]
        except ValueError:
            return redirect(request.path)
        return start(request, lesson, Mode.PRACTICE, retry_ids)
    return _mode_page(request, lesson, student, Mode.PRACTICE, practice_bank_counts(lesson=lesson))


@require_http_methods(["GET", "POST"])
def test_start(request, slug):
    lesson = lesson_get(slug=slug)
    student = student_for(request)
    if request.method == "POST":
        unfinished = attempt_unfinished(student=student, lesson=lesson, mode=Mode.TEST)
        if unfinished and not request.POST.get("new"):
            return redirect("quizzes:attempt", unfinished.pk)
        return start(request, lesson, Mode.TEST)
    return _mode_page(request, lesson, student, Mode.TEST, lesson_test_plan(lesson=lesson))


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
