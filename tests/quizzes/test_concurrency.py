"""Two tabs of one student answer the same question at the same moment: one response.

A real gunicorn server (2 processes x 4 threads) on a SQLite file and on PostgreSQL; two
HTTP clients with the same session cookie on separate connections are released together
by a threading.Barrier for every question of a test, each sending a different choice (or,
for a typed question, a different number).
"""

import json
import threading
import time

import pytest

from quizzes.grading import letter
from tests.conftest import require_postgres
from harness.processes import running_site
from harness.http_client import Client, answer_options, csrf_token, is_result_location, question_location, start_test

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"race-{request.param}")
    if request.param == "postgres":
        require_postgres()
    with running_site(request.param, tmp, prefix="learn_race", DEBUG="1", workers=2, threads=4) as site:
        yield site


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _race(tabs, path, picks):
    barrier = threading.Barrier(len(tabs))
    out = [None] * len(tabs)

    def send(i):
        tab, (pick, token) = tabs[i], picks[i]
        barrier.wait()
        began = time.perf_counter()
        reply = tab.post(path, pick, csrf=token)
        out[i] = (reply, began, time.perf_counter())

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(tabs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def test_two_tabs_answering_the_same_question_at_once_record_one_response(site):
    tab1 = Client(site.port)
    attempt_id, _, _ = start_test(tab1)
    tab2 = Client(site.port, cookies=dict(tab1.cookies))  # same session, its own connection
    sent, overlapping = {}, 0
    for number in range(1, 11):
        pages = [tab.get(f"/attempts/{attempt_id}/questions/{number}/") for tab in (tab1, tab2)]
        assert [p.status for p in pages] == [200, 200]
        kind, letters = answer_options(pages[0].body)
        assert answer_options(pages[1].body) == (kind, letters)  # same order in both tabs
        if letters:
            fields, sent[number] = [("answer", letters[0]), ("answer", letters[-1])], ({letters[0]}, {letters[-1]})
        else:  # a typed question: each tab types its own number
            fields, sent[number] = [("typed", "1"), ("typed", "2")], ("typed", {"1", "2"})
        picks = [([fields[0]], csrf_token(pages[0].body)), ([fields[1]], csrf_token(pages[1].body))]
        out = _race([tab1, tab2], f"/attempts/{attempt_id}/questions/{number}/answer/", picks)
        for reply, _, _ in out:
            assert reply.status == 302, (reply.status, reply.body[:500], site.log())
            if number < 10:
                assert question_location(reply.location) == (attempt_id, number + 1), reply.location
            else:
                assert is_result_location(reply.location), reply.location
        (_, b1, e1), (_, b2, e2) = out
        overlapping += b1 < e2 and b2 < e1  # both requests were in flight at the same time

    # Really raced: the two requests overlapped on (nearly) every question.
    assert overlapping >= 8, f"only {overlapping} of 10 answer pairs overlapped in time"
    rows = site.query(
        "SELECT question_id, COUNT(*) FROM quizzes_response WHERE attempt_id = %s GROUP BY question_id", (attempt_id,)
    )
    assert len(rows) == 10 and all(count == 1 for _, count in rows), rows
    assert site.query("SELECT COUNT(*) FROM quizzes_response WHERE answered_at IS NULL")[0][0] == 0
    # each recorded answer is the whole answer of one of the two tabs, never a mix
    question_ids, orders = (
        _json(v) for v in site.query("SELECT question_ids, choice_orders FROM quizzes_attempt WHERE id = %s", (attempt_id,))[0]
    )
    for qid, chosen, typed in site.query(
        "SELECT question_id, chosen_choice_ids, typed_answer FROM quizzes_response WHERE attempt_id = %s", (attempt_id,)
    ):
        expected = sent[question_ids.index(qid) + 1]
        if expected[0] == "typed":
            assert typed in expected[1], (typed, sent)
            continue
        order = orders[str(qid)]
        got = {letter(order.index(c)) for c in _json(chosen)}
        assert got in expected, (got, sent)
    finished, score = site.query("SELECT finished_at, score FROM quizzes_attempt WHERE id = %s", (attempt_id,))[0]
    assert finished is not None and score is not None
    # the result page shows the attempt as one of the two tabs answered it
    result = tab2.get(f"/attempts/{attempt_id}/result/")
    assert result.status == 200 and "Score:" in result.body
    for tab in (tab1, tab2):
        tab.close()
