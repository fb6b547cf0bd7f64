"""`manage.py loadcontent [PATH ...]`: load lesson files, each on its own; report the malformed ones."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from courses.content import content_files, load_lesson_file


class Command(BaseCommand):
    help = "Load lesson files (YAML) into the database; files or folders, default: the bundled content."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", help="Lesson files or folders of them.")

    def handle(self, *args, paths, **options):
        files = content_files(paths)
        if not files:
            raise CommandError("No lesson files found.")
        failures = []
        for path in files:
            try:
                result = load_lesson_file(path)
            except ValidationError as exc:
                message = " ".join(exc.messages)
                failures.append(message)
                self.stderr.write(self.style.ERROR(f"rejected {message}"))
                continue
            verb = "created" if result.created else "updated"
            self.stdout.write(f"{verb} {result.lesson.slug} from {path}")
            for note in result.notes:
                self.stdout.write(self.style.WARNING(f"  {path}: {note}"))
        if failures:
            raise CommandError(f"{len(failures)} of {len(files)} file(s) rejected; nothing from them was saved.")
