"""Data-size sweeps: sizes, submit (one unit of the per-user limit), the real runs sharing one extraction,
cancelling the whole sweep, and its page."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from modellab.models import Experiment
from modellab.services.experiments import experiment_submit
from modellab.services.runs import experiment_run
from modellab.services.size_sweep import size_sweep_cancel, size_sweep_submit, sweep_sizes_from_text, sweep_sizes_parse

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lab_media")]
S = Experiment.Status


def sweep(user, dataset, sizes=(2, 4, None), **overrides):
    kwargs = dict(owner=user, dataset=dataset, backbone="tiny", sizes=list(sizes), epochs=2, lr=0.01, batch_size=4, image_size=32)
    kwargs.update(overrides)
    return size_sweep_submit(**kwargs)


@pytest.mark.parametrize(
    "text,sizes", [("5, 10, 25, 50, all", [5, 10, 25, 50, None]), ("all 10 5", [5, 10, None]), ("3,7", [3, 7])]
)
def test_sizes_are_read_in_ascending_order_with_all_last(text, sizes):
    assert sweep_sizes_from_text(text) == sizes


@pytest.mark.parametrize(
    "tokens", [["5"], ["5", "5"], ["0", "5"], ["five", "10"], ["-1", "3"], [str(i) for i in range(1, 8)], ["10001", "5"]]
)
def test_bad_sizes_are_refused_with_their_code(tokens):
    with pytest.raises(ValidationError) as err:
        sweep_sizes_parse(tokens)
    assert err.value.code == "bad_sweep_sizes"


def test_a_sweep_queues_both_arms_at_every_size_with_the_same_settings(
    user, tiny_dataset, delay, django_capture_on_commit_callbacks
):
    """Pre-trained arms first (the largest first: it extracts), then from scratch; only the size and strategy differ."""
    with django_capture_on_commit_callbacks(execute=True):
        runs = sweep(user, tiny_dataset)
    assert [(e.strategy, e.train_per_class) for e in runs] == [
        ("features", None),
        ("features", 4),
        ("features", 2),
        ("scratch", 2),
        ("scratch", 4),
        ("scratch", None),
    ]
    assert len({e.sweep_group for e in runs}) == 1 and runs[0].sweep_group is not None
    same = {(e.dataset_id, e.backbone, e.epochs, e.lr, e.batch_size, e.seed, e.image_size, e.comparison_group) for e in runs}
    assert same == {(tiny_dataset.pk, "tiny", 2, 0.01, 4, 0, 32, None)}
    assert delay.call_count == 6


def test_a_sweep_counts_as_one_run_toward_the_limit(user, tiny_dataset, delay, settings):
    """With a limit of 2: a sweep of 6 runs and one more run fit; another sweep does not, and nothing is queued."""
    settings.LAB_MAX_CONCURRENT_RUNS_PER_USER = 2
    sweep(user, tiny_dataset)
    experiment_submit(owner=user, dataset=tiny_dataset, backbone="tiny", strategy="features", epochs=2, lr=0.01, batch_size=4)
    with pytest.raises(ValidationError) as err:
        sweep(user, tiny_dataset)
    assert err.value.code == "too_many_runs" and err.value.params == {"active": 2, "limit": 2}
    assert Experiment.objects.count() == 7


def test_a_finished_sweep_no_longer_counts(user, tiny_dataset, delay, settings):
    settings.LAB_MAX_CONCURRENT_RUNS_PER_USER = 1
    runs = sweep(user, tiny_dataset)
    Experiment.objects.filter(pk__in=[e.pk for e in runs]).update(status=S.SUCCEEDED)
    assert len(sweep(user, tiny_dataset)) == 6


def test_a_sweep_refuses_what_a_run_refuses(user, tiny_dataset, delay, settings):
    settings.LAB_MAX_EPOCHS = 3
    for overrides, code in (
        ({"epochs": 4}, "too_many_epochs"),
        ({"image_size": 8}, "bad_image_size"),
        ({"backbone": "nope"}, "unknown_backbone"),
        ({"sizes": ["all"]}, "bad_sweep_sizes"),
    ):
        with pytest.raises(ValidationError) as err:
            sweep(user, tiny_dataset, **overrides)
        assert err.value.code == code
    assert not Experiment.objects.exists()


def test_the_sweep_runs_share_one_extraction_and_one_validation_split(user, tiny_dataset, delay):
    """Run for real (tiny backbone): the first pre-trained arm extracts, the others hit the cache;
    every arm is validated on the same images and trains on its own number per class."""
    runs = sweep(user, tiny_dataset, sizes=(1, 3, None))
    for e in runs:
        assert experiment_run(experiment_id=e.pk) == S.SUCCEEDED
    done = {(e.strategy, e.train_per_class): Experiment.objects.get(pk=e.pk).results for e in runs}
    assert done[("features", None)]["cache_hit"] is False and done[("features", None)]["extract_seconds"] > 0
    assert done[("features", 3)]["cache_hit"] is True and done[("features", 1)]["extract_seconds"] == 0.0
    trains = {key: r["split_sizes"]["train"] for key, r in done.items()}
    assert trains[("features", 1)] == trains[("scratch", 1)] == 3  # 1 image of each of 3 classes
    assert trains[("features", 3)] == 9 and trains[("features", None)] == trains[("scratch", None)] == 18  # 8 a class, 2 held out
    vals = {tuple(p["path"] for p in r["predictions"]) for r in done.values()}
    assert len(vals) == 1


def test_cancelling_a_sweep_stops_every_active_run(user, tiny_dataset, delay):
    """Queued runs are cancelled at once, a running one is asked to stop, a finished one is left alone."""
    runs = sweep(user, tiny_dataset)
    Experiment.objects.filter(pk=runs[0].pk).update(status=S.SUCCEEDED)
    Experiment.objects.filter(pk=runs[1].pk).update(status=S.RUNNING, attempts=1)
    assert size_sweep_cancel(group=runs[0].sweep_group) == 5
    status = dict(Experiment.objects.values_list("pk", "status"))
    assert status[runs[0].pk] == S.SUCCEEDED and status[runs[1].pk] == S.RUNNING
    assert Experiment.objects.get(pk=runs[1].pk).cancel_requested
    assert all(status[e.pk] == S.CANCELLED for e in runs[2:])
    Experiment.objects.filter(pk=runs[1].pk).update(status=S.CANCELLED)
    with pytest.raises(ValidationError) as err:
        size_sweep_cancel(group=runs[0].sweep_group)
    assert err.value.code == "not_cancellable"


# ----------------------------------------------------------------------------- pages


def test_the_lab_form_submits_a_sweep_and_opens_its_page(alice, tiny_dataset, delay):
    data = {
        "dataset": f"upload:{tiny_dataset.pk}",
        "backbone": "tiny",
        "strategy": "features",
        "epochs": 2,
        "lr": 0.01,
        "batch_size": 4,
        "image_size": 32,
        "sweep_sizes": "2, 4, all",
        "action": "sweep",
    }
    response = alice.post(reverse("modellab:new"), data)
    group = Experiment.objects.first().sweep_group
    assert response.status_code == 302 and response["Location"] == reverse("modellab:size_sweep", args=[group])
    assert Experiment.objects.filter(sweep_group=group).count() == 6
    page = alice.get(response["Location"]).content.decode()
    assert "0 of 6 runs finished" in page and "Cancel the whole sweep" in page and 'hx-trigger="every 2s"' in page


def test_bad_sweep_sizes_come_back_on_the_form(alice, tiny_dataset, delay):
    data = {
        "dataset": f"upload:{tiny_dataset.pk}",
        "backbone": "tiny",
        "strategy": "features",
        "epochs": 2,
        "lr": 0.01,
        "batch_size": 4,
        "sweep_sizes": "5, lots",
        "action": "sweep",
    }
    response = alice.post(reverse("modellab:new"), data)
    assert response.status_code == 400
    assert response.context["form"].errors.as_data()["sweep_sizes"][0].code == "bad_sweep_sizes"
    assert not Experiment.objects.exists()


def test_the_sweep_page_charts_accuracy_against_images_per_class(alice, user, tiny_dataset, delay):
    runs = sweep(user, tiny_dataset, sizes=(1, None))
    for e in runs:
        experiment_run(experiment_id=e.pk)
    group = runs[0].sweep_group
    page = alice.get(reverse("modellab:size_sweep", args=[group])).content.decode()
    assert "4 of 4 runs finished" in page and "Training images per class" in page
    assert page.count('class="lab-sweep-row"') == 2 and "<svg" in page and "Cancel the whole sweep" not in page
    # worded from the runs' settings, and the Tiny CNN's random weights are never called pre-trained (issue 21)
    assert "Less data: Random init (frozen features) vs from scratch at 2 training-set sizes" in page
    assert "Training images per class differ: " in page and "Layers trained differ: " in page
    assert "pre-trained" not in page.replace("has no pre-trained weights", "").lower()
    partial = alice.get(reverse("modellab:size_sweep_trace", args=[group]), HTTP_HX_REQUEST="true")
    assert partial["HX-Refresh"] == "true"  # nothing left to poll for


def test_the_cancel_button_cancels_the_sweep(alice, user, tiny_dataset, delay):
    runs = sweep(user, tiny_dataset)
    response = alice.post(reverse("modellab:size_sweep_cancel", args=[runs[0].sweep_group]))
    assert response.status_code == 302
    assert set(Experiment.objects.values_list("status", flat=True)) == {S.CANCELLED}


def test_another_learners_sweep_is_404(client, user, other_user, tiny_dataset, delay):
    runs = sweep(user, tiny_dataset)
    client.force_login(other_user)
    group = runs[0].sweep_group
    for name in ("modellab:size_sweep", "modellab:size_sweep_trace"):
        assert client.get(reverse(name, args=[group])).status_code == 404
    assert client.post(reverse("modellab:size_sweep_cancel", args=[group])).status_code == 404
    assert client.get(reverse("modellab:size_sweep", args=[uuid.uuid4()])).status_code == 404
    assert set(Experiment.objects.values_list("status", flat=True)) == {S.QUEUED}


def test_the_lab_home_links_each_run_of_a_sweep_to_its_page(alice, user, tiny_dataset, delay):
    runs = sweep(user, tiny_dataset)
    html = alice.get(reverse("modellab:home")).content.decode()
    assert html.count(f'href="{reverse("modellab:size_sweep", args=[runs[0].sweep_group])}"') == 6
