"""Lesson 2, "Freeze or fine-tune?": its counts, and every number, shape and API it names recomputed from torch."""

from itertools import pairwise
import math
from pathlib import Path

import pytest
import torch
import torchvision
import yaml
from django.conf import settings
from torch import nn

from courses.content import load_lesson_file
from quizzes.lint_sources import lint_file
from quizzes.models import Question
from quizzes.models.reviews import Flashcard

LESSON = Path(settings.BASE_DIR) / "content" / "lessons" / "freeze-or-fine-tune.yaml"
DOC = yaml.safe_load(LESSON.read_text())
QUESTIONS = {q["key"]: q for q in DOC["questions"]["quiz"] + DOC["questions"]["practice"]}


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def _resnet18(classes: int | None = None) -> nn.Module:
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    if classes:
        model.fc = nn.Linear(512, classes)
    return model


def _stage_shapes(size: int, batch: int = 32) -> dict[str, tuple]:
    model = _resnet18().eval()
    x, shapes = torch.randn(batch, 3, size, size), {}
    with torch.no_grad():
        for name in ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4"]:
            x = getattr(model, name)(x)
            shapes[name] = tuple(x.shape)
    return shapes


def _last(d: dict) -> str:
    return " x ".join(str(n) for n in (d[0], d[2], d[3], d[1]))  # N x C x H x W -> channels-last text


def _answer(key: str) -> dict:
    return next(a for a in QUESTIONS[key]["answers"] if a.get("correct"))


@pytest.mark.django_db
def test_lesson_loads_with_the_counts_the_course_asks_for():
    lesson = load_lesson_file(LESSON).lesson
    assert (lesson.slug, lesson.position, lesson.course.slug) == ("freeze-or-fine-tune", 2, "computer-vision")
    questions = Question.objects.filter(lesson=lesson, current=True)
    practice = questions.filter(role="practice")
    assert questions.filter(role="quiz").count() >= 3 and practice.count() >= 20
    assert practice.filter(kind__in=["numeric", "short"]).count() >= 4
    by_level = {d: practice.filter(difficulty=d).count() for d in ("easy", "medium", "hard")}
    assert by_level["easy"] >= 3 and by_level["medium"] >= 4 and by_level["hard"] >= 3
    for question in practice:
        assert question.steps.exists() and question.hints.exists(), question.key
        for mistake in question.mistakes.all():
            assert mistake.choices.filter(fraction__lte=0).exists(), (question.key, mistake.text)
    assert Flashcard.objects.filter(lesson=lesson).count() >= 15
    assert lesson.epochs.count() == 5 and lesson.prediction_layers.exists() and lesson.key_insight


@pytest.mark.django_db
def test_lesson_lints_clean():
    assert [f.format() for f in lint_file(LESSON)] == []


def test_presets_run_the_four_strategies_on_the_same_data_and_settings():
    presets = DOC["lab"]["presets"]
    assert {s for p in presets for s in p["strategies"]} == {"features", "finetune", "finetune_all", "scratch"}
    settings_of = {
        (tuple(p["datasets"]), p["backbone"], p["epochs"], p["image_size"], p.get("lr"), p.get("batch_size")) for p in presets
    }
    assert settings_of == {(("builtin:digits-3",), "efficientnet_lite0", 5, 64, None, None)}


def test_resnet18_parameter_counts_per_strategy():
    model = _resnet18(3)
    total, layer4, head = _count(model), _count(model.layer4), _count(model.fc)
    assert (total, layer4, head) == (11_178_051, 8_393_728, 1_539)
    summary = DOC["pipeline"]["summary"]
    for n in (layer4, head, layer4 + head, total):
        assert f"{n:,}" in summary
    card = next(c for c in DOC["flashcards"] if c["key"] == "trainable-per-strategy")["back"]
    assert all(f"{n:,}" in card for n in (head, layer4, layer4 + head, total))
    assert _answer("finetune-trainable-count")["value"] == layer4 + head
    wrong = {a["value"] for a in QUESTIONS["finetune-trainable-count"]["answers"] if not a.get("correct")}
    assert wrong == {layer4, layer4 + _count(nn.Linear(512, 1000))}
    assert f"{round(100 * (layer4 + head) / total)}%" in _answer("finetune-trainable-count")["feedback"]
    full = _resnet18()
    share = next(c for c in DOC["flashcards"] if c["key"] == "layer4-share")["back"]
    assert f"{_count(full):,}" in share and f"about {round(100 * layer4 / _count(full))}%" in share


