"""Lesson pages: parse the request, call one selector, render (the training trace drawn as an SVG chart)."""

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.shortcuts import render

from common.charts import Series, line_chart_svg
from courses import selectors
from courses.modes import lesson_modes
from courses.progress import course_progress, progress_columns


def home(request):
    return render(request, "courses/home.html", {"courses": selectors.course_list_published()})


def course_detail(request, slug):
    """The course's lessons in order, each with the current student's progress in every registered column."""
    course = selectors.course_get_with_lessons(slug=slug)
    return render(
        request,
        "courses/course_detail.html",
        {"course": course, "columns": progress_columns(), "rows": course_progress(course.published_lessons, request)},
    )


def training_chart(lesson):
    epochs = list(lesson.epochs.all())
    if not epochs:
        return ""
    return line_chart_svg(
        [
            Series("Loss", tuple((e.epoch, e.loss) for e in epochs)),
            Series("Accuracy", tuple((e.epoch, e.accuracy) for e in epochs), dashed=True),
        ],
        title=f"Training trace: loss and accuracy by epoch for {lesson.title}",
        x_label="Epoch",
        y_label="Loss / accuracy",
        chart_id="training-chart",
    )


def _render_lesson(request, lesson, *, preview=False):
    previous, following = selectors.lesson_neighbours(lesson=lesson)
    context = {
        "previous_lesson": previous,
        "next_lesson": following,
        "lesson": lesson,
        "modes": lesson_modes(lesson, request),
        "training_chart": training_chart(lesson),
        "preview": preview,
    }
    return render(request, "courses/lesson_detail.html", context)


def lesson_detail(request, slug):
    return _render_lesson(request, selectors.lesson_get_for_page(slug=slug))


@staff_member_required
@permission_required("courses.view_lesson", raise_exception=True)
def lesson_preview(request, slug):
    """Staff who may view lessons see any lesson, published or not, exactly as students will."""
    return _render_lesson(request, selectors.lesson_get_for_page(slug=slug, include_unpublished=True), preview=True)
