"""The mistake drill's page (the mistakes the student has shown, their progress, each round's start) and its picker line."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_http_methods

from quizzes.identity import student_for
from quizzes.models import Mode
from quizzes.selectors.attempts import attempt_unfinished
from quizzes.selectors.bank import lesson_get
from quizzes.selectors.drill import drill_progress, drill_question_ids
from quizzes.views.attempts import start


@require_http_methods(["GET", "POST"])
def drill(request, slug):
    """GET: the mistakes shown and how far along each is. POST: resume the round in progress, or
    start one that asks each question with a mistake not yet fixed."""
    lesson = lesson_get(slug=slug)
    student = student_for(request)
    unfinished = attempt_unfinished(student=student, lesson=lesson, mode=Mode.DRILL)
    progress = drill_progress(student=student, lesson=lesson)
    if request.method == "POST":
        if unfinished:
            return redirect("quizzes:attempt", unfinished.pk)
        ids = drill_question_ids(progress)
        if not ids:
            messages.info(request, "There is nothing to drill: no common mistake of yours is left to fix.")
            return redirect(request.path)
        return start(request, lesson, Mode.DRILL, ids)
    return render(
        request,
        "quizzes/drill.html",
        {"lesson": lesson, "progress": progress, "left": sum(1 for p in progress if not p.done), "unfinished": unfinished},
    )


def drill_state(lesson, request) -> str:
    """How many of the mistakes the student has shown are left to fix; '' before any is shown."""
    progress = drill_progress(student=student_for(request), lesson=lesson)
    if not progress:
        return ""
    left = sum(1 for p in progress if not p.done)
    return f"{left} mistake{pluralize(left)} left" if left else "Every mistake fixed"
