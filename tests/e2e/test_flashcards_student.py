"""A student in Chromium: Flashcards from the lesson page, turning cards over and rating them
(the first by keyboard alone) until nothing is due."""

import re

from quizzes.models import Flashcard, FlashcardSchedule
from tests.e2e.test_quiz_student import LESSON_PATH, _tab_until


def test_student_goes_through_the_flashcards_until_nothing_is_due(site, page, screenshot):
    """An anonymous student opens Flashcards, misses the first card and knows the others; the
    missed one comes back in the same sitting until it is learnt; 20 new cards a day."""
    cards = list(Flashcard.objects.filter(lesson__slug="why-pretrained-models-save-time"))
    page.goto(site + LESSON_PATH)
    entry = page.locator(".mode-flashcards")
    assert "20 new" in entry.inner_text()
    entry.get_by_role("link", name="Flashcards").click()
    page.get_by_role("heading", name="Flashcards").wait_for()

    # the first card, by keyboard: its front shows, and nothing of its back is in the page
    assert "What is a pre-trained model?" in page.locator("#flashcard").inner_text()
    assert cards[0].back.split()[3] not in page.content() and "How well did you remember it?" not in page.content()
    _tab_until(page, "el.tagName === 'BUTTON' && el.textContent.includes('Show answer')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*\?card=\d+#answer$"))
    assert "already learned on a large dataset" in page.locator("#answer").inner_text()
    _tab_until(page, "el.tagName === 'BUTTON' && el.value === 'again'")
    assert "again in 1" in page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text="Again: that card comes back in 1").wait_for()
    screenshot(page, "flashcards-after-again")

    # then with the mouse: Easy for every other card; the missed one comes back (learn-ahead) and is rated Good
    shown = []
    for _ in range(40):
        if not page.get_by_role("button", name="Show answer").count():
            break
        front = page.locator("#flashcard .flashcard-face").first.inner_text()
        shown.append(front)
        page.get_by_role("button", name="Show answer").click()
        page.locator("#answer").wait_for()
        rating = "Good" if front.endswith("What is a pre-trained model?") else "Easy"
        page.get_by_role("button", name=rating).click()
        page.wait_for_url(site + LESSON_PATH + "flashcards/")
    assert len(shown) == 19 + 2  # the other 19 new cards of the day, then the missed one twice (its two learning steps)
    assert [f.endswith("What is a pre-trained model?") for f in shown[-3:]] == [False, True, True]
    done = page.get_by_role("status").filter(has_text="Nothing is due right now.")
    assert "The next card is due" in done.inner_text()
    assert "7 new cards wait for tomorrow: you start at most 20 new cards a day." in done.inner_text()
    screenshot(page, "flashcards-done")

    schedules = FlashcardSchedule.objects.filter(user__isnull=True)
    assert schedules.count() == 20 and {s.state for s in schedules} == {FlashcardSchedule.State.REVIEW}
    page.goto(site + LESSON_PATH)
    assert "Nothing due" in page.locator(".mode-flashcards").inner_text()
