"""The course around its lessons in Chromium: the course page's lessons in order with the student's
progress, the next-lesson link, flashcards and review across the course, and each lesson's summary
sheet printed on at most two A4 pages."""

from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from courses.content import load_lesson_file
from courses.models import Lesson
from quizzes.models import ReviewItem, Role
from tests.courses.second_lesson import load_second_lesson
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_accessibility import assert_accessible, log_in
from tests.e2e.test_ten_modes import LESSON_FILES


def test_course_page_progress_next_lesson_and_course_wide_flashcards_and_review(learner_site, page, screenshot):
    url, user = learner_site
    load_second_lesson()
    first, second = Lesson.objects.order_by("position")
    log_in(page, url)

    # the second lesson's model quiz answered: it counts as read on the course page
    page.goto(url + second.get_absolute_url())
    quiz = page.locator("#model-quiz")
    quiz.get_by_label("The second test lesson").check()
    quiz.get_by_role("button", name="Check").click()
    quiz.locator("#model-quiz-score").wait_for()
    # the first lesson links the second as its next lesson
    page.goto(url + first.get_absolute_url())
    page.get_by_role("link", name=f"Next lesson: {second.title}").click()
    page.wait_for_url(f"**{second.get_absolute_url()}")
    page.locator(".breadcrumb").get_by_role("link", name="Computer Vision").click()

    lessons = page.locator(".course-lesson")
    assert [lessons.nth(i).locator("h3 a").inner_text() for i in range(lessons.count())] == [first.title, second.title]
    second_row = page.locator(f".course-lesson[data-lesson='{second.slug}']")
    assert second_row.locator(".progress-read dd").inner_text() == "Read"
    assert second_row.locator(".progress-answered dd").inner_text() == "1"
    assert page.locator(f".course-lesson[data-lesson='{first.slug}'] .progress-read dd").inner_text() == "Not yet"
    assert_accessible(page, screenshot, "course-page")

    # flashcards across the course: the second lesson's card is dealt among the first's
    page.locator(".course-flashcards a").click()
    assert "every lesson of Computer Vision" in page.locator("h1").inner_text()
    assert page.locator(".card-lesson").inner_text().startswith("From ")
    page.get_by_role("button", name="Show answer").click()
    page.get_by_role("button", name="Good").click()
    page.get_by_role("status").filter(has_text="Good: that card comes back").wait_for()

    # review across the course: one due question from each lesson, asked in one round
    for question in (first.questions.filter(role=Role.PRACTICE).first(), second.questions.get()):
        ReviewItem.objects.create(question=question, user=user, due_at=timezone.now() - timedelta(minutes=5))
    page.goto(url + first.course.get_absolute_url())
    assert page.locator(".course-review .mode-state").inner_text() == "2 questions due"
    page.locator(".course-review a").click()
    page.get_by_role("button", name="Start review").click()
    page.wait_for_url("**/questions/1/**")
    assert "Question 1 of 2" in page.locator("h1").inner_text()


@pytest.mark.parametrize("lesson_file", LESSON_FILES, ids=[f.stem for f in LESSON_FILES])
def test_each_lessons_summary_sheet_prints_on_at_most_two_a4_pages(learner_site, page, screenshot, lesson_file):
    """Readable as well as short: axe finds nothing serious on screen or as printed."""
    url, _ = learner_site
    lesson = load_lesson_file(lesson_file).lesson
    page.goto(f"{url}{lesson.get_absolute_url()}sheet/")
    assert_accessible(page, screenshot, f"summary-sheet-{lesson.slug}")
    page.emulate_media(media="print")
    assert_accessible(page, screenshot, f"summary-sheet-{lesson.slug}-print")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS.parent / f"summary-sheet-{lesson.slug}.pdf"
    page.pdf(path=str(path), format="A4")
    pages = len(PdfReader(path).pages)
    assert 1 <= pages <= 2, f"{lesson.slug}'s sheet prints on {pages} A4 pages"
