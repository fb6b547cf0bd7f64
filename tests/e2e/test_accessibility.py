"""axe-core in Chromium on the pages students use most: no serious or critical violations, and
no heading-order one (moderate for axe, but a skipped level misleads a screen reader's outline).

axe-core is vendored (tests/e2e/vendor/axe.min.js, MPL-2.0, from the npm registry); the test
injects it into each page and runs it with its default rules (WCAG 2 A/AA and best practices).
"""

import re
from pathlib import Path


from courses.models import Lesson
from modellab import storage
from modellab.models import Dataset, Experiment
from modellab.services.experiments import experiment_submit
from modellab.services.runs import experiment_run
from quizzes import scheduler
from quizzes.services.flashcards import flashcard_rate
from quizzes.identity import Student
from quizzes.models import Attempt, Mode, Question
from quizzes.selectors.bank import practice_bank
from quizzes.vocabulary import TYPED_KINDS
from tests.e2e.answering import fill_answer
from tests.e2e.conftest import LEARNER_PASSWORD
from tests.e2e.test_exam_and_drill import show_mistakes
from tests.modellab.conftest import png_bytes

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
BLOCKING = {"serious", "critical"}
BLOCKING_RULES = {"heading-order"}  # fail whatever their impact
LESSON_PATH = "/lessons/why-pretrained-models-save-time/"


def axe_violations(page, *, context: str = "document") -> list[dict]:
    # Evaluated through the browser's devtools, not added as a <script>: the site's
    # Content-Security-Policy refuses inline scripts, and the pages are tested as served.
    page.evaluate(AXE.read_text())
    result = page.evaluate(f"async () => await axe.run({context}, {{resultTypes: ['violations']}})")
    return result["violations"]


def report(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node.get('failureSummary', '').splitlines()[-1:]}")
    return "\n".join(lines)


def assert_accessible(page, screenshot, name: str):
    page.wait_for_load_state("load")
    violations = axe_violations(page)
    blocking = [v for v in violations if v["impact"] in BLOCKING or v["id"] in BLOCKING_RULES]
    if blocking:
        screenshot(page, f"axe-{name}")
    assert not blocking, f"axe on {name} ({page.url}):\n{report(blocking)}"
    if violations:  # moderate and minor ones: shown with -s, not failures
        print(f"axe on {name}, not blocking:\n{report(violations)}")
    return violations


def log_in(page, url):
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill("learner")
    page.get_by_label("Password").fill(LEARNER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/")


def test_axe_is_loaded_and_finds_a_planted_violation(page):
    """Guards the other tests: axe really runs in the page and reports what it should."""
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main><img src="x.png">'
        '<p style="color:#bbb;background:#fff">faint</p><input type="text"></main></body></html>'
    )
    ids = {v["id"] for v in axe_violations(page)}
    assert {"image-alt", "color-contrast", "label"} <= ids, ids


def test_lesson_page_has_no_serious_axe_violations(learner_site, page, screenshot):
    url, _ = learner_site
    page.goto(url + LESSON_PATH)
    assert_accessible(page, screenshot, "lesson")
    # the model quiz after an answer, with its feedback shown in place
    quiz = page.locator("#model-quiz .quiz-question").first
    quiz.locator("input[name=answer]").first.check()
    quiz.get_by_role("button", name="Check").click()
    page.locator("#model-quiz .verdict").first.wait_for()
    assert_accessible(page, screenshot, "lesson-quiz-answered")


def test_practice_question_has_no_serious_axe_violations(learner_site, page, screenshot):
    url, _ = learner_site
    page.goto(url + LESSON_PATH + "practice/")
    assert_accessible(page, screenshot, "practice-start")
    page.get_by_role("button", name="Start practice").click()
    page.wait_for_url("**/questions/1/**")
    assert_accessible(page, screenshot, "practice-question")
    page.get_by_role("button", name="Show a hint").click()
    page.locator("input[name=answer]").first.check()
    page.get_by_role("button", name="Check answer").click()
    page.locator(".solution").wait_for()
    assert_accessible(page, screenshot, "practice-feedback")


