"""Submit a lab run from the command line (demos, smoke tests); prints the experiment ids as JSON."""

import json

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from modellab.dataset_ref import DatasetRef
from modellab.management.users import command_user
from modellab.storage import StorageUnavailable
from modellab.models import Experiment
from modellab.services.datasets import dataset_create_from_upload
from modellab.services.experiments import experiment_submit


class Command(BaseCommand):
    help = "Queue a lab experiment (or a comparison with the same network from scratch) for a user."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="username (created with --create-user)")
        parser.add_argument("--create-user", action="store_true")
        parser.add_argument("--dataset", default=str(DatasetRef.builtin("digits-3")), help="builtin:<key> or upload:<id>")
        parser.add_argument("--zip", help="upload this zip of class folders as a new dataset and use it")
        parser.add_argument("--backbone", default="efficientnet_lite0")
        parser.add_argument("--strategy", default=Experiment.Strategy.FEATURES, choices=Experiment.Strategy.values)
        parser.add_argument("--epochs", type=int, default=5)
        parser.add_argument("--lr", type=float, default=1e-3)
        parser.add_argument("--batch-size", type=int, default=32)
        parser.add_argument("--image-size", type=int, help="square input side in pixels (default: the backbone's own)")
        parser.add_argument("--compare", action="store_true", help="also queue the same network from scratch")
        parser.add_argument(
            "--frozen-arm", action="store_true", help="with --compare: a third run of frozen features from the same weights"
        )
        parser.add_argument("--augment", action="store_true", help="random crop and flip of the training images")
        parser.add_argument(
            "--compare-augment", action="store_true", help="queue the strategy twice: without and with augmentation"
        )
        parser.add_argument("--lesson", default="")

    def handle(self, *args, **o):
        user = command_user(o["user"], create=o["create_user"])
        try:
            if o["zip"]:
                with open(o["zip"], "rb") as fh:
                    dataset = dataset_create_from_upload(owner=user, uploaded_file=File(fh, name=o["zip"]))
            else:
                dataset = DatasetRef.parse(o["dataset"])
            created = experiment_submit(
                owner=user,
                dataset=dataset,
                backbone=o["backbone"],
                strategy=o["strategy"],
                epochs=o["epochs"],
                lr=o["lr"],
                batch_size=o["batch_size"],
                compare=o["compare"],
                frozen_arm=o["frozen_arm"],
                lesson_slug=o["lesson"],
                image_size=o["image_size"],
                augment=o["augment"],
                augment_compare=o["compare_augment"],
            )
        except ValidationError as exc:
            raise CommandError(f"{exc.code}: {' '.join(exc.messages)}") from exc
        except StorageUnavailable as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(json.dumps({"experiments": [e.pk for e in created], "dataset": created[0].dataset_id}))
