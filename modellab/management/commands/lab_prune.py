"""`python manage.py lab_prune [--dry-run]`: remove the model files the retention settings let go."""

from django.core.management.base import BaseCommand

from modellab.services.retention import models_prune


class Command(BaseCommand):
    help = (
        "Remove the model files of succeeded runs beyond each learner's last LAB_KEEP_MODELS_PER_LEARNER "
        "and older than LAB_KEEP_MODELS_DAYS days (traces and results stay); --dry-run lists them only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list what would be removed; remove nothing")

    def handle(self, *args, dry_run=False, **options):
        runs = models_prune(dry_run=dry_run)
        verb = "would remove" if dry_run else "removed"
        for run in runs:
            self.stdout.write(f"{verb} the model files of run #{run.pk} ({run.owner}, finished {run.finished_at:%Y-%m-%d})")
        self.stdout.write(f"{len(runs)} run(s) whose model files {'would be removed' if dry_run else 'were removed'}.")
