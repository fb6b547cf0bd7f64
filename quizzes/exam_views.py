"""The timed exam's start page: the student's time limit, the exam in progress or the last one."""
from django.conf import settings
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from quizzes import exam, selectors
from quizzes.blueprint import draw_plan
from quizzes.identity import student_for
from quizzes.models import Mode
from quizzes.views import _start


@require_http_methods(["GET", "POST"])
def exam_start(request, slug):
    """GET: what the exam is and the student's limit. POST: resume the running exam, else start one."""
    lesson = selectors.lesson_get(slug=slug)
    student = student_for(request)
    exam.exams_close(student=student, lesson=lesson)
    unfinished = selectors.attempt_unfinished(student=student, lesson=lesson, mode=Mode.EXAM)
    if request.method == "POST":
        # One exam at a time: starting afresh while the clock runs would let a student preview questions.
        if unfinished:
            return redirect("quizzes:attempt", unfinished.pk)
        return _start(request, lesson, Mode.EXAM)
    plan = draw_plan(exam.exam_plan(lesson), selectors.practice_bank_counts(lesson=lesson))  # what it really draws
    return render(request, "quizzes/exam_start.html", {
        "lesson": lesson, "plan": plan, "total": sum(plan.values()),
        "limit": exam.exam_limit(student=student, lesson=lesson), "grace": settings.EXAM_GRACE_SECONDS,
        "unfinished": unfinished, "clock": exam.exam_clock(unfinished) if unfinished else None,
        "last": None if unfinished else selectors.attempt_latest(student=student, lesson=lesson, mode=Mode.EXAM),
    })
