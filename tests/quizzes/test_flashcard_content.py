"""The lesson file's `flashcards:` section: errors with file:line: field, idempotent reloads
that keep students' schedules."""

import pytest
from django.utils import timezone

from quizzes.models import Flashcard, FlashcardSchedule
from tests.quizzes.test_content import error_for, load

pytestmark = pytest.mark.django_db

GOOD = """\
course: {slug: c, title: Course, track: ml}
lesson: {slug: l, title: Lesson}
flashcards:
  - key: backbone
    front: What is a *backbone*?
    back: The pre-trained layers that turn an image into features.
  - key: head
    front: What is the *head*?
    back: |
      The new last layer, trained for your classes:
      `nn.Linear(512, 3)` for ResNet-18 and 3 classes.
"""


def test_cards_load_in_order_with_markdown_faces():
    lesson = load(GOOD)
    assert [(c.key, c.position, c.front) for c in lesson.flashcards.all()] == [
        ("backbone", 1, "What is a *backbone*?"),
        ("head", 2, "What is the *head*?"),
    ]
    assert "`nn.Linear(512, 3)`" in Flashcard.objects.get(key="head").back


def test_a_reload_updates_cards_in_place_and_keeps_schedules():
    """Cards are matched by key: an edited card keeps its id and the schedules students have of it."""
    lesson = load(GOOD)
    card = Flashcard.objects.get(key="head")
    now = timezone.now()
    FlashcardSchedule.objects.create(card=card, anon_id="a1", due_at=now, introduced_at=now, reviews=1)
    load(GOOD.replace("What is the *head*?", "What is the new *head*?").replace("  - key: backbone\n", "  - key: frozen\n"))
    card.refresh_from_db()
    assert card.front == "What is the new *head*?" and card.schedules.get().anon_id == "a1"
    assert [c.key for c in lesson.flashcards.all()] == ["frozen", "head"]  # backbone, never rated, is gone


def test_a_dropped_card_someone_rated_becomes_inactive_and_returns():
    load(GOOD)
    now = timezone.now()
    FlashcardSchedule.objects.create(card=Flashcard.objects.get(key="backbone"), anon_id="a1", due_at=now, introduced_at=now)
    only_head = GOOD.replace(GOOD[GOOD.index("  - key: backbone") : GOOD.index("  - key: head")], "")
    load(only_head)
    assert Flashcard.objects.get(key="backbone").active is False and FlashcardSchedule.objects.count() == 1
    load(GOOD)
    assert Flashcard.objects.get(key="backbone").active is True


def test_sheet_true_lists_a_card_on_the_summary_sheet_and_a_reload_can_take_it_off():
    load(GOOD.replace("    back: The pre-trained layers", "    sheet: true\n    back: The pre-trained layers"))
    assert {c.key: c.on_sheet for c in Flashcard.objects.all()} == {"backbone": True, "head": False}
    load(GOOD)
    assert not Flashcard.objects.get(key="backbone").on_sheet


@pytest.mark.parametrize(
    "old, new, line, field, words",
    [
        ("  - key: head\n", "  - key: backbone\n", 7, "flashcards[2].key", "already used by the card on line 4"),
        ("  - key: head\n", "  - key: the head\n", 7, "flashcards[2].key", "only letters, digits"),
        ("    front: What is a *backbone*?\n", "", 4, "flashcards[1]", "missing required field 'front'"),
        (
            "    back: The pre-trained layers that turn an image into features.\n",
            "    back: ''\n",
            6,
            "flashcards[1].back",
            "must not be empty",
        ),
        (
            "    front: What is the *head*?\n",
            "    front: What is the *head*?\n    hint: no\n",
            9,
            "flashcards[2].hint",
            "unknown field 'hint'",
        ),
        (
            "    front: What is the *head*?\n",
            "    front: What is the *head*?\n    sheet: maybe\n",
            9,
            "flashcards[2].sheet",
            "'maybe' is not true or false",
        ),
    ],
)
def test_errors_name_file_line_and_field_and_save_nothing(old, new, line, field, words):
    assert old in GOOD
    error = error_for(GOOD.replace(old, new, 1))
    assert error.messages[0].startswith(f"lesson.yaml:{error.params['line']}: {error.params['field']}: ")
    assert (error.params["line"], error.params["field"]) == (line, field) and words in error.params["problem"], error
    assert not Flashcard.objects.exists()


def test_the_section_must_be_a_list():
    error = error_for(GOOD[: GOOD.index("flashcards:")] + "flashcards: {key: backbone}\n")
    assert (error.params["line"], error.params["field"]) == (3, "flashcards") and "must be a list" in error.params["problem"]


def test_a_bad_card_leaves_the_loaded_lesson_as_it_was():
    load(GOOD)
    error_for(GOOD.replace("What is a *backbone*?", "Changed?").replace("  - key: head\n", "  - key: backbone\n"))
    assert Flashcard.objects.get(key="backbone").front == "What is a *backbone*?"


def test_seed_lesson_has_at_least_20_cards(seed_lesson):
    cards = list(seed_lesson.flashcards.all())
    assert len(cards) >= 20
    assert all(c.front.strip() and c.back.strip() for c in cards)


def test_seed_cards_state_torchvisions_own_numbers(seed_lesson):
    """The ResNet-18 facts on the seed's cards are what torchvision builds and ships."""
    import torch
    from torchvision.models import ResNet18_Weights, resnet18

    back = {c.key: c.back for c in seed_lesson.flashcards.all()}
    model = resnet18(weights=None)
    assert f"{sum(p.numel() for p in model.parameters()):,}" == "11,689,512" and "11,689,512" in back["resnet18-size"]
    features = torch.nn.Sequential(*list(model.children())[:-2])(torch.zeros(1, 3, 224, 224))
    assert tuple(features.shape[1:]) == (512, 7, 7) and "512 x 7 x 7" in back["resnet18-feature-map"]
    assert (
        repr(model.avgpool) == "AdaptiveAvgPool2d(output_size=(1, 1))"
        and "nn.AdaptiveAvgPool2d((1, 1))" in back["global-average-pooling"]
    )
    model.fc = torch.nn.Linear(512, 3)
    assert sum(p.numel() for p in model.fc.parameters()) == 1539 and "1,539" in back["head-parameter-count"]
    weights = ResNet18_Weights.IMAGENET1K_V1
    assert len(weights.meta["categories"]) == 1000 and "1000 classes" in back["imagenet-classes"]
    preprocess = weights.transforms()
    assert (preprocess.resize_size, preprocess.crop_size) == ([256], [224])
    assert "resizes the shorter side to 256, center-crops 224 x 224" in back["weights-transforms"]
    assert f"mean ({', '.join(map(str, preprocess.mean))})" in back["normalization"]
    assert f"standard deviation ({', '.join(map(str, preprocess.std))})" in back["normalization"]
