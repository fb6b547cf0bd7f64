"""A deleted account takes its datasets and run files out of the storage, local or bucket; Lab status sums the storage by kind."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from modellab import storage
from modellab.models import Dataset, Experiment
from modellab.storage_usage import KINDS, delete_folder, folder_usage, usage_by_kind

pytestmark = [pytest.mark.django_db]


@pytest.fixture(params=["local", "s3"])
def media(request):
    """The lab's storage: MEDIA_ROOT on this machine, or a bucket of moto's S3 server."""
    return request.getfixturevalue("lab_media" if request.param == "local" else "s3_media")


def learner_with_files(owner, name: str) -> tuple[Dataset, Experiment]:
    """An upload of two images and a finished run with a 1 KB model, written to the storage."""
    folder = f"{storage.UPLOAD_ROOT}/u{owner.pk}/{name}"
    for rel in ("red/a.png", "blue/b.png"):
        default_storage.save(f"{folder}/{rel}", ContentFile(b"x" * 100))
    dataset = Dataset.objects.create(owner=owner, name=name, kind=Dataset.Kind.UPLOAD, folder=folder, report={})
    run = Experiment.objects.create(
        owner=owner,
        dataset=dataset,
        backbone="tiny",
        strategy="scratch",
        epochs=1,
        lr=0.01,
        batch_size=8,
        status=Experiment.Status.SUCCEEDED,
    )
    default_storage.save(f"{storage.RUNS_ROOT}/{run.pk}/model.pt", ContentFile(b"m" * 1024))
    default_storage.save(f"{storage.RUNS_ROOT}/{run.pk}/results.json", ContentFile(b"{}"))
    return dataset, run


def test_deleting_an_account_removes_its_datasets_and_run_files(media, user, other_user, django_capture_on_commit_callbacks):
    # given: two learners with an upload and a run each
    dataset, run = learner_with_files(user, "mine")
    _, kept_run = learner_with_files(other_user, "theirs")
    assert folder_usage(dataset.folder) == (2, 200)
    # when: alice's account is deleted
    with django_capture_on_commit_callbacks(execute=True):
        user.delete()
    # then: her files are gone from the storage; bob's stay
    assert folder_usage(dataset.folder) == (0, 0)
    assert folder_usage(f"{storage.RUNS_ROOT}/{run.pk}") == (0, 0)
    assert folder_usage(f"{storage.RUNS_ROOT}/{kept_run.pk}") == (2, 1026)
    assert folder_usage(f"{storage.UPLOAD_ROOT}/u{other_user.pk}") == (2, 200)


def test_a_delete_rolled_back_keeps_the_files(media, user, django_capture_on_commit_callbacks):
    dataset, run = learner_with_files(user, "mine")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        user.delete()
    assert len(callbacks) == 2  # queued for the commit, not run: a rollback would drop them
    assert folder_usage(dataset.folder) == (2, 200)


def test_usage_by_kind_and_delete_folder(media, user):
    learner_with_files(user, "mine")
    used = {label: (files, size) for label, files, size in usage_by_kind()}
    assert list(used) == [label for label, _ in KINDS]
    assert used["Uploaded datasets"] == (2, 200) and used["Run files (traces, results, models)"] == (2, 1026)
    assert used["Feature cache"] == (0, 0)
    assert delete_folder(storage.UPLOAD_ROOT) == 2 and folder_usage(storage.UPLOAD_ROOT) == (0, 0)
    assert delete_folder("lab/no-such-folder") == 0


def test_lab_status_shows_the_storage_used_by_kind(client, admin_user, lab_media, user):
    learner_with_files(user, "mine")
    client.force_login(admin_user)
    html = client.get(reverse("admin:modellab_lab_status")).content.decode()
    assert 'id="lab-storage"' in html and 'data-files="2" data-bytes="1026"' in html and "Uploaded datasets" in html


def test_a_dataset_in_use_is_not_deleted_alone(lab_media, user):
    from django.db.models import RestrictedError

    dataset, run = learner_with_files(user, "mine")
    with pytest.raises(RestrictedError):
        dataset.delete()
    assert folder_usage(dataset.folder) == (2, 200)
