from pathlib import Path

import pytest

from courses.content import load_lesson_file

SEED_LESSON = Path(__file__).resolve().parent.parent / "content" / "lessons" / "why-pretrained-models-save-time.yaml"


@pytest.fixture
def seed_lesson(db):
    """The bundled first lesson, loaded the way `loadcontent` loads it."""
    return load_lesson_file(SEED_LESSON).lesson
