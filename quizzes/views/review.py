"""A round of the review questions due (FSRS) in a lesson or across a course, its start page, and its line in the
mode picker."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils.timesince import timeuntil
from django.views.decorators.http import require_http_methods

from courses.selectors import course_get_with_lessons
from quizzes.identity import student_for
from quizzes.models import Mode
from quizzes.selectors.attempts import attempt_unfinished
from quizzes.selectors.bank import lesson_get
from quizzes.selectors.reviews import review_due, review_next_due
from quizzes.views.attempts import start


@require_http_methods(["GET", "POST"])
def review(request, slug):
    lesson = lesson_get(slug=slug)
    student = student_for(request)
    due = list(review_due(student=student, lesson=lesson))
    if request.method == "POST":
        if not due:
            messages.info(request, "Nothing is due for review right now.")
            return redirect(request.path)
        return start(request, lesson, Mode.REVIEW, [item.question_id for item in due])
    return render(
        request,
        "quizzes/mode_start.html",
        {
            "lesson": lesson,
            "scope": lesson,
            "mode": Mode.REVIEW,
            "due": due,
            "total": len(due),
            "next_due": None if due else review_next_due(student=student, lesson=lesson),
            "unfinished": attempt_unfinished(student=student, lesson=lesson, mode=Mode.REVIEW),
        },
    )


@require_http_methods(["GET", "POST"])
def course_review(request, slug):
    """The questions due in every published lesson of the course, asked in one round, the longest overdue first."""
    course = course_get_with_lessons(slug=slug)
    student = student_for(request)
    due = list(review_due(student=student, course=course))
    if request.method == "POST":
        if not due:
            messages.info(request, "Nothing is due for review right now.")
            return redirect(request.path)
        return start(request, None, Mode.REVIEW, [item.question_id for item in due], course=course)
    return render(
        request,
        "quizzes/mode_start.html",
        {
            "course": course,
            "scope": course,
            "mode": Mode.REVIEW,
            "due": due,
            "total": len(due),
            "next_due": None if due else review_next_due(student=student, course=course),
            "unfinished": attempt_unfinished(student=student, course=course, mode=Mode.REVIEW),
        },
    )


def review_state(lesson, request) -> str:
    """How many questions are due now, or when the next one is; '' while the deck is empty."""
    student = student_for(request)
    due = review_due(student=student, lesson=lesson).count()
    if due:
        return f"{due} question{pluralize(due)} due"
    following = review_next_due(student=student, lesson=lesson)
    return f"Next due in {timeuntil(following.due_at, depth=1)}" if following else ""
