"""The seed lesson after the expert read of issue 21: each wrong choice links the belief it reveals, no
mistake is left unlinked, hints point without answering, one meaning of "backbone" and of "fine-tuning",
and every new number recomputed from torch, torchvision, timm and the lab's engine."""

import itertools
import math
import re

import pytest

from quizzes.models import Mistake, Question
from quizzes.typed import parse_number

pytestmark = pytest.mark.django_db


def _question(lesson, key: str) -> Question:
    return Question.objects.get(lesson=lesson, key=key)


def _links(lesson, key: str) -> dict[str, str]:
    return {c.text: (c.mistake.text if c.mistake else "") for c in _question(lesson, key).choices.select_related("mistake")}


def test_every_mistake_is_shown_by_a_wrong_choice_and_none_is_listed_twice(seed_lesson):
    """A mistake no choice shows teaches nothing on the sheet; two of one question's must differ."""
    unlinked = Mistake.objects.filter(question__lesson=seed_lesson, choices__isnull=True)
    assert [(m.question.key, m.text) for m in unlinked] == []
    for question in Question.objects.filter(lesson=seed_lesson):
        texts = [m.text for m in question.mistakes.all()]
        assert len(texts) == len(set(texts)), question.key
        assert not question.choices.filter(fraction=1, mistake__isnull=False).exists(), question.key


def test_which_params_train_links_each_wrong_answer_to_its_own_belief(seed_lesson):
    """'Nothing' believes the loop froze the new layer; 'every layer' ignores the filtered list; 'all but
    the new one' reads requires_grad backwards. Running the code trains exactly fc's 1,539 numbers."""
    import torch
    import torchvision

    links = _links(seed_lesson, "which-params-train")
    assert links["Nothing, because every parameter was frozen"] == "Thinking the freeze loop also freezes layers created after it"
    assert links["Every layer, because the optimizer is given the model"].startswith(
        "Thinking the optimizer trains the whole model"
    )
    assert "'train this' instead of 'freeze this'" in links["Every layer except the new final layer"]
    model = torchvision.models.resnet18()
    for p in model.parameters():
        p.requires_grad = False
    model.fc = torch.nn.Linear(512, 3)
    trained = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trained == ["fc.weight", "fc.bias"] and sum(p.numel() for p in model.fc.parameters()) == 1539


# Content words a hint shares with the right choice and with no wrong one give the answer away.
GIVEAWAY_HINTS = [
    "reuse-learned-features",
    "small-dataset-strategy",
    "mobilenet-output-shape",
    "missing-fc-attribute",
    "load-pretrained-pytorch",
    "benefits-multiple",
]


FUNCTION_WORDS = {
    "that",
    "which",
    "what",
    "this",
    "with",
    "your",
    "have",
    "does",
    "from",
    "they",
    "them",
    "there",
    "when",
    "then",
}


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9_]+", text.lower()) if len(w) > 3} - FUNCTION_WORDS


@pytest.mark.parametrize("key", GIVEAWAY_HINTS)
def test_hints_point_the_way_without_naming_the_answer(seed_lesson, key):
    question = _question(seed_lesson, key)
    right = set().union(*(_words(c.text) for c in question.choices.filter(fraction=1)))
    wrong = set().union(*(_words(c.text) for c in question.choices.filter(fraction=0)))
    for hint in question.hints.all():
        assert _words(hint.text) & (right - wrong) == set(), hint.text
        assert not re.search(r"\b(two|one|three) (are|is) (true|right|correct)\b", hint.text.lower()), hint.text


def test_the_trace_is_marked_illustrative_and_plausible(seed_lesson):
    """Loss below ln 3 (a uniform guess over 3 classes) from epoch 1, falling while accuracy rises; the note says so."""
    epochs = list(seed_lesson.epochs.all())
    uniform = math.log(3)
    assert epochs[0].loss < uniform and epochs[0].accuracy > 1 / 3
    assert all(a.loss > b.loss and a.accuracy < b.accuracy for a, b in itertools.pairwise(epochs))
    note = seed_lesson.training_note
    assert note.startswith("Illustrative numbers, not a measurement") and f"ln 3 = {uniform:.2f}" in note
    assert f"ln 3 = {uniform:.2f}" in epochs[0].observation
    assert "fine-tun" not in note.lower() and "feature extraction" in note


