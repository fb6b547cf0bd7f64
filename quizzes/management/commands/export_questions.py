"""`manage.py export_questions --lesson SLUG --format gift|aiken [-o FILE]`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quizzes.interchange import FORMATS
from quizzes.interchange_services import questions_export
from quizzes.management.lessons import lesson_for_command


class Command(BaseCommand):
    help = "Export a lesson's questions as GIFT or Aiken (to standard output unless -o is given)."

    def add_arguments(self, parser):
        parser.add_argument("--lesson", required=True, help="slug of the lesson")
        parser.add_argument("--format", choices=FORMATS, required=True)
        parser.add_argument("-o", "--output", default=None, help="file to write (default: standard output)")

    def handle(self, *args, lesson, format, output, **options):
        target = lesson_for_command(lesson)
        result = questions_export(lesson=target, fmt=format)
        if output:
            try:
                Path(output).write_text(result.text, encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"Cannot write {output}: {exc.strerror or exc}") from None
        else:
            self.stdout.write(result.text, ending="")
        for q, problem in zip(result.skipped, result.problems, strict=True):
            self.stderr.write(f"skipped '{q.key}' ({problem.code}): {problem.message}")
        for loss in result.losses:
            self.stderr.write(f"lost ({loss.code}): {loss.message}")
        if output:
            self.stderr.write(f"Wrote {len(result.exported)} question(s) to {output}; skipped {len(result.skipped)}.")
