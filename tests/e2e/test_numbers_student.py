"""A student in Chromium: Numbers & shapes from the picker, a typed number that reveals a common
mistake, and shapes typed as a Python tuple and as torch.Size marked right."""

from tests.e2e.test_quiz_student import LESSON_PATH


def check(page, text: str) -> str:
    """Type `text` into the answer box, press Check answer, and return what the live region announces."""
    box = page.get_by_label("Your answer")
    box.fill(text)
    page.get_by_role("button", name="Check answer").click()
    page.locator(".solution").wait_for()
    return page.locator("#quiz-live").inner_text()


def test_student_types_numbers_and_shapes_and_sees_them_graded(site, page, screenshot):
    """From the picker: a known wrong number shows its mistake; (1000, 512) and torch.Size([8, 512, 7, 7]) are right."""
    page.goto(site + LESSON_PATH)
    page.locator(".mode-numbers").get_by_role("link", name="Numbers & shapes").click()
    assert "9 questions: 3 easy, 4 medium, 2 hard." in page.locator("main").inner_text()
    page.get_by_role("button", name="Start numbers & shapes").click()
    page.wait_for_url("**/questions/1/**")
    # a known wrong number: marked wrong, with its feedback and the mistake it reveals
    assert page.locator("input[type=radio], input[type=checkbox]").count() == 0
    assert check(page, "512") == "Incorrect."
    feedback = page.locator("#feedback").inner_text()
    assert "512 is the layer's input size" in feedback
    assert "Common mistake: Confusing the head's input features with its outputs" in feedback
    assert "1,000" in page.locator(".typed-accepted").inner_text()
    screenshot(page, "numbers-wrong")
    # a shape typed as a Python tuple, then one as torch.Size
    page.get_by_role("link", name="Next question").click()
    assert check(page, "(1000, 512)") == "Correct."
    assert "1000 x 512" in page.locator(".typed-accepted").inner_text()
    page.get_by_role("link", name="Next question").click()
    assert check(page, "torch.Size([8, 512, 7, 7])") == "Correct."
    assert "Final Answer" in page.locator(".solution").inner_text()
    screenshot(page, "numbers-right")


def test_a_number_that_is_not_one_is_refused_and_asked_again(site, page):
    """'about a thousand' is no number: the page says so, and the same question waits for an answer."""
    page.goto(site + LESSON_PATH + "numbers/")
    page.get_by_role("button", name="Start numbers & shapes").click()
    page.wait_for_url("**/questions/1/**")
    page.get_by_label("Your answer").fill("about a thousand")
    page.get_by_role("button", name="Check answer").click()
    page.locator(".messages").filter(has_text="is not a number").wait_for()
    assert page.get_by_label("Your answer").is_visible() and page.locator(".solution").count() == 0
