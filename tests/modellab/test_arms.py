"""A comparison says what its arms share and what differs from their settings, states what pre-training and what
freezing bought from the runs, and calls an arm pre-trained only when its weights are (never the Tiny CNN)."""

import re

import pytest
from django.urls import reverse

from modellab.arms import (
    Arm,
    arm_label,
    augmentation_effect,
    difference_sentences,
    freezing_effect,
    freezing_pair,
    pretraining_effect,
    pretraining_pair,
    seconds_per_epoch,
    shared_sentence,
    starts_pretrained,
)
from modellab.models import Experiment
from modellab.services.experiments import experiment_submit
from modellab.services.runs import experiment_run
from modellab.timing import EpochPoint, RunTiming

S = Experiment.Status
NEGATION = re.compile(r"(has no|No run here starts from) pre-trained weights")
BASE = (("network", "EfficientNet-Lite0"), ("data", "digits"), ("epochs", "5"), ("learning rate", "0.001"))


def arm(name, strategy, pretrained=True, **changed):
    settings = tuple((k, changed.get(k.replace(" ", "_"), v)) for k, v in BASE)
    return Arm(name, strategy, pretrained and strategy != "scratch", settings)


def timing(points, strategy, extraction=0.0):
    return RunTiming(
        strategy,
        strategy != "scratch",
        len(points),
        tuple(EpochPoint(i + 1, a, t) for i, (a, t) in enumerate(points)),
        True,
        extraction=extraction,
        strategy=strategy,
    )


def test_labels_come_from_the_weights():
    assert starts_pretrained("finetune_all", "efficientnet_lite0") and not starts_pretrained("scratch", "efficientnet_lite0")
    assert not starts_pretrained("features", "tiny") and not starts_pretrained("finetune_all", "tiny")
    assert arm_label("finetune_all", True) == "Pre-trained (every layer fine-tuned)"
    assert arm_label("features", True) == "Pre-trained (frozen features)"
    assert arm_label("scratch", False) == "From scratch"
    for strategy in ("features", "finetune", "finetune_all"):
        assert "pre-trained" not in arm_label(strategy, False).lower() and arm_label(strategy, False).startswith("Random init")


def test_the_fair_pair_differs_only_in_its_starting_weights():
    arms = [arm("#1", "finetune_all"), arm("#2", "scratch"), arm("#3", "features")]
    assert shared_sentence(arms) == ("Same in every run: network EfficientNet-Lite0, data digits, epochs 5, learning rate 0.001.")
    assert difference_sentences(arms) == [
        "Starting weights differ: pre-trained in #1 and #3; random, drawn from the seed in #2.",
        "Layers trained differ: every layer in #1 and #2; only a new head, on the frozen backbone's features "
        "computed once in #3.",
    ]
    assert pretraining_pair(arms) == (0, 1) and freezing_pair(arms) == (2, 0)


def test_a_setting_that_differs_is_said_and_spoils_the_pair():
    arms = [arm("#1", "finetune_all"), arm("#2", "scratch", epochs="10")]
    assert "Epochs differ: 5 in #1; 10 in #2." in difference_sentences(arms)
    assert pretraining_pair(arms) is None
    assert "not pre-training's alone" in pretraining_effect(
        arms, [timing([(0.9, 5.0)], "finetune_all"), timing([(0.3, 5.0)], "scratch")]
    )


def test_frozen_features_against_scratch_is_not_called_pre_trainings_effect():
    """The old ready-made comparison: strategy and weights differ, so the page does not credit pre-training alone."""
    arms = [arm("#1", "features"), arm("#2", "scratch")]
    assert len(difference_sentences(arms)) == 2
    text = pretraining_effect(arms, [timing([(0.99, 7.5)], "features"), timing([(0.34, 12.0)], "scratch")])
    assert text.startswith("No two runs here differ only in their starting weights")


