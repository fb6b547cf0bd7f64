"""The lesson loader: every section from YAML, idempotent reloads, and malformed files refused with their place."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from courses import content, yamlnodes
from courses.content import load_lesson_file, load_lesson_text
from courses.models import Course, Lesson, PipelineStage, PredictionLayer, TrainingEpoch
from tests.conftest import SEED_LESSON

MINIMAL = """\
course: {slug: cv, title: Computer Vision, track: ml}
lesson:
  slug: tiny
  title: Tiny lesson
  minutes: 3
pipeline:
  stages:
    - {name: Input, input_shape: N x 3, operation: Load, output_shape: N x 3}
training:
  epochs:
    - {epoch: 1, loss: 1.0, accuracy: 0.5}
"""


def _counts():
    return (
        Course.objects.count(),
        Lesson.objects.count(),
        PipelineStage.objects.count(),
        TrainingEpoch.objects.count(),
        PredictionLayer.objects.count(),
    )


@pytest.mark.django_db
def test_seed_lesson_loads_every_section():
    """The bundled lesson file creates the course, the lesson and all its sections."""
    lesson = load_lesson_file(SEED_LESSON).lesson
    assert lesson.slug == "why-pretrained-models-save-time"
    assert lesson.course.title == "Computer Vision" and lesson.course.track == "ml"
    assert lesson.minutes == 12
    assert [s.name for s in lesson.stages.all()][2] == "Feature Extraction with Pre-trained Model"
    assert lesson.stages.get(position=3).output_shape == "1000 x 7 x 7 x 512"
    assert [(e.epoch, e.loss, e.accuracy) for e in lesson.epochs.all()] == [
        (1, 0.95, 0.55),
        (2, 0.76, 0.7),
        (3, 0.51, 0.82),
        (4, 0.41, 0.87),
        (5, 0.33, 0.9),
    ]
    assert lesson.prediction_layers.count() == 4
    assert "reusing learned features" in lesson.key_insight


@pytest.mark.django_db
def test_loading_twice_updates_in_place_without_duplicates():
    """A second load of the same file keeps the same rows and ids."""
    first = load_lesson_file(SEED_LESSON)
    before = _counts()
    second = load_lesson_file(SEED_LESSON)
    assert first.created and not second.created
    assert second.lesson.pk == first.lesson.pk
    assert _counts() == before


@pytest.mark.django_db
def test_changed_file_updates_the_lesson():
    """Editing a field and a table row in the file changes the stored lesson."""
    load_lesson_text(MINIMAL, "a.yaml")
    changed = MINIMAL.replace("Tiny lesson", "Renamed lesson").replace("loss: 1.0", "loss: 0.7")
    load_lesson_text(changed, "a.yaml")
    lesson = Lesson.objects.get(slug="tiny")
    assert lesson.title == "Renamed lesson"
    assert lesson.epochs.get().loss == 0.7
    assert Lesson.objects.count() == 1


@pytest.mark.parametrize(
    "broken, line, field, words, code",
    [
        (MINIMAL.replace("minutes: 3", "minutes: three"), 5, "lesson.minutes", "not a whole number", yamlnodes.NOT_A_NUMBER),
        (MINIMAL.replace("loss: 1.0", "loss: -1"), 11, "training.epochs[1].loss", "below the minimum", yamlnodes.BELOW_MINIMUM),
        (
            MINIMAL.replace("accuracy: 0.5", "accuracy: 5"),
            11,
            "training.epochs[1].accuracy",
            "above the maximum",
            yamlnodes.ABOVE_MAXIMUM,
        ),
        (
            MINIMAL.replace("title: Tiny lesson", "titel: Tiny lesson"),
            4,
            "lesson.titel",
            "unknown field",
            yamlnodes.UNKNOWN_FIELD,
        ),
        (
            MINIMAL.replace(", output_shape: N x 3}", "}"),
            8,
            "pipeline.stages[1]",
            "missing required field 'output_shape'",
            yamlnodes.MISSING_FIELD,
        ),
        (MINIMAL.replace("  minutes: 3", " minutes: [3"), 5, "", "not valid YAML", yamlnodes.INVALID_YAML),
        (
            MINIMAL.replace(
                "- {epoch: 1, loss: 1.0, accuracy: 0.5}",
                "- {epoch: 1, loss: 1.0, accuracy: 0.5}\n    - {epoch: 1, loss: 0.9, accuracy: 0.6}",
            ),
            12,
            "training.epochs[2].epoch",
            "epoch 1 appears twice",
            content.DUPLICATE_EPOCH,
        ),
    ],
)
@pytest.mark.django_db
def test_malformed_file_is_rejected_with_its_location(broken, line, field, words, code):
    """A malformed file names the file, line and field, and what is wrong."""
    with pytest.raises(ValidationError) as info:
        load_lesson_text(broken, "lessons/tiny.yaml")
    error = info.value
    assert error.code == code
    assert error.params["source"] == "lessons/tiny.yaml"
    assert error.params["line"] == line
    assert error.params["field"] == field
    assert words in error.params["problem"]
    where = f"lessons/tiny.yaml:{line}" + (f": {field}" if field else "")
    assert error.messages == [f"{where}: {error.params['problem']}"]


@pytest.mark.django_db
def test_malformed_file_changes_nothing():
    """A file whose last section is broken leaves the stored lesson exactly as it was."""
    load_lesson_text(MINIMAL, "a.yaml")
    before = _counts()
    broken = MINIMAL.replace("Tiny lesson", "Half-saved title").replace("accuracy: 0.5", "accuracy: 2")
    with pytest.raises(ValidationError):
        load_lesson_text(broken, "a.yaml")
    assert Lesson.objects.get(slug="tiny").title == "Tiny lesson"
    assert _counts() == before


@pytest.mark.django_db
def test_loadcontent_command_reports_rejected_files_and_loads_the_rest(tmp_path, capsys):
    """The command loads good files, names the bad one with its line and fails."""
    good = tmp_path / "good.yaml"
    good.write_text(MINIMAL)
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.replace("slug: tiny", "slug: other").replace("minutes: 3", "minutes: -3"))
    with pytest.raises(CommandError, match="1 of 2 file"):
        call_command("loadcontent", str(tmp_path))
    err = capsys.readouterr().err
    assert f"{bad}:5: lesson.minutes" in err
    assert Lesson.objects.filter(slug="tiny").exists()
    assert not Lesson.objects.filter(slug="other").exists()


@pytest.mark.django_db
def test_non_utf8_file_is_rejected(tmp_path):
    """A binary file is rejected with a message, not a traceback."""
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(ValidationError) as info:
        load_lesson_file(Path(path))
    assert info.value.code == content.NOT_UTF8
    assert info.value.messages == [f"{path}: not UTF-8 text (byte 0)"]
