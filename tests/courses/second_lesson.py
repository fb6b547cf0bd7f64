"""A minimal second lesson of the seed's course, written here so course-wide tests run with two lessons."""

from courses.content import load_lesson_text
from courses.models import Lesson

SECOND_LESSON = """
course: {slug: computer-vision, title: Computer Vision, track: ml}
lesson: {slug: second-test-lesson, title: A second test lesson, minutes: 5, position: 2, published: true}
key_insight: Two lessons make a course.
flashcards:
  - {key: second-card, front: "Front of the second lesson's card", back: "Back of the second lesson's card"}
questions:
  quiz:
    - key: second-quiz
      difficulty: easy
      stem: Which lesson is this question from?
      choices:
        - {text: The second test lesson, correct: true, feedback: Right.}
        - {text: The first lesson, feedback: Not this one.}
"""


def load_second_lesson() -> Lesson:
    """The second lesson, loaded after the seed lesson (same course, position 2)."""
    return load_lesson_text(SECOND_LESSON, source="second-test-lesson.yaml").lesson
