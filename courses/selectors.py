"""Reads for course pages, each a fixed number of queries whatever the content size."""

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404

from courses.models import Course, Lesson


def course_list_published():
    return Course.objects.annotate(lesson_count=Count("lessons", filter=Q(lessons__published=True))).filter(lesson_count__gt=0)


def course_get_with_lessons(*, slug: str) -> Course:
    return get_object_or_404(
        Course.objects.prefetch_related(
            Prefetch("lessons", queryset=Lesson.objects.filter(published=True), to_attr="published_lessons")
        ),
        slug=slug,
    )


def lesson_get_for_page(*, slug: str, include_unpublished: bool = False) -> Lesson:
    """The lesson with its course, stages, epochs and prediction layers: 4 queries."""
    lessons = Lesson.objects.select_related("course").prefetch_related("stages", "epochs", "prediction_layers")
    if not include_unpublished:
        lessons = lessons.filter(published=True)
    return get_object_or_404(lessons, slug=slug)


def lesson_neighbours(*, lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    """The published lessons before and after `lesson` in its course's order (1 query)."""
    siblings = list(Lesson.objects.filter(course_id=lesson.course_id, published=True).only("slug", "title", "position"))
    at = next((i for i, other in enumerate(siblings) if other.pk == lesson.pk), None)
    if at is None:  # an unpublished lesson, previewed: no neighbours to walk to
        return None, None
    return (siblings[at - 1] if at > 0 else None), (siblings[at + 1] if at + 1 < len(siblings) else None)
