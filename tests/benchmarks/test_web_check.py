"""The web benchmark fails when it should: its ok-logic (`web_check.failures`) and its reading of the result page."""

from django.test import Client
from django.urls import reverse

from benchmarks.web_check import failures
from benchmarks.web_traffic import QUESTIONS, result_score
from quizzes.models import Attempt, Mode
from quizzes.templatetags.quizzes import percent

CLEAN_RUN = {
    "errors": 0,
    "answers_sent": 120,
    "lost": 0,
    "doubled": 0,
    "mismatched": 0,
    "score_mismatches": 0,
    "shown_score_mismatches": 0,
}


def test_a_clean_run_is_ok():
    """A run with answers acknowledged and nothing wrong has no failure."""
    assert failures(CLEAN_RUN) == []


def test_a_run_with_failed_requests_is_not_ok():
    """Failed requests make the run not ok, even when nothing was lost."""
    assert failures({**CLEAN_RUN, "errors": 3}) == ["3 request(s) failed"]


def test_a_run_where_no_answer_was_acknowledged_is_not_ok():
    """Every answer failing loses nothing, yet the run is not ok: nothing was tested."""
    reasons = failures({**CLEAN_RUN, "errors": 40, "answers_sent": 0})
    assert "no answer was acknowledged" in reasons and "40 request(s) failed" in reasons


def test_a_score_check_failing_makes_the_run_not_ok():
    """A recomputed score or a result page's score that disagrees makes the run not ok."""
    assert failures({**CLEAN_RUN, "score_mismatches": 1}) == ["score_mismatches: 1"]
    assert failures({**CLEAN_RUN, "shown_score_mismatches": 2}) == ["shown_score_mismatches: 2"]


def test_the_score_line_read_is_what_the_result_page_shows(seed_lesson):
    """On the real result page of a finished test the benchmark reads the stored score, the
    number of questions and how many were missed."""
    client = Client()
    assert client.post(reverse("quizzes:test_start", args=[seed_lesson.slug]), {"new": "1"}).status_code == 302
    attempt = Attempt.objects.filter(mode=Mode.TEST).latest("id")
    for number in range(1, QUESTIONS + 1):
        client.post(reverse("quizzes:answer", args=[attempt.pk, number]), {"answer": "A"})
    client.post(reverse("quizzes:finish", args=[attempt.pk]))
    page = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    attempt.refresh_from_db()
    missed = sum(1 for r in attempt.responses.all() if not r.correct) + QUESTIONS - attempt.responses.count()
    assert result_score(page) == (int(percent(attempt.score).rstrip("%")), QUESTIONS, missed)


def test_a_page_without_the_score_line_reads_as_none():
    """A page that only mentions a percentage somewhere is not read as a score."""
    assert result_score("<p>Progress: 50%</p>") is None
