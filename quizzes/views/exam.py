"""The timed exam's start page (the student's time limit, the exam in progress or the last one) and its picker line.

Both close the student's exams whose time is up first, once per request (services.exams.exams_close),
so neither shows a running exam that is over.
"""

from django.conf import settings
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from quizzes.blueprint import draw_plan
from quizzes.exam import exam_clock
from quizzes.identity import student_for
from quizzes.models import Mode
from quizzes.selectors.attempts import attempt_latest, attempt_unfinished
from quizzes.selectors.bank import lesson_get, practice_bank_counts
from quizzes.selectors.exams import exam_attempts, exam_limit, exam_plan
from quizzes.services.exams import exams_close
from quizzes.views.attempts import start


@require_http_methods(["GET", "POST"])
def exam_start(request, slug):
    """GET: what the exam is, the student's limit and attempts. POST: resume the running exam, else start
    one (the start service refuses one past the attempts allowed, and the page says why)."""
    lesson = lesson_get(slug=slug)
    student = student_for(request)
    exams_close(student=student, lesson=lesson)
    unfinished = attempt_unfinished(student=student, lesson=lesson, mode=Mode.EXAM)
    if request.method == "POST":
        # One exam at a time: starting afresh while the clock runs would let a student preview questions.
        if unfinished:
            return redirect("quizzes:attempt", unfinished.pk)
        return start(request, lesson, Mode.EXAM)
    plan = draw_plan(exam_plan(lesson), practice_bank_counts(lesson=lesson))  # what it really draws
    return render(
        request,
        "quizzes/exam_start.html",
        {
            "lesson": lesson,
            "plan": plan,
            "total": sum(plan.values()),
            "limit": exam_limit(student=student, lesson=lesson),
            "grace": settings.EXAM_GRACE_SECONDS,
            "attempts": exam_attempts(student=student, lesson=lesson),
            "unfinished": unfinished,
            "clock": exam_clock(unfinished) if unfinished else None,
            "last": None if unfinished else attempt_latest(student=student, lesson=lesson, mode=Mode.EXAM),
        },
    )


def exam_state(lesson, request) -> str:
    """'Last exam: 80%', or the minutes left of the one running; '' before the first."""
    student = student_for(request)
    if not student.known:
        return ""
    exams_close(student=student, lesson=lesson)
    last = attempt_latest(student=student, lesson=lesson, mode=Mode.EXAM)
    if last is None:
        return ""
    if not last.finished:
        return f"In progress: {exam_clock(last).minutes_left} min left"
    return f"Last exam: {last.score_percent}%"
