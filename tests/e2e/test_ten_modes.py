"""A student in Chromium reaches all ten learning modes from the lesson page's picker and takes
each to its end by the shortest path a student could follow, on every lesson in content/lessons/
(one test per lesson file). The long flows have tests of their own (test_quiz_student,
test_flashcards_student, test_exam_and_drill, test_lab_browser, test_summary_sheet); this one
walks the picker."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from courses.content import load_lesson_file
from modellab.models import Experiment
from quizzes import scheduler
from quizzes.services.flashcards import flashcard_rate
from quizzes.identity import Student
from quizzes.models import Attempt, Choice, Mode, ReviewItem
from quizzes.views.numbers import NUMBERS_COMING
from quizzes.selectors.bank import practice_bank
from quizzes.vocabulary import TYPED_KINDS
from tests.e2e.answering import fill_answer, right_positions
from tests.conftest import ROOT
from tests.e2e.test_accessibility import log_in

LESSON_FILES = sorted((ROOT / "content" / "lessons").glob("*.yaml"))
TEN_MODES = (
    "Read",
    "Practice",
    "Test this pattern",
    "Review",
    "Flashcards",
    "Lab",
    "Timed exam",
    "Mistake drill",
    "Numbers & shapes",
    "Summary sheet",
)


def enter(page, url, key) -> None:
    """Open the lesson page (`url` is the lesson's page) and follow the picker's link of one mode."""
    page.goto(url)
    page.locator(f".mode-{key} a").click()
    page.wait_for_load_state()


def start_and_finish(page, url, key, *, start: str, finish: str) -> str:
    """Enter a mode, start it, finish it at once from its first question; the result's heading."""
    enter(page, url, key)
    page.get_by_role("button", name=start).click()
    page.wait_for_url("**/questions/1/**")
    page.get_by_role("button", name=re.compile(finish)).click()
    page.wait_for_url("**/result/")
    return page.locator("h1").inner_text()


def choose(page, positions) -> None:
    for i in positions:
        page.locator("input[name=answer]").nth(i).check()


def mistake_position(attempt, qid) -> int:
    """The position of a wrong choice that shows a common mistake."""
    order = attempt.choice_orders[str(qid)]
    return next(i for i, cid in enumerate(order) if (c := Choice.objects.get(pk=cid)).mistake_id and not c.is_correct)


def run_queued(experiment) -> None:
    """What a worker does with the queued run, in this process (the tiny backbone: seconds)."""
    from config.celery import app
    from modellab.services.runs import experiment_run

    app.conf.task_always_eager = True
    try:
        experiment_run(experiment_id=experiment.pk)
    finally:
        app.conf.task_always_eager = False


@pytest.mark.parametrize("lesson_file", LESSON_FILES, ids=[f.stem for f in LESSON_FILES])
def test_student_reaches_all_ten_modes_from_the_picker_and_uses_each_to_its_end(
    learner_site, page, screenshot, settings, lesson_file: Path
):
    site_url, user = learner_site
    lesson = load_lesson_file(lesson_file).lesson  # the seed lesson is loaded already; a reload changes nothing
    settings.LAB_BUILTIN_PER_CLASS = 12  # a run of seconds
    log_in(page, site_url)
    url = site_url + lesson.get_absolute_url()
    page.goto(url)
    entries = page.locator(".mode-list > li")
    assert [entries.nth(i).locator("strong").first.inner_text() for i in range(entries.count())] == list(TEN_MODES)
    for i in range(entries.count()):  # each is a link, or says why it is not one
        entry = entries.nth(i)
        assert entry.locator("a").count() == 1 or entry.locator(".mode-note").inner_text().strip()
    screenshot(page, f"ten-modes-picker-{lesson.slug}")

    # Read: the lesson itself, from its first section to the key insight
    enter(page, url, "read")
    assert page.url.endswith("#lesson-content")
    assert page.get_by_role("heading", name="Key Insight").is_visible()

    # Practice: a question answered with a choice that shows a common mistake, then the summary
    enter(page, url, "practice")
    page.get_by_role("button", name="Start practice").click()
    page.wait_for_url("**/questions/1/**")
    practice = Attempt.objects.get(user=user, mode=Mode.PRACTICE)
    choose(page, [mistake_position(practice, practice.question_ids[0])])
    page.get_by_role("button", name="Check answer").click()
    page.locator(".choice-mistake").wait_for()
    page.get_by_role("button", name=re.compile("Finish and see summary")).click()
    page.wait_for_url("**/result/")
    assert "Practice: your results" in page.locator("h1").inner_text()

    # Test this pattern: started, then finished at once (skipped questions count as wrong)
    heading = start_and_finish(page, url, "test", start="Start the test", finish="Finish test")
    assert "Test this pattern: your results" in heading

    # Review: the question missed in practice, once it is due
    ReviewItem.objects.filter(user=user).update(due_at=timezone.now() - timedelta(minutes=1))
    page.goto(url)
    assert "1 question due" in page.locator(".mode-review").inner_text()
    enter(page, url, "review")
    page.get_by_role("button", name="Start review").click()
    page.wait_for_url("**/questions/1/**")
    review = Attempt.objects.get(user=user, mode=Mode.REVIEW)
    choose(page, right_positions(review, review.question_ids[0]))
    page.get_by_role("button", name="Check answer").click()
    page.get_by_role("link", name="See your results").click()
    assert "Review: your results" in page.locator("h1").inner_text()

    # Flashcards: one card turned over and rated; the rest of the day's new cards rated, nothing is due
    enter(page, url, "flashcards")
    page.get_by_role("button", name="Show answer").click()
    page.get_by_role("button", name="Easy").click()
    page.get_by_role("status").filter(has_text="Easy: that card comes back").wait_for()
    for card in lesson.flashcards.all()[1:20]:
        flashcard_rate(student=Student(user.pk), lesson=lesson, card_id=card.pk, rating=scheduler.EASY, seen_reviews=0)
    page.reload()
    page.get_by_text("Nothing is due right now.").wait_for()

    # Lab: a run submitted from the lesson, run by a worker, its results
    enter(page, url, "lab")
    page.check("input[name=dataset][value='builtin:digits']")
    page.check("input[name=backbone][value='tiny']")
    page.get_by_label("Strategy").select_option("scratch")
    page.get_by_label("Epochs").fill("1")
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url("**/lab/experiments/*/")
    experiment = Experiment.objects.get(owner=user)
    assert experiment.lesson_slug == lesson.slug
    run_queued(experiment)
    page.reload()
    page.get_by_role("heading", name="Results").wait_for()

    # Timed exam: started, then finished by the student
    assert "Timed exam: your results" in start_and_finish(page, url, "exam", start="Start the exam", finish="Finish the exam")

    # Mistake drill: the mistake shown in practice, answered right in two rounds, fixed
    enter(page, url, "drill")
    for _ in range(2):
        page.get_by_role("button", name=re.compile("Start the drill")).click()
        page.wait_for_url("**/questions/1/**")
        drill = Attempt.objects.filter(user=user, mode=Mode.DRILL).latest("id")
        for number, qid in enumerate(drill.question_ids, start=1):
            if number > 1:
                page.get_by_role("link", name="Next question").click()
            fill_answer(page, drill, qid)
            page.get_by_role("button", name="Check answer").click()
            page.locator("#quiz-live").filter(has_text="Correct").wait_for()
        page.get_by_role("link", name="Continue the drill").click()
        page.wait_for_url("**/drill/")
    assert "Done:" in page.locator(".drill-done").inner_text()

    # Numbers & shapes: a round of the typed-answer questions where the lesson has them; until
    # then the picker says they are coming and links nowhere
    page.goto(url)
    numbers = page.locator(".mode-numbers")
    if numbers.locator("a").count():
        assert "Practice: your results" in start_and_finish(
            page, url, "numbers", start="Start numbers & shapes", finish="Finish and see summary"
        )
    else:
        assert NUMBERS_COMING in numbers.locator(".mode-note").inner_text()

    # Summary sheet: read, then printed
    enter(page, url, "sheet")
    assert page.get_by_role("heading", name="Common mistakes and their corrections").is_visible()
    page.evaluate("window.print = () => { window.__printed = true; }")
    page.get_by_role("button", name="Print or save as PDF").click()
    assert page.evaluate("window.__printed === true")

    # back on the picker, the modes say where the student stands
    page.goto(url)
    picker = page.locator(".mode-list")
    # the last practice round is the Numbers & shapes one, finished at once
    asked = len(Attempt.objects.filter(user=user, mode=Mode.PRACTICE).latest("started_at").question_ids)
    assert asked == practice_bank(lesson=lesson, kinds=TYPED_KINDS).count()
    for key, words in (
        ("practice", f"Last practice: 0 of {asked} right"),
        ("test", "Last test: 0%"),
        ("flashcards", "Nothing due"),
        ("lab", "validation accuracy"),
        ("exam", "Last exam: 0%"),
        ("drill", "Every mistake fixed"),
    ):
        assert words in picker.locator(f".mode-{key}").inner_text(), key
    screenshot(page, f"ten-modes-picker-after-{lesson.slug}")