def test_test_in_progress_and_its_results_have_no_serious_axe_violations(learner_site, page, screenshot):
    url, user = learner_site
    log_in(page, url)
    page.goto(url + LESSON_PATH + "test/")
    assert_accessible(page, screenshot, "test-start")
    page.get_by_role("button", name="Start the test").click()
    page.wait_for_url("**/questions/1/**")
    attempt = Attempt.objects.get(user=user, mode=Mode.TEST)
    # answer two questions, so the page shows progress
    for number in (1, 2):
        fill_answer(page, attempt, attempt.question_ids[number - 1], right=False)
        page.get_by_role("button", name="Save answer").click()
        page.wait_for_url(f"**/questions/{number + 1}/**")
    assert_accessible(page, screenshot, "test-in-progress")
    # finish the rest with the correct choice
    for number, qid in enumerate(attempt.question_ids[2:], start=3):
        page.goto(f"{url}/attempts/{attempt.pk}/questions/{number}/")
        fill_answer(page, attempt, qid)
        page.get_by_role("button", name="Save answer").click()
        page.wait_for_load_state()
    page.wait_for_url("**/result/")
    assert_accessible(page, screenshot, "test-result")


def test_flashcards_have_no_serious_axe_violations(learner_site, page, screenshot):
    """The front, the card turned over with its rating buttons, and the page once nothing is due."""
    url, user = learner_site
    log_in(page, url)
    page.goto(url + LESSON_PATH + "flashcards/")
    assert_accessible(page, screenshot, "flashcards-front")
    page.get_by_role("button", name="Show answer").click()
    page.locator("#answer").wait_for()
    assert_accessible(page, screenshot, "flashcards-turned")
    page.get_by_role("button", name="Easy").click()
    page.get_by_role("status").filter(has_text="Easy: that card comes back").wait_for()
    assert_accessible(page, screenshot, "flashcards-rated")
    # the rest of today's 20 new cards, rated through the service
    student, lesson = Student(user.pk), Lesson.objects.get(slug="why-pretrained-models-save-time")
    for card in lesson.flashcards.all()[1:20]:
        flashcard_rate(student=student, lesson=lesson, card_id=card.pk, rating=scheduler.EASY, seen_reviews=0)
    page.goto(url + LESSON_PATH + "flashcards/")
    page.get_by_text("Nothing is due right now.").wait_for()
    assert_accessible(page, screenshot, "flashcards-done")


def _finished_experiment(user) -> Experiment:
    """A real run of the tiny engine on three digit classes (a few seconds on a CPU)."""
    from config.celery import app
    from modellab import engine

    folder = f"{storage.UPLOAD_ROOT}/u{user.pk}/tiny"
    report = engine.materialize_digits(storage.local_dir(folder), classes=[0, 1, 2], max_per_class=8)
    dataset = Dataset.objects.create(
        owner=user, name="tiny digits", kind=Dataset.Kind.UPLOAD, folder=folder, report=report.to_dict()
    )
    (exp,) = experiment_submit(owner=user, dataset=dataset, backbone="tiny", strategy="scratch", epochs=2, lr=0.01, batch_size=8)
    app.conf.task_always_eager = True
    try:
        experiment_run(experiment_id=exp.pk)
    finally:
        app.conf.task_always_eager = False
    exp.refresh_from_db()
    assert exp.status == Experiment.Status.SUCCEEDED, exp.failure_reason
    return exp


