"""The Content-Security-Policy in Chromium: the pages students use send it, and nothing on them
(templates, htmx, quizzes/quiz.js, rendered Markdown) breaks it.

Chromium reports each blocked inline script, style or handler as a `securitypolicyviolation`
event and a console error. An init script (run by the browser before any page script, not
subject to the page's policy) records the events in sessionStorage, which outlives the
navigations between pages; the console errors are collected too.
"""

import pytest
from django.conf import settings
from django.urls import reverse

from courses.models import Lesson
from modellab import engine, storage
from modellab.services.experiments import experiment_submit
from modellab.models import Dataset
from quizzes.authoring.bank import question_duplicate
from quizzes.models import Question
from tests.e2e.test_accessibility import LESSON_PATH, log_in

RECORD_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  const seen = JSON.parse(sessionStorage.getItem("csp") || "[]");
  seen.push(`${location.pathname}: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
  sessionStorage.setItem("csp", JSON.stringify(seen));
});
"""


@pytest.fixture
def watched(page):
    """The page, with every CSP violation it reports collected (events and console errors)."""
    console = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(RECORD_VIOLATIONS)

    def violations() -> list[str]:
        return page.evaluate('JSON.parse(sessionStorage.getItem("csp") || "[]")') + console

    page.violations = violations
    return page


def visit(page, url: str) -> None:
    """Open url, check its policy header is ours, and let its scripts run."""
    response = page.goto(url)
    assert response.status == 200, url
    assert response.headers["content-security-policy"] == settings.CONTENT_SECURITY_POLICY, url
    page.wait_for_load_state("load")


def test_the_browser_enforces_the_policy_and_the_watch_sees_it(learner_site, watched):
    """Guards the test below: an inline script added to a page is blocked and reported."""
    url, _ = learner_site
    visit(watched, url + LESSON_PATH)
    watched.evaluate("""() => { const s = document.createElement("script");
                               s.textContent = "window.__ran = true"; document.body.append(s); }""")
    watched.wait_for_function('sessionStorage.getItem("csp") !== null')
    assert watched.evaluate("window.__ran") is None
    assert any("script-src" in v for v in watched.violations())


def test_lesson_quiz_questions_and_the_lab_break_no_policy(learner_site, watched, screenshot):
    url, user = learner_site
    page = watched
    # the lesson, and the model quiz answered in place by quizzes/quiz.js
    visit(page, url + LESSON_PATH)
    quiz = page.locator("#model-quiz .quiz-question").first
    quiz.locator("input[name=answer]").first.check()
    page.evaluate("window.__sameDocument = true")
    quiz.get_by_role("button", name="Check").click()
    page.locator("#model-quiz .verdict").first.wait_for()
    assert page.evaluate("window.__sameDocument === true"), "quiz.js ran under the policy"
    # a practice question, a hint and its solution
    visit(page, url + LESSON_PATH + "practice/")
    page.get_by_role("button", name="Start practice").click()
    page.wait_for_url("**/questions/1/**")
    page.get_by_role("button", name="Show a hint").click()
    page.locator("input[name=answer]").first.check()
    page.get_by_role("button", name="Check answer").click()
    page.locator(".solution").wait_for()
    # a test question, then the result of a test finished at once
    visit(page, url + LESSON_PATH + "test/")
    page.get_by_role("button", name="Start the test").click()
    page.wait_for_url("**/questions/1/**")
    page.get_by_role("button", name="Finish test").click()
    page.wait_for_url("**/result/")
    # the lab form (signed in), and a queued run's page, where htmx polls the trace
    log_in(page, url)
    visit(page, f"{url}/lab/new/")
    folder = f"{storage.UPLOAD_ROOT}/u{user.pk}/csp"
    report = engine.materialize_digits(storage.local_dir(folder), classes=[0, 1], max_per_class=4)
    dataset = Dataset.objects.create(
        owner=user, name="csp digits", kind=Dataset.Kind.UPLOAD, folder=folder, report=report.to_dict()
    )
    (queued,) = experiment_submit(
        owner=user, dataset=dataset, backbone="tiny", strategy="scratch", epochs=1, lr=0.01, batch_size=8
    )
    visit(page, f"{url}/lab/experiments/{queued.pk}/")
    page.wait_for_function("window.htmx !== undefined")
    with page.expect_response(lambda r: "/trace/" in r.url, timeout=15_000):
        pass  # htmx's first poll: the script runs and swaps under the policy
    problems = page.violations()
    if problems:
        screenshot(page, "csp-violation")
    assert not problems, "\n".join(problems)


def test_the_admin_breaks_no_policy(learner_site, watched):
    """Staff pages under the same policy: Django's admin scripts, the question form with its
    inlines (adding a row runs the admin's inline script), the lesson's statistics page."""
    url, user = learner_site
    type(user).objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    page = watched
    log_in(page, url)
    lesson = Lesson.objects.get(slug=LESSON_PATH.strip("/").split("/")[-1])
    # An author's question: a lesson file's is read-only in the admin, with no rows to add.
    question = question_duplicate(Question.objects.filter(lesson=lesson, current=True).first()).question
    for path in (
        reverse("admin:index"),
        reverse("admin:quizzes_question_changelist"),
        reverse("admin:courses_lesson_change", args=[lesson.pk]),
        reverse("admin:quizzes_lesson_statistics", args=[lesson.pk]),
    ):
        visit(page, url + path)
    visit(page, url + reverse("admin:quizzes_question_change", args=[question.pk]))
    page.locator(".add-row a").first.click()
    problems = page.violations()
    assert not problems, "\n".join(problems)
