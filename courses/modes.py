"""The lesson page's learning-mode picker.

Each mode links to its page once that page exists (its URL name resolves); until then
it is listed as coming, never as a dead link.
"""
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class Mode:
    key: str
    label: str
    description: str
    url: str | None  # None: not available yet

    @property
    def available(self) -> bool:
        return self.url is not None


_MODES = (
    ("read", "Read", "Concepts, the pipeline and the traces, at your pace.", "courses:lesson", "#lesson-content"),
    ("practice", "Practice", "One question at a time, hints and worked solutions.", "quizzes:practice", ""),
    ("test", "Test this pattern", "10 questions across easy, medium and hard.", "quizzes:test_start", ""),
    ("review", "Review", "Questions you missed, when they are due.", "quizzes:review", ""),
    ("lab", "Lab", "Train the model yourself on real data.", "modellab:new", ""),
)


def lesson_modes(lesson) -> list[Mode]:
    modes = []
    for key, label, description, url_name, anchor in _MODES:
        try:
            url = reverse(url_name, args=[lesson.slug]) + anchor
        except NoReverseMatch:
            try:
                url = reverse(url_name) + (f"?lesson={lesson.slug}" if key == "lab" else "")
            except NoReverseMatch:
                url = None
        modes.append(Mode(key, label, description, url))
    return modes
