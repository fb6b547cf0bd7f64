"""The lab in the lesson file: presets (content, not code), the measured reference, publishing one from real
runs and the YAML round trip, and what the lesson page shows of them."""

import io
import re
import textwrap
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from courses.content import load_lesson_file, load_lesson_text
from courses.models import Lesson
from modellab.models import EpochRecord, Experiment, LabPreset, LessonLab, MeasuredReference
from modellab.services.experiments import experiment_submit
from modellab.services.measured import measured_publish, measured_to_yaml
from modellab.services.runs import experiment_run
from modellab.services.size_sweep import size_sweep_submit
from tests.conftest import SEED_LESSON
from tests.modellab.cifar_archive import write_cifar_archive

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lab_media")]
S = Experiment.Status

HEAD = """\
course: {slug: cv, title: Computer Vision, track: ml}
lesson: {slug: tiny, title: Tiny lesson}
"""

PRESET = """\
lab:
  shapes_from: resnet18
  presets:
    - key: quick
      title: Quick
      datasets: [builtin:digits-3]
      backbone: tiny
      strategies: [features, scratch]
      epochs: 2
      image_size: 32
"""


TRAINING = "training:\n  epochs:\n    - {epoch: 1, loss: 0.9, accuracy: 0.6, observation: illustrative}\n"  # the page's trace


def load(text: str, source="lesson.yaml"):
    return load_lesson_text(HEAD + textwrap.dedent(text), source=source)


def test_the_bundled_lesson_names_its_presets_and_its_measured_reference():
    lesson = load_lesson_file(SEED_LESSON).lesson
    ready, sweep = LabPreset.objects.filter(lesson=lesson).order_by("position")
    assert (ready.key, ready.datasets, ready.backbone, ready.strategies, ready.epochs, ready.image_size) == (
        "ready-made",
        ["builtin:cifar-cat-dog-bird", "builtin:digits-3"],
        "efficientnet_lite0",
        ["finetune_all", "scratch", "features"],
        5,
        64,
    )
    assert ready.is_comparison and not ready.is_sweep
    assert sweep.sweep_sizes == [5, 10, 25, 50, None] and sweep.is_sweep
    assert LessonLab.objects.get(lesson=lesson).shapes_from == "resnet18"
    ref = MeasuredReference.objects.get(lesson=lesson)
    assert ref.backbone == "efficientnet_lite0" and ref.device == "CPU, 2 cores (AMD EPYC)"
    assert set(ref.versions) == {"torch", "torchvision", "timm"}
    assert [r["strategy"] for r in ref.runs] == ["finetune_all", "scratch", "features"] and len(ref.sweep) == 10


@pytest.mark.parametrize(
    "field,value,code,where",
    [
        ("datasets", "[builtin:nope]", "unknown_dataset", "lab.presets[1].datasets[1]"),
        ("datasets", "[upload:3]", "unknown_dataset", "lab.presets[1].datasets[1]"),
        ("datasets", "[digits]", "bad_dataset_ref", "lab.presets[1].datasets[1]"),
        ("backbone", "resnet1", "unknown_backbone", "lab.presets[1].backbone"),
        ("strategies", "[scratch, features]", "bad_strategies", "lab.presets[1].strategies"),
        ("strategies", "[fast]", "unknown_strategy", "lab.presets[1].strategies[1]"),
        ("image_size", "8", "below_minimum", "lab.presets[1].image_size"),
        ("epochs", "0", "below_minimum", "lab.presets[1].epochs"),
    ],
)
def test_a_bad_preset_is_refused_with_its_place(field, value, code, where):
    """`file:line: field: message`, the rule's code, and nothing written."""
    load(PRESET)
    lines = PRESET.splitlines()
    bad = "\n".join(f"      {field}: {value}" if line.startswith(f"      {field}:") else line for line in lines)
    if f"      {field}:" not in PRESET:
        bad += f"\n      {field}: {value}"
    with pytest.raises(ValidationError) as err:
        load(bad)
    assert err.value.code == code, err.value.messages
    line = next(i for i, text in enumerate((HEAD + bad).splitlines(), start=1) if text.startswith(f"      {field}:"))
    assert err.value.messages[0].startswith(f"lesson.yaml:{line}: {where}: "), err.value.messages
    assert list(LabPreset.objects.values_list("key", "backbone")) == [("quick", "tiny")]