def test_lab_form_and_experiment_page_have_no_serious_axe_violations(learner_site, page, screenshot, tmp_path):
    url, user = learner_site
    experiment = _finished_experiment(user)
    log_in(page, url)
    page.goto(f"{url}/lab/new/")
    assert_accessible(page, screenshot, "lab-form")
    # the form again, with the errors of a refused submit
    page.get_by_label("Epochs").fill("999")
    page.get_by_role("button", name="Compare with the same network from scratch").click()
    page.wait_for_load_state()
    assert page.locator(".errorlist, .lab-errors, [role=alert]").count() >= 1
    assert_accessible(page, screenshot, "lab-form-errors")
    page.goto(f"{url}/lab/experiments/{experiment.pk}/")
    page.get_by_role("heading", name="Results").wait_for()
    assert_accessible(page, screenshot, "lab-experiment")
    # with a prediction shown
    picture = tmp_path / "digit.png"
    picture.write_bytes(png_bytes((255, 255, 255)))
    page.get_by_label("An image to classify").set_input_files(str(picture))
    page.locator("form.lab-form button[type=submit]").click()
    page.locator(".lab-prediction").wait_for()
    assert_accessible(page, screenshot, "lab-experiment-prediction")
    # a queued run: the live trace and the cancel button
    (queued,) = experiment_submit(
        owner=user, dataset=experiment.dataset, backbone="tiny", strategy="scratch", epochs=2, lr=0.01, batch_size=8
    )
    page.goto(f"{url}/lab/experiments/{queued.pk}/")
    assert_accessible(page, screenshot, "lab-experiment-queued")
    page.goto(f"{url}/lab/datasets/{experiment.dataset_id}/")
    assert_accessible(page, screenshot, "lab-dataset")


def test_timed_exam_pages_have_no_serious_axe_violations(learner_site, page, screenshot):
    url, _ = learner_site
    log_in(page, url)
    page.goto(url + LESSON_PATH + "exam/")
    assert_accessible(page, screenshot, "exam-start")
    page.get_by_role("button", name="Start the exam").click()
    page.wait_for_url("**/questions/1/**")
    page.wait_for_function("/:/.test(document.getElementById('exam-time-left').textContent)")  # ticking
    assert_accessible(page, screenshot, "exam-question")
    page.get_by_role("button", name=re.compile("Finish the exam")).click()
    page.wait_for_url("**/result/")
    assert_accessible(page, screenshot, "exam-result")
    page.goto(url + LESSON_PATH + "exam/")  # now with the last exam's score
    assert_accessible(page, screenshot, "exam-start-after")


def test_mistake_drill_pages_have_no_serious_axe_violations(learner_site, page, screenshot):
    url, user = learner_site
    log_in(page, url)
    page.goto(url + LESSON_PATH + "drill/")
    assert "not shown any" in page.locator(".drill-none").inner_text()
    assert_accessible(page, screenshot, "drill-none")
    lesson = Lesson.objects.get()
    show_mistakes(user, lesson, 1)
    page.reload()
    assert_accessible(page, screenshot, "drill-start")
    page.get_by_role("button", name=re.compile("Start the drill")).click()
    page.wait_for_url("**/questions/1/**")
    assert_accessible(page, screenshot, "drill-question")
    (attempt,) = Attempt.objects.filter(user=user, mode=Mode.DRILL)
    fill_answer(page, attempt, attempt.question_ids[0])
    page.get_by_role("button", name="Check answer").click()
    page.locator(".solution").wait_for()
    assert_accessible(page, screenshot, "drill-feedback")
    # a second right round fixes the mistake: the page says the drill is done
    page.goto(url + LESSON_PATH + "drill/")
    page.get_by_role("button", name=re.compile("Start the drill")).click()
    page.wait_for_url("**/questions/1/**")
    attempt = Attempt.objects.filter(user=user, mode=Mode.DRILL).latest("id")
    fill_answer(page, attempt, attempt.question_ids[0])
    page.get_by_role("button", name="Check answer").click()
    page.get_by_role("link", name="Continue the drill").click()
    page.locator(".drill-done").wait_for()
    assert_accessible(page, screenshot, "drill-done")


