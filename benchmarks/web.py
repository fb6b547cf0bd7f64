"""Load benchmark of the web side: many students taking a test at once, and nothing lost.

Starts the site under gunicorn (production settings, DEBUG=0, a throwaway DATA_DIR) on a
loopback port, on SQLite and, where it answers at 127.0.0.1:5432, on a throwaway PostgreSQL
database, one after the other. For each:

1. students: `--students` simulated students at once, each in a loop for the first part of
   `--seconds`: a new visitor opens the lesson, opens "Test this pattern" and starts a test,
   answers its 10 questions (a choice picked from the form, or a number typed into a typed-answer
   question), finishes and opens the result.
2. comparison, at the same concurrency, in alternating 1-second rounds: the minimal Django
   view `/__bench__/minimal/` (it exists only under benchmarks/bench_settings.py), a test
   question page, and answer POSTs. `ratio_to_minimal` is the lower of (question pages/s,
   answers/s) divided by minimal views/s (goal: >= 0.5).
3. the check: the site is stopped and the database read back: exactly one response for every
   answer the server acknowledged (none lost, none doubled, the choice recorded is the one
   sent), every finished attempt's score recomputed from its responses with quizzes.grading,
   and the score each result page showed equal to the attempt's stored score.

A database's run is ok only when no request failed, at least one answer was acknowledged and
every check above passed (`web_check.failures`); the reasons are printed loudly and the exit
status is 1 when any run is not ok.

Prints a table per database and ends with one JSON line (the worst of the databases at top
level, each database under "runs"):

  rps, p95_ms            requests/s and 95th percentile latency of the student phase
  errors                 failed requests (connection errors, 5xx, unexpected answers)
  answers_sent           answers the server acknowledged (both phases)
  lost, doubled          acknowledged answers with no response row / extra response rows
  mismatched             responses whose recorded choice differs from the one sent
  score_mismatches       finished attempts whose score differs from the recomputation
  shown_score_mismatches result pages whose score is not the attempt's stored score
  failures               why a run is not ok (empty when ok)
  ratio_to_minimal       see 2.; ratio_question and ratio_answer separately

Usage: python benchmarks/web.py [--seconds 30] [--students 16] [--db sqlite|postgres|both]
                                [--workers 2] [--threads 4]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.web_check import failures, run_verify  # noqa: E402
from benchmarks.web_traffic import (  # noqa: E402
    COMPARED,
    PAGES,
    Failed,
    Stats,
    percentile,
    run_comparison,
    run_students,
    student,
)
from harness.processes import Site, postgres_available, postgres_database  # noqa: E402
from harness.http_client import Client  # noqa: E402


# ----------------------------------------------------------------------------- one database


def run_one(db: str, database_url: str | None, args) -> dict:
    site = Site(
        database_url=database_url, settings_module="benchmarks.bench_settings", workers=args.workers, threads=args.threads
    )
    try:
        t0 = time.monotonic()
        site.prepare()
        site.start()
        print(
            f"[{db}] site ready on {site.url} in {time.monotonic() - t0:.1f}s "
            f"(gunicorn -w {args.workers} -k gthread --threads {args.threads}); "
            f"{args.students} students, {args.seconds}s",
            flush=True,
        )
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
        check = run_verify(site, all_acks, warm_stats.shown_scores + stats.shown_scores)
    finally:
        site.cleanup()

    total_requests = sum(len(v) for v in stats.latency.values())
    all_latency = [x for v in stats.latency.values() for x in v]
    errors = sum(stats.errors.values()) + sum(cstats.errors.values()) + sum(warm_stats.errors.values())
    minimal = compare_rps["minimal"] or float("nan")
    ratio_q = compare_rps["question"] / minimal
    ratio_a = compare_rps["answer"] / minimal

    print(
        f"\n[{db}] students phase: {wall:.1f}s, {total_requests} requests, {total_requests / wall:.1f} req/s, "
        f"{sum(len(v) for k, v in stats.latency.items() if k == 'result')} tests completed"
    )
    print(f"{'page':<12}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for page in PAGES:
        lat = stats.latency.get(page, [])
        print(
            f"{page:<12}{len(lat):>10}{len(lat) / wall:>9.1f}{percentile(lat, 0.5) * 1e3:>9.1f}"
            f"{percentile(lat, 0.95) * 1e3:>9.1f}{percentile(lat, 0.99) * 1e3:>9.1f}{stats.errors.get(page, 0):>8}"
        )
    print(
        f"{'all':<12}{total_requests:>10}{total_requests / wall:>9.1f}{percentile(all_latency, 0.5) * 1e3:>9.1f}"
        f"{percentile(all_latency, 0.95) * 1e3:>9.1f}{percentile(all_latency, 0.99) * 1e3:>9.1f}"
        f"{sum(stats.errors.values()):>8}"
    )
    print(f"\n[{db}] comparison at {args.students} concurrent clients (alternating rounds):")
    print(f"{'page':<12}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}{'ratio':>8}")
    for page in COMPARED:
        lat = cstats.latency.get(page, [])
        print(
            f"{page:<12}{len(lat):>10}{compare_rps[page]:>9.1f}{percentile(lat, 0.5) * 1e3:>9.1f}"
            f"{percentile(lat, 0.95) * 1e3:>9.1f}{percentile(lat, 0.99) * 1e3:>9.1f}{cstats.errors.get(page, 0):>8}"
            f"{compare_rps[page] / minimal:>8.2f}"
        )
    for sample in (stats.error_samples + cstats.error_samples)[:5]:
        print(f"  error: {sample}")
    print(
        f"\n[{db}] database check: {check['answers_checked']} acknowledged answers, {check['lost']} lost, "
        f"{check['doubled']} doubled, {check['mismatched']} mismatched, {check['unacknowledged']} recorded without "
        f"acknowledgement; {check['finished_attempts']} finished attempts, {check['score_mismatches']} score mismatches; "
        f"{check['results_checked']} result pages, {check['shown_score_mismatches']} showing another score"
    )
    run = {
        "db": db,
        "rps": round(total_requests / wall, 1),
        "p95_ms": round(percentile(all_latency, 0.95) * 1e3, 1),
        "p50_ms": round(percentile(all_latency, 0.5) * 1e3, 1),
        "p99_ms": round(percentile(all_latency, 0.99) * 1e3, 1),
        "errors": errors,
        "answers_sent": len(all_acks),
        "lost": check["lost"],
        "doubled": check["doubled"],
        "mismatched": check["mismatched"],
        "score_mismatches": check["score_mismatches"],
        "unacknowledged": check["unacknowledged"],
        "tests_completed": len(stats.latency.get("result", [])),
        "minimal_rps": round(compare_rps["minimal"], 1),
        "question_rps": round(compare_rps["question"], 1),
        "answer_rps": round(compare_rps["answer"], 1),
        "ratio_question": round(ratio_q, 3),
        "ratio_answer": round(ratio_a, 3),
        "ratio_to_minimal": round(min(ratio_q, ratio_a), 3),
        "shown_score_mismatches": check["shown_score_mismatches"],
        "students": args.students,
        "seconds": args.seconds,
    }
    run["failures"] = failures(run)
    run["ok"] = not run["failures"]
    if not run["ok"]:
        print(
            "\n" + "!" * 78 + f"\n!! [{db}] NOT OK: " + "; ".join(run["failures"] + check["samples"]) + "\n" + "!" * 78,
            flush=True,
        )
    return run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30, help="load time per database (students + comparison)")
    parser.add_argument("--students", type=int, default=16, help="concurrent simulated students")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

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
        "rps": min(r["rps"] for r in runs),
        "p95_ms": max(r["p95_ms"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
        "answers_sent": sum(r["answers_sent"] for r in runs),
        "lost": sum(r["lost"] for r in runs),
        "doubled": sum(r["doubled"] for r in runs),
        "mismatched": sum(r["mismatched"] for r in runs),
        "score_mismatches": sum(r["score_mismatches"] for r in runs),
        "shown_score_mismatches": sum(r["shown_score_mismatches"] for r in runs),
        "ratio_to_minimal": min(r["ratio_to_minimal"] for r in runs),
    }
    ok = bool(runs) and all(r["ok"] for r in runs)
    print(
        json.dumps(
            {
                "benchmark": "web",
                "ok": ok,
                **worst,
                "db": "+".join(r["db"] for r in runs),
                "runs": {r["db"]: r for r in runs},
                "skipped": skipped,
            }
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
