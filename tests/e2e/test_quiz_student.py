"""A student in Chromium: the model quiz, practice with a hint, and a 10-question test by keyboard."""

from courses.models import Lesson
from quizzes.grading import letter
from quizzes.models import Attempt, Choice, Question
from quizzes.selectors.bank import practice_bank
from quizzes.vocabulary import TYPED_KINDS
from tests.e2e.answering import typed_text

LESSON_PATH = "/lessons/why-pretrained-models-save-time/"


def test_student_answers_the_model_quiz(site, page, screenshot):
    """Choosing an answer and pressing Check shows correct/incorrect with the choice's feedback,
    announced in the live region, without reloading the page."""
    page.goto(site + LESSON_PATH)
    quiz = page.locator("#model-quiz")
    first = quiz.locator(".quiz-question").first
    first.get_by_label("Because it starts from features already learned on a large dataset").check()
    page.evaluate("window.__sameDocument = true")
    first.get_by_role("button", name="Check").click()
    live = quiz.locator("[aria-live=polite]")
    live.filter(has_text="Correct").wait_for()
    assert page.evaluate("window.__sameDocument === true")  # answered in place by the script
    assert "Right. The convolutional layers" in first.inner_text()
    assert "Correct answer" in first.inner_text()
    # the second question answered wrong shows why
    second = quiz.locator(".quiz-question").nth(1)
    second.get_by_label("1000 x 224 x 224 x 3: the same shape as the input").check()
    second.get_by_role("button", name="Check").click()
    second.locator(".verdict").filter(has_text="Incorrect").wait_for()
    assert "That is the shape before feature extraction" in second.inner_text()
    assert "Incorrect" in live.inner_text()
    assert quiz.get_by_role("button", name="Try the quiz again").is_visible()  # after the first answer already
    # the last answer shows the score at once, still without a reload
    third = quiz.locator(".quiz-question").nth(2)
    third.get_by_label("False").check()
    third.get_by_role("button", name="Check").click()
    quiz.locator("#model-quiz-score").wait_for()
    assert "2 of 3 correct" in quiz.locator("#model-quiz-score").inner_text()
    assert "You answered 2 of 3 correctly." in live.inner_text()
    assert quiz.get_by_role("button", name="Try the quiz again").is_visible()
    assert page.evaluate("window.__sameDocument === true")
    screenshot(page, "quiz-model-quiz")


def test_student_practises_with_a_hint_and_reads_the_solution(site, page, screenshot):
    page.goto(site + LESSON_PATH)
    page.locator(".mode-practice").get_by_role("link", name="Practice").click()
    page.get_by_role("button", name="Start practice").click()
    bank = practice_bank(lesson=Lesson.objects.get()).count()
    assert f"Question 1 of {bank}" in page.locator("h1").inner_text()
    page.get_by_role("button", name="Show a hint").click()
    assert (
        "Ask what a pre-trained network brings with it before it has seen any of your images."
        in page.locator("#hints").inner_text()
    )
    page.get_by_label("They need more labelled images than a model trained from scratch").check()
    page.get_by_role("button", name="Check answer").click()
    assert "Incorrect" in page.locator("#quiz-live").inner_text()
    solution = page.locator(".solution")
    text = solution.inner_text()
    assert "Step 1: Understand what pre-trained models do" in text
    assert "Final Answer" in text and "Common Mistakes" in text and "Quick Check" in text
    # the final answer's letter is the one this student saw next to the correct choice
    correct_label = page.locator(".choice-result.is-correct .letter").inner_text().rstrip(".")
    assert f"Option {correct_label}" in text
    screenshot(page, "quiz-practice-solution")
    page.get_by_role("link", name="Next question").click()
    assert f"Question 2 of {bank}" in page.locator("h1").inner_text()


def _tab_until(page, js_condition, limit=80):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {js_condition}; }})()"):
            return
    raise AssertionError(f"Tab never reached: {js_condition}")


def test_student_completes_a_test_by_keyboard_alone(site, page, screenshot):
    """Tab, Space and Enter only: start the test, answer 10 questions, see the breakdown."""
    page.goto(site + LESSON_PATH + "test/")
    _tab_until(page, "el.tagName === 'BUTTON' && el.textContent.includes('Start the test')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/questions/1/**")
    attempt = Attempt.objects.get(mode="test")
    assert len(attempt.question_ids) == 10
    for number, qid in enumerate(attempt.question_ids, start=1):
        page.locator("h1").filter(has_text=f"Question {number} of 10").wait_for()
        question = Question.objects.get(pk=qid)
        if question.kind in TYPED_KINDS:  # typed: Tab to the box and type (right for the first 7)
            _tab_until(page, "el.name === 'typed'")
            page.keyboard.type(typed_text(question, right=number <= 7))
            _tab_until(page, "el.tagName === 'BUTTON' && el.textContent.includes('Save answer')")
            page.keyboard.press("Enter")
            page.wait_for_load_state()
            continue
        order = attempt.choice_orders[str(qid)]
        right = {c.id for c in Choice.objects.filter(id__in=order) if c.is_correct}
        # answer the first 7 correctly (every correct choice), the rest with the first wrong one
        if number <= 7:
            targets = {letter(i) for i, cid in enumerate(order) if cid in right}
        else:
            targets = {next(letter(i) for i, cid in enumerate(order) if cid not in right)}
        _tab_until(page, "el.name === 'answer'")
        if page.evaluate("document.activeElement.type") == "radio":
            # arrow keys move within a radio group; Space picks the focused choice
            (target,) = targets
            for _ in range(10):
                if page.evaluate("document.activeElement.value") == target:
                    break
                page.keyboard.press("ArrowDown")
            assert page.evaluate("document.activeElement.value") == target
            page.keyboard.press("Space")
        else:
            # checkboxes: Tab from one to the next, Space on each wanted one
            for _ in range(len(order)):
                if page.evaluate("document.activeElement.value") in targets:
                    page.keyboard.press("Space")
                page.keyboard.press("Tab")
            checked = page.evaluate("[...document.querySelectorAll('input[name=answer]:checked')].map(e => e.value)")
            assert set(checked) == targets
        _tab_until(page, "el.tagName === 'BUTTON' && el.textContent.includes('Save answer')")
        page.keyboard.press("Enter")
        page.wait_for_load_state()
    page.wait_for_url("**/result/")
    assert "70%" in page.locator("#score").inner_text()
    breakdown = page.get_by_role("table", name="Breakdown by difficulty")
    assert breakdown.is_visible() and "Easy" in breakdown.inner_text() and "Hard" in breakdown.inner_text()
    assert "Pattern strength" in page.locator(".pattern-strength").inner_text()
    assert page.locator(".result-question .solution").count() == 10
    screenshot(page, "quiz-test-result")
