"""The lab in Chromium against a real web server and a real Celery worker (subprocesses, SQLite file)."""

import io

from PIL import Image
from playwright.sync_api import Error as PlaywrightError

EPOCHS = 20


def test_learner_compares_watches_the_trace_and_predicts(lab_site, page, screenshot, tmp_path):
    """Sign in, submit a comparison with the tiny backbone, watch the trace grow, open the results, predict an image."""
    stack, url = lab_site
    # given: a signed-in learner
    page.goto(f"{url}/lab/new/")
    page.get_by_label("Username").fill("learner")
    page.get_by_label("Password").fill("a-long-pass-42")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/lab/new/")

    # when: they submit a comparison on the digits with the tiny backbone
    page.check("input[name=dataset][value='builtin:digits']")
    page.check("input[name=backbone][value='tiny']")
    assert page.locator("input[name=dataset][value='builtin:cifar-cat-dog-bird']").is_disabled()
    page.get_by_label("Epochs").fill(str(EPOCHS))
    page.get_by_label("Learning rate").fill("0.01")
    page.get_by_label("Batch size").fill("16")
    page.get_by_role("button", name="Compare with the same network from scratch").click()
    page.wait_for_url("**/lab/compare/?ids=*")
    assert page.locator(".lab-overlay-runs li").count() == 2
    screenshot(page, "lab-compare-queued")

    # then: the from-scratch run's trace grows on its page without a reload
    page.get_by_role("link", name="From scratch").click()
    page.wait_for_url("**/lab/experiments/*/")
    page.evaluate("window.__sameDocument = true")
    seen = []
    for _ in range(900):  # up to ~3 minutes
        try:
            if not page.evaluate("window.__sameDocument === true"):
                break  # htmx asked for a reload: the run ended
            seen.append(page.locator("tr.lab-epoch-row").count())
        except PlaywrightError:  # the reload htmx asked for is under way
            break
        page.wait_for_timeout(200)
    page.wait_for_load_state()
    growing = sorted(set(seen))
    assert len([n for n in growing if 0 < n]) >= 2, (growing, stack.logs())
    assert seen == sorted(seen)

    # the results page: metrics, confusion matrix, gallery images that load, shapes
    page.get_by_role("heading", name="Results").wait_for()
    assert page.locator("[data-status]").first.get_attribute("data-status") == "succeeded"
    assert page.locator("tr.lab-epoch-row").count() == EPOCHS
    assert page.locator("table.lab-confusion tbody tr").count() == 10
    first_image = page.locator(".lab-gallery img").first
    first_image.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=first_image.element_handle())
    assert "3, 32, 32]" in page.locator(".lab-shapes").inner_text()

    # and an uploaded image gets a prediction with its top 3
    picture = tmp_path / "my-digit.png"
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (255, 255, 255)).save(buf, format="PNG")
    picture.write_bytes(buf.getvalue())
    page.get_by_label("An image to classify").set_input_files(str(picture))
    page.get_by_role("button", name="Predict").click()
    prediction = page.locator(".lab-prediction")
    prediction.wait_for()
    assert prediction.locator("li").count() == 3
    screenshot(page, "lab-results-prediction")

    # the overlay of the two finished runs
    page.get_by_role("link", name="overlay the traces").click()
    assert page.locator("svg.chart").count() == 3  # by epoch: accuracy, loss; accuracy against seconds (issue 12)
    screenshot(page, "lab-overlay")