def test_summary_sheet_and_numbers_pages_have_no_serious_axe_violations(learner_site, page, screenshot):
    """The sheet on screen and as printed; Numbers & shapes without typed-answer questions (what
    it says instead) and with them (its start form, a typed question, its feedback)."""
    url, _ = learner_site
    page.goto(url + LESSON_PATH + "sheet/")
    assert_accessible(page, screenshot, "summary-sheet")
    page.emulate_media(media="print")
    assert_accessible(page, screenshot, "summary-sheet-print")
    page.emulate_media(media="screen")
    lesson = Lesson.objects.get()
    if not practice_bank(lesson=lesson, kinds=TYPED_KINDS).exists():
        page.goto(url + LESSON_PATH + "numbers/")
        page.locator(".numbers-coming").wait_for()
        assert_accessible(page, screenshot, "numbers-coming")
        Question.objects.create(
            lesson=lesson,
            key="typed-axe",
            kind=TYPED_KINDS[0],
            difficulty="easy",
            stem="How many parameters does `Linear(512, 3)` have?",
        )
    page.goto(url + LESSON_PATH + "numbers/")
    page.get_by_role("button", name="Start numbers & shapes").wait_for()
    assert_accessible(page, screenshot, "numbers-start")
    # a typed question: its labelled box, then its feedback after a known wrong answer
    page.get_by_role("button", name="Start numbers & shapes").click()
    page.wait_for_url("**/questions/1/**")
    assert_accessible(page, screenshot, "numbers-question")
    attempt = Attempt.objects.filter(mode=Mode.PRACTICE).latest("id")
    fill_answer(page, attempt, attempt.question_ids[0], right=False)
    page.get_by_role("button", name="Check answer").click()
    page.locator(".solution").wait_for()
    assert_accessible(page, screenshot, "numbers-feedback")


def test_lab_time_sweep_and_progress_pages_have_no_serious_axe_violations(learner_site, page, screenshot, settings):
    """The comparison with its time section, a data-size sweep (running with progress bars, then finished),
    and an experiment page that lays its shapes on the lesson's stages."""
    from config.celery import app
    from modellab.engine.progress import EXTRACT, Progress
    from modellab.services.size_sweep import size_sweep_submit

    url, user = learner_site
    settings.LAB_MAX_CONCURRENT_RUNS_PER_USER = 4  # a comparison (2) and a sweep (1) at once
    experiment = _finished_experiment(user)
    pair = experiment_submit(
        owner=user,
        dataset=experiment.dataset,
        backbone="tiny",
        strategy="features",
        epochs=2,
        lr=0.05,
        batch_size=8,
        compare=True,
        lesson_slug="why-pretrained-models-save-time",
    )
    runs = size_sweep_submit(
        owner=user, dataset=experiment.dataset, backbone="tiny", sizes=[2, None], epochs=2, lr=0.05, batch_size=8
    )
    Experiment.objects.filter(pk=runs[0].pk).update(
        status=Experiment.Status.RUNNING, progress=Progress(EXTRACT, 10, 24, 2.0).to_dict()
    )
    log_in(page, url)
    page.goto(f"{url}/lab/sweeps/{runs[0].sweep_group}/")
    assert page.locator("progress").count() == 1
    assert_accessible(page, screenshot, "lab-sweep-running")
    Experiment.objects.filter(pk=runs[0].pk).update(status=Experiment.Status.QUEUED)
    app.conf.task_always_eager = True
    try:
        for e in [*pair, *runs]:
            experiment_run(experiment_id=e.pk)
    finally:
        app.conf.task_always_eager = False
    page.goto(f"{url}/lab/sweeps/{runs[0].sweep_group}/")
    page.locator(".lab-sweep figure svg").wait_for()
    assert_accessible(page, screenshot, "lab-sweep-done")
    page.goto(f"{url}/lab/compare/?ids={pair[0].pk}&ids={pair[1].pk}")
    page.locator(".lab-headline").wait_for()
    assert_accessible(page, screenshot, "lab-compare-time")
    page.goto(f"{url}/lab/experiments/{pair[0].pk}/")
    page.locator(".lab-lesson-shapes").wait_for()
    assert_accessible(page, screenshot, "lab-experiment-lesson-shapes")
