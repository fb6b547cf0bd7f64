"""Fixtures and paths every test folder shares: the seed lesson, Moodle's GIFT examples, a fresh cache per test, an S3 server."""

from pathlib import Path

import pytest

from courses.content import load_lesson_file
from harness.processes import postgres_available

ROOT = Path(__file__).resolve().parent.parent
SEED_LESSON = ROOT / "content" / "lessons" / "why-pretrained-models-save-time.yaml"
# Moodle's GIFT examples, kept in the repository with a note of where they come from (its README).
MOODLE_GIFT_EXAMPLES = ROOT / "tests" / "data" / "conformance" / "gift" / "moodle-examples.gift.txt"


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


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """moto's S3 server in a subprocess, shared by the session's tests (each takes its own bucket)."""
    from tests.s3_server import S3Server

    server = S3Server(tmp_path_factory.mktemp("s3") / "moto.log").start()
    yield server
    server.stop()


@pytest.fixture
def s3_media(settings, s3_server, tmp_path):
    """This process keeps its media in a fresh bucket of the S3 server (MEDIA_STORAGE=s3); returns the bucket."""
    bucket = s3_server.new_bucket()
    settings.STORAGES = {**settings.STORAGES, "default": s3_server.storages(bucket)}
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_LOCAL_CACHE_DIR = tmp_path / "web-local"
    settings.LAB_CIFAR_ROOT = tmp_path / "no-cifar"
    settings.LAB_DEVICE = "cpu"
    return bucket


def require_postgres() -> None:
    """Skip the calling test or fixture where PostgreSQL does not answer at 127.0.0.1:5432 (.ci/run starts it)."""
    if not postgres_available():
        pytest.skip("PostgreSQL does not answer at 127.0.0.1:5432 (.ci/run starts it)")
