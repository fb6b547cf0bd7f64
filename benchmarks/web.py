"""Load benchmark of the web side: many students taking a test at once, and nothing lost.

Starts the site under gunicorn (production settings, DEBUG=0, a throwaway DATA_DIR) on a
loopback port, on SQLite and, where it answers at 127.0.0.1:5432, on a throwaway PostgreSQL
database, one after the other. For each:

1. students: `--students` simulated students at once, each in a loop for the first part of
   `--seconds`: a new visitor opens the lesson, opens "Test this pattern" and starts a test,
   answers its 10 questions (a choice picked from the form), finishes and opens the result.
2. comparison, at the same concurrency, in alternating 1-second rounds: the minimal Django
   view `/__bench__/minimal/` (it exists only under benchmarks/bench_settings.py), a test
   question page, and answer POSTs. `ratio_to_minimal` is the lower of (question pages/s,
   answers/s) divided by minimal views/s (goal: >= 0.5).
3. the check: the site is stopped and the database read back: exactly one response for every
   answer the server acknowledged (none lost, none doubled, the choice recorded is the one
   sent) and every finished attempt's score recomputed from its responses with
   quizzes.grading. Any failure is printed loudly and the exit status is 1.

Prints a table per database and ends with one JSON line (the worst of the databases at top
level, each database under "runs"):

  rps, p95_ms            requests/s and 95th percentile latency of the student phase
  errors                 failed requests (connection errors, 5xx, unexpected answers)
  answers_sent           answers the server acknowledged (both phases)
  lost, doubled          acknowledged answers with no response row / extra response rows
  mismatched             responses whose recorded choice differs from the one sent
  score_mismatches       finished attempts whose score differs from the recomputation
  ratio_to_minimal       see 2.; ratio_question and ratio_answer separately

Usage: python benchmarks/web.py [--seconds 30] [--students 16] [--db sqlite|postgres|both]
                                [--workers 2] [--threads 4]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import (  # noqa: E402
    LESSON_SLUG,
    Client,
    Site,
    answer_options,
    csrf_token,
    is_result_location,
    path_of,
    postgres_available,
    postgres_database,
    question_location,
    start_test,
)

PAGES = ("lesson", "test_page", "test_start", "question", "answer", "finish", "result")
COMPARED = ("minimal", "question", "answer")
QUESTIONS = 10


class Stats:
    """Latencies (seconds) and errors per page, per thread; merged at the end."""

    def __init__(self):
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.error_samples: list[str] = []

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
    start = _call(stats, "test_start", client.post, f"/lessons/{LESSON_SLUG}/test/", {"new": "1"},
                  csrf=csrf_token(page.body))
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
        if not letters:
            stats.fail("question", "no answer form on the page")
            raise Failed("question")
        pick = rng.sample(letters, rng.randint(1, 2)) if kind == "checkbox" else [rng.choice(letters)]
        reply = _call(stats, "answer", client.post, f"/attempts/{attempt_id}/questions/{number}/answer/",
                      [("answer", x) for x in pick], csrf=token)
        _check(stats, "answer", reply, 302)
        following = question_location(reply.location)
        if number < QUESTIONS and following != (attempt_id, number + 1) or (
            number == QUESTIONS and not is_result_location(reply.location)
        ):
            stats.fail("answer", f"question {number} redirected to {reply.location!r}")
            raise Failed("answer")
        acks.append((attempt_id, number, pick))
        location = reply.location
    finish = _call(stats, "finish", client.post, f"/attempts/{attempt_id}/finish/", csrf=token)
    _check(stats, "finish", finish, 302)
    result = _call(stats, "result", client.get, path_of(finish.location))
    _check(stats, "result", result, 200)
    if "Your score" not in result.body and "%" not in result.body:
        stats.fail("result", "no score on the result page")


def run_students(port: int, students: int, seconds: float, seed: int) -> tuple[Stats, list, float]:
    stats_all, acks_all, threads = Stats(), [], []
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
    for i in range(students):
        t = threading.Thread(target=loop, args=(i,), daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
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
            _check(stats, "question", _call(stats, "question", c.get,
                                            f"/attempts/{self.view_attempt}/questions/{self.view_number}/"), 200)
        else:
            if self.answer_number > QUESTIONS:  # the next test (started now only if none is left)
                self.answer_attempt = self.ready.pop() if self.ready else start_test(c)[0]
                self.answer_number = 1
            n = self.answer_number
            reply = _call(stats, "answer", c.post, f"/attempts/{self.answer_attempt}/questions/{n}/answer/",
                          [("answer", "A")])
            _check(stats, "answer", reply, 302)
            ok = is_result_location(reply.location) if n == QUESTIONS else (
                question_location(reply.location) == (self.answer_attempt, n + 1))
            if not ok:
                stats.fail("answer", f"question {n} redirected to {reply.location!r}")
                self.answer_number = QUESTIONS + 1
                raise Failed("answer")
            acks.append((self.answer_attempt, n, ["A"]))
            self.answer_number += 1


def run_comparison(port: int, students: int, seconds: float) -> tuple[dict, Stats, list]:
    # room for 20 answers/s per client, well above what one client gets
    tests = 1 + int(seconds / len(COMPARED) * 20 / QUESTIONS)
    comparers = [None] * students

    def prepare(i: int):
        comparers[i] = Comparer(port, tests)

    threads = [threading.Thread(target=prepare, args=(i,), daemon=True) for i in range(students)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if None in comparers:
        raise RuntimeError("could not start the comparison's tests")
    rounds = max(1, round(seconds / (len(COMPARED) * 1.0)))
    round_s = seconds / (rounds * len(COMPARED))
    counts, walls = defaultdict(int), defaultdict(float)
    per_thread = [(Stats(), []) for _ in range(students)]
    for _ in range(rounds):
        for kind in COMPARED:
            done = [0] * students
            end = time.monotonic() + round_s

            def loop(i: int):
                stats, acks = per_thread[i]
                while time.monotonic() < end:
                    try:
                        comparers[i].op(kind, stats, acks)
                        done[i] += 1
                    except Failed:
                        comparers[i].client.close()

            start = time.monotonic()
            threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(students)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            walls[kind] += time.monotonic() - start
            counts[kind] += sum(done)
    for c in comparers:
        c.client.close()
    stats, acks = Stats(), []
    for s, a in per_thread:
        stats.merge(s)
        acks.extend(a)
    return {k: counts[k] / walls[k] if walls[k] else 0.0 for k in COMPARED}, stats, acks


# ----------------------------------------------------------------------------- the database check


def verify(ack_path: str) -> dict:
    """Runs in a subprocess with the site's environment: read the database back."""
    import django

    django.setup()
    from decimal import Decimal

    from django.db.models import Count

    from quizzes.grading import grade, letter
    from quizzes.models import Attempt, Question, Response

    acks = json.loads(Path(ack_path).read_text())
    attempts = {a.pk: a for a in Attempt.objects.all()}
    responses = {(r.attempt_id, r.question_id): r for r in Response.objects.all()}
    doubled = sum(
        row["n"] - 1 for row in Response.objects.values("attempt_id", "question_id").annotate(n=Count("id")).filter(n__gt=1)
    )
    fractions = {
        q.pk: (q.kind, {c.pk: c.fraction for c in q.choices.all()}) for q in Question.objects.prefetch_related("choices")
    }
    lost, mismatched, acked_keys, samples = 0, 0, set(), []
    for attempt_id, number, letters in acks:
        attempt = attempts.get(attempt_id)
        qid = attempt.question_ids[number - 1] if attempt else None
        response = responses.get((attempt_id, qid))
        acked_keys.add((attempt_id, qid))
        if response is None or response.answered_at is None:
            lost += 1
            if len(samples) < 5:
                samples.append(f"lost: attempt {attempt_id} question {number}")
            continue
        by_letter = {letter(i): cid for i, cid in enumerate(attempt.choice_orders.get(str(qid), []))}
        if {by_letter.get(x) for x in letters} != set(response.chosen_choice_ids):
            mismatched += 1
            if len(samples) < 5:
                samples.append(f"mismatched: attempt {attempt_id} question {number}: sent {letters}")
    unacknowledged = sum(1 for key, r in responses.items() if r.answered_at and key not in acked_keys)
    score_mismatches, finished = 0, 0
    for attempt in attempts.values():
        if attempt.finished_at is None:
            continue
        finished += 1
        total = Decimal("0")
        for qid in attempt.question_ids:
            r = responses.get((attempt.pk, qid))
            if r is None or r.answered_at is None:
                continue
            kind, fr = fractions[qid]
            marks = grade(kind, fr, r.chosen_choice_ids).marks
            if marks != r.marks:
                score_mismatches += 1
            total += marks
        expected = (total / len(attempt.question_ids)).quantize(Decimal("0.00001")) if attempt.question_ids else Decimal("0")
        if attempt.score != expected:
            score_mismatches += 1
            if len(samples) < 5:
                samples.append(f"score: attempt {attempt.pk} has {attempt.score}, recomputed {expected}")
    return {
        "answers_checked": len(acks), "lost": lost, "doubled": doubled, "mismatched": mismatched,
        "unacknowledged": unacknowledged, "attempts": len(attempts), "finished_attempts": finished,
        "score_mismatches": score_mismatches, "samples": samples,
    }


