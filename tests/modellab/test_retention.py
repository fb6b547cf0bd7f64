"""Model files are kept for each learner's last K runs and any younger than D days; older ones go, and their pages say so."""

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from modellab import storage
from modellab.models import Experiment
from modellab.retention import StoredModel, models_to_remove
from modellab.services.predict import MODEL_REMOVED
from modellab.services.retention import models_prune
from modellab.signals import prune_once
from modellab.storage_usage import folder_usage
from tests.modellab.conftest import png_bytes

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=dt_timezone.utc)


def days_ago(d: float) -> datetime:
    return NOW - timedelta(days=d)


def test_the_rule_keeps_the_last_k_of_each_learner_and_anything_young():
    # alice: runs 1..4 finished 30, 20, 10 and 1 days ago; bob: run 5, 40 days ago
    models = [
        StoredModel(1, 1, days_ago(30)),
        StoredModel(2, 1, days_ago(20)),
        StoredModel(3, 1, days_ago(10)),
        StoredModel(4, 1, days_ago(1)),
        StoredModel(5, 2, days_ago(40)),
    ]
    # keep the last 2 of each and anything younger than 15 days: alice's 1 and 2 go (3 is young), bob's only one stays
    assert models_to_remove(models, keep_last=2, keep_days=15, now=NOW) == [1, 2]
    assert models_to_remove(models, keep_last=1, keep_days=15, now=NOW) == [1, 2]
    assert models_to_remove(models, keep_last=0, keep_days=5, now=NOW) == [1, 2, 3, 5]
    assert models_to_remove(models, keep_last=10, keep_days=0, now=NOW) == []


@pytest.fixture(params=["local", "s3"])
def media(request):
    return request.getfixturevalue("lab_media" if request.param == "local" else "s3_media")


@pytest.fixture
def three_runs(media, user, tiny_dataset, settings):
    """Alice's three succeeded runs with model files, finished 30, 20 and 1 days ago; keep 1, and 10 days."""
    settings.LAB_KEEP_MODELS_PER_LEARNER = 1
    settings.LAB_KEEP_MODELS_DAYS = 10
    runs = []
    for age in (30, 20, 1):
        run = Experiment.objects.create(
            owner=user,
            dataset=tiny_dataset,
            backbone="tiny",
            strategy="scratch",
            epochs=1,
            lr=0.01,
            batch_size=8,
            status=Experiment.Status.SUCCEEDED,
            finished_at=timezone.now() - timedelta(days=age),
            results={"model_path": f"{storage.RUNS_ROOT}/x/model.pt", "final": {"val_accuracy": 0.5}},
        )
        default_storage.save(f"{storage.RUNS_ROOT}/{run.pk}/model.pt", ContentFile(b"m" * 512))
        runs.append(run)
    return runs


@pytest.mark.django_db
def test_lab_prune_dry_run_lists_then_prune_removes_the_old_models(three_runs, capsys):
    old, older_kept_young, newest = three_runs[0], three_runs[1], three_runs[2]
    # --dry-run lists the two older than 10 days beyond the newest, and removes nothing
    call_command("lab_prune", "--dry-run")
    out = capsys.readouterr().out
    assert f"would remove the model files of run #{old.pk}" in out and f"run #{older_kept_young.pk}" in out
    assert f"run #{newest.pk}" not in out and "2 run(s) whose model files would be removed." in out
    assert folder_usage(f"{storage.RUNS_ROOT}/{old.pk}") == (1, 512)
    # the worker's periodic pass removes them; the newest stays
    assert prune_once() == 2
    for run, left in ((old, (0, 0)), (older_kept_young, (0, 0)), (newest, (1, 512))):
        assert folder_usage(f"{storage.RUNS_ROOT}/{run.pk}") == left
    old.refresh_from_db()
    assert old.results["model_removed_at"] and old.results["final"] == {"val_accuracy": 0.5}  # results stay
    assert models_prune() == []  # nothing left to remove


@pytest.mark.django_db
def test_a_pruned_runs_page_says_so_and_offers_no_prediction(client, user, three_runs):
    old, _, newest = three_runs
    models_prune()
    client.force_login(user)
    html = client.get(old.get_absolute_url()).content.decode()
    assert 'data-code="model_removed"' in html and "newest 1 models and any from the last 10 days" in html
    assert reverse("modellab:experiment_predict", args=[old.pk]) not in html
    assert reverse("modellab:experiment_predict", args=[newest.pk]) in client.get(newest.get_absolute_url()).content.decode()
    image = ContentFile(png_bytes((1, 2, 3)), name="x.png")
    response = client.post(reverse("modellab:experiment_predict", args=[old.pk]), {"image": image})
    assert response.status_code == 400 and response.context["predict_form"].has_error("image", code=MODEL_REMOVED)
