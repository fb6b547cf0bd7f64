"""The timed exam's start page: the student's time limit, the exam in progress or the last one."""
from django.conf import settings
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from quizzes.selectors.attempts import attempt_latest, attempt_unfinished
from quizzes.selectors.bank import lesson_get
from quizzes.exam import exam_clock
from quizzes.selectors.exams import exam_limit, exam_plan
from quizzes.services import exams
from quizzes.identity import student_for
from quizzes.models import Mode
from quizzes.views import _start


@require_http_methods(["GET", "POST"])
def exam_start(request, slug):
    """GET: what the exam is and the student's limit. POST: resume the running exam, else start one."""
    lesson = lesson_get(slug=slug)
    student = student_for(request)
    exams.exams_close(student=student, lesson=lesson)
    unfinished = attempt_unfinished(student=student, lesson=lesson, mode=Mode.EXAM)
    if request.method == "POST":
        # One exam at a time: starting afresh while the clock runs would let a student preview questions.
        if unfinished:
            return redirect("quizzes:attempt", unfinished.pk)
        return _start(request, lesson, Mode.EXAM)
    plan = exam_plan(lesson)
    return render(request, "quizzes/exam_start.html", {
        "lesson": lesson, "plan": plan, "total": sum(plan.values()),
        "limit": exam_limit(student=student, lesson=lesson), "grace": settings.EXAM_GRACE_SECONDS,
        "unfinished": unfinished, "clock": exam_clock(unfinished) if unfinished else None,
        "last": None if unfinished else attempt_latest(student=student, lesson=lesson, mode=Mode.EXAM),
    })
