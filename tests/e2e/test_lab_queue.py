"""A queued run in Chromium says where it stands and when it should start and finish, and moves with the queue."""

import re

import pytest
from playwright.sync_api import expect

from tests.modellab.lab_stack import LabStack

HISTORY = """
from datetime import timedelta
from django.utils import timezone
from modellab.models import Experiment
template = Experiment.objects.get(pk={pk})
end = timezone.now() - timedelta(hours=1)
for strategy, seconds in (("features", 20), ("scratch", 60)):
    for _ in range(3):
        Experiment.objects.create(
            owner=template.owner, dataset=template.dataset, backbone=template.backbone, strategy=strategy,
            epochs=template.epochs, lr=template.lr, batch_size=template.batch_size, image_size=template.image_size,
            status="succeeded", started_at=end - timedelta(seconds=seconds), finished_at=end)
"""


@pytest.fixture
def queued_site(tmp_path):
    """The web server with no worker: whatever is submitted stays queued until the test moves it."""
    stack = LabStack(tmp_path, LAB_MAX_CONCURRENT_RUNS_PER_USER=4)
    stack.migrate()
    stack.manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; "
        "get_user_model().objects.create_user('learner', password='a-long-pass-42')",
    )
    url = stack.start_web()
    yield stack, url
    stack.stop_all()


def text(page, selector: str) -> str:
    return re.sub(r"\s+", " ", page.locator(selector).inner_text())


def test_a_queued_comparison_shows_its_place_and_eta_as_the_queue_moves(queued_site, page, screenshot):
    """Another learner's run is ahead; the learner's comparison reads 2nd and 3rd, with times from earlier
    runs of the same settings; when the run ahead is cancelled, the page (polling, not reloading) reads 1st and 2nd."""
    stack, url = queued_site
    common = ("--backbone", "tiny", "--dataset", "builtin:digits", "--epochs", "3")
    [ahead] = stack.submit("--user", "other", "--create-user", "--strategy", "scratch", *common)
    features, scratch = stack.submit("--user", "learner", "--strategy", "features", "--compare", *common)
    stack.manage("shell", "-c", HISTORY.format(pk=ahead))

    page.goto(f"{url}/lab/new/")
    page.get_by_label("Username").fill("learner")
    page.get_by_label("Password").fill("a-long-pass-42")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/lab/new/")

    # the run's own page: its place and when it starts (after 60 s ahead and 20 s of its sibling) and ends
    page.goto(f"{url}/lab/experiments/{scratch}/")
    assert "position 3 in the queue" in text(page, ".lab-state")
    assert "starts in about 80 s, done in about 2 min" in text(page, ".lab-eta")

    # the comparison page, where the lesson's button lands
    page.goto(f"{url}/lab/compare/?ids={features}&ids={scratch}")
    runs = text(page, ".lab-overlay-runs")
    assert "2nd in the queue · starts in about 60 s, done in about 80 s" in runs
    assert "3rd in the queue · starts in about 80 s, done in about 2 min" in runs
    screenshot(page, "lab-queue-eta")

    # the queue moves: the run ahead is cancelled, and the polled part of the page follows without a reload
    page.evaluate("window.__sameDocument = true")
    stack.manage(
        "shell", "-c", f"from modellab.models import Experiment; Experiment.objects.filter(pk={ahead}).update(status='cancelled')"
    )
    expect(page.locator(".lab-overlay-runs")).to_contain_text("1st in the queue", timeout=20_000)
    runs = text(page, ".lab-overlay-runs")
    assert "1st in the queue · starts any moment now, done in about 20 s" in runs
    assert "2nd in the queue · starts in about 20 s, done in about 80 s" in runs
    assert page.evaluate("window.__sameDocument === true")