def test_pipeline_and_question_shapes_come_from_a_forward_pass():
    at224, at64 = _stage_shapes(224), _stage_shapes(64)
    stages = {s["name"]: s for s in DOC["pipeline"]["stages"]}
    frozen = stages["Frozen Layers (stem, layer1 to layer3)"]
    last = stages["Fine-tuned Last Block (layer4)"]
    assert frozen["output_shape"] == _last(at224["layer3"]) == last["input_shape"] == "32 x 14 x 14 x 256"
    assert last["output_shape"] == _last(at224["layer4"]) == "32 x 7 x 7 x 512"
    assert stages["New Classifier Head"]["output_shape"] == "32 x 3"
    assert "32 x 512 x 7 x 7" in DOC["pipeline"]["summary"]
    assert _answer("layer3-output-shape")["text"] == _last(at224["layer3"])
    assert _answer("lab-input-layer4-shape")["text"] == " x ".join(map(str, at64["layer4"])) == "32 x 512 x 2 x 2"
    card = next(c for c in DOC["flashcards"] if c["key"] == "resnet18-stage-shapes")["back"]
    for shape in [at224[f"layer{i}"][1:] for i in range(1, 5)] + [at64["layer1"][1:], at64["layer4"][1:]]:
        assert " x ".join(map(str, shape)) in card


def test_weights_preprocessing_is_what_the_pipeline_says():
    t = torchvision.models.ResNet18_Weights.IMAGENET1K_V1.transforms()
    assert (t.resize_size, t.crop_size) == ([256], [224])
    assert (tuple(t.mean), tuple(t.std)) == ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


def test_batchnorm_counts_and_running_mean_update():
    bns = [m for m in _resnet18().modules() if isinstance(m, nn.BatchNorm2d)]
    channels = sum(b.num_features for b in bns)
    assert (len(bns), channels, sum(_count(b) for b in bns)) == (20, 4_800, 9_600)
    assert sum(b.running_mean.numel() + b.running_var.numel() for b in bns) == 9_600
    assert _answer("batchnorm-running-values")["value"] == 9_600
    assert all(hasattr(b, "num_batches_tracked") and b.momentum == 0.1 for b in bns)
    assert not any(isinstance(m, nn.Dropout) for m in _resnet18().modules())  # "ResNet-18 has no Dropout layer"

    bn = nn.BatchNorm2d(1)
    bn.requires_grad_(False)
    bn.train()
    x = torch.randn(8, 1, 4, 4)
    x = x - x.mean() + 2.0  # the batch's mean on the channel is 2.0
    bn(x)
    assert bn.running_mean.item() == pytest.approx(_answer("batchnorm-running-mean")["value"])
    bn.eval()
    bn(x + 5)
    assert bn.running_mean.item() == pytest.approx(0.2)  # eval() leaves it as it was


def test_parameter_groups_as_the_lesson_writes_them():
    model = _resnet18(3)
    optimizer = torch.optim.Adam([{"params": model.layer4.parameters(), "lr": 1e-4}, {"params": model.fc.parameters()}], lr=1e-3)
    assert [g["lr"] for g in optimizer.param_groups] == [1e-4, _answer("param-group-default-lr")["value"]]
    with pytest.raises((TypeError, ValueError)):
        torch.optim.Adam(model.parameters(), lr=[1e-4, 1e-3])
    assert hasattr(torchvision.ops, "FrozenBatchNorm2d")


def test_backward_stops_at_the_frozen_layers_and_frozen_weights_never_move():
    model = _resnet18(3)
    for p in model.parameters():
        p.requires_grad_(False)
    for p in list(model.layer4.parameters()) + list(model.fc.parameters()):
        p.requires_grad_(True)
    before = model.layer1[0].conv1.weight.clone()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, weight_decay=1e-4)
    model(torch.randn(4, 3, 64, 64)).sum().backward()
    assert model.layer1[0].conv1.weight.grad is None and model.layer4[0].conv1.weight.grad is not None
    optimizer.step()
    assert torch.equal(model.layer1[0].conv1.weight, before)


def test_illustrative_trace_is_marked_and_plausible():
    note, epochs = DOC["training"]["note"], DOC["training"]["epochs"]
    assert note.startswith("Illustrative numbers, not a measurement")
    assert f"ln 3 = {math.log(3):.2f}" in note
    losses, accuracies = [e["loss"] for e in epochs], [e["accuracy"] for e in epochs]
    assert losses == sorted(losses, reverse=True) and accuracies == sorted(accuracies)
    assert losses[0] < math.log(3)
    # A wrongly classified image has p(true class) <= 1/2, so loss >= (1 - accuracy) x ln 2.
    assert all(loss >= (1 - a) * math.log(2) for loss, a in zip(losses, accuracies, strict=True))
    assert f"e^-{losses[0]} = {math.exp(-losses[0]):.2f}" in note and f"{accuracies[0]:.0%} accuracy" in note


