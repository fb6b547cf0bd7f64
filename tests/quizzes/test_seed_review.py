"""The seed lesson after an ML reviewer's read: each wrong choice links the belief it reveals, facts hold."""

from decimal import Decimal

import pytest

from quizzes.models import Question

pytestmark = pytest.mark.django_db


def _links(lesson, key: str) -> dict[str, str]:
    question = Question.objects.get(lesson=lesson, key=key)
    return {c.text: (c.mistake.text if c.mistake else "") for c in question.choices.select_related("mistake")}


def test_batchnorm_choices_link_the_belief_each_reveals(seed_lesson):
    """'Nothing at all' believes requires_grad covers everything; the parameter choices believe frozen parameters move."""
    links = _links(seed_lesson, "batchnorm-still-updates")
    assert links["Nothing at all"] == "Thinking requires_grad controls everything a layer stores"
    optimizer_belief = "Believing the optimizer still changes parameters that have requires_grad = False"
    assert links["The convolution weights, through weight decay"] == optimizer_belief
    assert links["The BatchNorm scale and shift (gamma and beta)"] == optimizer_belief


def test_normalization_refusal_links_a_belief_in_enforcement(seed_lesson):
    """'PyTorch refuses...' reveals expecting the framework to enforce normalization, not 'any scaling works'."""
    links = _links(seed_lesson, "normalization-matches")
    assert links["PyTorch refuses to run a model on unnormalized inputs"] == (
        "Expecting the framework to reject inputs that are not normalized"
    )


def test_feature_cache_head_ignoring_links_its_own_belief(seed_lesson):
    """The 'head ignores the backbone' choice no longer links 'the backbone's output changes'."""
    question = Question.objects.get(lesson=seed_lesson, key="feature-cache")
    links = _links(seed_lesson, "feature-cache")
    assert links["Because the classifier head learns to ignore the backbone after the first epoch"] == (
        "Thinking the new head stops using the backbone's features once it has trained a while"
    )
    assert "`eval()` mode" in question.stem  # identical features need BatchNorm's fixed statistics too


def test_missing_fc_explains_reading_not_assigning(seed_lesson):
    """Assigning model.fc on a VGG raises nothing; the error comes from reading .fc of a Sequential."""
    question = Question.objects.get(lesson=seed_lesson, key="missing-fc-attribute")
    correct = question.choices.get(fraction__gt=0)
    assert "Sequential" in correct.text
    assert "raises nothing" in correct.feedback and "1000 scores" in correct.feedback
    step2 = question.steps.order_by("position")[1].body
    assert "model.classifier[6]" in step2 and "would not fail" in step2


def test_wrong_choices_about_data_are_unambiguously_wrong(seed_lesson):
    """Neither 'more data' distractor reads as a true statement about training from scratch."""
    practice = _links(seed_lesson, "reuse-learned-features")
    assert practice["They need more labelled images than a model trained from scratch"] == (
        "Thinking pre-trained models need more data"
    )
    quiz = Question.objects.get(lesson=seed_lesson, key="why-pretrained-saves-time")
    assert not quiz.choices.filter(text__icontains="more training data than scratch").exists()


def test_pipeline_says_its_layout_backbone_and_real_normalization(seed_lesson):
    """Stage 2 describes mean/std normalization; the summary names channels-last and ResNet-18's 512 channels."""
    stage2 = seed_lesson.stages.order_by("position")[1]
    assert "0.485" in stage2.example and "0.229" in stage2.example
    assert "channels-last" in seed_lesson.pipeline_summary and "ResNet-18" in seed_lesson.pipeline_summary
    head = Question.objects.get(lesson=seed_lesson, key="head-parameter-count")
    assert "channels-first" in head.stem


# --- Numbers & shapes: every number and shape of the seed's typed questions, recomputed from torch ---


def _typed(lesson, key: str) -> tuple[tuple, list]:
    """(the full-credit answer as a number or shape, [every other answer, parsed]) of a typed question."""
    from quizzes.typed import parse_number, parse_shape

    question = Question.objects.get(lesson=lesson, key=key)
    read = (lambda text: parse_number(text)) if question.kind == "numeric" else parse_shape
    answers = list(question.choices.all())
    (right,) = [read(a.text) for a in answers if a.fraction == 1]
    return right, [read(a.text) for a in answers if a.fraction < 1]


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def _backbone_output(size: int) -> tuple[int, ...]:
    """ResNet-18 without its pooling and head, given one image of size x size: the output's shape (C, H, W)."""
    import torch
    import torchvision

    body = torch.nn.Sequential(*list(torchvision.models.resnet18().children())[:-2]).eval()
    with torch.inference_mode():
        return tuple(body(torch.zeros(1, 3, size, size)).shape[1:])


