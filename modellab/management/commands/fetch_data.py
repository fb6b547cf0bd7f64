"""`manage.py fetch_data cifar10`: download CIFAR-10 (md5-checked by torchvision) where the lab reads it."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from modellab.engine import DatasetError
from modellab.engine.builtin import CIFAR10_FOLDER, CIFAR10_URL, fetch_cifar10, read_cifar10

DATASETS = ("cifar10",)


class Command(BaseCommand):
    help = (
        "Download a dataset the lab can use but does not ship, on a machine with network: cifar10 "
        "(CIFAR-10, 163 MB, into LAB_CIFAR_ROOT) makes the built-in cat, dog and bird dataset available."
    )

    def add_arguments(self, parser):
        parser.add_argument("dataset", choices=DATASETS)
        parser.add_argument("--root", help="where to put it (default: LAB_CIFAR_ROOT)")

    def handle(self, *args, dataset, root=None, **options):
        root = Path(root or settings.LAB_CIFAR_ROOT).resolve()
        try:
            root.mkdir(parents=True, exist_ok=True)
            folder = fetch_cifar10(root)
        except OSError as exc:  # no network (urllib's URLError), a disk that refuses
            raise CommandError(
                f"Could not fetch CIFAR-10 into {root}: {exc}. On a machine without network, download {CIFAR10_URL} "
                f"elsewhere and extract it into {root} so that {root / CIFAR10_FOLDER} exists."
            ) from exc
        except RuntimeError as exc:  # torchvision: the archive failed its md5 check
            (root / Path(CIFAR10_URL).name).unlink(missing_ok=True)  # a damaged download is not kept
            raise CommandError(f"CIFAR-10 did not pass its md5 check ({exc}); nothing was extracted. Try again.") from exc
        try:
            names, data, _ = read_cifar10(root)
        except DatasetError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(
            f"CIFAR-10 is in {folder} ({len(data)} training images, classes {', '.join(names)}). "
            "The built-in dataset of cat, dog and bird is now available to the lab and to presets that name it."
        )