def test_the_measured_reference_is_the_two_presets_four_strategies_once_each():
    """manage.py lab_reference published both presets' comparisons: every strategy once, the shared arms from the first."""
    first, second = DOC["lab"]["presets"]
    assert {k: v for k, v in first.items() if k not in ("key", "title", "description", "strategies")} == {
        k: v for k, v in second.items() if k not in ("key", "title", "description", "strategies")
    }
    runs = DOC["measured"]["runs"]
    assert [r["strategy"] for r in runs] == first["strategies"] + [
        s for s in second["strategies"] if s not in first["strategies"]
    ]
    note = " ".join(DOC["measured"]["note"].split())
    assert note.startswith("Published from the comparison of runs #1, #2, #3 and the comparison of runs #4, #5, #6: ")
    assert "manage.py lab_reference --lesson freeze-or-fine-tune" in note
    assert all(len(r["epochs"]) == first["epochs"] for r in runs)


def test_measured_note_counts_the_lab_networks_parameters_and_states_what_the_runs_show():
    from modellab.engine.backbones import build_backbone
    from modellab.engine.model import Classifier

    torch.manual_seed(0)
    model = Classifier(build_backbone("efficientnet_lite0", pretrained=False), 3)
    unused = _count(model.backbone.imagenet_head)  # kept by the lab's backbone, outside forward: no gradient
    total, head = _count(model) - unused, _count(model.head)
    model(torch.randn(2, 3, 64, 64)).sum().backward()
    assert all(p.grad is None for p in model.backbone.imagenet_head.parameters())
    model.zero_grad(set_to_none=True)
    model.freeze_body()
    tuned = sum(p.numel() for p in model.parameters() if p.requires_grad)
    note = " ".join(DOC["measured"]["note"].split())
    assert (head, tuned, total) == (3_843, 1_021_443, 3_374_851)
    conv_head = model.backbone.tail[1]  # the last block, "the 1 x 1 head convolution and its BatchNorm"
    assert conv_head.kernel_size == (1, 1) and isinstance(model.backbone.tail[2], nn.BatchNorm2d)
    assert all(f"{n:,}" in note for n in (head, tuned, total, total + unused))
    measured = DOC["measured"]
    runs = {r["strategy"]: r for r in measured["runs"]}
    per_epoch = {s: [b["elapsed"] - a["elapsed"] for a, b in pairwise(r["epochs"])] for s, r in runs.items()}
    assert all(0.7 <= t <= 0.95 for t in per_epoch["finetune"])  # "about 0.8 s for the last block"
    assert all(3.5 <= t <= 4.5 for s in ("finetune_all", "scratch") for t in per_epoch[s])  # "about 4 s ... alike"
    assert all(t < 0.1 for t in per_epoch["features"])  # "under 0.1 s for the head on cached features"
    accuracy = {s: [e["val_accuracy"] for e in r["epochs"]] for s, r in runs.items()}
    every = accuracy["finetune_all"]
    assert f"reached {every[0]:.2f} after epoch 1 and {every[-1]:.2f} after 5" in note
    assert set(accuracy["finetune"]) == {1.0} and "the last block alone scored 1.00 from epoch 1" in note
    assert f"one image is {1 / 107:.3f}" in note
    for fact in ("2026-12-07", "AMD EPYC", "1 PyTorch thread", "load average", "AVX-512 BF16"):
        assert fact in note
    assert measured["versions"] == {
        "torch": torch.__version__.split("+")[0],
        "torchvision": torchvision.__version__.split("+")[0],
        "timm": __import__("timm").__version__,
    }


@pytest.mark.django_db
def test_lesson_page_shows_its_pipeline_presets_and_four_measured_runs(client):
    from django.urls import reverse

    load_lesson_file(LESSON)
    page = client.get(reverse("courses:lesson", args=["freeze-or-fine-tune"])).content.decode()
    assert "Data Flow - 5 Stages" in page and "32 x 14 x 14 x 256" in page and "Prediction Trace - 5 Layers" in page
    for preset in DOC["lab"]["presets"]:
        assert preset["title"] in page
    assert "Measured on this platform" in page and "Illustrative numbers, not a measurement" in page
