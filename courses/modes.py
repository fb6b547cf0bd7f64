"""The lesson page's learning-mode picker: the ten ways into a lesson.

Each mode links to its page once that page exists (its URL name resolves) and the lesson has
what the mode needs; otherwise it is listed with a note saying so, never as a dead link. An
app gives a mode a line about the current student's state ("Last exam: 80%") with
`register_mode_state`, and a condition on the lesson's content with `register_mode_condition`.
"""

from dataclasses import dataclass
from typing import Callable

from django.urls import NoReverseMatch, reverse

COMING_SOON = "Coming soon"  # the note of a mode whose page does not exist yet


@dataclass(frozen=True)
class Mode:
    key: str
    label: str
    description: str
    url: str | None  # None: not available for this lesson (yet)
    state: str = ""  # the current student's state in this mode, if its app says one
    note: str = ""  # why the mode is not available, shown in place of a link

    @property
    def available(self) -> bool:
        return self.url is not None


_MODES = (
    ("read", "Read", "Concepts, the pipeline and the traces, at your pace.", "courses:lesson", "#lesson-content"),
    ("practice", "Practice", "One question at a time, hints and worked solutions.", "quizzes:practice", ""),
    ("test", "Test this pattern", "A scored set of questions across easy, medium and hard.", "quizzes:test_start", ""),
    ("review", "Review", "Questions you missed, when they are due.", "quizzes:review", ""),
    (
        "flashcards",
        "Flashcards",
        "Key terms and facts, each shown again just before you would forget it.",
        "quizzes:flashcards",
        "",
    ),
    ("lab", "Lab", "Train the model yourself on real data.", "modellab:new", ""),
    ("exam", "Timed exam", "A test against the clock, like the real thing.", "quizzes:exam", ""),
    ("drill", "Mistake drill", "The common mistakes you have shown, until you get them right.", "quizzes:drill", ""),
    ("numbers", "Numbers & shapes", "Type the answer: parameter counts and tensor shapes.", "quizzes:numbers", ""),
    ("sheet", "Summary sheet", "The lesson on one page to print: pipeline, numbers, every common mistake.", "quizzes:sheet", ""),
)

# Mode key -> state(lesson, request) -> a short line, or "" for none. One small function per mode.
_STATES: dict[str, Callable[[object, object], str]] = {}
# Mode key -> unavailable(lesson) -> why the lesson cannot offer the mode yet, or "" when it can.
_CONDITIONS: dict[str, Callable[[object], str]] = {}


def register_mode_state(key: str, state: Callable[[object, object], str]) -> None:
    _STATES[key] = state


def register_mode_condition(key: str, unavailable: Callable[[object], str]) -> None:
    """The mode is offered only where `unavailable(lesson)` is ""; otherwise its text is the note."""
    _CONDITIONS[key] = unavailable


def _url(key: str, url_name: str, anchor: str, lesson) -> str | None:
    try:
        return reverse(url_name, args=[lesson.slug]) + anchor
    except NoReverseMatch:
        try:
            return reverse(url_name) + (f"?lesson={lesson.slug}" if key == "lab" else "")
        except NoReverseMatch:
            return None


def lesson_modes(lesson, request=None) -> list[Mode]:
    """The picker's modes; with the request, each available one with the current student's state."""
    modes = []
    for key, label, description, url_name, anchor in _MODES:
        url = _url(key, url_name, anchor, lesson)
        note = "" if url else COMING_SOON
        if url and key in _CONDITIONS:
            note = _CONDITIONS[key](lesson)
            url = None if note else url
        state = _STATES[key](lesson, request) if request is not None and url and key in _STATES else ""
        modes.append(Mode(key, label, description, url, state, note))
    return modes
