"""The web benchmark's traffic: simulated students taking tests, and the comparison's clients.

Each thread is one HTTP client (`harness/http_client.py`) on its own keep-alive connection.
`run_students` is the student phase, `run_comparison` the alternating rounds of the minimal
view, question pages and answer POSTs; both return per-page latencies and errors (`Stats`) and
the answers the server acknowledged, `(attempt id, question number, letters)`, for the
database check (`benchmarks/web_check.py`). A student's result page must show the score line
that templates/quizzes/result.html renders (`result_score`); the score it shows goes to
`Stats.shown_scores`, which the database check compares with the attempt's stored score.
"""

from __future__ import annotations

import random
import threading
import time
import re
from collections import defaultdict

from harness.http_client import (
    LESSON_SLUG,
    Client,
    answer_options,
    csrf_token,
    is_result_location,
    path_of,
    question_location,
    start_test,
)

PAGES = ("lesson", "test_page", "test_start", "question", "answer", "finish", "result")
COMPARED = ("minimal", "question", "answer")
QUESTIONS = 10
# A typed-answer question is answered with one of these numbers (right for some seed questions);
# the acknowledgement records it as TYPED_PREFIX + the text, which web_check reads back.
TYPED_GUESSES = (1000, 512, 1539, 25088, 73856)
TYPED_PREFIX = "typed:"

# The score line of templates/quizzes/result.html: "Score: 70% (10 questions, 3 missed)".
_SCORE_RE = re.compile(
    r'<p class="score" id="score"><span class="label">Score:</span> <strong>(\d+)%</strong> '
    r"\((\d+) questions?, (\d+) missed\)"
)


def result_score(page: str) -> tuple[int, int, int] | None:
    """(percent, questions, missed) of a result page's score line; None when the page has none."""
    match = _SCORE_RE.search(page)
    return (int(match.group(1)), int(match.group(2)), int(match.group(3))) if match else None


class Stats:
    """Latencies (seconds) and errors per page, per thread; merged at the end."""

    def __init__(self):
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.error_samples: list[str] = []
        self.shown_scores: list[tuple[int, int]] = []  # (attempt id, percent its result page showed)

    def ok(self, page: str, seconds: float) -> None:
        self.latency[page].append(seconds)

    def fail(self, page: str, why: str) -> None:
        self.errors[page] += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(f"{page}: {why}")

    def merge(self, other: "Stats") -> None:
        for k, v in other.latency.items():
            self.latency[k].extend(v)
        for k, v in other.errors.items():
            self.errors[k] += v
        self.error_samples.extend(other.error_samples[: max(0, 10 - len(self.error_samples))])
        self.shown_scores.extend(other.shown_scores)


def in_threads(target, count: int) -> None:
    """Run target(0) ... target(count - 1) at once, one thread each, and wait for them all."""
    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Failed(Exception):
    pass


def _check(stats: Stats, page: str, reply, expect: int) -> None:
    if reply.status != expect:
        stats.fail(page, f"HTTP {reply.status} (expected {expect}) {reply.location}")
        raise Failed(page)
    stats.ok(page, reply.seconds)


