"""Lesson 3, "How much data do you need?": its counts, and every number and shape in it recomputed from torch, torchvision and timm."""

from itertools import pairwise
import math
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest
import timm
import torch
import yaml
from sklearn.datasets import load_digits
from torchvision.transforms import v2

from courses.content import load_lesson_file
from modellab.engine.config import RunConfig
from modellab.engine.data import limit_train_per_class, stratified_split
from modellab.engine.pixels import AUGMENT_SCALE
from quizzes.lint import ERROR
from quizzes.lint_sources import lint_file
from quizzes.models import Question

LESSON = Path(__file__).resolve().parents[2] / "content" / "lessons" / "how-much-data-do-you-need.yaml"
FIRST = LESSON.with_name("why-pretrained-models-save-time.yaml")
DOC = yaml.safe_load(LESSON.read_text())
PRACTICE = {q["key"]: q for q in DOC["questions"]["practice"]}
TYPED = ("numeric", "short")


def _correct(key: str):
    """The correct typed answer of a practice question (its value or text)."""
    answer = next(a for a in PRACTICE[key]["answers"] if a.get("correct"))
    return answer.get("value", answer.get("text"))


def _answers(key: str) -> dict:
    """Every typed answer of a question, value or text, to its linked mistake's text ('' when none)."""
    q = PRACTICE[key]
    return {a.get("value", a.get("text")): (q["mistakes"][a["mistake"] - 1] if "mistake" in a else "") for a in q["answers"]}


@pytest.fixture(scope="module")
def lite0():
    torch.manual_seed(0)
    return timm.create_model("efficientnet_lite0", pretrained=False, num_classes=3).eval()


@pytest.fixture(scope="module")
def split():
    labels = load_digits().target
    keep = np.flatnonzero(labels <= 2)
    return labels[keep], stratified_split(labels[keep].tolist(), RunConfig("d", "c", "o").val_fraction, seed=0)


# --------------------------------------------------------------------------- counts the issue sets


def test_counts_meet_the_course_standard():
    quiz, practice = DOC["questions"]["quiz"], DOC["questions"]["practice"]
    assert len(quiz) >= 3 and len(practice) >= 20
    assert sum(q.get("kind") in TYPED for q in practice) >= 4
    assert len(DOC["flashcards"]) >= 15
    bank = {d: sum(q["difficulty"] == d for q in practice) for d in ("easy", "medium", "hard")}
    assert all(bank[d] >= n for d, n in DOC["questions"]["blueprint"].items())  # the 3/4/3 test fills


def test_every_question_has_steps_hints_and_linked_mistakes():
    for q in DOC["questions"]["quiz"] + DOC["questions"]["practice"]:
        assert len(q["steps"]) >= 2 and q["hints"] and q["quick_check"], q["key"]
        options = q.get("choices") or [a for a in q["answers"] if a.get("value", a.get("text")) != "*"]
        wrong = [o for o in options if not o.get("correct") and not o.get("credit")]
        assert wrong and all("mistake" in o for o in wrong), q["key"]  # each wrong choice links its belief
        linked = {o["mistake"] for o in wrong}
        assert linked == set(range(1, len(q["mistakes"]) + 1)), q["key"]  # and each mistake is shown by one


def test_lints_without_errors_and_loads(db):
    assert [f for f in lint_file(LESSON) if f.severity == ERROR] == []
    lesson = load_lesson_file(LESSON).lesson
    first = load_lesson_file(FIRST).lesson
    assert lesson.course_id == first.course_id and (lesson.position, lesson.published) == (3, True)
    assert Question.objects.filter(lesson=lesson).count() == len(DOC["questions"]["quiz"]) + len(PRACTICE)
    assert lesson.lab_presets.get(key="data-size-sweep").sweep_sizes == [5, 10, 25, 50, None]
    assert lesson.lab_presets.get(key="augmentation").is_augment_comparison


