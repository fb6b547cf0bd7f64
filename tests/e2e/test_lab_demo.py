"""The lesson's claim, tried as a new user would in Chromium, with a real web server and a real Celery worker:
the ready-made comparison (real EfficientNet-Lite0 weights: every layer fine-tuned, from scratch, frozen features)
from the click to every run done within 3 minutes, the time headline and each effect stated from the runs, and a
data-size sweep submitted from the lab form and read on its chart."""

import json
import os
import re
import time

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.conftest import ARTIFACTS
from tests.modellab.lab_stack import LabStack

DEMO_LIMIT_S = 180  # the promise: every arm within 3 minutes of the click
PASSWORD = "a-long-pass-42"
LESSON = "/lessons/why-pretrained-models-save-time/"


@pytest.fixture(scope="module")
def lab_site(tmp_path_factory):
    stack = LabStack(tmp_path_factory.mktemp("lab-demo"), LAB_MAX_CONCURRENT_RUNS_PER_USER=3)
    stack.migrate()
    stack.manage("loadcontent")
    stack.manage(
        "shell",
        "-c",
        f"from django.contrib.auth import get_user_model; get_user_model().objects.create_user('learner', password='{PASSWORD}')",
    )
    url = stack.start_web()
    stack.start_worker("lab-demo@test")
    yield stack, url
    stack.stop_all()


def log_in(page, url, then: str):
    page.goto(f"{url}/accounts/login/?next={then}")
    page.get_by_label("Username").fill("learner")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}{then}")