def test_seed_has_typed_questions_of_every_difficulty(seed_lesson):
    """At least 8 typed questions in the practice bank, easy to hard, each with steps, a hint and a linked mistake."""
    typed = Question.objects.filter(lesson=seed_lesson, role="practice", kind__in=("numeric", "short"))
    assert typed.count() >= 8
    assert {q.difficulty for q in typed} == {"easy", "medium", "hard"}
    for q in typed:
        assert q.steps.exists() and q.hints.exists() and q.quick_check, q.key
        assert q.choices.filter(fraction=0, mistake__isnull=False).exists(), q.key


def test_seed_head_outputs_and_head_sizes_are_resnet18s(seed_lesson):
    """fc is Linear(512, 1000): 1000 outputs (512 is its input), 513,000 parameters (512,000 without biases)."""
    import torchvision

    fc = torchvision.models.resnet18().fc
    right, wrong = _typed(seed_lesson, "resnet18-head-outputs")
    assert right == fc.out_features and fc.in_features in wrong
    right, wrong = _typed(seed_lesson, "resnet18-head-parameters")
    assert right == _count(fc) and wrong == [fc.weight.numel()]


def test_seed_backbone_shapes_come_from_a_real_forward_pass(seed_lesson):
    """224 gives 512 x 7 x 7 and 320 gives 512 x 10 x 10 (C x H x W); each question's layout as it says."""
    c, h, w = _backbone_output(224)
    right, wrong = _typed(seed_lesson, "backbone-output-pytorch")
    assert right == (8, c, h, w) and (8, h, w, c) in wrong and (8, c) in wrong
    right, wrong = _typed(seed_lesson, "pooled-feature-shape")
    assert right == (1000, c) and (1000, h * w * c) in wrong and (1000, h, w) in wrong
    c, h, w = _backbone_output(320)
    right, wrong = _typed(seed_lesson, "larger-input-feature-shape")
    assert right == (32, h, w, c) and (32, c, h, w) in wrong and (32, 7, 7, c) in wrong


def test_seed_model_sizes_are_counted_from_torchvision(seed_lesson):
    """ResNet-18 11,689,512 (11.7 M), ResNet-50 25,557,032 (25.6 M), VGG16's classifier input 25,088; the stems say the same."""
    import torch
    import torchvision

    with torch.device("meta"):  # counts without allocating the weights
        resnet18, resnet50, vgg16 = torchvision.models.resnet18(), torchvision.models.resnet50(), torchvision.models.vgg16()
    right, wrong = _typed(seed_lesson, "resnet18-size-millions")
    assert right == round(Decimal(_count(resnet18)) / 1_000_000, 1) and _count(resnet18) in wrong
    assert round(Decimal(_count(resnet50)) / 1_000_000, 1) in wrong
    right, wrong = _typed(seed_lesson, "vgg16-classifier-inputs")
    assert right == vgg16.classifier[0].in_features == 512 * 7 * 7 and 512 * 7 in wrong
    question = Question.objects.get(lesson=seed_lesson, key="new-head-total-parameters")
    assert f"{_count(resnet18):,}" in question.stem


def test_seed_replaced_head_and_convolution_counts(seed_lesson):
    """ResNet-18 with Linear(512, 3) has 11,178,051 parameters; Conv2d(64, 128, 3) has 73,856; each known wrong answer is the slip it names."""
    import torchvision
    from torch import nn

    model = torchvision.models.resnet18()
    before = _count(model)
    model.fc = nn.Linear(512, 3)
    right, wrong = _typed(seed_lesson, "new-head-total-parameters")
    assert right == _count(model)
    assert set(wrong) == {before + 1539, _count(model) - 3, _count(model) - 1539}
    conv = nn.Conv2d(64, 128, kernel_size=3)
    right, wrong = _typed(seed_lesson, "conv3x3-parameters")
    assert right == _count(conv)
    assert set(wrong) == {
        conv.weight.numel(),
        _count(nn.Conv2d(1, 128, kernel_size=3)),
        _count(nn.Conv2d(64, 128, kernel_size=1)),
    }
