"""The seed lesson after an ML reviewer's read: each wrong choice links the belief it reveals, facts hold."""
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