def test_a_sweep_preset_checks_its_sizes_and_strategies():
    with pytest.raises(ValidationError) as err:
        load(PRESET + "      sweep: [5, 5]\n")
    assert err.value.code == "bad_sweep_sizes" and "lab.presets[1].sweep" in err.value.messages[0]
    with pytest.raises(ValidationError) as err:
        load(PRESET.replace("[features, scratch]", "[features]") + "      sweep: [5, all]\n")
    assert err.value.code == "bad_strategies"


def test_duplicate_preset_keys_are_refused():
    second = PRESET.split("  presets:\n")[1]
    with pytest.raises(ValidationError) as err:
        load(PRESET + second)
    assert err.value.code == "duplicate_key"


def test_a_measured_date_must_be_a_date():
    bundled = SEED_LESSON.read_text()
    with pytest.raises(ValidationError) as err:
        load_lesson_text(bundled.replace("date: '2026-12-07'", "date: yesterday"), source="seed.yaml")
    assert err.value.code == "bad_date" and ": measured.date: " in err.value.messages[0]


def test_reloading_replaces_the_presets():
    load(PRESET)
    load(PRESET.replace("key: quick", "key: other").replace("title: Quick", "title: Other"))
    assert list(LabPreset.objects.values_list("key", flat=True)) == ["other"]


# ----------------------------------------------------------------------------- publishing from real runs


TINY_RUN = dict(backbone="tiny", epochs=2, lr=0.05, batch_size=4, lesson_slug="tiny", image_size=32)


def ran(runs):
    for e in runs:
        assert experiment_run(experiment_id=e.pk) == S.SUCCEEDED
    return [Experiment.objects.get(pk=e.pk) for e in runs]


def real_comparison(user, dataset, strategy="features", **settings):
    return ran(experiment_submit(owner=user, dataset=dataset, strategy=strategy, compare=True, **{**TINY_RUN, **settings}))


def test_publishing_a_comparison_writes_the_lessons_reference_and_it_round_trips(user, tiny_dataset, delay):
    """Publish -> the reference holds the runs' real numbers; its YAML loads back into the same reference."""
    load(PRESET)
    pre, scratch = real_comparison(user, tiny_dataset)
    ref = measured_publish(experiments=[pre])
    assert ref.lesson.slug == "tiny" and ref.backbone == "tiny" and ref.device.startswith("CPU, ")
    assert [r["strategy"] for r in ref.runs] == ["features", "scratch"] and ref.sweep == []
    records = list(EpochRecord.objects.filter(experiment=pre).order_by("epoch"))
    assert [e["val_accuracy"] for e in ref.runs[0]["epochs"]] == [round(r.val_accuracy, 4) for r in records]
    assert ref.runs[0]["seconds"]["extraction"] == round(pre.results["extract_seconds"], 1)
    assert ref.measured_on == pre.finished_at.date()
    text = measured_to_yaml(ref)
    before = {f: getattr(ref, f) for f in ("title", "note", "backbone", "dataset", "device", "measured_on", "versions", "sweep")}
    runs_before = ref.runs
    MeasuredReference.objects.all().delete()
    load(PRESET + text)
    again = MeasuredReference.objects.get(lesson__slug="tiny")
    assert {f: getattr(again, f) for f in before} == before
    assert [{**r, "epochs": [{k: v for k, v in e.items() if v is not None} for e in r["epochs"]]} for r in again.runs] == [
        {**r, "epochs": [{k: v for k, v in e.items() if v is not None} for e in r["epochs"]]} for r in runs_before
    ]


