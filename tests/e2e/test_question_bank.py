"""An author works the question bank in Chromium: the list fits a 1280 px window, a question is duplicated, two are made hard at once."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from courses.models import Course, Lesson
from quizzes.authoring.questions import ChoiceContent, QuestionContent, QuestionPlace, question_save
from quizzes.models import Question, Source

WINDOW = {"width": 1280, "height": 900}
LONG_STEM = (
    "A team fine-tunes `efficientnet_lite0` on 3,000 photos of cats, dogs and birds with the backbone frozen "
    "and a new 3-class head. Which parameters receive gradient updates during the first epoch, and why?"
)


@pytest.fixture
def site(transactional_db, live_server):
    course = Course.objects.create(slug="c", title="Computer Vision", track="ml")
    lesson = Lesson.objects.create(
        course=course, slug="bank", published=True, title="Why pre-trained models save time in Computer Vision"
    )
    for n, key in enumerate(["frozen-backbone-gradient-updates-first-epoch", "head-size", "feature-cache"], start=1):
        question_save(
            lesson=lesson,
            key=key,
            place=QuestionPlace(position=n, difficulty="easy"),
            source=Source.ADMIN,
            content=QuestionContent(
                kind="multiple" if n == 1 else "single",
                stem=LONG_STEM,
                choices=(
                    ChoiceContent(text="Only the new head's", fraction=Decimal(1), feedback="The backbone is frozen."),
                    ChoiceContent(text="Every layer's", fraction=Decimal(0), feedback="Frozen layers get no update."),
                ),
            ),
        )
    get_user_model().objects.create_superuser("author", "a@example.com", "pw-123456789")
    return live_server.url


# The page scrolls sideways, or the admin's list box does (it scrolls its table inside itself), a column ends
# off-screen, or a cell's text runs out of its cell.
OVERFLOW = """() => {
  const box = document.querySelector('.results'), table = document.querySelector('#result_list');
  return {page: document.documentElement.scrollWidth, box: box ? box.scrollWidth - box.clientWidth : 0,
          right: table ? table.getBoundingClientRect().right : 0,
          cells: [...document.querySelectorAll('#result_list td, #result_list th')].filter(c => c.scrollWidth > c.clientWidth + 1).length};
}"""


def _fits(page) -> bool:
    overflow = page.evaluate(OVERFLOW)
    return (
        overflow["page"] <= WINDOW["width"]
        and overflow["box"] <= 0
        and overflow["right"] <= WINDOW["width"]
        and overflow["cells"] == 0
    )


def _select(page, keys, action):
    for key in keys:
        page.locator("#result_list tr", has=page.get_by_role("link", name=key, exact=True)).locator("input.action-select").check()
    page.select_option("select[name=action]", action)
    page.locator("button[name=index]").click()


def test_duplicate_and_bulk_edit_in_a_list_that_fits_1280_px(site, browser, screenshot):
    context = browser.new_context(viewport=WINDOW)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(site + "/admin/login/?next=/admin/quizzes/question/")
    page.fill("#id_username", "author")
    page.fill("#id_password", "pw-123456789")
    page.locator("input[type=submit]").click()
    assert "0 attempts" in page.locator("#result_list").inner_text()
    screenshot(page, "question-bank-1280")
    assert _fits(page), "the question list is wider than a 1280 px window"

    _select(page, ["head-size"], "duplicate_action")
    assert "Saved head-size-copy as a new question" in page.locator(".messagelist").inner_text()
    copy = Question.objects.get(key="head-size-copy")
    assert (copy.position, copy.active, copy.choices.count()) == (4, False, 2)
    page.locator("#duplicate-question").click()  # the change page's button duplicates the copy
    assert Question.objects.filter(key="head-size-copy-copy").exists()

    page.goto(site + "/admin/quizzes/question/")
    _select(page, ["head-size", "feature-cache"], "bulk_edit_action")
    page.select_option("#id_difficulty", "hard")
    page.locator("#bulk-edit-apply").click()
    assert "Changed 2 of 2 question(s)." in page.locator(".messagelist").inner_text()
    assert sorted(Question.objects.filter(difficulty="hard").values_list("key", "version")) == [
        ("feature-cache", 1),
        ("head-size", 1),
    ]
    assert _fits(page)
    context.close()
