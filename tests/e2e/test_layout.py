"""Layout in Chromium: on a 390 px phone question stems and code stay inside their boxes and no page (a
long typed answer, the lab form with its weight URLs) is wider than the screen; the comparison's charts."""

import uuid
from itertools import pairwise

from django.contrib.auth import get_user_model

from courses.models import Lesson
from modellab.models import Dataset, EpochRecord, Experiment
from quizzes.models import Question
from tests.e2e.test_quiz_student import LESSON_PATH

PHONE = {"width": 390, "height": 800}
PASSWORD = "a-long-pass-42"

# For each question box on the page: does its top border run below the legend (the stem), and
# does the stem (its code blocks included) end inside the box's right edge?
BOXES = """() => [...document.querySelectorAll('fieldset')].map(f => {
  const box = f.getBoundingClientRect(), legend = f.querySelector('legend').getBoundingClientRect();
  return {top: legend.top >= box.top + parseFloat(getComputedStyle(f).borderTopWidth),
          right: legend.right <= box.right, text: f.querySelector('legend').textContent.slice(0, 40)};
})"""


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def assert_inside(page, where):
    boxes = page.evaluate(BOXES)
    assert boxes, where
    for box in boxes:
        assert box["top"] and box["right"], f"{where}: the box's border runs through {box['text']!r}"
    assert page_width(page) <= PHONE["width"], where


def test_long_content_stays_inside_its_box_on_a_phone(site, browser):
    """The model quiz's long stem, the MobileNetV2 code block, a 200-digit typed answer and the lab
    form's backbone options all fit a 390 px screen."""
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        # the model quiz on the lesson page: question 2's stem is three lines on a phone
        page.goto(site + LESSON_PATH)
        page.locator("#model-quiz fieldset").first.wait_for()
        assert_inside(page, "the model quiz")
        # a question with a code block in its stem, in practice
        mobilenet = Question.objects.get(key="mobilenet-output-shape", lesson=Lesson.objects.get())
        page.goto(site + LESSON_PATH + "practice/")
        page.evaluate(
            """id => { const form = document.querySelector('main form[method=post]');
            const input = Object.assign(document.createElement('input'), {type: 'hidden', name: 'question', value: id});
            form.append(input); form.submit(); }""",
            str(mobilenet.pk),
        )
        page.wait_for_url("**/questions/1/**")
        assert page.locator("legend pre").count() == 1
        assert_inside(page, "the MobileNetV2 question")
        # a 200-digit answer typed into Numbers & shapes, then shown back on the answered question
        page.goto(site + LESSON_PATH + "numbers/")
        page.get_by_role("button", name="Start numbers & shapes").click()
        page.wait_for_url("**/questions/1/**")
        page.get_by_label("Your answer").fill("9" * 200)
        page.get_by_role("button", name="Check answer").click()
        page.locator(".solution").wait_for()
        assert "9" * 200 in page.locator(".typed-given").inner_text().replace("\n", "")
        assert_inside(page, "a 200-digit typed answer")
        # the lab form, whose backbone options name their weights' URLs
        get_user_model().objects.create_user("phone", password=PASSWORD)
        page.goto(site + "/lab/new/")
        page.get_by_label("Username").fill("phone")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/lab/new/")
        assert page_width(page) <= PHONE["width"], "the lab form"
    finally:
        context.close()


def test_the_comparison_charts_are_wide_and_their_captions_clear_the_next_chart(site, page, screenshot):
    """At 1200 px the three charts are drawn wide, each caption ends above the next chart (its legend),
    and the pre-trained run's five fast epochs are counted where they sit on one spot."""
    user = get_user_model().objects.create_user("charts", password=PASSWORD)
    dataset = Dataset.objects.create(owner=user, name="d", kind=Dataset.Kind.UPLOAD, folder="x")
    group, runs = uuid.uuid4(), []
    for strategy, elapsed in (("features", [20.1, 20.15, 20.2, 20.25, 20.3]), ("scratch", [60, 120, 180, 240, 300])):
        run = Experiment.objects.create(
            owner=user,
            dataset=dataset,
            backbone="tiny",
            strategy=strategy,
            epochs=5,
            lr=0.01,
            batch_size=8,
            status=Experiment.Status.SUCCEEDED,
            comparison_group=group,
        )
        for epoch, seconds in enumerate(elapsed, start=1):
            EpochRecord.objects.create(
                experiment=run,
                epoch=epoch,
                train_loss=1,
                train_accuracy=0.5,
                val_loss=1 / epoch,
                val_accuracy=0.5 + epoch / 20,
                seconds=0.01,
                elapsed_seconds=seconds,
            )
        runs.append(run)
    page.goto(site + "/accounts/login/?next=/lab/compare/%3F" + "%26".join(f"ids%3D{r.pk}" for r in runs))
    page.get_by_label("Username").fill("charts")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/lab/compare/**")
    figures = page.evaluate("""() => [...document.querySelectorAll('#lab-overlay figure')].map(f => ({
        chart: f.querySelector('svg').getBoundingClientRect().toJSON(),
        caption: f.querySelector('figcaption').getBoundingClientRect().toJSON()}))""")
    assert len(figures) == 3
    for figure, after in pairwise(figures):
        assert figure["chart"]["width"] >= 800
        assert figure["caption"]["bottom"] + 16 <= after["chart"]["top"]
    assert page.locator("#lab-overlay .chart-cluster").text_content().endswith("5 epochs")
    screenshot(page, "lab-compare-charts")