def test_publishing_refuses_what_is_not_finished_groups_of_one_lesson_and_settings(user, tiny_dataset, delay):
    load(PRESET)
    pre, scratch = real_comparison(user, tiny_dataset)
    other = real_comparison(user, tiny_dataset)
    shorter = real_comparison(user, tiny_dataset, epochs=1)
    lone = dict(owner=user, dataset=tiny_dataset, backbone="tiny", strategy="features", epochs=1, lr=0.1, batch_size=4)
    sweeps = [Experiment.objects.create(**lone, sweep_group=uuid.uuid4()) for _ in range(2)]
    cases = [
        ([pre, shorter[0]], "publish_mixed", f"#{shorter[0].pk}, #{shorter[1].pk} differ from #{pre.pk}"),
        (sweeps, "publish_mixed", "at most one data-size sweep"),
        ([pre, Experiment.objects.create(**lone)], "publish_not_a_group", "a single run has nothing to compare"),
    ]
    for experiments, code, says in cases:
        with pytest.raises(ValidationError) as err:
            measured_publish(experiments=experiments)
        assert err.value.code == code and says in err.value.messages[0]
    Experiment.objects.filter(pk=scratch.pk).update(status=S.FAILED)
    with pytest.raises(ValidationError) as err:
        measured_publish(experiments=[pre])
    assert err.value.code == "publish_not_succeeded" and f"#{scratch.pk}" in err.value.messages[0]
    Experiment.objects.filter(comparison_group=other[0].comparison_group).update(lesson_slug="")
    with pytest.raises(ValidationError) as err:
        measured_publish(experiments=[other[0]])
    assert err.value.code == "publish_no_lesson"
    EpochRecord.objects.filter(experiment__in=other).update(elapsed_seconds=None)
    Experiment.objects.filter(comparison_group=other[0].comparison_group).update(lesson_slug="tiny")
    with pytest.raises(ValidationError) as err:
        measured_publish(experiments=[other[0]])
    assert err.value.code == "publish_no_times"
    assert not MeasuredReference.objects.exists()


def test_two_comparisons_sharing_arms_publish_each_arm_once(user, tiny_dataset, delay):
    """The second lesson's case: its presets split four strategies over two comparisons that share from scratch."""
    load(PRESET)
    features, scratch = real_comparison(user, tiny_dataset)
    finetune, repeat = real_comparison(user, tiny_dataset, strategy="finetune")
    ref = measured_publish(experiments=[finetune, scratch])
    assert [r["strategy"] for r in ref.runs] == ["features", "scratch", "finetune"]
    assert [r["epochs"][-1]["val_accuracy"] for r in ref.runs] == [
        round(e.results["final"]["val_accuracy"], 4) for e in (features, scratch, finetune)
    ]
    assert ref.note.startswith(
        f"Published from the comparison of runs #{features.pk}, #{scratch.pk} and the comparison of runs #{finetune.pk}, #{repeat.pk}: "
    )
    # each run's precision as it recorded it: the frozen head trains in float32 on every CPU
    assert f"Left out as repeats of an arm shown: #{repeat.pk}. Trained in float32: #{features.pk}" in ref.note


def test_a_sweep_and_an_augmentation_comparison_publish_as_one_reference(client, user, tiny_dataset, delay):
    """The third lesson's case: the sweep's chart and its largest arms, with the augmentation comparison's two arms
    named by their training images and augmentation on the page and in the file."""
    load(PRESET)
    sweep = ran(size_sweep_submit(owner=user, dataset=tiny_dataset, sizes=[2, None], **TINY_RUN))
    plain, augmented = ran(
        experiment_submit(
            owner=user, dataset=tiny_dataset, strategy="features", train_per_class=3, augment_compare=True, **TINY_RUN
        )
    )
    ref = measured_publish(experiments=[plain, sweep[0]])
    assert [(r["strategy"], r.get("per_class"), r.get("augment", False)) for r in ref.runs] == [
        ("features", None, False),
        ("scratch", None, False),
        ("features", 3, False),
        ("features", 3, True),
    ]
    assert len(ref.sweep) == 4 and ref.runs[3]["label"] == "Random init (frozen features), augmented, 3 per class"
    text = measured_to_yaml(ref)
    assert text.count("per_class: 3\n") == 2 and text.count("augment: true\n") == 1
    MeasuredReference.objects.all().delete()
    load(PRESET + TRAINING + text)
    again = MeasuredReference.objects.get()
    assert [(r.get("per_class"), r.get("augment", False)) for r in again.runs] == [
        (None, False),
        (None, False),
        (3, False),
        (3, True),
    ]
    html = client.get(Lesson.objects.get(slug="tiny").get_absolute_url()).content.decode()
    measured = html.split('id="measured"')[1].split("</section>")[0]
    assert '<th scope="col">Random init (frozen features), 3 per class</th>' in measured
    assert '<th scope="row">Random init (frozen features), augmented, 3 per class</th>' in measured
    assert "What augmentation did" in measured, re.findall(r'class="lab-effect">[^<]+', measured)


