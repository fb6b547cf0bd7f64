"""`manage.py regrade --lesson SLUG [--question KEY ...] [--dry-run]`: re-mark finished answers against the latest versions."""

from django.core.management.base import BaseCommand, CommandError

from quizzes.authoring.regrade import regrade
from quizzes.management.lessons import lesson_for_command
from quizzes.models import Question


class Command(BaseCommand):
    help = (
        "Re-mark the finished answers to a lesson's questions against each question's latest version; "
        "prints one line per attempt whose score changes (old -> new) and a summary."
    )

    def add_arguments(self, parser):
        parser.add_argument("--lesson", required=True, help="slug of the lesson")
        parser.add_argument("--question", action="append", dest="keys", metavar="KEY", help="only this question (repeatable)")
        parser.add_argument("--dry-run", action="store_true", help="say what would change and change nothing")

    def handle(self, *args, lesson, keys, dry_run, **options):
        target = lesson_for_command(lesson)
        if keys:
            unknown = sorted(set(keys) - set(Question.objects.filter(lesson=target, key__in=keys).values_list("key", flat=True)))
            if unknown:
                raise CommandError(f"Lesson '{target.slug}' has no question {', '.join(unknown)}.")
        for line in regrade(lesson=target, keys=keys, dry_run=dry_run).lines():
            self.stdout.write(line)
