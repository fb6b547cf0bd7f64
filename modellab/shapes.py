"""A run's real shapes laid onto the lesson's four pipeline stages, and what differs from the lesson, in words.

The lesson writes shapes channels-last (N x H x W x C) and draws four stages: input images,
preprocessing (whose output is what the network takes), feature extraction, the new classifier.
A run's shape trace is PyTorch's channels-first
``input [N, 3, H, W] -> backbone features [N, C, h, w] -> pooled [N, C] -> head [N, K]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Which stage of a run's trace each of the lesson's four stages shows (its output).
STAGE_SOURCES = ("input", "input", "backbone features", "head")


@dataclass(frozen=True)
class StageShape:
    position: int
    name: str  # the lesson's name of the stage
    lesson: str  # the lesson's output shape, as written
    run: str  # this run's, channels-last like the lesson's


def parse_shape(text: str) -> list[int | None]:
    """``"1000 x 7 x 7 x 512"`` -> ``[1000, 7, 7, 512]``; a dimension that is not a number is None."""
    return [int(p) if p.isdigit() else None for p in re.split(r"\s*[x×]\s*", text.strip()) if p]


def channels_last(shape: list[int]) -> list[int]:
    """N x C x H x W -> N x H x W x C; other ranks as they are."""
    return [shape[0], *shape[2:], shape[1]] if len(shape) == 4 else list(shape)


def _written(shape: list[int]) -> str:
    return " x ".join(str(d) for d in shape)


def _by_stage(trace: list[dict]) -> dict[str, list[int]]:
    return {t["stage"]: [int(d) for d in t["shape"]] for t in trace if isinstance(t.get("shape"), list)}


def map_to_lesson(trace: list[dict], stages: list[tuple[str, str]]) -> list[StageShape]:
    """The run's shape under each of the lesson's four stages ``[(name, output_shape), ...]``;
    empty when the lesson does not have four stages or the trace lacks a stage."""
    shapes = _by_stage(trace)
    if len(stages) != len(STAGE_SOURCES) or any(s not in shapes for s in STAGE_SOURCES):
        return []
    return [
        StageShape(i, name, lesson, _written(channels_last(shapes[source])))
        for i, ((name, lesson), source) in enumerate(zip(stages, STAGE_SOURCES, strict=True), start=1)
    ]


Stats = tuple[tuple[float, ...], tuple[float, ...]]  # (mean, std) per channel, applied after scaling pixels to 0-1


def _stats(values: tuple[float, ...]) -> str:
    return "(" + ", ".join(f"{v:g}" for v in values) + ")"


def differences(
    trace: list[dict],
    stages: list[tuple[str, str]],
    *,
    run_backbone: str,
    lesson_backbone: str,
    run_stats: Stats | None = None,
    lesson_stats: Stats | None = None,
) -> list[str]:
    """Sentences on what differs between the run and the lesson: channels, input size, map size, batch,
    and the normalisation statistics when both backbones' (mean, std) are given and differ."""
    shapes = _by_stage(trace)
    if len(stages) != len(STAGE_SOURCES) or any(s not in shapes for s in STAGE_SOURCES):
        return []
    notes = []
    lesson_input, lesson_features = parse_shape(stages[1][1]), parse_shape(stages[2][1])
    n, c, h, w = shapes["backbone features"]
    _, _, in_h, in_w = shapes["input"]
    theirs = lesson_backbone or "the lesson's backbone"
    if len(lesson_features) == 4 and lesson_features[3] is not None and lesson_features[3] != c:
        notes.append(f"{run_backbone}: {c} channels where the lesson's {theirs} has {lesson_features[3]}.")
    if len(lesson_input) == 4 and lesson_input[1:3] != [in_h, in_w]:
        notes.append(
            f"Input {in_h} x {in_w} where the lesson has {lesson_input[1]} x {lesson_input[2]}: this run was set to a "
            "smaller input size, which is much faster."
        )
    if len(lesson_features) == 4 and lesson_features[1:3] != [h, w]:
        notes.append(
            f"Feature map {h} x {w} where the lesson's is {lesson_features[1]} x {lesson_features[2]}: "
            f"the backbone shrinks its input {in_h // h if h else '?'} times in each direction."
        )
    if lesson_input and lesson_input[0] is not None and lesson_input[0] != n:
        notes.append(f"N is {n}, the batch the shapes were recorded on, where the lesson follows all {lesson_input[0]} images.")
    if run_stats and lesson_stats and tuple(map(tuple, run_stats)) != tuple(map(tuple, lesson_stats)):
        (mean, std), (their_mean, their_std) = run_stats, lesson_stats
        notes.append(
            f"{run_backbone}: inputs normalised with mean {_stats(mean)} and std {_stats(std)}, where the lesson's "
            f"{theirs} uses mean {_stats(their_mean)} and std {_stats(their_std)}: the statistics belong to the "
            "weights, and each backbone is fed its own."
        )
    return notes