def test_the_admin_publishes_and_downloads_the_yaml(client, user, tiny_dataset, delay, django_user_model):
    load(PRESET)
    pre, scratch = real_comparison(user, tiny_dataset)
    admin = django_user_model.objects.create_superuser("boss", "b@example.org", "pw-boss-12345")
    client.force_login(admin)
    response = client.post(
        reverse("admin:modellab_experiment_changelist"),
        {"action": "publish_measured_reference", "_selected_action": [pre.pk, scratch.pk]},
        follow=True,
    )
    assert "Published on the lesson &#x27;Tiny lesson&#x27;: 2 run(s), 0 sweep point(s)" in response.content.decode()
    ref = MeasuredReference.objects.get()
    response = client.post(
        reverse("admin:modellab_measuredreference_changelist"), {"action": "download_yaml", "_selected_action": [ref.pk]}
    )
    assert response["Content-Disposition"] == 'attachment; filename="tiny-measured.yaml"'
    assert response.content.decode() == measured_to_yaml(ref)


TWO_PRESETS = (
    PRESET
    + """\
    - key: last
      title: Last block
      datasets: [builtin:digits-3]
      backbone: tiny
      strategies: [finetune, scratch]
      epochs: 2
      image_size: 32
"""
)


@pytest.mark.django_db(transaction=True)  # each preset is queued on commit, as the site queues it
def test_lab_reference_runs_the_lessons_presets_publishes_them_and_prints_the_yaml(delay, settings):
    """The re-measuring recipe: every preset of the lesson through the task the worker runs, then one reference."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.LAB_BUILTIN_PER_CLASS = 8
    load(TWO_PRESETS)
    delay.side_effect = lambda experiment_id: experiment_run(experiment_id=experiment_id)
    out = io.StringIO()
    call_command("lab_reference", lesson="tiny", user="measurer", create_user=True, poll=0, stdout=out)
    ref = MeasuredReference.objects.get(lesson__slug="tiny")
    assert out.getvalue() == measured_to_yaml(ref)
    assert [r["strategy"] for r in ref.runs] == ["features", "scratch", "finetune"]
    assert Experiment.objects.filter(owner__username="measurer", status=S.SUCCEEDED).count() == 4

    cases = [
        (dict(presets="quick,nope"), "--presets: the lesson 'tiny' has no preset 'nope'; its presets: quick, last."),
        (dict(lesson="nope"), "--lesson: no lesson 'nope' (load it with loadcontent)."),
        (dict(user="nobody", create_user=False), "--user: no user 'nobody' (add --create-user)."),
    ]
    for options, message in cases:
        with pytest.raises(CommandError) as err:
            call_command("lab_reference", **{"lesson": "tiny", "user": "measurer", "poll": 0, **options})
        assert str(err.value) == message
    delay.side_effect = None  # queued, and no worker takes it
    with pytest.raises(CommandError) as err:
        call_command("lab_reference", lesson="tiny", presets="quick", user="measurer", poll=0, timeout=0)
    assert "had not ended; is a worker consuming the broker?" in str(err.value)


# ----------------------------------------------------------------------------- the lesson page and the presets


def test_the_lesson_page_shows_the_measured_reference_beside_the_illustrative_trace(client):
    lesson = load_lesson_file(SEED_LESSON).lesson
    html = client.get(lesson.get_absolute_url()).content.decode()
    section = html.split('id="measured"')[1].split("</section>")[0]
    assert "Measured on this platform" in section
    # the fair pair's headline, and each effect stated apart from the runs (issue 21)
    assert re.search(r"<strong>Pre-trained \(every layer fine-tuned\) reached 0\.\d\d in [^;]+; from scratch", section)
    assert "What pre-training bought (Pre-trained (every layer fine-tuned) against From scratch, which differ only in" in section
    assert "What freezing bought (Pre-trained (frozen features) against Pre-trained (every layer fine-tuned)" in section
    assert "Starting weights differ: pre-trained in" in section
    assert "CPU, 2 cores (AMD EPYC)" in section and "torch 2.14.1" in section and "2026-11-28" in section
    assert section.count("<svg") == 2 and section.count('<th scope="row">') >= 5 + 2 + 5
    assert html.index('id="training-heading"') < html.index('id="measured"') < html.index('id="lab-lesson-heading"')


def test_the_lesson_page_links_come_from_the_presets(client, user):
    lesson = load_lesson_file(SEED_LESSON).lesson
    html = client.get(lesson.get_absolute_url()).content.decode()
    assert html.count('class="lab-preset"') == 2
    assert f"{reverse('modellab:new')}?lesson={lesson.slug}&amp;preset=ready-made" in html and "Sign in to run it" in html
    assert "On Handwritten digits 0, 1, 2 (quick)" in html  # CIFAR-10 is not on this test server
    client.force_login(user)
    html = client.get(lesson.get_absolute_url()).content.decode()
    ready = LabPreset.objects.get(key="ready-made")
    assert f'action="{reverse("modellab:preset_run", args=[ready.pk])}"' in html and "Run the comparison" in html


def test_one_click_runs_the_preset_as_it_is(client, user, delay):
    lesson = load_lesson_file(SEED_LESSON).lesson
    ready = LabPreset.objects.get(lesson=lesson, key="ready-made")
    client.force_login(user)
    response = client.post(reverse("modellab:preset_run", args=[ready.pk]))
    pre, scratch, frozen = Experiment.objects.order_by("pk")
    assert response["Location"] == f"{reverse('modellab:compare')}?ids={pre.pk}&ids={scratch.pk}&ids={frozen.pk}"
    fair = {
        (
            e.dataset.builtin_key,
            e.backbone,
            e.image_size,
            e.epochs,
            e.lr,
            e.batch_size,
            e.seed,
            e.train_per_class,
            e.lesson_slug,
            e.optimizer,
            e.comparison_group,
        )
        for e in (pre, scratch, frozen)
    }
    assert fair == {("digits-3", "efficientnet_lite0", 64, 5, 0.001, 32, 0, None, lesson.slug, "adam", pre.comparison_group)}
    assert (pre.strategy, scratch.strategy, frozen.strategy) == ("finetune_all", "scratch", "features")
    sweep = LabPreset.objects.get(lesson=lesson, key="less-data")
    response = client.post(reverse("modellab:preset_run", args=[sweep.pk]), follow=True)
    assert "the limit is 3 at once" in response.content.decode()  # the comparison's three runs are still queued
    Experiment.objects.update(status=S.SUCCEEDED)
    response = client.post(reverse("modellab:preset_run", args=[sweep.pk]))
    group = Experiment.objects.exclude(sweep_group=None).first().sweep_group
    assert response["Location"] == reverse("modellab:size_sweep", args=[group])
    assert Experiment.objects.filter(sweep_group=group).count() == 10


def test_with_cifar_present_the_ready_made_comparison_uses_cat_dog_and_bird(client, user, delay, settings, tmp_path):
    """A small archive in CIFAR's real format at LAB_CIFAR_ROOT: the preset picks the lesson's scenario, and its
    files are written from that archive."""
    from modellab.services.datasets import dataset_local_dir

    settings.LAB_CIFAR_ROOT = write_cifar_archive(tmp_path / "cifar")
    settings.LAB_BUILTIN_PER_CLASS = 4
    lesson = load_lesson_file(SEED_LESSON).lesson
    assert "On Cat, dog, bird (CIFAR-10)" in client.get(lesson.get_absolute_url()).content.decode()
    client.force_login(user)
    client.post(reverse("modellab:preset_run", args=[LabPreset.objects.get(key="ready-made").pk]))
    pre = Experiment.objects.order_by("pk").first()
    assert pre.dataset.builtin_key == "cifar-cat-dog-bird"
    folder = dataset_local_dir(dataset=pre.dataset)
    assert sorted(p.name for p in folder.iterdir()) == ["bird", "cat", "dog"]
    assert all(len(list((folder / c).iterdir())) == 4 for c in ("bird", "cat", "dog"))


def test_the_form_opens_filled_as_the_preset_says(client, user):
    lesson = load_lesson_file(SEED_LESSON).lesson
    client.force_login(user)
    response = client.get(reverse("modellab:new") + f"?lesson={lesson.slug}&preset=less-data")
    form = response.context["form"]
    assert form.initial["sweep_sizes"] == "5, 10, 25, 50, all" and form.initial["image_size"] == 64
    assert form.initial["dataset"] == "builtin:digits-3" and form.initial["lesson"] == lesson.slug
    assert "preset <strong>Less data: a data-size sweep</strong>" in response.content.decode()


def test_an_unpublished_lessons_preset_cannot_be_run(client, user, delay):
    lesson = load_lesson_file(SEED_LESSON).lesson
    Lesson.objects.filter(pk=lesson.pk).update(published=False)
    client.force_login(user)
    assert client.post(reverse("modellab:preset_run", args=[LabPreset.objects.first().pk])).status_code == 404
    assert not Experiment.objects.exists()


def test_a_tiny_lessons_card_reference_and_latest_comparison_never_call_it_pre_trained(client, user, tiny_dataset, delay):
    """The Tiny CNN has random weights only: the preset card, the published reference (its labels, headline and
    chart) and the learner's latest comparison name its runs from that fact (issue 21)."""
    load(PRESET + TRAINING)
    pre, scratch = real_comparison(user, tiny_dataset)
    ref = measured_publish(experiments=[pre])
    assert [r["label"] for r in ref.runs] == ["Random init (frozen features)", "From scratch"]
    client.force_login(user)
    html = client.get(Lesson.objects.get(slug="tiny").get_absolute_url()).content.decode()
    assert "Random init (frozen features) vs From scratch" in html.split('class="lab-presets"')[1]
    measured = html.split('id="measured"')[1].split("</section>")[0]
    assert "<strong>Random init (frozen features) reached " in measured and "Random init (frozen features)," in measured
    assert f"#{pre.pk} Random init (frozen features)" in html.split('class="chart-figure lab-lesson-real"')[1]
    said = re.sub(r"(has no|No run here starts from) pre-trained weights", "", html)
    assert "pre-trained" not in said.lower(), re.findall(r".{60}pre-trained.{60}", said, flags=re.I)


