"""A run's real shapes on the lesson's four stages, and what differs from the lesson's, in words."""

import pytest
from django.urls import reverse

from courses.content import load_lesson_file
from modellab.models import Experiment
from modellab.shapes import differences, map_to_lesson, parse_shape
from tests.conftest import SEED_LESSON

LESSON_STAGES = [
    ("Input Images", "1000 x 224 x 224 x 3"),
    ("Preprocessing", "1000 x 224 x 224 x 3"),
    ("Feature Extraction with Pre-trained Model", "1000 x 7 x 7 x 512"),
    ("Pooling and New Classifier Head", "1000 x number_of_classes"),
]
EFFNET_64 = [  # efficientnet_lite0 at 64 x 64, from a run's results
    {"stage": "input", "shape": [32, 3, 64, 64]},
    {"stage": "backbone features", "shape": [32, 1280, 2, 2]},
    {"stage": "pooled", "shape": [32, 1280]},
    {"stage": "head", "shape": [32, 3]},
]


def test_shapes_are_read_as_the_lesson_writes_them():
    assert parse_shape("1000 x 7 x 7 x 512") == [1000, 7, 7, 512]
    assert parse_shape("1000 x number_of_classes") == [1000, None]


def test_the_run_is_laid_onto_the_four_stages_channels_last():
    stages = map_to_lesson(EFFNET_64, LESSON_STAGES)
    assert [(s.position, s.run) for s in stages] == [
        (1, "32 x 64 x 64 x 3"),
        (2, "32 x 64 x 64 x 3"),
        (3, "32 x 2 x 2 x 1280"),
        (4, "32 x 3"),
    ]
    assert stages[2].lesson == "1000 x 7 x 7 x 512"


def test_what_differs_is_said_in_words():
    notes = differences(EFFNET_64, LESSON_STAGES, run_backbone="EfficientNet-Lite0", lesson_backbone="ResNet-18")
    assert notes[0] == "EfficientNet-Lite0: 1280 channels where the lesson's ResNet-18 has 512."
    assert notes[1].startswith("Input 64 x 64 where the lesson has 224 x 224")
    assert notes[2].startswith("Feature map 2 x 2 where the lesson's is 7 x 7") and "32 times" in notes[2]
    assert notes[3] == "N is 32, the batch the shapes were recorded on, where the lesson follows all 1000 images."


def test_different_normalisation_statistics_are_said_with_both_backbones_values():
    """The statistics belong to the weights: Lite0's mean = std = 0.5 against ResNet-18's ImageNet values."""
    lite0, imagenet = ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)), ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    notes = differences(
        EFFNET_64,
        LESSON_STAGES,
        run_backbone="EfficientNet-Lite0",
        lesson_backbone="ResNet-18",
        run_stats=lite0,
        lesson_stats=imagenet,
    )
    assert notes[-1] == (
        "EfficientNet-Lite0: inputs normalised with mean (0.5, 0.5, 0.5) and std (0.5, 0.5, 0.5), where the lesson's "
        "ResNet-18 uses mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225): the statistics belong to the weights, "
        "and each backbone is fed its own."
    )
    same = differences(EFFNET_64, LESSON_STAGES, run_backbone="X", lesson_backbone="Y", run_stats=lite0, lesson_stats=lite0)
    assert not [n for n in same if "normalised" in n]


def test_nothing_is_said_where_the_shapes_agree():
    resnet_224 = [
        {"stage": "input", "shape": [1000, 3, 224, 224]},
        {"stage": "backbone features", "shape": [1000, 512, 7, 7]},
        {"stage": "pooled", "shape": [1000, 512]},
        {"stage": "head", "shape": [1000, 3]},
    ]
    assert differences(resnet_224, LESSON_STAGES, run_backbone="ResNet-18", lesson_backbone="ResNet-18") == []


def test_no_mapping_without_four_stages_or_a_full_trace():
    assert map_to_lesson(EFFNET_64, LESSON_STAGES[:3]) == []
    assert map_to_lesson(EFFNET_64[:2], LESSON_STAGES) == []
    assert map_to_lesson([{"stage": "input", "shape": "[1, 3, 32, 32]"}], LESSON_STAGES) == []


@pytest.mark.django_db
@pytest.mark.usefixtures("lab_media")
def test_the_experiment_page_maps_its_shapes_onto_the_lesson(client, user, tiny_dataset):
    lesson = load_lesson_file(SEED_LESSON).lesson
    exp = Experiment.objects.create(
        owner=user,
        dataset=tiny_dataset,
        backbone="efficientnet_lite0",
        strategy="features",
        epochs=1,
        lr=0.001,
        batch_size=32,
        image_size=64,
        status=Experiment.Status.SUCCEEDED,
        lesson_slug=lesson.slug,
        results={
            "final": {"val_accuracy": 1.0, "val_loss": 0.1},
            "shape_trace": EFFNET_64,
            "class_names": ["0", "1", "2"],
            "split_sizes": {"train": 3, "val": 3, "test": 0},
            "predictions": [],
        },
    )
    client.force_login(user)
    html = client.get(reverse("modellab:experiment", args=[exp.pk])).content.decode()
    assert "EfficientNet-Lite0: 1280 channels where the lesson&#x27;s ResNet-18 has 512." in html
    assert (
        "inputs normalised with mean (0.5, 0.5, 0.5) and std (0.5, 0.5, 0.5), where the lesson&#x27;s ResNet-18 uses mean (0.485"
        in html
    )
    table = html.split('class="lab-table lab-lesson-shapes"')[1].split("</table>")[0]
    assert "3. Feature Extraction with Pre-trained Model" in table and "32 x 2 x 2 x 1280" in table
    assert "1000 x 7 x 7 x 512" in table
