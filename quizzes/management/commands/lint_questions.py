"""`manage.py lint_questions [PATH ...]`: the question linter over lesson files (default: every bundled lesson)."""

from django.core.management.base import BaseCommand, CommandError

from courses.content import content_files
from quizzes.lint import ERROR
from quizzes.lint_sources import lint_file


class Command(BaseCommand):
    help = (
        "Check lesson files' questions for item-writing flaws (giveaway hints, unlinked mistakes, ...). "
        "Prints one line per finding: file:line: severity code: key: message. Exits 1 when there is an error."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", help="lesson files or folders (default: content/lessons/)")

    def handle(self, *args, paths, **options):
        files = content_files(paths or None)
        errors = warnings = 0
        for path in files:
            findings = lint_file(path)
            for finding in findings:
                (self.stderr if finding.severity == ERROR else self.stdout).write(finding.format(str(path)))
            errors += sum(1 for f in findings if f.severity == ERROR)
            warnings += len(findings) - sum(1 for f in findings if f.severity == ERROR)
        summary = f"{len(files)} file(s): {errors} error(s), {warnings} warning(s)."
        if errors:
            raise CommandError(summary)
        self.stdout.write(summary)
