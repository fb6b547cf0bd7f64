"""`manage.py fetch_weights [NAME ...]`: download torchvision backbones' ImageNet weights into the torch hub cache."""

from django.core.management.base import BaseCommand, CommandError

from modellab.engine import BackboneUnavailable, WeightsMismatch, fetch_weights, list_backbones


class Command(BaseCommand):
    help = (
        "Download torchvision backbones' ImageNet weights into the torch hub cache ($TORCH_HOME), "
        "on a machine with network; the lab offers a backbone once its weights are there."
    )

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help="Backbone names (default: every unavailable one).")

    def handle(self, *args, names, **options):
        known = {b.name: b for b in list_backbones()}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise CommandError(f"Unknown backbone {unknown[0]!r}; the lab knows: {', '.join(sorted(known))}.")
        wanted = names or [b.name for b in known.values() if not b.available]
        if not wanted:
            self.stdout.write("Every backbone's weights are already here.")
            return
        failures = []
        for name in wanted:
            try:
                path = fetch_weights(name, progress=False)
            except (BackboneUnavailable, WeightsMismatch, OSError) as exc:  # no network, a bad file, a package to install
                failures.append(name)
                self.stderr.write(self.style.ERROR(f"{name}: {exc}"))
                continue
            self.stdout.write(f"{name}: {path or 'no weights file needed'}")
        if failures:
            raise CommandError(f"Could not fetch: {', '.join(failures)}.")
