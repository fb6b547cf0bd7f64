"""`manage.py export_questions --lesson SLUG --format gift|aiken [-o FILE]`."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courses.models import Lesson
from quizzes.interchange import FORMATS
from quizzes.interchange_services import questions_export


class Command(BaseCommand):
    help = "Export a lesson's questions as GIFT or Aiken (to standard output unless -o is given)."

    def add_arguments(self, parser):
        parser.add_argument("--lesson", required=True, help="slug of the lesson")
        parser.add_argument("--format", choices=FORMATS, required=True)
        parser.add_argument("-o", "--output", default=None, help="file to write (default: standard output)")

    def handle(self, *args, lesson, format, output, **options):
        try:
            target = Lesson.objects.get(slug=lesson)
        except Lesson.DoesNotExist:
            raise CommandError(f"No lesson with slug '{lesson}'.") from None
        result = questions_export(lesson=target, fmt=format)
        if output:
            try:
                Path(output).write_text(result.text, encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"Cannot write {output}: {exc.strerror or exc}") from None
        else:
            self.stdout.write(result.text, ending="")
        for q in result.skipped:
            self.stderr.write(f"skipped '{q.key}': {format} cannot hold a {q.get_kind_display().lower()} question like this one")
        if output:
            self.stderr.write(f"Wrote {len(result.exported)} question(s) to {output}; skipped {len(result.skipped)}.")
