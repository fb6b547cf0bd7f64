"""Twenty starts of the timed exam by one student at the same moment open one exam (issue 22, finding 13).

A real gunicorn server (2 processes x 4 threads) on a throwaway PostgreSQL database; twenty HTTP
clients with the same session cookie, each on its own connection, are released together by a
threading.Barrier and POST the exam's start form. The service's check alone let 5 to 11 through;
the partial unique constraint on open exams lets one, and every request lands on it.
"""

import re
import threading

import pytest

from tests.conftest import require_postgres
from harness.http_client import LESSON_SLUG, Client, csrf_token, start_test
from harness.processes import running_site

pytestmark = pytest.mark.integration

STARTS = 20
_ATTEMPT_RE = re.compile(r"/attempts/(\d+)/")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    require_postgres()
    with running_site(
        "postgres", tmp_path_factory.mktemp("exam-race"), prefix="learn_exam_race", DEBUG="1", workers=2, threads=4
    ) as site:
        yield site


def _race_starts(site, cookies: dict, token: str) -> list:
    tabs = [Client(site.port, cookies=dict(cookies)) for _ in range(STARTS)]
    for tab in tabs:
        assert tab.get("/").status == 200  # each connection open before the race
    barrier = threading.Barrier(STARTS)
    replies = [None] * STARTS

    def send(i):
        barrier.wait()
        replies[i] = tabs[i].post(f"/lessons/{LESSON_SLUG}/exam/", csrf=token)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(STARTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for tab in tabs:
        tab.close()
    return replies


def _open_exams(site) -> list[int]:
    return [row[0] for row in site.query("SELECT id FROM quizzes_attempt WHERE mode = 'exam' AND finished_at IS NULL")]


def test_twenty_simultaneous_starts_open_one_exam(site):
    student = Client(site.port)
    start_test(student)  # the anonymous student now has an id in the session
    page = student.get(f"/lessons/{LESSON_SLUG}/exam/")
    assert page.status == 200 and "Start the exam" in page.body

    for round_ in (1, 2):  # and again once the first is finished
        replies = _race_starts(site, student.cookies, csrf_token(page.body))
        assert all(r is not None and r.status == 302 for r in replies), (
            [(r.status, r.body[:300]) for r in replies if r is not None and r.status != 302],
            site.log(),
        )
        opened = _open_exams(site)
        assert len(opened) == 1, f"round {round_}: {len(opened)} exams open: {opened}"
        landed = {int(_ATTEMPT_RE.search(r.location).group(1)) for r in replies}
        assert landed == set(opened), (landed, opened)
        assert site.query("SELECT COUNT(*) FROM quizzes_attempt WHERE mode = 'exam'")[0][0] == round_
        finish = student.get(f"/attempts/{opened[0]}/questions/1/")
        assert student.post(f"/attempts/{opened[0]}/finish/", csrf=csrf_token(finish.body)).status == 302
        assert _open_exams(site) == []
    student.close()