def test_each_effect_is_stated_from_the_runs():
    arms = [arm("#1", "finetune_all"), arm("#2", "scratch"), arm("#3", "features")]
    timings = [
        timing([(0.95, 20.0), (0.99, 32.0), (1.0, 44.0)], "finetune_all"),
        timing([(0.34, 19.0), (0.5, 31.0), (0.96, 43.0)], "scratch"),
        timing([(0.97, 9.0), (0.99, 9.1), (1.0, 9.2)], "features", extraction=4.7),
    ]
    assert pretraining_effect(arms, timings) == (
        "What pre-training bought (#1 against #2, which differ only in their starting weights): validation accuracy "
        "after epoch 1 of 0.95 against 0.34; to reach 0.95 (the first's accuracy after epoch 1), #1 took 1 epoch and "
        "20 s, #2 took 3 epochs and 43 s."
    )
    assert seconds_per_epoch(timings[0]) == 12.0 and seconds_per_epoch(timings[2]) == pytest.approx(0.1)
    assert freezing_effect(arms, timings) == (
        "What freezing bought (#3 against #1, which start from the same weights and differ only in the layers "
        "trained): 0.10 s per epoch against 12 s, after a one-off feature extraction of 4.7 s."
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("lab_media")
def test_a_tiny_comparison_is_never_called_pre_trained(client, user, tiny_dataset, delay):
    """Three real runs on the Tiny CNN (random weights): every label, headline, chart and sentence on the page is
    worded from that fact; the freezing effect is stated, pre-training's is said to be out of reach."""
    runs = experiment_submit(
        owner=user,
        dataset=tiny_dataset,
        backbone="tiny",
        strategy="finetune_all",
        epochs=2,
        lr=0.05,
        batch_size=4,
        compare=True,
        frozen_arm=True,
        image_size=32,
    )
    assert [e.strategy for e in runs] == ["finetune_all", "scratch", "features"]
    assert (
        len({(e.dataset_id, e.backbone, e.epochs, e.lr, e.batch_size, e.seed, e.image_size, e.comparison_group) for e in runs})
        == 1
    )
    for e in runs:
        assert experiment_run(experiment_id=e.pk) == S.SUCCEEDED
    assert [Experiment.objects.get(pk=e.pk).label for e in runs] == [
        f"#{runs[0].pk} Random init (every layer trained)",
        f"#{runs[1].pk} From scratch",
        f"#{runs[2].pk} Random init (frozen features)",
    ]
    client.force_login(user)
    page = client.get(reverse("modellab:compare") + "?" + "&".join(f"ids={e.pk}" for e in runs)).content.decode()
    headline = re.search(r'class="lab-headline"[^>]*><strong>([^<]*)<', page).group(1)
    assert headline.startswith("Random init (every layer trained) reached ")
    assert "No run here starts from pre-trained weights" in page
    assert f"What freezing bought (#{runs[2].pk} against #{runs[0].pk}" in page
    assert "Starting weights differ: the backbone&#x27;s fixed random initialisation" in page
    for html in [page] + [client.get(e.get_absolute_url()).content.decode() for e in runs]:  # each run's page too
        said = NEGATION.sub("", html)  # saying it has none is the one way "pre-trained" may appear
        assert "pre-trained" not in said.lower(), re.findall(r".{60}pre-trained.{60}", said, flags=re.I)


def test_an_augmentation_comparison_is_said_as_one_and_credits_no_pre_training():
    plain = Arm("#1", "features", True, BASE + (("augmentation", "none"),))
    augmented = Arm("#2", "features", True, BASE + (("augmentation", "random crop and flip"),), augment=True)
    arms = [plain, augmented]
    assert augmented.label == "Pre-trained (frozen features), augmented" and arm_label("scratch", False, augment=True) == (
        "From scratch, augmented"
    )
    assert difference_sentences(arms) == ["Augmentation differs: none in #1; random crop and flip in #2."]
    timings = [timing([(0.8, 2.0), (0.98, 3.0)], "features"), timing([(0.78, 2.0), (0.96, 3.0)], "features")]
    assert pretraining_effect(arms, timings) == "" and freezing_pair(arms) is None
    assert augmentation_effect(arms, timings) == (
        "What augmentation did (#2 against #1, which differ only in augmentation): validation accuracy after epoch 2 "
        "of 0.96 against 0.98 after epoch 2."
    )
    other = Arm("#3", "features", True, BASE[:-1] + (("learning rate", "0.01"), ("augmentation", "random crop and flip")), True)
    assert augmentation_effect([plain, other], timings) == ""  # two things differ: not augmentation's alone
