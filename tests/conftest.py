"""Fixtures and paths every test folder shares: the seed lesson, Moodle's GIFT examples, a fresh cache per test."""
from pathlib import Path

import pytest

from courses.content import load_lesson_file

ROOT = Path(__file__).resolve().parent.parent
SEED_LESSON = ROOT / "content" / "lessons" / "why-pretrained-models-save-time.yaml"
# Outside test data the project must pass; shared/ sits beside the checkout (here and in CI).
MOODLE_GIFT_EXAMPLES = ROOT.parent / "shared" / "conformance" / "gift" / "moodle-examples.gift.txt"


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
