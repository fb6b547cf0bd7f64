"""The Summary sheet page: the lesson on one screen, printed (Print, or Save as PDF) on at most two A4 pages."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from courses.selectors import lesson_get_for_page
from quizzes.selectors.sheet import lesson_sheet


@require_safe
def sheet(request, slug):
    lesson = lesson_get_for_page(slug=slug)
    return render(request, "quizzes/sheet.html", {"lesson": lesson, "sheet": lesson_sheet(lesson=lesson)})
