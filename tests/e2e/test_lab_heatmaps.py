"""In Chromium: a finished comparison shows both arms' Grad-CAM heatmaps of the same validation images, each with words."""

EPOCHS = 3


def test_comparison_page_shows_heatmaps_of_both_arms_on_the_same_images(lab_site, page, screenshot):
    _, url = lab_site
    # given: a signed-in learner who ran a comparison on the digits with the tiny backbone
    page.goto(f"{url}/lab/new/")
    page.get_by_label("Username").fill("learner")
    page.get_by_label("Password").fill("a-long-pass-42")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/lab/new/")
    page.check("input[name=dataset][value='builtin:digits']")
    page.check("input[name=backbone][value='tiny']")
    page.get_by_label("Epochs").fill(str(EPOCHS))
    page.get_by_label("Learning rate").fill("0.01")
    page.get_by_label("Batch size").fill("16")
    page.get_by_role("button", name="Compare with the same network from scratch").click()
    page.wait_for_url("**/lab/compare/?ids=*")

    # when: both runs have finished (the page reloads itself once the last one ends)
    rows = page.locator("#heatmaps table tbody tr")
    rows.first.wait_for(timeout=240_000)

    # then: each row is one validation image, with a heatmap from each arm that loads and says where it is hottest
    runs = page.locator("#heatmaps thead th a")
    assert runs.count() == 2
    assert rows.count() >= 2
    for i in range(rows.count()):
        row = rows.nth(i)
        arms = row.locator("td[data-run]")
        assert arms.count() == 2
        for a in range(2):
            img = arms.nth(a).locator("figure[data-heatmap='predicted'] img")
            img.scroll_into_view_if_needed()
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
            alt = img.get_attribute("alt")
            assert alt.startswith("Grad-CAM heatmap for the predicted class") and ("hottest in the" in alt or "no region" in alt)
        picture = row.locator("th img")
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
    assert "0.8" in page.locator(".lab-heat-scale").inner_text()
    page.locator("#heatmaps").scroll_into_view_if_needed()
    screenshot(page, "lab-compare-heatmaps")
