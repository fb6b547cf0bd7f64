"""An author corrects an answered question in the admin: the learner's result page stays as it was until a regrade, which it then reports."""

import re
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from courses.models import Course, Lesson
from quizzes.authoring.questions import ChoiceContent, QuestionContent, QuestionPlace, question_save
from quizzes.models import Attempt, Response, Source

_CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def site(transactional_db, live_server):
    course = Course.objects.create(slug="c", title="Course", track="ml")
    lesson = Lesson.objects.create(course=course, slug="versions", title="Versions", published=True)
    question_save(
        lesson=lesson,
        key="frozen",
        place=QuestionPlace(difficulty="easy"),
        source=Source.ADMIN,
        content=QuestionContent(
            kind="single",
            stem="Which weights change when the backbone is frozen?",
            choices=(
                ChoiceContent(text="All of them", fraction=Decimal(0), feedback="Frozen layers get no update."),
                ChoiceContent(text="Only the new head's", fraction=Decimal(1), feedback="Right: only the head trains."),
                ChoiceContent(text="Only the first layer's", fraction=Decimal(0), feedback="It is frozen too."),
            ),
        ),
    )
    get_user_model().objects.create_superuser("author", "a@example.com", "pw-123456789")
    return live_server.url


def _result_bytes(page, url) -> bytes:
    """The result page as the server sends it; the CSRF token of its forms is masked afresh on every render."""
    return _CSRF.sub(b'name="csrfmiddlewaretoken" value=""', page.request.get(url).body())


def test_a_corrected_question_keeps_the_result_page_until_the_regrade_says_so(site, browser, screenshot):
    learner = browser.new_context().new_page()
    learner.goto(site + "/lessons/versions/practice/")
    learner.get_by_role("button", name="Start practice").click()
    learner.get_by_label("Only the first layer's").check()
    learner.get_by_role("button", name="Check answer").click()
    learner.get_by_role("link", name="See your results").click()
    result_url = learner.url
    assert "Score: 0%" in learner.locator("#score").inner_text()
    before = _result_bytes(learner, result_url)
    attempt = Attempt.objects.get()

    # The author reorders the choices, rewords one and moves the key to it (as if the file had it wrong).
    author = browser.new_context().new_page()
    author.goto(site + "/admin/login/?next=/admin/quizzes/question/")
    author.fill("#id_username", "author")
    author.fill("#id_password", "pw-123456789")
    author.locator("input[type=submit]").click()
    author.get_by_role("link", name="frozen").click()
    for i, (position, fraction) in enumerate([("3", "0"), ("2", "0"), ("1", "100")]):
        author.fill(f"[name='choices-{i}-position']", position)
        author.fill(f"[name='choices-{i}-fraction']", fraction)
    author.fill("[name='choices-2-text']", "Only the first layer's, when it is unfrozen")
    author.locator("input[name=_save]").click()
    author.locator(".messagelist").wait_for()
    assert Response.objects.get().question.version == 1

    assert _result_bytes(learner, result_url) == before  # what the learner saw, byte for byte

    out = StringIO()
    call_command("regrade", "--lesson", "versions", "--dry-run", stdout=out)
    assert out.getvalue().splitlines()[0] == f"attempt {attempt.pk} (Practice, anonymous {attempt.anon_id[:8]}): 0% -> 100%"
    assert _result_bytes(learner, result_url) == before
    assert Response.objects.get().question.version == 1

    author.goto(site + "/admin/quizzes/question/")
    author.locator("input[name=_selected_action]").first.check()
    author.select_option("select[name=action]", "regrade_action")
    author.locator("button[name=index]").click()
    assert f"attempt {attempt.pk}" in author.locator("#regrade-dry-run").inner_text()
    author.locator("#regrade-apply").click()
    author.locator(".messagelist").wait_for()

    learner.goto(result_url)
    notice = learner.locator("#regraded").inner_text()
    assert "your score went from 0% to 100%" in notice
    assert "Score: 100%" in learner.locator("#score").inner_text()
    assert "Only the first layer's, when it is unfrozen" in learner.locator(".result-question").inner_text()
    screenshot(learner, "regraded-result")
