"""The web process SIGKILLed in the middle of an answer leaves no half-written attempt.

The site runs under gunicorn (one worker process) with tests/faults/fault_settings.py, whose
kill switch makes the worker SIGKILL itself inside the answer service's transaction: after
the response row is written, or (on the last answer) after the attempt's score is written.
The client's connection drops; the database must show the attempt exactly as before the
answer, and answering again on the worker gunicorn starts in its place must work.
"""

import http.client
import json
from decimal import Decimal

import pytest

from quizzes.grading import grade
from quizzes.typed import TypedAnswer, grade_typed, tolerance_decimal
from quizzes.vocabulary import TYPED_KINDS
from tests.conftest import require_postgres
from harness.processes import running_site, wait_for
from harness.http_client import Client, csrf_token, first_answer, is_result_location, question_location, start_test

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"kill-{request.param}")
    options = dict(
        settings_module="tests.faults.fault_settings", DEBUG="1", workers=1, threads=2, FAULT_KILL_ARM_FILE=str(tmp / "arm")
    )
    if request.param == "postgres":
        require_postgres()
    with running_site(request.param, tmp, prefix="learn_kill", **options) as site:
        yield site


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _answer(tab, attempt_id, number):
    page = tab.get(f"/attempts/{attempt_id}/questions/{number}/")
    assert page.status == 200
    return tab.post(f"/attempts/{attempt_id}/questions/{number}/answer/", first_answer(page.body), csrf=csrf_token(page.body))


def _state(site, attempt_id):
    """Everything an answer may write: the attempt row, its responses, the review deck."""
    return (
        site.query("SELECT * FROM quizzes_attempt WHERE id = %s", (attempt_id,)),
        site.query("SELECT * FROM quizzes_response WHERE attempt_id = %s ORDER BY id", (attempt_id,)),
        site.query("SELECT * FROM quizzes_reviewitem ORDER BY id"),
    )


def _killed_answer(site, tab, attempt_id, number, stage):
    page = tab.get(f"/attempts/{attempt_id}/questions/{number}/")
    fields = first_answer(page.body)
    arm = site.tmp / "arm"
    arm.write_text(stage)
    worker_before = site.worker_pids()
    with pytest.raises((http.client.HTTPException, OSError)):
        tab.post(f"/attempts/{attempt_id}/questions/{number}/answer/", fields, csrf=csrf_token(page.body))
    assert not arm.exists(), f"the kill switch did not fire: {arm.read_text()!r}\n{site.log()}"
    assert site.proc.poll() is None, "gunicorn's arbiter should outlive its worker"
    # the worker that took the answer is gone; gunicorn starts another one
    wait_for(lambda: site.worker_pids() and site.worker_pids() != worker_before, 60, "a new gunicorn worker")
    wait_for(lambda: _alive(tab, attempt_id, number), 60, "the site to answer again")


def _alive(tab, attempt_id, number):
    try:
        return tab.get(f"/attempts/{attempt_id}/questions/{number}/").status == 200
    except (http.client.HTTPException, OSError):
        return False


def test_killed_after_the_response_row_is_written_leaves_nothing(site):
    tab = Client(site.port)
    attempt_id, _, _ = start_test(tab)
    for number in (1, 2):
        assert question_location(_answer(tab, attempt_id, number).location) == (attempt_id, number + 1)
    before = _state(site, attempt_id)

    _killed_answer(site, tab, attempt_id, 3, "response")

    assert _state(site, attempt_id) == before  # no response row for question 3, attempt unchanged
    assert len(before[1]) == 2
    # answering again works, once
    reply = _answer(tab, attempt_id, 3)
    assert reply.status == 302 and question_location(reply.location) == (attempt_id, 4), reply.location
    count = site.query("SELECT COUNT(*) FROM quizzes_response WHERE attempt_id = %s AND answered_at IS NOT NULL", (attempt_id,))[
        0
    ][0]
    assert count == 3


def test_killed_while_finishing_the_attempt_leaves_it_unfinished(site):
    tab = Client(site.port)
    attempt_id, _, _ = start_test(tab)
    for number in range(1, 10):
        assert _answer(tab, attempt_id, number).status == 302
    before = _state(site, attempt_id)

    _killed_answer(site, tab, attempt_id, 10, "finish")

    assert _state(site, attempt_id) == before
    finished_at, score = site.query("SELECT finished_at, score FROM quizzes_attempt WHERE id = %s", (attempt_id,))[0]
    assert finished_at is None and score is None
    assert len(before[1]) == 9
    # the last answer again: recorded once, the attempt finished, its score what its responses earn
    reply = _answer(tab, attempt_id, 10)
    assert reply.status == 302 and is_result_location(reply.location), reply.location
    (score,) = site.query("SELECT score FROM quizzes_attempt WHERE id = %s", (attempt_id,))[0]
    total = Decimal("0")
    for qid, chosen, typed, marks in site.query(
        "SELECT question_id, chosen_choice_ids, typed_answer, marks FROM quizzes_response WHERE attempt_id = %s", (attempt_id,)
    ):
        kind = site.query("SELECT kind FROM quizzes_question WHERE id = %s", (qid,))[0][0]
        rows = site.query("SELECT id, text, fraction, tolerance FROM quizzes_choice WHERE question_id = %s", (qid,))
        if kind in TYPED_KINDS:
            answers = [TypedAnswer(cid, text, Decimal(str(f)), tolerance_decimal(t)) for cid, text, f, t in rows]
            earned = grade_typed(kind, answers, typed).marks
        else:
            earned = grade(kind, {cid: Decimal(str(f)) for cid, _, f, _ in rows}, _json(chosen)).marks
        assert earned == Decimal(str(marks))
        total += earned
    assert Decimal(str(score)) == (total / 10).quantize(Decimal("0.00001"))
    assert tab.get(f"/attempts/{attempt_id}/result/").status == 200
