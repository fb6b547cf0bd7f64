"""`manage.py import_questions FILE --lesson SLUG [--format gift|aiken] [--existing update|skip|new]`."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from quizzes.interchange import FORMATS, upload_error_text
from quizzes.authoring.importing import EXISTING_CHOICES, NEW, questions_import
from quizzes.management.lessons import lesson_for_command


class Command(BaseCommand):
    help = "Import GIFT or Aiken questions into a lesson's practice bank (the format is guessed when omitted)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="GIFT or Aiken file ('-' reads standard input)")
        parser.add_argument("--lesson", required=True, help="slug of the lesson that receives the questions")
        parser.add_argument("--format", choices=FORMATS, default=None, help="default: guessed from the content")
        parser.add_argument(
            "--existing",
            choices=[value for value, _ in EXISTING_CHOICES],
            default=NEW,
            help="a question whose GIFT title the lesson already has as a key: update it (a new version), skip it, "
            "or add it as new under a fresh key (default)",
        )

    def handle(self, *args, file, lesson, format, existing, **options):
        target = lesson_for_command(lesson)
        try:
            data = self.stdin.buffer.read() if file == "-" and hasattr(self.stdin, "buffer") else Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from None
        try:
            report = questions_import(lesson=target, data=data, fmt=format, existing=existing)
        except ValidationError as exc:
            raise CommandError(f"{upload_error_text(file, exc)} [{exc.code}]") from None
        lines = report.lines()
        self.stdout.write(lines[0])
        for line in lines[1:]:
            self.stdout.write(f"  {line}")
        if report.rejected:
            raise CommandError(
                f"{len(report.rejected)} question(s) rejected (the other {len(report.saved)} were saved): "
                + "; ".join(f"line {p.line}: {p.message}" for p in report.rejected)
            )