def test_lesson_page_shows_the_pipeline_trace_and_measured_sweep(db, client):
    lesson = load_lesson_file(LESSON).lesson
    page = client.get(lesson.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    for text in (
        "How much data do you need?",
        "537 x 3 x 64 x 64",
        "Illustrative numbers, not a measurement",
        "Measured on this platform",
        "How much data? The data-size sweep",
        "Augmentation and the feature cache",
    ):
        assert text in html, text


def test_course_block_is_the_first_lessons():
    assert DOC["course"] == yaml.safe_load(FIRST.read_text())["course"]


# --------------------------------------------------------------------------- EfficientNet-Lite0 (timm)


def test_lite0_parameter_counts(lite0):
    head = sum(p.numel() for p in lite0.get_classifier().parameters())
    total = sum(p.numel() for p in lite0.parameters())
    imagenet = sum(p.numel() for p in timm.create_model("efficientnet_lite0", pretrained=False).parameters())
    assert (lite0.num_features, head, total, imagenet) == (1280, 3843, 3_374_851, 4_652_008)
    assert imagenet - (1280 * 1000 + 1000) + head == total
    assert _answers("features-head-parameters") == {
        3843: "",
        3840: PRACTICE["features-head-parameters"]["mistakes"][0],
        3374851: PRACTICE["features-head-parameters"]["mistakes"][1],
        "*": "",
    }
    assert round(total / head) == _correct("scratch-over-features-ratio") == 878
    assert round(total / (1280 * 3)) == 879 and round(imagenet / head) == 1211
    assert set(_answers("scratch-over-features-ratio")) == {878, 879, 1211, "*"}
    for text in ("3,843", "3,374,851"):
        assert text in DOC["pipeline"]["stages"][4]["operation"]
    assert "3,374,851" in PRACTICE["scratch-over-features-ratio"]["stem"]


def test_lite0_feature_maps(lite0):
    with torch.no_grad():
        small = lite0.forward_features(torch.randn(32, 3, 64, 64))
        large = lite0.forward_features(torch.randn(1, 3, 224, 224))
        pooled = lite0.forward_head(small, pre_logits=True)
    assert tuple(small.shape) == (32, 1280, 2, 2) and tuple(large.shape) == (1, 1280, 7, 7)
    assert tuple(pooled.shape) == (32, 1280)
    assert _correct("lite0-map-at-64") == " x ".join(map(str, small.shape))
    assert set(_answers("lite0-map-at-64")) == {"32 x 1280 x 2 x 2", "32 x 1280 x 7 x 7", "32 x 1280", "32 x 2 x 2 x 1280", "*"}


# --------------------------------------------------------------------------- the digits and the lab's split


def test_digits_and_split(split):
    labels, s = split
    counts = [int((labels == c).sum()) for c in range(3)]
    assert (len(load_digits().target), load_digits().images.shape[1:], counts, len(labels)) == (
        1797,
        (8, 8),
        [178, 182, 177],
        537,
    )
    assert (len(s.train), len(s.val), len(s.test)) == (323, 107, 107)
    assert [int((labels[s.train] == c).sum()) for c in range(3)] == [106, 110, 107]
    assert [int((labels[s.val] == c).sum()) for c in range(3)] == [36, 36, 35]
    assert round(36 / 107, 2) == 0.34 and round(len(s.train) / 3) == 108
    stages = DOC["pipeline"]["stages"]
    assert stages[0]["input_shape"] == "537 x 8 x 8" and stages[0]["output_shape"] == "537 x 3 x 64 x 64"
    assert stages[1]["output_shape"] == "train 323, validation 107, test 107 images"
    assert "36 validation, 36 test, 106 training" in stages[1]["example"]


def test_sweep_sizes_are_nested_and_counted(split):
    labels, s = split
    kept = [set(limit_train_per_class(s, labels.tolist(), n, seed=0).train) for n in (5, 10, 25, 50)]
    assert [len(k) for k in kept] == [15, 30, 75, 150]
    assert all(a < b for a, b in pairwise(kept)) and kept[-1] < set(s.train)
    assert limit_train_per_class(s, labels.tolist(), 25, seed=0).val == s.val  # the same validation images
    assert _correct("sweep-train-images") == 25 * 3 and 323 in _answers("sweep-train-images")


# --------------------------------------------------------------------------- augmentation and the cache


def test_augmentation_settings_are_the_labs():
    assert RunConfig("d", "c", "o").augment_views == 2 and RunConfig("d", "c", "o").augment is False
    assert AUGMENT_SCALE == (0.7, 1.0)
    crop = v2.RandomResizedCrop(64, scale=AUGMENT_SCALE)
    assert crop.ratio == pytest.approx((3 / 4, 4 / 3)) and v2.RandomHorizontalFlip().p == 0.5


def test_the_augmentation_preset_is_the_sweeps_settings_without_and_with_augmentation():
    """Frozen features at one of the sweep's sizes, equal to the sweep in every setting but augmentation; its
    description and the measured note say what the lab's engine does and what it measured."""
    sweep, aug = (next(p for p in DOC["lab"]["presets"] if p["key"] == k) for k in ("data-size-sweep", "augmentation"))
    assert (aug["strategies"], aug["augment"]) == (["features", "features"], [False, True])
    assert aug["train_per_class"] in sweep["sweep"] and aug["train_per_class"] == 10
    for field in ("datasets", "backbone", "epochs", "image_size"):
        assert aug[field] == sweep[field], field
    views = RunConfig("d", "c", "o").augment_views
    assert f"{views} fixed augmented views" in aug["description"] and f"one of the {views + 1} versions" in aug["description"]
    at = {p["per_class"]: p["val_accuracy"] for p in DOC["measured"]["sweep"] if p["strategy"] == "features"}
    note = " ".join(DOC["measured"]["note"].split())
    plain, augmented = (r for r in DOC["measured"]["runs"] if r.get("per_class") == aug["train_per_class"])
    assert (plain.get("augment", False), augmented["augment"]) == (False, True)
    final = [r["epochs"][-1]["val_accuracy"] for r in (plain, augmented)]
    assert final[0] == at[10]  # the augmentation preset's plain arm is the sweep's run at 10 per class, run again
    apart = round((final[0] - final[1]) * 107)
    assert (
        f"without and with augmentation (random crop of 70-100% of the area and a horizontal flip) {final[0]:.2f} and {final[1]:.2f}, {apart} of the 107 images apart"
        in note
    )
    assert apart == 2 and f"extracting the {views} fixed augmented views took {augmented['seconds']['extraction']} s" in note


def test_cache_sizes():
    versions = 1 + RunConfig("d", "c", "o").augment_views
    bank = torch.zeros(versions, 537, 1280)
    assert _correct("cache-bank-shape") == " x ".join(map(str, bank.shape))
    size = bank.numel() * bank.element_size()
    assert (bank.numel(), size, 537 * 1280 * 4) == (2_062_080, 8_248_320, 2_749_440)
    assert round(size / 1e6, 1) == _correct("cache-bank-megabytes") == 8.2
    assert {round(x / 1e6, 1) for x in (537 * 1280 * 4, bank.numel(), bank.numel() * 2)} == {2.7, 2.1, 4.1}
    card = next(c for c in DOC["flashcards"] if c["key"] == "cache-size-with-views")["back"]
    assert all(n in card for n in ("2,062,080", "8,248,320", "2,749,440"))


# --------------------------------------------------------------------------- the traces


def test_illustrative_trace_is_marked_and_consistent():
    epochs = DOC["training"]["epochs"]
    assert "Illustrative numbers, not a measurement" in DOC["training"]["note"]
    assert round(math.log(3), 2) == 1.10
    first = epochs[0]
    assert abs(first["loss"] - math.log(3)) < 0.05 and abs(first["accuracy"] - 1 / 3) < 0.05  # a guess at epoch 1
    losses = [e["loss"] for e in epochs]
    best = losses.index(min(losses)) + 1
    assert best == 4 and all(b > a for a, b in pairwise(losses[3:]))  # then overfitting
    stem = PRACTICE["early-stopping-epoch"]["stem"]
    assert ", ".join(f"{x:.2f}" for x in losses[:7]) in stem
    assert PRACTICE["early-stopping-epoch"]["choices"][0]["text"].startswith(f"Epoch {best},")


def test_measured_reference_comes_from_the_two_presets_on_the_lab():
    measured, (preset, aug) = DOC["measured"], DOC["lab"]["presets"]
    assert preset["sweep"] == [5, 10, 25, 50, "all"] and preset["strategies"] == ["features", "scratch"]
    points = {(p["strategy"], p["per_class"]) for p in measured["sweep"]}
    assert points == {(s, n) for s in ("features", "scratch") for n in (5, 10, 25, 50, 108)}
    arms = [(r["strategy"], r.get("per_class"), r.get("augment", False)) for r in measured["runs"]]
    assert arms == [("features", None, False), ("scratch", None, False), ("features", 10, False), ("features", 10, True)]
    assert all(len(r["epochs"]) == preset["epochs"] == aug["epochs"] for r in measured["runs"])
    assert measured["versions"] == {name: version(name) for name in ("torch", "torchvision", "timm")}
    note = " ".join(measured["note"].split())
    assert note.startswith(
        "Published from the sweep of runs #1, #2, #3, #4, #5, #6, #7, #8, #9, #10 and the comparison of runs #11, #12: "
    )
    for word in (
        "manage.py lab_reference --lesson how-much-data-do-you-need",
        "/proc/cpuinfo",
        "load average",
        "1 PyTorch thread",
    ):
        assert word in note
    at = {(p["strategy"], p["per_class"]): p["val_accuracy"] for p in measured["sweep"]}
    assert round(323 / 3) == 108 and f"323 training images, {round(323 / 3)} per class" in note
    assert f"Frozen features scored {at[('features', 5)]:.2f} at 5 per class and {at[('features', 108)]:.2f} with all" in note
    assert at[("features", 5)] > 0.9 and round(at[("scratch", 5)], 2) == 0.34 == round(36 / 107, 2)  # as the quiz says
    assert round(at[("scratch", 50)], 2) == 0.34 and f"with all the data it reached {at[('scratch', 108)]:.2f}" in note
    first_epoch = measured["runs"][0]["epochs"][0]["val_accuracy"]
    assert f"validation accuracy {first_epoch:.2f}" in PRACTICE["train-accuracy-below-validation"]["stem"]
