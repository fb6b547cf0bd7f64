"""The lesson page's learning-mode picker.

Each mode links to its page once that page exists (its URL name resolves); until then
it is listed as coming, never as a dead link. An app can give a mode a line about the
current student's state ("Last exam: 80%") with `register_mode_state`.
"""
from dataclasses import dataclass
from typing import Callable

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class Mode:
    key: str
    label: str
    description: str
    url: str | None  # None: not available yet
    state: str = ""  # the current student's state in this mode, if its app says one

    @property
    def available(self) -> bool:
        return self.url is not None


_MODES = (
    ("read", "Read", "Concepts, the pipeline and the traces, at your pace.", "courses:lesson", "#lesson-content"),
    ("practice", "Practice", "One question at a time, hints and worked solutions.", "quizzes:practice", ""),
    ("test", "Test this pattern", "10 questions across easy, medium and hard.", "quizzes:test_start", ""),
    ("review", "Review", "Questions you missed, when they are due.", "quizzes:review", ""),
    ("flashcards", "Flashcards", "Key terms and facts, each shown again just before you would forget it.",
     "quizzes:flashcards", ""),
    ("lab", "Lab", "Train the model yourself on real data.", "modellab:new", ""),
    ("exam", "Timed exam", "A test against the clock, like the real thing.", "quizzes:exam", ""),
    ("drill", "Mistake drill", "The common mistakes you have shown, until you get them right.", "quizzes:drill", ""),
)

# Mode key -> state(lesson, request) -> a short line, or "" for none. One small function per mode.
_STATES: dict[str, Callable[[object, object], str]] = {}


def register_mode_state(key: str, state: Callable[[object, object], str]) -> None:
    _STATES[key] = state


def lesson_modes(lesson, request=None) -> list[Mode]:
    """The picker's modes; with the request, each with the current student's state."""
    modes = []
    for key, label, description, url_name, anchor in _MODES:
        try:
            url = reverse(url_name, args=[lesson.slug]) + anchor
        except NoReverseMatch:
            try:
                url = reverse(url_name) + (f"?lesson={lesson.slug}" if key == "lab" else "")
            except NoReverseMatch:
                url = None
        state = _STATES[key](lesson, request) if request is not None and url and key in _STATES else ""
        modes.append(Mode(key, label, description, url, state))
    return modes
