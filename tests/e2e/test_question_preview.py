"""An author tries answers in the question preview: a wrong choice shows its feedback and mistake, a typed number how it is marked."""

import pytest
from django.contrib.auth import get_user_model

from courses.models import Course, Lesson
from quizzes.models import Attempt, Choice, Hint, Mistake, Question, Response, SolutionStep


def _question(lesson, key, kind, stem, rows):
    q = Question.objects.create(lesson=lesson, key=key, role="practice", kind=kind, difficulty="easy", position=1, stem=stem)
    mistake = Mistake.objects.create(question=q, position=1, text="Thinking frozen layers still learn")
    for i, (text, fraction, feedback, linked) in enumerate(rows, start=1):
        Choice.objects.create(
            question=q, position=i, text=text, fraction=fraction, feedback=feedback, mistake=mistake if linked else None
        )
    SolutionStep.objects.create(question=q, position=1, title="Recall what freezing does", body="No gradient updates.")
    Hint.objects.create(question=q, position=1, text="What does the optimizer skip?")
    return q


@pytest.fixture
def site(transactional_db, live_server):
    course = Course.objects.create(slug="c", title="Course", track="ml")
    lesson = Lesson.objects.create(course=course, slug="preview", title="Preview", published=True)
    single = _question(
        lesson,
        "frozen",
        "single",
        "Which weights change when the backbone is frozen?",
        [
            ("Only the new head's", 1, "Right: only the head trains.", False),
            ("Every layer, a little", 0, "WRONG-FEEDBACK: frozen layers get no update.", True),
            ("Only the first layer's", 0, "It is frozen too.", True),
        ],
    )
    typed = _question(
        lesson,
        "frozen-count",
        "numeric",
        "A head of 512 x 3 weights plus 3 biases trains. How many parameters change? Give a number.",
        [
            ("1539", 1, "Weights plus biases.", False),
            ("1536", 0, "BIAS-FEEDBACK: the biases train too.", True),
            ("*", 0, "CATCH-ALL: count the head's weights, then its biases.", False),
        ],
    )
    get_user_model().objects.create_superuser("author", "a@example.com", "pw-123456789")
    return live_server.url, single, typed


def _log_in(page, url):
    page.goto(url + "/admin/login/?next=/admin/")
    page.fill("#id_username", "author")
    page.fill("#id_password", "pw-123456789")
    page.locator("input[type=submit]").click()


def test_an_author_picks_a_wrong_choice_then_types_wrong_numbers(site, page, screenshot):
    url, single, typed = site
    _log_in(page, url)

    page.goto(f"{url}/questions/{single.pk}/preview/")
    assert "Right: only the head trains." in page.locator(".preview-answered").inner_text()  # the correct answer, filled in
    page.get_by_label("Every layer, a little").check()
    page.get_by_role("button", name="Check answer").click()
    answered = page.locator(".preview-answered")
    assert "as a student who chose B" in page.content()
    assert "Incorrect" in answered.locator(".verdict").inner_text()
    assert "WRONG-FEEDBACK: frozen layers get no update." in answered.inner_text()
    assert "Common mistake: Thinking frozen layers still learn" in answered.locator(".choice-mistake").inner_text()
    assert "What does the optimizer skip?" in answered.inner_text() and "Recall what freezing does" in answered.inner_text()
    assert page.get_by_label("Every layer, a little").is_checked()  # the pick stays, ready for the next try
    screenshot(page, "question-preview-wrong-choice")

    page.goto(f"{url}/questions/{typed.pk}/preview/")
    page.get_by_label("Your answer").fill("1 536")
    page.get_by_role("button", name="Check answer").click()
    answered = page.locator(".preview-answered")
    assert "Incorrect" in answered.locator(".verdict").inner_text()
    assert "BIAS-FEEDBACK: the biases train too." in answered.inner_text()
    assert "Thinking frozen layers still learn" in answered.locator(".choice-mistake").inner_text()
    page.get_by_label("Your answer").fill("12")
    page.get_by_role("button", name="Check answer").click()
    assert "CATCH-ALL: count the head's weights, then its biases." in page.locator(".preview-answered").inner_text()
    page.get_by_role("link", name="fill in the correct answer").click()
    assert "Correct" in page.locator(".preview-answered .verdict").inner_text()
    screenshot(page, "question-preview-typed")
    assert not Attempt.objects.exists() and not Response.objects.exists()