AUGMENT = (
    PRESET.replace("[features, scratch]", "[features, features]") + "      augment: [false, true]\n      train_per_class: 10\n"
)


def test_an_augmentation_preset_is_one_strategy_without_and_with_it():
    load(AUGMENT)
    preset = LabPreset.objects.get()
    assert (preset.strategies, preset.augment, preset.train_per_class) == (["features", "features"], [False, True], 10)
    assert preset.is_augment_comparison
    load(PRESET + "      augment: true\n")  # one value: every arm
    assert LabPreset.objects.get().augment == [True, True] and not LabPreset.objects.get().is_augment_comparison


@pytest.mark.parametrize(
    "text,code,where",
    [
        (AUGMENT.replace("[false, true]", "[true, false]"), "bad_augment", "lab.presets[1].augment"),
        (AUGMENT.replace("      augment: [false, true]\n", ""), "bad_augment", "lab.presets[1].strategies"),
        (PRESET + "      augment: [false, true]\n", "bad_augment", "lab.presets[1].augment"),
        (PRESET + "      augment: [true]\n", "bad_augment", "lab.presets[1].augment"),
        (PRESET + "      augment: maybe\n", "not_boolean", "lab.presets[1].augment"),
        (
            AUGMENT.replace("[features, features]", "[features, features, features]").replace("true]", "true, true]"),
            "bad_strategies",
            "lab.presets[1].strategies",
        ),
        (PRESET + "      train_per_class: 5\n      sweep: [5, all]\n", "bad_strategies", "lab.presets[1].train_per_class"),
    ],
)
def test_a_preset_compares_one_thing_at_a_time(text, code, where):
    with pytest.raises(ValidationError) as err:
        load(text)
    assert err.value.code == code and f": {where}: " in err.value.messages[0], err.value.messages
    assert not LabPreset.objects.exists()