def run_verify(site: Site, acks: list) -> dict:
    import subprocess

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, dir=site.tmp) as fh:
        json.dump(acks, fh)
    out = subprocess.run([sys.executable, __file__, "--verify", fh.name], cwd=Path(__file__).parent.parent,
                         env=site.env, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"the database check failed to run:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- one database


def run_one(db: str, database_url: str | None, args) -> dict:
    site = Site(database_url=database_url, settings_module="benchmarks.bench_settings",
                workers=args.workers, threads=args.threads)
    try:
        t0 = time.monotonic()
        site.prepare()
        site.start()
        print(f"[{db}] site ready on {site.url} in {time.monotonic() - t0:.1f}s "
              f"(gunicorn -w {args.workers} -k gthread --threads {args.threads}); "
              f"{args.students} students, {args.seconds}s", flush=True)
        # warm-up: every worker renders each page once (lru caches, templates, connections)
        warm_stats, warm_acks = Stats(), []
        for i in range(2 * args.workers):
            try:
                student(Client(site.port), random.Random(i), warm_stats, warm_acks)
            except Failed:
                pass
        students_s = args.seconds * 0.55
        stats, acks, wall = run_students(site.port, args.students, students_s, args.seed)
        compare_rps, cstats, cacks = run_comparison(site.port, args.students, args.seconds - students_s)
    finally:
        site.stop()
    try:
        all_acks = warm_acks + acks + cacks
        check = run_verify(site, all_acks)
    finally:
        site.cleanup()

    total_requests = sum(len(v) for v in stats.latency.values())
    all_latency = [x for v in stats.latency.values() for x in v]
    errors = sum(stats.errors.values()) + sum(cstats.errors.values()) + sum(warm_stats.errors.values())
    minimal = compare_rps["minimal"] or float("nan")
    ratio_q = compare_rps["question"] / minimal
    ratio_a = compare_rps["answer"] / minimal

    print(f"\n[{db}] students phase: {wall:.1f}s, {total_requests} requests, {total_requests / wall:.1f} req/s, "
          f"{sum(len(v) for k, v in stats.latency.items() if k == 'result')} tests completed")
    print(f"{'page':<12}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for page in PAGES:
        lat = stats.latency.get(page, [])
        print(f"{page:<12}{len(lat):>10}{len(lat) / wall:>9.1f}{percentile(lat, .5) * 1e3:>9.1f}"
              f"{percentile(lat, .95) * 1e3:>9.1f}{percentile(lat, .99) * 1e3:>9.1f}{stats.errors.get(page, 0):>8}")
    print(f"{'all':<12}{total_requests:>10}{total_requests / wall:>9.1f}{percentile(all_latency, .5) * 1e3:>9.1f}"
          f"{percentile(all_latency, .95) * 1e3:>9.1f}{percentile(all_latency, .99) * 1e3:>9.1f}"
          f"{sum(stats.errors.values()):>8}")
    print(f"\n[{db}] comparison at {args.students} concurrent clients (alternating rounds):")
    print(f"{'page':<12}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}{'ratio':>8}")
    for page in COMPARED:
        lat = cstats.latency.get(page, [])
        print(f"{page:<12}{len(lat):>10}{compare_rps[page]:>9.1f}{percentile(lat, .5) * 1e3:>9.1f}"
              f"{percentile(lat, .95) * 1e3:>9.1f}{percentile(lat, .99) * 1e3:>9.1f}{cstats.errors.get(page, 0):>8}"
              f"{compare_rps[page] / minimal:>8.2f}")
    for sample in (stats.error_samples + cstats.error_samples)[:5]:
        print(f"  error: {sample}")
    print(f"\n[{db}] database check: {check['answers_checked']} acknowledged answers, {check['lost']} lost, "
          f"{check['doubled']} doubled, {check['mismatched']} mismatched, {check['unacknowledged']} recorded without "
          f"acknowledgement; {check['finished_attempts']} finished attempts, {check['score_mismatches']} score mismatches")
    ok = check["lost"] == check["doubled"] == check["mismatched"] == check["score_mismatches"] == 0
    if not ok:
        print("\n" + "!" * 78 + f"\n!! [{db}] ANSWERS LOST, DOUBLED OR MISGRADED: " + "; ".join(check["samples"])
              + "\n" + "!" * 78, flush=True)
    return {
        "db": db, "ok": ok, "rps": round(total_requests / wall, 1), "p95_ms": round(percentile(all_latency, .95) * 1e3, 1),
        "p50_ms": round(percentile(all_latency, .5) * 1e3, 1), "p99_ms": round(percentile(all_latency, .99) * 1e3, 1),
        "errors": errors, "answers_sent": len(all_acks), "lost": check["lost"], "doubled": check["doubled"],
        "mismatched": check["mismatched"], "score_mismatches": check["score_mismatches"],
        "unacknowledged": check["unacknowledged"], "tests_completed": len(stats.latency.get("result", [])),
        "minimal_rps": round(compare_rps["minimal"], 1), "question_rps": round(compare_rps["question"], 1),
        "answer_rps": round(compare_rps["answer"], 1), "ratio_question": round(ratio_q, 3),
        "ratio_answer": round(ratio_a, 3), "ratio_to_minimal": round(min(ratio_q, ratio_a), 3),
        "students": args.students, "seconds": args.seconds,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30, help="load time per database (students + comparison)")
    parser.add_argument("--students", type=int, default=16, help="concurrent simulated students")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--verify", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.verify:
        print(json.dumps(verify(args.verify)))
        return 0

    runs, skipped = [], {}
    if args.db in ("sqlite", "both"):
        runs.append(run_one("sqlite", None, args))
    if args.db in ("postgres", "both"):
        if postgres_available():
            with postgres_database("learn_bench") as url:
                runs.append(run_one("postgres", url, args))
        elif args.db == "postgres":
            print("PostgreSQL does not answer at 127.0.0.1:5432", file=sys.stderr)
            return 2
        else:
            skipped["postgres"] = "PostgreSQL does not answer at 127.0.0.1:5432"
            print(f"\npostgres: skipped ({skipped['postgres']})")
    worst = {
        "rps": min(r["rps"] for r in runs), "p95_ms": max(r["p95_ms"] for r in runs),
        "errors": sum(r["errors"] for r in runs), "answers_sent": sum(r["answers_sent"] for r in runs),
        "lost": sum(r["lost"] for r in runs), "doubled": sum(r["doubled"] for r in runs),
        "mismatched": sum(r["mismatched"] for r in runs), "score_mismatches": sum(r["score_mismatches"] for r in runs),
        "ratio_to_minimal": min(r["ratio_to_minimal"] for r in runs),
    }
    ok = all(r["ok"] for r in runs)
    print(json.dumps({"benchmark": "web", "ok": ok, **worst, "db": "+".join(r["db"] for r in runs),
                      "runs": {r["db"]: r for r in runs}, "skipped": skipped}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