def _call(stats: Stats, page: str, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except Failed:
        raise
    except Exception as exc:  # connection refused/reset, timeout
        stats.fail(page, f"{type(exc).__name__}: {exc}")
        raise Failed(page) from exc


def student(client: Client, rng: random.Random, stats: Stats, acks: list) -> None:
    """One new visitor: lesson, test start, 10 answers, finish, result."""
    client.new_identity()
    _check(stats, "lesson", _call(stats, "lesson", client.get, f"/lessons/{LESSON_SLUG}/"), 200)
    page = _call(stats, "test_page", client.get, f"/lessons/{LESSON_SLUG}/test/")
    _check(stats, "test_page", page, 200)
    start = _call(stats, "test_start", client.post, f"/lessons/{LESSON_SLUG}/test/", {"new": "1"}, csrf=csrf_token(page.body))
    _check(stats, "test_start", start, 302)
    where = question_location(start.location)
    if not where or where[1] != 1:
        stats.fail("test_start", f"redirected to {start.location!r}")
        raise Failed("test_start")
    attempt_id, location, token = where[0], start.location, ""
    for number in range(1, QUESTIONS + 1):
        question = _call(stats, "question", client.get, path_of(location))
        _check(stats, "question", question, 200)
        kind, letters = answer_options(question.body)
        token = csrf_token(question.body)
        if letters:
            pick = rng.sample(letters, rng.randint(1, 2)) if kind == "checkbox" else [rng.choice(letters)]
            fields = [("answer", x) for x in pick]
        elif 'name="typed"' in question.body:  # a typed-answer question: a number, right or not
            pick = [TYPED_PREFIX + str(rng.choice(TYPED_GUESSES))]
            fields = [("typed", pick[0][len(TYPED_PREFIX) :])]
        else:
            stats.fail("question", "no answer form on the page")
            raise Failed("question")
        reply = _call(stats, "answer", client.post, f"/attempts/{attempt_id}/questions/{number}/answer/", fields, csrf=token)
        _check(stats, "answer", reply, 302)
        following = question_location(reply.location)
        if (
            number < QUESTIONS
            and following != (attempt_id, number + 1)
            or (number == QUESTIONS and not is_result_location(reply.location))
        ):
            stats.fail("answer", f"question {number} redirected to {reply.location!r}")
            raise Failed("answer")
        acks.append((attempt_id, number, pick))
        location = reply.location
    finish = _call(stats, "finish", client.post, f"/attempts/{attempt_id}/finish/", csrf=token)
    _check(stats, "finish", finish, 302)
    result = _call(stats, "result", client.get, path_of(finish.location))
    _check(stats, "result", result, 200)
    shown = result_score(result.body)
    if shown is None or shown[1] != QUESTIONS:
        stats.fail("result", f"no score line for {QUESTIONS} questions on the result page (found {shown})")
        raise Failed("result")
    stats.shown_scores.append((attempt_id, shown[0]))


def run_students(port: int, students: int, seconds: float, seed: int) -> tuple[Stats, list, float]:
    stats_all, acks_all = Stats(), []
    deadline = time.monotonic() + seconds
    per_thread = [(Stats(), []) for _ in range(students)]

    def loop(i: int):
        stats, acks = per_thread[i]
        client, rng = Client(port), random.Random(seed * 1000 + i)
        while time.monotonic() < deadline:
            try:
                student(client, rng, stats, acks)
            except Failed:
                client.close()
                time.sleep(0.05)
        client.close()

    start = time.monotonic()
    in_threads(loop, students)
    wall = time.monotonic() - start
    for stats, acks in per_thread:
        stats_all.merge(stats)
        acks_all.extend(acks)
    return stats_all, acks_all, wall


class Comparer:
    """Per thread: one visitor with a test whose questions are only looked at (question pages) and
    tests that are answered one POST after another (answer pages), started again when done."""

    def __init__(self, port: int, tests: int):
        self.client = Client(port)
        self.view_attempt, _, _ = start_test(self.client)
        self.view_number = 0
        # Tests to answer are started before the clock runs, so answers/s counts answers only.
        self.ready = [start_test(self.client)[0] for _ in range(tests)]
        self.answer_attempt, self.answer_number = self.ready.pop(), 1

    def op(self, kind: str, stats: Stats, acks: list) -> None:
        c = self.client
        if kind == "minimal":
            _check(stats, "minimal", _call(stats, "minimal", c.get, "/__bench__/minimal/"), 200)
        elif kind == "question":
            self.view_number = self.view_number % QUESTIONS + 1
            _check(
                stats,
                "question",
                _call(stats, "question", c.get, f"/attempts/{self.view_attempt}/questions/{self.view_number}/"),
                200,
            )
        else:
            if self.answer_number > QUESTIONS:  # the next test (started now only if none is left)
                self.answer_attempt = self.ready.pop() if self.ready else start_test(c)[0]
                self.answer_number = 1
            n = self.answer_number
            # Unread, the question may take a choice or typed text: both are sent and the site
            # reads the one its kind takes.
            reply = _call(
                stats,
                "answer",
                c.post,
                f"/attempts/{self.answer_attempt}/questions/{n}/answer/",
                [("answer", "A"), ("typed", str(TYPED_GUESSES[0]))],
            )
            _check(stats, "answer", reply, 302)
            ok = (
                is_result_location(reply.location)
                if n == QUESTIONS
                else (question_location(reply.location) == (self.answer_attempt, n + 1))
            )
            if not ok:
                stats.fail("answer", f"question {n} redirected to {reply.location!r}")
                self.answer_number = QUESTIONS + 1
                raise Failed("answer")
            acks.append((self.answer_attempt, n, ["A", TYPED_PREFIX + str(TYPED_GUESSES[0])]))
            self.answer_number += 1


def _compare_round(comparers: list, per_thread: list, kind: str, seconds: float) -> tuple[int, float]:
    """Every comparer repeats one kind of request for the given seconds; returns (requests done, wall seconds)."""
    done = [0] * len(comparers)
    end = time.monotonic() + seconds

    def loop(i: int):
        stats, acks = per_thread[i]
        while time.monotonic() < end:
            try:
                comparers[i].op(kind, stats, acks)
                done[i] += 1
            except Failed:
                comparers[i].client.close()

    start = time.monotonic()
    in_threads(loop, len(comparers))
    return sum(done), time.monotonic() - start


def run_comparison(port: int, students: int, seconds: float) -> tuple[dict, Stats, list]:
    # room for 20 answers/s per client, well above what one client gets
    tests = 1 + int(seconds / len(COMPARED) * 20 / QUESTIONS)
    comparers = [None] * students

    def prepare(i: int):
        comparers[i] = Comparer(port, tests)

    in_threads(prepare, students)
    if None in comparers:
        raise RuntimeError("could not start the comparison's tests")
    rounds = max(1, round(seconds / (len(COMPARED) * 1.0)))
    round_s = seconds / (rounds * len(COMPARED))
    counts, walls = defaultdict(int), defaultdict(float)
    per_thread = [(Stats(), []) for _ in range(students)]
    for _ in range(rounds):
        for kind in COMPARED:
            done, wall = _compare_round(comparers, per_thread, kind, round_s)
            walls[kind] += wall
            counts[kind] += done
    for c in comparers:
        c.client.close()
    stats, acks = Stats(), []
    for s, a in per_thread:
        stats.merge(s)
        acks.extend(a)
    return {k: counts[k] / walls[k] if walls[k] else 0.0 for k in COMPARED}, stats, acks
