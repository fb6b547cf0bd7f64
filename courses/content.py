"""Load lessons from their YAML files (one file per lesson, see README "Content files").

Loading is idempotent: the course and lesson are matched by slug and updated in place;
a lesson's sections are replaced by the file's. Each file loads in one transaction, so a
malformed file changes nothing: it raises ValidationError reading `file:line: field: what is
wrong` (see `courses.yamlnodes.content_error`). Other apps add top-level sections (the quiz
app adds `questions`) with `register_section`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from django.conf import settings
from django.db import transaction

from courses.models import Course, Lesson, PipelineStage, PredictionLayer, TrainingEpoch
from courses.numbered import numbered_replace
from courses.yamlnodes import Node, content_error, parse_document

CONTENT_DIR = settings.BASE_DIR / "content" / "lessons"

# Error codes of a lesson file, besides those of courses.yamlnodes.
DUPLICATE_EPOCH = "duplicate_epoch"
NOT_UTF8 = "not_utf8"
UNREADABLE = "unreadable"

# Section name -> (validate(node) -> parsed, save(lesson, parsed) -> None). Validation of
# every section runs before anything is written.
_SECTIONS: dict[str, tuple[Callable[[Node], object], Callable[[Lesson, object], None]]] = {}


def register_section(name: str, *, validate: Callable[[Node], object], save: Callable[[Lesson, object], object]):
    _SECTIONS[name] = (validate, save)


class LoadNotes(list):
    """What a section's save returns to say what it left unloaded, and why (loadcontent prints them)."""


@dataclass
class LoadResult:
    lesson: Lesson
    created: bool
    notes: list[str] = field(default_factory=list)  # what a section left unloaded, and why


def _validate_course(node: Node) -> dict:
    f = node.mapping({"slug", "title", "track", "description", "position"}, {"slug", "title", "track"})
    return {
        "slug": f["slug"].text(max_length=50),
        "title": f["title"].text(max_length=200),
        "track": f["track"].text(max_length=50),
        "description": f["description"].text(blank=True) if "description" in f else "",
        "position": f["position"].integer(low=0) if "position" in f else 0,
    }


def _validate_lesson(node: Node) -> dict:
    f = node.mapping({"slug", "title", "subtitle", "minutes", "position", "published"}, {"slug", "title"})
    return {
        "slug": f["slug"].text(max_length=50),
        "title": f["title"].text(max_length=200),
        "subtitle": f["subtitle"].text(max_length=200, blank=True) if "subtitle" in f else "",
        "minutes": f["minutes"].integer(low=1, high=600) if "minutes" in f else 10,
        "position": f["position"].integer(low=0) if "position" in f else 0,
        "published": f["published"].boolean() if "published" in f else True,
    }


def _validate_pipeline(node: Node) -> tuple[dict, list[dict]]:
    f = node.mapping({"title", "summary", "stages"}, {"stages"})
    fields = {
        "pipeline_title": f["title"].text(max_length=200, blank=True) if "title" in f else "",
        "pipeline_summary": f["summary"].text(blank=True) if "summary" in f else "",
    }
    stages = []
    for item in f["stages"].items(min_items=1):
        s = item.mapping(
            {"name", "input_shape", "operation", "output_shape", "example"}, {"name", "input_shape", "operation", "output_shape"}
        )
        stages.append(
            {
                "name": s["name"].text(max_length=200),
                "input_shape": s["input_shape"].text(max_length=200),
                "operation": s["operation"].text(),
                "output_shape": s["output_shape"].text(max_length=200),
                "example": s["example"].text(blank=True) if "example" in s else "",
            }
        )
    return fields, stages


def epoch_number(node: Node, seen: set[int]) -> int:
    """An epoch number (a whole number from 1) not in ``seen`` yet, which it is added to; DUPLICATE_EPOCH if it was."""
    epoch = node.integer(low=1)
    if epoch in seen:
        raise node.error(f"epoch {epoch} appears twice", DUPLICATE_EPOCH)
    seen.add(epoch)
    return epoch


