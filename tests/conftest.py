from pathlib import Path

import pytest

from courses.content import load_lesson_file

SEED_LESSON = Path(__file__).resolve().parent.parent / "content" / "lessons" / "why-pretrained-models-save-time.yaml"


@pytest.fixture
def seed_lesson(db):
    """The bundled first lesson, loaded the way `loadcontent` loads it."""
    return load_lesson_file(SEED_LESSON).lesson


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and other cached values never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