def test_one_meaning_of_backbone_everything_before_the_head_pooling_included(seed_lesson):
    """The card, the pipeline, the prediction trace and the shape questions all put global pooling in the backbone."""
    card = seed_lesson.flashcards.get(key="backbone").back
    assert "global average pooling" in card
    assert "The backbone is everything before the new head" in seed_lesson.pipeline_summary
    layers = {layer.name: layer.description for layer in seed_lesson.prediction_layers.all()}
    assert "global average pooling, the backbone's last step" in layers["Pre-trained Backbone (frozen)"]
    assert "pool" not in layers["New Classifier Head"].lower()
    stage4 = seed_lesson.stages.order_by("position")[3]
    assert stage4.operation.startswith("The backbone's global average pooling")
    for key in ("backbone-output-pytorch", "larger-input-feature-shape", "pooled-feature-shape"):
        stem = _question(seed_lesson, key).stem
        assert "convolutional layers" in stem and "no pooling" not in stem and "without its pooling and head" not in stem, key


def test_fine_tuning_is_used_as_the_cards_define_it(seed_lesson):
    """Head-only training on a frozen backbone is feature extraction, never called fine-tuning."""
    stages = list(seed_lesson.stages.all())
    assert not [s.name for s in stages if "fine-tun" in (s.name + s.operation).lower()]
    question = _question(seed_lesson, "small-dataset-strategy")
    (right,) = question.choices.filter(fraction=1)
    assert "frozen" in right.text and "fine-tun" not in right.text.lower() and "Feature extraction" in right.feedback
    assert "fine-tun" not in question.quick_check.lower() and "fine-tun" not in question.hints.get().text.lower()
    assert "faster and efficient" not in seed_lesson.key_insight
    quiz = _links(seed_lesson, "why-pretrained-saves-time")
    assert not [text for text in quiz if "similar data" in text]  # pre-training data may differ: see domain-shift


def test_small_dataset_classes_are_not_imagenet_classes(seed_lesson):
    """The three breeds are no ImageNet-1k class (its one horse class is 'sorrel'), so its head cannot name them."""
    from torchvision.models import ResNet18_Weights

    categories = [c.lower() for c in ResNet18_Weights.IMAGENET1K_V1.meta["categories"]]
    stem = _question(seed_lesson, "small-dataset-strategy").stem
    for breed in ("Arabian", "Friesian", "Shetland pony"):
        assert breed in stem
    assert not [c for c in categories if "friesian" in c or "shetland pony" in c or c in ("arabian", "arabian horse")]
    assert [c for c in categories if "horse" in c and "cart" not in c] == [] and "sorrel" in categories
    assert "ImageNet-1k\n        has no class for any of these breeds" in stem or "has no class for any of these breeds" in stem


def test_normalisation_statistics_belong_to_the_weights(seed_lesson):
    """torchvision's ResNet-18 weights use ImageNet's statistics, timm's (and the lab's) Lite0 mean = std = 0.5."""
    import timm
    from torchvision.models import ResNet18_Weights

    from modellab.engine.backbones import IMAGENET_MEAN, IMAGENET_STD, list_backbones

    lite0 = timm.create_model("tf_efficientnet_lite0", pretrained=False).pretrained_cfg
    assert lite0["mean"] == lite0["std"] == (0.5, 0.5, 0.5)
    lab = {b.name: b for b in list_backbones()}["efficientnet_lite0"]
    assert (lab.mean, lab.std) == (lite0["mean"], lite0["std"])
    preprocess = ResNet18_Weights.IMAGENET1K_V1.transforms()
    assert (tuple(preprocess.mean), tuple(preprocess.std)) == (IMAGENET_MEAN, IMAGENET_STD)
    card = seed_lesson.flashcards.get(key="normalization").back
    assert "mean = std = (0.5, 0.5, 0.5)" in card and "pretrained_cfg" in card and "transforms()" in card
    stage2 = seed_lesson.stages.order_by("position")[1]
    assert "mean = std = 0.5" in stage2.example and "pretrained_cfg" in stage2.example
    # stage 2 resizes photos of any size: torchvision's recipe, shorter side 256 then centre crop 224
    assert (preprocess.resize_size, preprocess.crop_size) == ([256], [224])
    assert "shorter side to 256, centre-crop 224 x 224" in stage2.operation and stage2.output_shape == "1000 x 224 x 224 x 3"
    assert seed_lesson.stages.order_by("position")[0].output_shape == "1000 x H x W x 3"
    # ImageNet-normalised pixels run from about -2.1 to 2.6, not 0 to 1
    low = min((0 - m) / s for m, s in zip(IMAGENET_MEAN, IMAGENET_STD, strict=True))
    high = max((1 - m) / s for m, s in zip(IMAGENET_MEAN, IMAGENET_STD, strict=True))
    feedback = _question(seed_lesson, "normalization-matches").choices.get(text__contains="between 0 and 1").feedback
    assert f"about {low:.1f} to {high:.1f}" in feedback