def _validate_training(node: Node) -> tuple[str, list[dict]]:
    f = node.mapping({"note", "epochs"}, {"epochs"})
    rows, seen = [], set()
    for item in f["epochs"].items(min_items=1):
        e = item.mapping({"epoch", "loss", "accuracy", "observation"}, {"epoch", "loss", "accuracy"})
        rows.append(
            {
                "epoch": epoch_number(e["epoch"], seen),
                "loss": e["loss"].number(low=0),
                "accuracy": e["accuracy"].number(low=0, high=1),
                "observation": e["observation"].text(max_length=300, blank=True) if "observation" in e else "",
            }
        )
    return (f["note"].text(blank=True) if "note" in f else ""), rows


def _validate_prediction_trace(node: Node) -> list[dict]:
    layers = []
    for item in node.items(min_items=1):
        p = item.mapping({"name", "description"}, {"name"})
        layers.append(
            {
                "name": p["name"].text(max_length=200),
                "description": p["description"].text(blank=True) if "description" in p else "",
            }
        )
    return layers


def load_lesson_text(text: str, source: str = "<text>") -> LoadResult:
    """Validate a lesson document completely, then write it in one transaction."""
    root = parse_document(text, source)
    core = {"course", "lesson", "pipeline", "training", "prediction_trace", "key_insight"}
    top = root.mapping(core | set(_SECTIONS), {"course", "lesson"})
    course = _validate_course(top["course"])
    lesson = _validate_lesson(top["lesson"])
    pipeline_fields, stages = _validate_pipeline(top["pipeline"]) if "pipeline" in top else ({}, [])
    training_note, epochs = _validate_training(top["training"]) if "training" in top else ("", [])
    layers = _validate_prediction_trace(top["prediction_trace"]) if "prediction_trace" in top else []
    key_insight = top["key_insight"].text(blank=True) if "key_insight" in top else ""
    extra = {name: (_SECTIONS[name][1], _SECTIONS[name][0](top[name])) for name in _SECTIONS if name in top}

    with transaction.atomic():
        course_obj, _ = Course.objects.update_or_create(slug=course.pop("slug"), defaults=course)
        lesson_obj, created = Lesson.objects.update_or_create(
            slug=lesson.pop("slug"),
            defaults={
                **lesson,
                **pipeline_fields,
                "course": course_obj,
                "training_note": training_note,
                "key_insight": key_insight,
            },
        )
        numbered_replace(PipelineStage, stages, lesson=lesson_obj)
        lesson_obj.epochs.all().delete()
        TrainingEpoch.objects.bulk_create(TrainingEpoch(lesson=lesson_obj, **e) for e in epochs)
        numbered_replace(PredictionLayer, layers, lesson=lesson_obj)
        notes = []
        for save, parsed in extra.values():
            saved = save(lesson_obj, parsed)
            if isinstance(saved, LoadNotes):
                notes += saved
    return LoadResult(lesson=lesson_obj, created=created, notes=notes)


def load_lesson_file(path: Path) -> LoadResult:
    """Load one lesson file; a file that cannot be read or is malformed raises ValidationError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise content_error(f"not UTF-8 text (byte {exc.start})", code=NOT_UTF8, source=str(path)) from None
    except OSError as exc:
        raise content_error(f"cannot be read: {exc.strerror}", code=UNREADABLE, source=str(path)) from None
    return load_lesson_text(text, source=str(path))


def content_files(paths: list[str] | None = None) -> list[Path]:
    """The lesson files named (files or folders), or every bundled one."""
    roots = [Path(p) for p in paths] if paths else [CONTENT_DIR]
    files: list[Path] = []
    for root in roots:
        if root.is_dir():
            files.extend(sorted(p for p in root.rglob("*.yaml") if p.is_file()))
        else:
            files.append(root)
    return files
