"""Shared fixtures for browser tests: Debian's Chromium driven by Playwright's sync API."""

import os
from pathlib import Path

import pytest

from courses.content import load_lesson_file
from tests.conftest import SEED_LESSON
from tests.modellab.lab_stack import LabStack

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LEARNER_PASSWORD = "a-long-pass-42"


def _is_browser_test(item) -> bool:
    return Path(__file__).parent in Path(item.fspath).parents


def pytest_collection_modifyitems(items):
    for item in items:
        if _is_browser_test(item):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Playwright's sync API runs an event loop in the test's thread; the test's own ORM calls
    (and the database teardown after it) are still synchronous and safe. The switch is on
    for browser tests only, so no other test, nor a subprocess it starts, inherits it."""
    if not _is_browser_test(item):  # this hook is called for every test, not only this folder's
        yield
        return
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


# One browser per test module, not per session: while Playwright's sync API is open, its
# event loop counts as running in the main thread, and pytest-django runs every other
# transactional test (a migration test, say) after the browser tests, where Django would
# refuse it as async-unsafe.
@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); .ci/run does.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """Save a full-page screenshot under test-artifacts/screenshots/ and return its path."""

    def take(page, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def site(transactional_db, live_server):
    """The seed lesson, served: the live server's URL."""
    load_lesson_file(SEED_LESSON)
    return live_server.url


@pytest.fixture
def learner_site(transactional_db, live_server, django_user_model, settings, tmp_path):
    """The seed lesson, served, the lab's files under tmp_path on the CPU, and a learner: (URL, user)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_LOCAL_CACHE_DIR = tmp_path / "lab-local"
    settings.LAB_CIFAR_ROOT = tmp_path / "no-cifar"
    settings.LAB_DEVICE = "cpu"
    load_lesson_file(SEED_LESSON)
    user = django_user_model.objects.create_user("learner", password=LEARNER_PASSWORD)
    return live_server.url, user


@pytest.fixture
def lab_site(tmp_path):
    """A real web server and Celery worker (subprocesses, SQLite file) on tiny data, with a learner: (stack, URL)."""
    stack = LabStack(tmp_path, LAB_BUILTIN_PER_CLASS=80, LAB_MAX_CONCURRENT_RUNS_PER_USER=4)
    stack.migrate()
    stack.manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user('learner', password='{LEARNER_PASSWORD}')",
    )
    url = stack.start_web()
    stack.start_worker("lab-e2e@test")
    yield stack, url
    stack.stop_all()
