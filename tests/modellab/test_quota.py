"""A learner's uploads and models stay within LAB_STORAGE_QUOTA_MB: a new upload or run over it is refused, saying why."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from modellab import storage
from modellab.models import Dataset, Experiment
from modellab.quota import STORAGE_QUOTA, learner_storage_bytes
from modellab.services.experiments import experiment_submit
from modellab.services.retention import MODEL_REMOVED_AT
from tests.modellab.conftest import colour_zip

pytestmark = [pytest.mark.django_db]

KB = 1024


@pytest.fixture(params=["local", "s3"])
def media(request, settings):
    settings.LAB_STORAGE_QUOTA_MB = 1
    return request.getfixturevalue("lab_media" if request.param == "local" else "s3_media")


def a_model(owner, dataset, size: int, **fields) -> Experiment:
    run = Experiment.objects.create(
        owner=owner,
        dataset=dataset,
        backbone="tiny",
        strategy="scratch",
        epochs=1,
        lr=0.01,
        batch_size=8,
        status=Experiment.Status.SUCCEEDED,
        **fields,
    )
    default_storage.save(f"{storage.RUNS_ROOT}/{run.pk}/model.pt", ContentFile(b"m" * size))
    return run


@pytest.fixture
def upload(user):
    folder = f"{storage.UPLOAD_ROOT}/u{user.pk}/mine"
    default_storage.save(f"{folder}/red/a.png", ContentFile(b"x" * 300 * KB))
    return Dataset.objects.create(owner=user, name="mine", kind=Dataset.Kind.UPLOAD, folder=folder, report={})


def test_usage_counts_uploads_and_remaining_models_only(media, user, other_user, upload):
    a_model(user, upload, 400 * KB)
    a_model(user, upload, 900 * KB, results={MODEL_REMOVED_AT: "2026-01-01"})  # removed by retention: not counted
    a_model(other_user, upload, 900 * KB)  # someone else's
    assert learner_storage_bytes(owner=user) == 700 * KB


def test_a_run_is_refused_once_the_learner_is_at_the_quota(media, user, upload, delay):
    experiment_submit(owner=user, dataset=upload, backbone="tiny", strategy="scratch", epochs=1, lr=0.01, batch_size=8)
    a_model(user, upload, 800 * KB)  # 300 KB + 800 KB: over 1 MB
    with pytest.raises(Exception) as refused:
        experiment_submit(owner=user, dataset=upload, backbone="tiny", strategy="scratch", epochs=1, lr=0.01, batch_size=8)
    assert refused.value.code == STORAGE_QUOTA and "of your 1 MB of storage" in refused.value.messages[0]
    assert Experiment.objects.filter(status=Experiment.Status.QUEUED).count() == 1


def test_an_upload_that_would_pass_the_quota_is_refused_on_the_page(media, client, user, upload, settings):
    archive = colour_zip()
    # given: under the quota by half the zip's size (300 KB of the upload, the rest a model)
    a_model(user, upload, 1024 * KB - 300 * KB - len(archive) // 2)
    assert learner_storage_bytes(owner=user) < 1024 * KB
    client.force_login(user)
    response = client.post(reverse("modellab:dataset_upload"), {"archive": SimpleUploadedFile("c.zip", archive)})
    assert response.status_code == 400 and response.context["upload_form"].has_error("archive", code=STORAGE_QUOTA)
    assert "Your uploads and trained models take 1.0 MB of your 1 MB of storage" in response.content.decode()
    assert Dataset.objects.filter(owner=user).count() == 1
    settings.LAB_STORAGE_QUOTA_MB = 0  # no quota
    response = client.post(reverse("modellab:dataset_upload"), {"archive": SimpleUploadedFile("c.zip", archive)})
    assert response.status_code == 302 and Dataset.objects.filter(owner=user).count() == 2
