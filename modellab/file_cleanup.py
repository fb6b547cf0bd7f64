"""A deleted upload or run takes its files with it: the storage folder (local or bucket) goes once the delete commits.

Receivers of ``post_delete``, not a service: an account deleted in the admin removes its datasets
and runs by cascade, which no service of ours sees; each row deleted, alone or by cascade, sends
the signal. The files go after the commit, so a delete rolled back keeps them.
"""

import logging

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from modellab import storage
from modellab.models import Dataset, Experiment

log = logging.getLogger(__name__)


def _remove_after_commit(name: str) -> None:
    def remove():
        from modellab.storage_usage import delete_folder

        try:
            count = delete_folder(name)
        except Exception:  # the row is gone either way: a file left behind is logged, never a failed delete
            log.exception("could not remove %s from the storage", name)
        else:
            log.info("removed %s: %d file(s)", name, count)

    transaction.on_commit(remove)


@receiver(post_delete, sender=Dataset, dispatch_uid="modellab.dataset_files")
def dataset_files_removed(sender, instance: Dataset, **kwargs) -> None:
    if instance.kind == Dataset.Kind.UPLOAD and instance.folder.startswith(f"{storage.UPLOAD_ROOT}/"):
        _remove_after_commit(instance.folder)


@receiver(post_delete, sender=Experiment, dispatch_uid="modellab.run_files")
def run_files_removed(sender, instance: Experiment, **kwargs) -> None:
    _remove_after_commit(f"{storage.RUNS_ROOT}/{instance.pk}")
