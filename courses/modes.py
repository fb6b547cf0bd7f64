"""The lesson page's learning-mode picker.

Each mode links to its page once that page exists (its URL name resolves); until then
it is listed as coming, never as a dead link. A mode may name a state function (a dotted
path, so this app imports none of the others): `state(request, lesson) -> str`, a few words
on where this student stands ("4 cards due"); an empty string shows nothing.
"""
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Mode:
    key: str
    label: str
    description: str
    url: str | None  # None: not available yet
    state: str = ""  # where this student stands in the mode

    @property
    def available(self) -> bool:
        return self.url is not None


_MODES = (
    ("read", "Read", "Concepts, the pipeline and the traces, at your pace.", "courses:lesson", "#lesson-content"),
    ("practice", "Practice", "One question at a time, hints and worked solutions.", "quizzes:practice", ""),
    ("test", "Test this pattern", "10 questions across easy, medium and hard.", "quizzes:test_start", ""),
    ("review", "Review", "Questions you missed, when they are due.", "quizzes:review", ""),
    ("flashcards", "Flashcards", "Key terms and facts, each shown again just before you would forget it.",
     "quizzes:flashcards", "", "quizzes.flashcard_views.picker_state"),
    ("lab", "Lab", "Train the model yourself on real data.", "modellab:new", ""),
)


def lesson_modes(lesson, request=None) -> list[Mode]:
    """The lesson's modes; with a request, each available mode's state for that student."""
    modes = []
    for key, label, description, url_name, anchor, *state_function in _MODES:
        try:
            url = reverse(url_name, args=[lesson.slug]) + anchor
        except NoReverseMatch:
            try:
                url = reverse(url_name) + (f"?lesson={lesson.slug}" if key == "lab" else "")
            except NoReverseMatch:
                url = None
        state = import_string(state_function[0])(request, lesson) if state_function and url and request else ""
        modes.append(Mode(key, label, description, url, state))
    return modes
