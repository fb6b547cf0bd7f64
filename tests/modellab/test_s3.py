"""The lab on an S3 bucket, over HTTP to moto's S3 server: each "machine" is this process with its own local mirror.

The web takes an upload into the bucket (nothing on its disk), a worker with another
LAB_LOCAL_CACHE_DIR trains from it and writes back, the web serves the gallery and a
prediction from the bucket, and a third machine's run is a feature-cache hit; a data-size
sweep's arms, each on its own machine, share one extraction. Then the faults: a file missing
from the bucket, the storage unreachable inside a worker, at submit (a run or a sweep) and at
upload, and an upload interrupted half-way.
"""

import io
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.base import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from config.middleware import DATABASE_UNAVAILABLE
from modellab import storage
from modellab.models import Dataset, Experiment
from modellab.services.experiments import experiment_submit
from modellab.services.runs import experiment_run
from modellab.services.size_sweep import size_sweep_submit
from tests.modellab.conftest import colour_zip, png_bytes
from tests.s3_server import closed_endpoint

pytestmark = [pytest.mark.django_db, pytest.mark.integration]
S = Experiment.Status


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setattr(storage, "RETRY_DELAYS_S", (0.0, 0.0))


def files_in(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


def upload(client, name="colours") -> Dataset:
    archive = SimpleUploadedFile("colours.zip", colour_zip(per_class=8), content_type="application/zip")
    response = client.post(reverse("modellab:dataset_upload"), {"archive": archive, "name": name})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Dataset.objects.get(name=name)


def run_on(settings, machine: Path, experiment: Experiment) -> Experiment:
    """Run ``experiment`` the way a worker with its own LAB_LOCAL_CACHE_DIR does; back to the web's after."""
    web = settings.LAB_LOCAL_CACHE_DIR
    settings.LAB_LOCAL_CACHE_DIR = machine
    try:
        experiment_run(experiment_id=experiment.pk, worker_hostname=f"{machine.name}@test", worker_pid=1)
    finally:
        settings.LAB_LOCAL_CACHE_DIR = web
    experiment.refresh_from_db()
    return experiment


def submit(user, dataset, **kwargs) -> Experiment:
    with mock.patch("modellab.tasks.run_experiment.delay"):
        (exp,) = experiment_submit(
            owner=user, dataset=dataset, backbone="tiny", strategy="features", epochs=2, lr=0.05, batch_size=8, **kwargs
        )
    return exp


def test_upload_train_and_serve_through_the_bucket(alice, user, s3_media, s3_server, settings, tmp_path):
    """A worker that never sees the web's disk trains an upload; the web shows its gallery and a prediction."""
    # given: an upload through the web
    dataset = upload(alice)
    keys = s3_server.keys(s3_media)
    assert f"{dataset.folder}/{storage.MANIFEST}" in keys
    assert sum(k.startswith(f"{dataset.folder}/red/") for k in keys) == 8
    assert files_in(settings.MEDIA_ROOT) == [] and files_in(settings.LAB_LOCAL_CACHE_DIR) == []  # nothing on the web's disk

    # when: a worker on another machine runs it
    first = run_on(settings, tmp_path / "node-b", submit(user, dataset))

    # then: the outputs and the extracted features are in the bucket
    assert first.status == S.SUCCEEDED, first.failure_reason
    assert first.results["cache_hit"] is False and first.worker_hostname == "node-b@test"
    keys = s3_server.keys(s3_media)
    assert {f"lab/runs/{first.pk}/model.pt", f"lab/runs/{first.pk}/{storage.MANIFEST}"} <= set(keys)
    assert any(k.startswith(f"{storage.FEATURE_CACHE}/features-") for k in keys)
    # the web serves the gallery and a prediction from the bucket, through its access-checked views
    image = alice.get(reverse("modellab:experiment_image", args=[first.pk, 0]))
    assert image.status_code == 200 and Image.open(io.BytesIO(image.content)).format == "PNG"
    predicted = alice.post(
        reverse("modellab:experiment_predict", args=[first.pk]),
        {"image": SimpleUploadedFile("mine.png", png_bytes((220, 5, 5)), content_type="image/png")},
    )
    assert predicted.status_code == 200 and {c for c, _ in predicted.context["prediction"]} == {"blue", "red"}
    assert files_in(settings.MEDIA_ROOT) == []

    # and a run of the same dataset and backbone on a third machine reuses the first one's features
    second = run_on(settings, tmp_path / "node-c", submit(user, dataset))
    assert second.status == S.SUCCEEDED and second.results["cache_hit"] is True
    assert any(note.startswith("Cache hit") for note in second.results["notes"])


def test_the_exported_backbone_travels_with_the_feature_cache(alice, user, s3_media, s3_server, settings, tmp_path, monkeypatch):
    """The first machine's ONNX export goes to the bucket; another machine extracting another dataset uses it without exporting."""
    from modellab.engine import runtime_onnx

    first = run_on(settings, tmp_path / "node-b", submit(user, upload(alice)))
    assert first.status == S.SUCCEEDED, first.failure_reason
    onnx_keys = [k for k in s3_server.keys(s3_media, storage.FEATURE_CACHE) if "/onnx/" in k]
    assert sorted(k.rsplit(".", 1)[1] for k in onnx_keys) == ["json", "onnx"]

    def no_export(module, sample):
        raise AssertionError("exported again although the bucket has the file")

    monkeypatch.setattr(runtime_onnx, "_export", no_export)
    archive = SimpleUploadedFile("fewer.zip", colour_zip(per_class=6), content_type="application/zip")
    assert alice.post(reverse("modellab:dataset_upload"), {"archive": archive, "name": "fewer"}).status_code == 302
    second = run_on(settings, tmp_path / "node-c", submit(user, Dataset.objects.get(name="fewer")))
    assert second.status == S.SUCCEEDED and second.results["cache_hit"] is False
    assert not any("not ONNX Runtime" in note for note in second.results["notes"])


def test_the_arms_of_a_sweep_on_separate_machines_share_one_extraction_through_the_bucket(
    alice, user, s3_media, s3_server, settings, tmp_path
):
    """The largest pre-trained arm extracts; the other, on a machine that never saw it, is a cache hit;
    every arm's model is stored in the bucket."""
    dataset = upload(alice)
    with mock.patch("modellab.tasks.run_experiment.delay"):
        runs = size_sweep_submit(owner=user, dataset=dataset, backbone="tiny", sizes=[2, None], epochs=2, lr=0.05, batch_size=8)
    done = [run_on(settings, tmp_path / f"node-{i}", e) for i, e in enumerate(runs)]
    assert [e.status for e in done] == [S.SUCCEEDED] * 4
    first, second = [e for e in done if e.strategy == "features"]
    assert first.train_per_class is None and first.results["cache_hit"] is False
    assert second.train_per_class == 2 and second.results["cache_hit"] is True
    assert second.results["extract_seconds"] == 0.0
    assert second.results["split_sizes"]["train"] == 4 < first.results["split_sizes"]["train"]
    keys = s3_server.keys(s3_media)
    assert all(f"{storage.RUNS_ROOT}/{e.pk}/model.pt" in keys for e in done)


def test_a_file_missing_from_the_bucket_fails_the_run_naming_it_after_bounded_retries(
    alice, user, s3_media, s3_server, settings, tmp_path, fast_retries, caplog
):
    dataset = upload(alice)
    s3_server.client().delete_object(Bucket=s3_media, Key=f"{dataset.folder}/blue/b3.png")
    exp = run_on(settings, tmp_path / "node-b", submit(user, dataset))
    assert exp.status == S.FAILED and exp.failure_code == storage.STORAGE_OBJECT_MISSING
    assert "colours" in exp.failure_reason and "cannot be found in the file storage" in exp.failure_reason
    assert "/" not in exp.failure_reason.replace("file storage", "")
    assert caplog.text.count("trying again") == len(storage.RETRY_DELAYS_S)
    assert f"{dataset.folder}/blue/b3.png" in caplog.text  # the object's name is for the log
    mirrored = files_in(tmp_path / "node-b" / dataset.folder)  # whole files only, and not marked complete
    assert storage.MANIFEST not in mirrored and not [f for f in mirrored if f.endswith(".part")]


def test_the_storage_unreachable_inside_a_worker_fails_the_run_after_bounded_retries(
    alice, user, s3_media, s3_server, settings, tmp_path, fast_retries, caplog
):
    dataset = upload(alice)
    exp = submit(user, dataset)
    settings.STORAGES = {**settings.STORAGES, "default": s3_server.storages(s3_media, closed_endpoint())}
    exp = run_on(settings, tmp_path / "node-b", exp)
    assert exp.status == S.FAILED and exp.failure_code == storage.STORAGE_UNAVAILABLE
    assert exp.failure_reason == storage.StorageUnavailable.message
    assert caplog.text.count("trying again") == len(storage.RETRY_DELAYS_S)


def assert_storage_unavailable_page(response) -> None:
    body = response.content.decode()
    assert response.status_code == 503, body[:2000]
    assert 'data-code="storage_unavailable"' in body and "Nothing was submitted" in body
    assert f'data-code="{DATABASE_UNAVAILABLE}"' not in body


def test_the_storage_unreachable_at_submit_sweep_or_upload_is_a_503_page_and_nothing_is_created(
    alice, user, s3_media, s3_server, settings
):
    dataset = upload(alice)
    settings.STORAGES = {**settings.STORAGES, "default": s3_server.storages(s3_media, closed_endpoint())}
    form = {
        "dataset": f"upload:{dataset.pk}",
        "backbone": "tiny",
        "strategy": "features",
        "epochs": "1",
        "lr": "0.01",
        "batch_size": "8",
    }
    with mock.patch("modellab.tasks.run_experiment.delay") as delay:
        assert_storage_unavailable_page(alice.post(reverse("modellab:new"), form))
        assert_storage_unavailable_page(alice.post(reverse("modellab:new"), form | {"action": "sweep", "sweep_sizes": "2, all"}))
    delay.assert_not_called()
    assert not Experiment.objects.exists()
    archive = SimpleUploadedFile("more.zip", colour_zip(), content_type="application/zip")
    assert_storage_unavailable_page(alice.post(reverse("modellab:dataset_upload"), {"archive": archive, "name": "more"}))
    assert list(Dataset.objects.values_list("name", flat=True)) == ["colours"]
    assert files_in(settings.LAB_LOCAL_CACHE_DIR) == []


class FailsAfter(io.BytesIO):
    """A local file whose disk fails after ``n`` bytes were read (a worker dying mid-upload)."""

    def __init__(self, data: bytes, n: int):
        super().__init__(data)
        self.n = n

    def read(self, size=-1):
        end = len(self.getbuffer()) if size is None or size < 0 else self.tell() + size
        if min(end, len(self.getbuffer())) > self.n:
            raise OSError("input/output error")
        return super().read(size)


@pytest.mark.parametrize("size", [200_000, 12 * 2**20], ids=["one PUT", "multipart"])
def test_an_upload_that_stops_half_way_is_never_visible_under_its_name(s3_media, s3_server, size):
    name = f"{storage.FEATURE_CACHE}/features-half.pt"
    with pytest.raises(storage.StorageUnavailable):
        storage._upload(name, File(FailsAfter(b"x" * size, size - 1000), name="f"), "the feature cache")
    assert s3_server.keys(s3_media, storage.FEATURE_CACHE) == []
    uploads = s3_server.client().list_multipart_uploads(Bucket=s3_media).get("Uploads", [])
    assert uploads == []  # a multipart upload that failed is aborted, not left to be completed


def test_health_names_the_storage_when_it_does_not_answer(client, s3_media, s3_server, settings):
    assert client.get("/health/").json() == {"database": "ok", "broker": "ok", "storage": "ok"}
    settings.STORAGES = {**settings.STORAGES, "default": s3_server.storages(s3_media, closed_endpoint())}
    response = client.get("/health/")
    assert response.status_code == 503 and response.json()["storage"] == "unavailable"
    assert response.json()["database"] == "ok"


def test_lab_submit_zip_puts_the_dataset_in_the_bucket_or_names_the_storage_fault(user, s3_media, s3_server, settings, tmp_path):
    """The operator's way in (`lab_submit --zip`): the images go to the bucket; with the storage down, a clear error."""
    from django.core.management import CommandError, call_command

    archive = tmp_path / "colours.zip"
    archive.write_bytes(colour_zip())
    args = ["lab_submit", "--user", user.username, "--zip", str(archive), "--backbone", "tiny", "--epochs", "1"]
    with mock.patch("modellab.tasks.run_experiment.delay"):
        call_command(*args, stdout=io.StringIO())
    dataset = Dataset.objects.get()
    assert f"{dataset.folder}/{storage.MANIFEST}" in s3_server.keys(s3_media)
    assert Experiment.objects.get().status == S.QUEUED
    settings.STORAGES = {**settings.STORAGES, "default": s3_server.storages(s3_media, closed_endpoint())}
    with pytest.raises(CommandError, match=storage.STORAGE_UNAVAILABLE):
        call_command(*args, stdout=io.StringIO())
    assert Dataset.objects.count() == 1 and Experiment.objects.count() == 1
