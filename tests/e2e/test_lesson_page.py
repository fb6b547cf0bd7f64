"""A student reads the lesson in Chromium, on a desktop and on a phone."""

from tests.conftest import SEED_LESSON

from courses.content import load_lesson_file


def test_student_reads_the_lesson_in_a_real_browser(transactional_db, live_server, page, screenshot):
    """Chromium opens the lesson from the home page and shows the four stages and the chart."""
    load_lesson_file(SEED_LESSON)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Computer Vision").click()
    page.get_by_role("link", name="Why pre-trained models save time in Computer Vision").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Why pre-trained models save time")
    stages = page.locator("ol.stages > li.stage")
    assert stages.count() == 4
    assert "1000 x 7 x 7 x 512" in stages.nth(2).inner_text()
    chart = page.get_by_role(
        "img", name="Training trace: loss and accuracy by epoch for Why pre-trained models save time in Computer Vision"
    )
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box["width"] > 200 and box["height"] > 80
    assert page.locator("svg.chart g[data-label='Loss'] circle").count() == 5
    # Keyboard: the skip link is the first stop and moves focus to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    path = screenshot(page, "lesson-page")
    assert path.stat().st_size > 10_000


def test_lesson_page_is_readable_on_a_phone(transactional_db, live_server, browser):
    """At a 375 px wide viewport the page does not scroll sideways."""
    load_lesson_file(SEED_LESSON)
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(live_server.url + "/lessons/why-pretrained-models-save-time/")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    context.close()
    assert overflow <= 1