def wait_in_page(page, predicate, seconds: float) -> bool:
    """Poll ``predicate(page)`` until true or ``seconds`` pass; a reload htmx asked for may interrupt a poll."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate(page):
                return True
        except PlaywrightError:
            pass
        page.wait_for_timeout(500)
    return False


def test_the_ready_made_comparison_finishes_within_three_minutes_of_the_click(lab_site, page, screenshot):
    stack, url = lab_site
    log_in(page, url, LESSON)
    # the lesson shows its measured reference beside the illustrative trace, with its provenance
    measured = page.locator("#training-trace #measured")
    assert "Pre-trained (every layer fine-tuned) reached" in measured.locator(".lab-headline").inner_text()
    assert "CPU, 2 cores" in measured.locator(".lab-provenance").inner_text()
    preset = page.locator(".lab-preset[data-preset=ready-made]")
    assert "On Handwritten digits 0, 1, 2" in preset.inner_text()  # CIFAR-10 is not on this machine
    load_before = os.getloadavg()

    # when: the learner clicks the lesson's ready-made comparison
    clicked = time.monotonic()
    preset.get_by_role("button", name="Run the comparison").click()
    page.wait_for_url("**/lab/compare/?ids=*")
    screenshot(page, "lab-demo-queued")

    # then: every run succeeds within 3 minutes of the click, watched on the page
    def both_done(p):
        return p.locator(".lab-overlay-runs [data-status=succeeded]").count() == 3 and p.locator(".lab-headline").count() == 1

    seen_progress = []

    def done_or_progress(p):
        if p.locator(".lab-progress progress").count():
            seen_progress.append(p.locator(".lab-progress-text").first.inner_text())
        return both_done(p)

    finished = wait_in_page(page, done_or_progress, DEMO_LIMIT_S + 5)
    took = time.monotonic() - clicked
    ids = [int(i) for i in re.findall(r"ids=(\d+)", page.url)]
    rows = stack.query(
        "SELECT id, strategy, status, backbone, image_size, dataset_id, seed, epochs, lr, batch_size, train_per_class "
        "FROM modellab_experiment ORDER BY id"
    )
    assert finished and took <= DEMO_LIMIT_S, (took, rows, stack.logs())
    screenshot(page, "lab-demo-done")

    # fair: the same network, input size, data, split (seed), epochs and settings; fine-tuning every layer and from
    # scratch differ only in the starting weights, and frozen features from the same weights is the third arm
    (pre, *_), (scratch, *_), (frozen, *_) = rows
    assert [r[1] for r in rows] == ["finetune_all", "scratch", "features"] and [r[2] for r in rows] == ["succeeded"] * 3
    assert len({r[3:] for r in rows}) == 1 and rows[0][3:5] == ("efficientnet_lite0", 64)
    acc = {
        pk: [
            a
            for (a,) in stack.query(
                "SELECT val_accuracy FROM modellab_epochrecord WHERE experiment_id = %s ORDER BY epoch", (pk,)
            )
        ]
        for pk in ids
    }
    assert len(acc[pre]) == len(acc[scratch]) == len(acc[frozen]) == 5
    assert all(a > b for a, b in zip(acc[pre], acc[scratch], strict=True)), acc  # the pre-trained arm ahead at every epoch

    # the page states the time headline, what differs, each effect, and the progress the learner saw while waiting
    headline = page.locator(".lab-headline").inner_text()
    assert re.match(
        r"Pre-trained \(every layer fine-tuned\) reached 0\.\d\d in (\d+ min ?)?([\d.]+ s)?; from scratch "
        r"(needed|never did)",
        headline,
    ), headline
    assert page.locator(".lab-difference").count() == 2  # the starting weights, the layers trained
    effects = page.locator(".lab-effect").all_inner_texts()
    assert effects[0].startswith(f"What pre-training bought (#{pre} against #{scratch}, which differ only in"), effects
    assert effects[1].startswith(f"What freezing bought (#{frozen} against #{pre},"), effects
    assert page.locator(".lab-time-row").count() == 3 and "Seconds since the run started" in page.content()
    assert any(re.search(r"\d+ of \d+ (images|batches)", text) for text in seen_progress), seen_progress
    measured = {
        "click_to_done_s": round(took, 1),
        "load_avg_before": [round(x, 2) for x in load_before],
        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
        "headline": headline,
        "val_accuracy": {"finetune_all": acc[pre], "scratch": acc[scratch], "features": acc[frozen]},
        "effects": effects,
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS.parent / "lab-demo.json").write_text(json.dumps(measured, indent=1))
    print("lab demo:", json.dumps(measured))


def test_a_learner_submits_a_data_size_sweep_and_reads_its_chart(lab_site, page, screenshot):
    """From the lab form (the tiny backbone, so the test is quick): the sweep's page fills in live and ends with
    its chart of accuracy against training images per class."""
    stack, url = lab_site
    log_in(page, url, "/lab/new/")
    page.check("input[name=dataset][value='builtin:digits-3']")
    page.check("input[name=backbone][value='tiny']")
    page.get_by_label("Epochs").fill("2")
    page.get_by_label("Input size (pixels)").fill("32")
    page.get_by_label("Sweep sizes (training images per class)").fill("3, 10, all")
    page.get_by_role("button", name="Data-size sweep: both at each size").click()
    page.wait_for_url("**/lab/sweeps/*/")
    assert page.get_by_role("button", name="Cancel the whole sweep").is_visible()
    assert wait_in_page(page, lambda p: p.locator("#lab-sweep").get_attribute("data-finished") == "6", 240), stack.logs()
    page.wait_for_load_state()
    rows = page.locator(".lab-sweep-row")
    assert rows.count() == 3 and rows.first.locator("th").inner_text() == "3"
    chart = page.locator(".lab-sweep figure svg")
    assert chart.count() == 1 and "Training images per class" in chart.inner_html()
    assert page.get_by_role("button", name="Cancel the whole sweep").count() == 0
    screenshot(page, "lab-sweep-done")


def test_a_sweep_is_cancelled_as_a_whole(lab_site, page):
    stack, url = lab_site
    log_in(page, url, "/lab/new/")
    page.check("input[name=dataset][value='builtin:digits-3']")
    page.check("input[name=backbone][value='tiny']")
    page.get_by_label("Epochs").fill("30")
    page.get_by_role("button", name="Data-size sweep: both at each size").click()
    page.wait_for_url("**/lab/sweeps/*/")
    group = page.url.rstrip("/").split("/")[-1]
    page.get_by_role("button", name="Cancel the whole sweep").click()
    page.wait_for_url(f"**/lab/sweeps/{group}/")
    assert "Cancelling the sweep" in page.locator("body").inner_text()

    def statuses():
        return {
            s
            for (s,) in stack.query(
                "SELECT status FROM modellab_experiment WHERE sweep_group LIKE %s", (f"%{group.replace('-', '')}%",)
            )
        }

    stack.wait_for(lambda: statuses() == {"cancelled"}, 120, "every run of the sweep cancelled")