def test_the_augmentation_card_states_the_labs_cached_views(seed_lesson):
    """Caching K augmented views is allowed; the lab's augment_views defaults to 2 (3 versions with the original)."""
    from modellab.engine.config import RunConfig

    views = RunConfig(dataset_dir="", cache_dir="", output_dir="").augment_views
    card = seed_lesson.flashcards.get(key="augmentation-vs-cache").back
    assert f"`augment_views` (default {views}: each epoch sees one of {views + 1} versions" in card
    assert "rule out" not in seed_lesson.flashcards.get(key="augmentation-vs-cache").front
    feedback = _question(seed_lesson, "feature-cache").choices.get(text__contains="random crops").feedback
    assert "`augment_views`" in feedback


def test_two_layer_head_count_is_a_different_calculation_from_the_resnet18_head(seed_lesson):
    """head-parameter-count counts a Linear-ReLU-Dropout-Linear head; each wrong count is the slip its mistake names."""
    from torch import nn

    def count(module) -> int:
        return sum(p.numel() for p in module.parameters())

    head = nn.Sequential(nn.Linear(512, 256), nn.ReLU(), nn.Dropout(0.2), nn.Linear(256, 3))
    question = _question(seed_lesson, "head-parameter-count")
    assert "nn.Sequential(nn.Linear(512, 256), nn.ReLU(), nn.Dropout(0.2), nn.Linear(256, 3))" in question.stem
    assert "channels-first" in question.stem
    numbers = {
        parse_number(c.text): (c.fraction, c.mistake.text if c.mistake else "")
        for c in question.choices.select_related("mistake")
    }
    assert numbers[count(head)][0] == 1
    assert numbers[count(head) - 256 - 3][1] == "Forgetting the bias terms"
    flattened = count(nn.Linear(512 * 7 * 7, 256)) + count(head[3])
    assert numbers[flattened][1] == "Counting weights as if the 7 x 7 map were flattened"
    assert numbers[count(head[3])][1] == "Counting only the layer that outputs the classes"
    assert f"{count(head[0]):,} + {count(head[3]):,} = {count(head):,}" in question.quick_check


def test_mobilenet_choices_are_distinct_beliefs_and_its_feature_map_is_real(seed_lesson):
    """(1, 7, 7, 1280) is MobileNetV2's last feature map at 224 (channels-last, as Keras); the top outputs 1000."""
    import torch
    import torchvision

    model = torchvision.models.mobilenet_v2().eval()
    with torch.inference_mode():
        features = model.features(torch.zeros(1, 3, 224, 224))
    n, c, h, w = features.shape
    links = _links(seed_lesson, "mobilenet-output-shape")
    assert links[f"({n}, {h}, {w}, {c})"] == "Forgetting that include_top=True is the default"
    assert model.classifier[-1].out_features == 1000 and "(1, 1000)" in links
    assert len(set(links.values()) - {""}) == 3


def test_classifier_layers_as_torchvision_and_timm_build_them(seed_lesson):
    """timm's Lite0 classifier is one nn.Linear (reading .fc fails as the step says); VGG flattens in forward."""
    import inspect

    import timm
    import torchvision
    from torch import nn

    lite0 = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    assert isinstance(lite0.classifier, nn.Linear) and lite0.get_classifier() is lite0.classifier
    with pytest.raises(AttributeError) as error:
        _ = lite0.classifier.fc
    step = _question(seed_lesson, "missing-fc-attribute").steps.order_by("position")[1].body
    assert f"`{error.value}`" in step and "`model.get_classifier()`" in step
    vgg = torchvision.models.vgg16()
    assert isinstance(vgg.classifier, nn.Sequential) and isinstance(vgg.classifier[6], nn.Linear)
    assert "torch.flatten(x, 1)" in inspect.getsource(type(vgg).forward)
    assert not any(isinstance(m, nn.Flatten) for m in vgg.classifier) and vgg.avgpool.output_size == (7, 7)
    question = _question(seed_lesson, "vgg16-classifier-inputs")
    assert "`VGG.forward` flattens that map" in question.stem
    assert "AdaptiveAvgPool2d((7, 7))" in question.steps.order_by("position")[1].body
