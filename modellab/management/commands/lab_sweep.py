"""Requeue or fail runs whose worker is gone (for cron, or after a crash with no worker restart)."""

from django.core.management.base import BaseCommand

from modellab.services.sweep import experiments_sweep_orphans


class Command(BaseCommand):
    help = "Requeue (attempts left) or fail RUNNING lab runs whose worker stopped sending heartbeats."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dead-worker",
            default="",
            help="Also treat every run recorded on this worker hostname (e.g. celery@gpu1) as orphaned.",
        )

    def handle(self, *args, dead_worker="", **options):
        outcomes = experiments_sweep_orphans(restarting_hostname=dead_worker)
        for o in outcomes:
            self.stdout.write(f"experiment {o.experiment_id}: {o.action}: {o.reason}")
        self.stdout.write(f"{len(outcomes)} orphaned run(s) handled.")
