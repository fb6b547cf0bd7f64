"""A student in Chromium: a timed exam from the picker to the result with the countdown ticking,
the countdown's announcements and the exam ending by itself, and a mistake drill run to its end."""

import re
from datetime import timedelta

from django.utils import timezone

from courses.models import Lesson
from quizzes.services.attempts import attempt_start
from quizzes.services.responses import response_submit
from quizzes.grading import letter
from quizzes.identity import Student
from quizzes.models import Attempt, Choice
from tests.e2e.answering import fill_answer, right_positions  # noqa: F401 - right_positions: imported from here by others

LESSON_PATH = "/lessons/why-pretrained-models-save-time/"
PASSWORD = "a-long-pass-42"


def test_student_takes_a_timed_exam_against_the_clock(site, page, screenshot):
    """From the picker: the limit, the start, a countdown that ticks, ten answers, the result."""
    page.goto(site + LESSON_PATH)
    page.locator(".mode-exam").get_by_role("link", name="Timed exam").click()
    assert "15 minutes" in page.locator(".exam-limit").inner_text()
    page.get_by_role("button", name="Start the exam").click()
    page.wait_for_url("**/questions/1/**")
    attempt = Attempt.objects.get(mode="exam")
    # the script counts down from the server's deadline: 14:59, 14:58...
    page.wait_for_function("/^14:[0-5][0-9]$/.test(document.getElementById('exam-time-left').textContent)")
    screenshot(page, "exam-question")
    for number, qid in enumerate(attempt.question_ids, start=1):
        page.locator("h1").filter(has_text=f"Question {number} of 10").wait_for()
        assert page.locator("#exam-clock").is_visible()
        # the first six right (every correct choice, or an accepted answer typed), the rest wrong
        fill_answer(page, attempt, qid, right=number <= 6)
        page.get_by_role("button", name="Save answer and continue").click()
        page.wait_for_load_state()
    page.wait_for_url("**/result/")
    assert "Timed exam: your results" in page.locator("h1").inner_text()
    assert "60%" in page.locator("#score").inner_text()
    assert re.search(r"Time used: (\d+ min )?\d+ s of 15 min 0 s", page.locator("#time-used").inner_text())
    assert page.get_by_role("table", name="Breakdown by difficulty").is_visible()
    assert page.locator(".result-question .solution").count() == 10
    screenshot(page, "exam-result")


def test_the_countdown_announces_the_last_seconds_and_the_exam_ends_by_itself(site, page):
    page.goto(site + LESSON_PATH + "exam/")
    page.get_by_role("button", name="Start the exam").click()
    page.wait_for_url("**/questions/1/**")
    attempt = Attempt.objects.get(mode="exam")
    live = page.locator("#exam-clock-live")
    assert live.inner_text() == ""  # nothing is announced on arrival
    # the deadline moved to two seconds before each mark: the mark is announced as it passes
    for seconds, words in ((600, "10 minutes left."), (300, "5 minutes left."), (60, "1 minute left."), (30, "30 seconds left.")):
        Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() + timedelta(seconds=seconds + 2))
        page.reload()
        assert live.inner_text() == ""  # marks passed before the page loaded are not repeated
        live.filter(has_text=words).wait_for()
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() + timedelta(seconds=2))
    page.reload()
    live.filter(has_text="Time is up").wait_for()
    assert page.get_by_role("button", name="Save answer and continue").is_disabled()
    page.wait_for_url(re.compile(r"/result/"))  # the page moves on to the result by itself
    assert "Timed exam: your results" in page.locator("h1").inner_text()
    attempt.refresh_from_db()
    assert attempt.finished


def show_mistakes(user, lesson, count: int) -> None:
    """A practice session in which the student picked a mistake's choice in `count` questions."""
    attempt = attempt_start(student=Student(user.pk), lesson=lesson, mode="practice")
    shown = 0
    for qid in attempt.question_ids:
        order = attempt.choice_orders[str(qid)]
        wrong = [i for i, cid in enumerate(order) if (c := Choice.objects.get(pk=cid)).mistake_id and not c.is_correct]
        if wrong and shown < count:
            response_submit(attempt=attempt, question_id=qid, letters=[letter(wrong[0])])
            shown += 1
    assert shown == count


def test_student_runs_the_mistake_drill_until_it_is_done(site, page, django_user_model, screenshot):
    user = django_user_model.objects.create_user("learner", password=PASSWORD)
    show_mistakes(user, Lesson.objects.get(), 2)
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Username").fill("learner")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{site}/")
    page.goto(site + LESSON_PATH)
    drill = page.locator(".mode-drill")
    assert "2 mistakes left" in drill.inner_text()
    drill.get_by_role("link", name="Mistake drill").click()
    shown = page.locator(".drill-list li")
    assert shown.count() == 2 and all("You have shown:" in t for t in shown.all_inner_texts())
    screenshot(page, "drill-start")
    for round_number in (1, 2):
        page.get_by_role("button", name=re.compile("Start the drill")).click()
        page.wait_for_url("**/questions/1/**")
        attempt = Attempt.objects.filter(mode="drill").latest("id")
        assert len(attempt.question_ids) == 2
        for number, qid in enumerate(attempt.question_ids, start=1):
            targets = page.locator(".drill-targets")
            assert "0 of 2" in targets.inner_text() or f"{round_number - 1} of 2" in targets.inner_text()
            fill_answer(page, attempt, qid)
            page.get_by_role("button", name="Check answer").click()
            page.locator("#quiz-live").filter(has_text="Correct").wait_for()
            assert f"{round_number} of 2 in a row" in page.locator(".drill-targets").inner_text()
            if number < len(attempt.question_ids):
                page.get_by_role("link", name="Next question").click()
        page.get_by_role("link", name="Continue the drill").click()
        page.wait_for_url("**/drill/")
    assert "Done:" in page.locator(".drill-done").inner_text()
    assert page.locator(".drill-list li").filter(has_text="fixed (2 of 2 in a row)").count() == 2
    screenshot(page, "drill-done")
