"""Augmentation end to end: the lab form, a lesson preset and ``lab_submit`` set Experiment.augment, the worker hands it
to the engine's RunConfig, the run page shows it, and a comparison that differs only in it says so."""

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from courses.models import Course, Lesson
from modellab import selectors
from modellab.arms import difference_sentences, shared_sentence
from modellab.models import Experiment, LabPreset
from modellab.services.experiments import BAD_COMPARISON, experiment_submit
from modellab.services.presets import preset_form_initial, preset_submit
from modellab.services.runs import experiment_run

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lab_media")]
S = Experiment.Status
FORM = {"dataset": "builtin:digits-3", "backbone": "tiny", "strategy": "features", "epochs": 2, "lr": 0.01, "batch_size": 8}
RUN = dict(backbone="tiny", strategy="features", epochs=1, lr=0.01, batch_size=8)  # a one-epoch Tiny CNN run


def test_the_form_checkbox_augments_every_run_it_queues(alice, delay):
    response = alice.post(reverse("modellab:new"), {**FORM, "augment": "on", "action": "compare"})
    runs = list(Experiment.objects.order_by("pk"))
    assert response.status_code == 302 and [(e.strategy, e.augment) for e in runs] == [("features", True), ("scratch", True)]
    alice.post(reverse("modellab:new"), {**FORM, "action": "run"})
    assert Experiment.objects.order_by("pk").last().augment is False  # unticked: no augmentation


def test_compare_without_and_with_augmentation_changes_nothing_else(alice, delay):
    alice.post(reverse("modellab:new"), {**FORM, "strategy": "finetune", "train_per_class": 5, "action": "compare_augment"})
    off, on = Experiment.objects.order_by("pk")
    assert (off.augment, on.augment) == (False, True) and off.comparison_group == on.comparison_group is not None
    same = ("strategy", "backbone", "dataset_id", "epochs", "lr", "batch_size", "seed", "image_size", "train_per_class")
    assert [getattr(off, f) for f in same] == [getattr(on, f) for f in same] and off.train_per_class == 5
    arms = [selectors.experiment_arm(experiment=e) for e in (off, on)]
    assert difference_sentences(arms) == [
        f"Augmentation differs: none in #{off.pk}; a new random crop and flip of each training image every epoch in #{on.pk}."
    ]
    assert (
        "training images per class 5" in shared_sentence(arms)
        and on.label == f"#{on.pk} Random init (last block trained), augmented"
    )


def test_one_comparison_changes_one_thing(user, delay, tiny_dataset):
    with pytest.raises(ValidationError) as err:
        experiment_submit(owner=user, dataset=tiny_dataset, **RUN, compare=True, augment_compare=True)
    assert err.value.code == BAD_COMPARISON and not Experiment.objects.exists()


def test_lab_submit_takes_augmentation(user, delay):
    out = io.StringIO()
    call_command("lab_submit", user=user.username, backbone="tiny", epochs=1, compare_augment=True, stdout=out)
    ids = json.loads(out.getvalue())["experiments"]
    assert [Experiment.objects.get(pk=i).augment for i in ids] == [False, True]


@pytest.fixture
def lesson():
    course = Course.objects.create(slug="cv", title="CV")
    return Lesson.objects.create(course=course, slug="tiny", title="Tiny", published=True)


def _preset(lesson, position: int, strategies: list[str], **fields) -> LabPreset:
    """A one-epoch preset of the Tiny CNN on the built-in digits."""
    return LabPreset.objects.create(
        lesson=lesson,
        position=position,
        key=f"p{position}",
        title=f"Preset {position}",
        datasets=["builtin:digits-3"],
        backbone="tiny",
        strategies=strategies,
        epochs=1,
        lr=0.01,
        batch_size=8,
        **fields,
    )


def test_a_preset_arm_with_augment_makes_an_augmented_experiment(user, delay, lesson):
    preset = _preset(lesson, 1, ["features", "features"], augment=[False, True], train_per_class=4, image_size=32)
    assert preset.is_augment_comparison and preset.is_comparison
    initial = preset_form_initial(preset)
    assert initial["augment"] is False and initial["train_per_class"] == 4  # the button runs both arms
    off, on = preset_submit(owner=user, preset=preset)
    assert (off.augment, on.augment, off.strategy, on.strategy) == (False, True, "features", "features")
    assert off.comparison_group == on.comparison_group and on.train_per_class == 4 and on.lesson_slug == "tiny"
    Experiment.objects.all().delete()  # under the limit of runs at once for the next preset

    every = _preset(lesson, 2, ["features", "scratch"], augment=[True, True])
    assert not every.is_augment_comparison and preset_form_initial(every)["augment"] is True
    assert [e.augment for e in preset_submit(owner=user, preset=every)] == [True, True]


def test_the_worker_hands_augment_to_the_engine_and_the_pages_say_it(alice, user, delay, tiny_dataset):
    """A real run (the Tiny CNN, 1 epoch): the engine's note on cached views shows that RunConfig.augment was True."""
    off, on = experiment_submit(owner=user, dataset=tiny_dataset, **RUN, image_size=32, augment_compare=True)
    for e in (off, on):
        assert experiment_run(experiment_id=e.pk) == S.SUCCEEDED
        e.refresh_from_db()
    views = "2 fixed augmented view(s) of each image were extracted once and cached"
    assert any(views in note for note in on.results["notes"]) and not any(views in n for n in off.results["notes"])
    page = alice.get(on.get_absolute_url()).content.decode()
    assert "<dt>Augmentation</dt><dd>random crop and flip, 2 fixed views of each image extracted once and cached" in page
    compare = alice.get(f"{reverse('modellab:compare')}?ids={off.pk}&ids={on.pk}").context
    final = [e.epoch_records.get(epoch=1).val_accuracy for e in (on, off)]
    assert compare["effects"] == [
        f"What augmentation did (#{on.pk} against #{off.pk}, which differ only in augmentation): validation accuracy "
        f"after epoch 1 of {final[0]:.2f} against {final[1]:.2f} after epoch 1."
    ]


@pytest.mark.django_db(transaction=True)
def test_runs_and_presets_from_before_the_migration_have_no_augmentation(user, lab_media):
    """0006 adds the fields with defaults: an earlier run did not augment, an earlier preset augments no arm."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    def migrate(targets):
        executor = MigrationExecutor(connection)
        executor.migrate(targets)
        return executor.loader.project_state(targets).apps

    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = migrate([("modellab", "0005_experiment_dataset_restrict")])
    try:
        dataset = old.get_model("modellab", "Dataset").objects.create(name="d", kind="builtin", folder="f")
        old.get_model("modellab", "Experiment").objects.create(owner_id=user.pk, dataset=dataset, **RUN)
        course = old.get_model("courses", "Course").objects.create(slug="c", title="C", track="ml")
        lesson = old.get_model("courses", "Lesson").objects.create(course=course, slug="l", title="L")
        old.get_model("modellab", "LabPreset").objects.create(
            lesson=lesson,
            position=1,
            key="p",
            title="P",
            backbone="tiny",
            strategies=["features", "scratch"],
            epochs=1,
            lr=0.01,
            batch_size=8,
        )
    finally:
        migrate(leaves)
    assert Experiment.objects.get().augment is False
    preset = LabPreset.objects.get()
    assert (preset.augment, preset.arms_augment, preset.train_per_class) == ([], [False, False], None)
    assert not preset.is_augment_comparison
