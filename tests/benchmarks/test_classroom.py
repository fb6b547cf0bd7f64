"""The classroom benchmark's figures and verdict (`benchmarks/classroom.py`): what it measures from the presses
and the runs' rows, and that it fails, naming each missed target, when it should.

The whole benchmark (make run, a class signing up, a burst of comparisons) takes minutes: it is run
by hand; its reading of the comparison page is tests/modellab/test_queue_eta.py.
"""

import json

import pytest

from benchmarks.classroom import measure, missed_targets, p90, report

T0 = 1_000_000.0  # a press's epoch seconds


def run(started, finished, status="succeeded", attempts=1):
    return {"status": status, "started": T0 + started, "finished": T0 + finished, "attempts": attempts}


@pytest.fixture
def burst():
    """Two learners press 1 s apart; one worker process runs their two-arm comparisons one run after another
    (30 s a comparison: 10 + 20), each run starting 1 s after the one before ends."""
    presses = [
        {"press": T0, "land": T0 + 0.5, "runs": {1: 0.0, 2: 10.0}},
        {"press": T0 + 1, "land": T0 + 1.5, "runs": {3: 30.0, 4: 40.0}},
    ]
    runs = {1: run(1, 11), 2: run(12, 32), 3: run(33, 43), 4: run(44, 64)}
    return presses, runs


def test_p90_is_the_nearest_rank():
    assert p90(list(range(1, 11))) == 9 and p90([0.1] * 8 + [5.0]) == 5.0 and p90([]) is None


def test_a_clean_burst_meets_its_targets(burst):
    presses, runs = burst
    out = measure(presses, runs, learners=2, arms=2, processes=1)
    assert out["comparison_worker_s"] == 30 and out["ideal_s"] == 60 and out["last_done_s"] == 64
    assert out["overhead"] == pytest.approx(64 / 60, abs=1e-3)
    # run 2: estimated at 0.5 + 10, started at 12 -> |10.5 - 12| / 12; run 1 waited under 10 s: over 10
    errors = [0.5 / 10, 1.5 / 12, 1.5 / 32, 2.5 / 43]
    assert out["eta_error_p90"] == pytest.approx(max(errors), abs=1e-3)
    assert (out["estimated_runs"], out["no_estimate"], out["lost"], out["duplicated"]) == (4, 0, 0, 0)
    assert missed_targets(out) == []


def test_two_processes_halve_the_ideal(burst):
    presses, runs = burst
    out = measure(presses, runs, learners=2, arms=2, processes=2)
    assert out["ideal_s"] == 30 and out["overhead"] == pytest.approx(64 / 30, abs=1e-3)
    assert missed_targets(out) == [f"overhead {out['overhead']} (target <= 1.15)"]


def test_a_failed_run_is_lost_and_a_restarted_or_extra_run_is_duplicated(burst):
    presses, runs = burst
    runs[2] = run(12, 32, status="failed")
    runs[3] = run(33, 43, attempts=2)
    runs[5] = run(70, 80)  # a run nobody pressed
    out = measure(presses, runs, learners=2, arms=2, processes=1)
    assert (out["lost"], out["duplicated"]) == (1, 2)  # an extra run that succeeded does not make up for a lost one
    del runs[5]
    out = measure(presses, runs, learners=2, arms=2, processes=1)
    assert (out["lost"], out["duplicated"]) == (1, 1)
    assert out["comparison_worker_s"] == 30  # only the comparison whose runs all succeeded counts
    assert "lost 1 (target 0)" in missed_targets(out) and "duplicated 1 (target 0)" in missed_targets(out)
    assert "warmup_failed 1 (target 0)" in missed_targets({**out, "warmup_failed": 1})  # the estimates' basis failed
    over = {**out, "storage": {"largest_learner_mb": 501.0, "quota_mb": 500}}
    assert "largest_learner_mb 501.0 (target <= the quota, 500)" in missed_targets(over)


def test_a_learner_whose_press_failed_loses_their_runs(burst):
    presses, runs = burst
    out = measure(presses[:1], {1: runs[1], 2: runs[2]}, learners=2, arms=2, processes=1)
    assert out["lost"] == 2 and out["ideal_s"] == 60


def test_runs_without_an_estimate_are_counted_apart_and_none_at_all_misses_the_target(burst):
    presses, runs = burst
    presses[1]["runs"] = {3: None, 4: None}
    out = measure(presses, runs, learners=2, arms=2, processes=1)
    assert (out["estimated_runs"], out["no_estimate"]) == (2, 2)
    presses[0]["runs"] = {1: None, 2: None}
    out = measure(presses, runs, learners=2, arms=2, processes=1)
    assert out["eta_error_p90"] is None and "eta_error_p90 None (target <= 0.5)" in missed_targets(out)


def test_a_bad_estimate_misses_the_target(burst):
    presses, runs = burst
    presses[1]["runs"] = {3: 0.0, 4: 0.0}  # the page said both start at once; they waited 32 and 43 s
    out = measure(presses, runs, learners=2, arms=2, processes=1)
    assert out["eta_error_p90"] > 0.5 and any(m.startswith("eta_error_p90") for m in missed_targets(out))


def test_report_exits_1_naming_each_missed_target(burst, capsys):
    presses, runs = burst
    assert report(measure(presses, runs, learners=2, arms=2, processes=1)) == 0
    assert json.loads(capsys.readouterr().out)["missed"] == []
    runs[4] = run(44, 64, status="failed")
    assert report(measure(presses, runs, learners=2, arms=2, processes=1)) == 1
    printed = capsys.readouterr()
    assert json.loads(printed.out)["lost"] == 1 and "missed: lost 1 (target 0)" in printed.err
