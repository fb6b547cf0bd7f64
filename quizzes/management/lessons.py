"""The lesson a question command's `--lesson SLUG` names, or a CommandError that says there is none."""

from django.core.management.base import CommandError

from courses.models import Lesson


def lesson_for_command(slug: str) -> Lesson:
    try:
        return Lesson.objects.get(slug=slug)
    except Lesson.DoesNotExist:
        raise CommandError(f"No lesson with slug '{slug}'.") from None
