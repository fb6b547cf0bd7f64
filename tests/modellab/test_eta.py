"""The queue's estimates (modellab.eta): a run's duration from earlier runs, the queue played forward, the words."""

import pytest

from modellab.eta import (
    EXACT,
    SIMILAR,
    Estimate,
    PastRun,
    RunSettings,
    about,
    basis_text,
    estimate_duration,
    ordinal,
    queue_slots,
)

DIGITS = RunSettings("efficientnet_lite0", "scratch", dataset=1, image_size=64, epochs=10)


def past(seconds, **changes):
    fields = {**DIGITS.__dict__, **changes}
    return PastRun(RunSettings(**fields), seconds)


def test_the_median_of_the_last_runs_with_the_same_settings():
    """Newest first: only the last five count, and their median is the estimate."""
    history = [past(s) for s in (30, 32, 31, 90, 29, 500, 500)]
    estimate = estimate_duration(DIGITS, history)
    assert estimate == Estimate(31, EXACT, 5)


def test_runs_of_other_settings_do_not_count_while_exact_ones_exist():
    history = [past(300, dataset=2), past(20), past(900, strategy="features")]
    assert estimate_duration(DIGITS, history) == Estimate(20, EXACT, 1)


def test_falls_back_to_seconds_an_epoch_of_the_same_network_strategy_and_size():
    """Another dataset with 5 epochs at 4 s an epoch, and 20 epochs at 6 s: median 5 s an epoch, x 10 epochs."""
    history = [past(20, dataset=2, epochs=5), past(120, dataset=3, epochs=20), past(1, strategy="features")]
    assert estimate_duration(DIGITS, history) == Estimate(50, SIMILAR, 2)


def test_no_estimate_without_a_run_of_the_same_network_strategy_and_size():
    history = [past(10, image_size=128), past(10, backbone="tiny"), past(10, strategy="features")]
    assert estimate_duration(DIGITS, history) is None


def test_one_worker_takes_the_queue_in_order_after_the_running_run():
    minute = Estimate(60, EXACT, 3)
    finishes, slots = queue_slots(running=[20.0], queued=[minute, minute, Estimate(30, SIMILAR, 1)], workers=1)
    assert finishes == [20.0]
    assert [(s.position, s.start_s, s.finish_s) for s in slots] == [(1, 20, 80), (2, 80, 140), (3, 140, 170)]


def test_two_workers_share_the_queue_and_an_overdue_run_is_finishing_now():
    minute = Estimate(60, EXACT, 3)
    finishes, slots = queue_slots(running=[-5.0], queued=[minute, minute, minute], workers=2)
    assert finishes == [0.0]
    assert [(s.start_s, s.finish_s) for s in slots] == [(0, 60), (0, 60), (60, 120)]


def test_a_run_behind_one_without_an_estimate_has_no_times():
    """One worker: the second run has no estimate, so the third cannot know when it starts."""
    minute = Estimate(60, EXACT, 3)
    _, slots = queue_slots(running=[], queued=[minute, None, minute], workers=1)
    assert [(s.start_s, s.finish_s) for s in slots] == [(0, 60), (60, None), (None, None)]


def test_an_unknown_running_run_holds_its_worker_but_not_the_others():
    minute = Estimate(60, EXACT, 3)
    _, slots = queue_slots(running=[None], queued=[minute, minute], workers=2)
    assert [(s.start_s, s.finish_s) for s in slots] == [(0, 60), (60, 120)]


def test_no_worker_seen_counts_as_one():
    _, slots = queue_slots(running=[], queued=[Estimate(10, EXACT, 1)] * 2, workers=0)
    assert [s.start_s for s in slots] == [0, 10]


@pytest.mark.parametrize(
    "n, text",
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (101, "101st"),
        (111, "111th"),
    ],
)
def test_ordinal(n, text):
    assert ordinal(n) == text


def test_waits_read_as_roughly_as_they_are_known():
    assert [about(s) for s in (0, 9, 44, 89, 150, 600)] == [
        "any moment now",
        "any moment now",
        "in about 40 s",
        "in about 90 s",
        "in about 2 min",
        "in about 10 min",
    ]
    assert basis_text(Estimate(30, EXACT, 3)) == "from 3 earlier runs with these settings"
    assert basis_text(Estimate(30, SIMILAR, 1)) == "from 1 earlier run of the same network, strategy, input size and augmentation"


def test_the_eta_tells_augmented_runs_apart():
    plain = RunSettings("efficientnet_lite0", "features", dataset=1, image_size=64, epochs=5)
    augmented = RunSettings("efficientnet_lite0", "features", dataset=1, image_size=64, epochs=5, augment=True)
    history = [PastRun(plain, 20.0), PastRun(augmented, 50.0)]
    assert estimate_duration(augmented, history).seconds == 50.0 and estimate_duration(augmented, history).basis == EXACT
    longer = RunSettings("efficientnet_lite0", "features", dataset=2, image_size=64, epochs=10, augment=True)
    assert estimate_duration(longer, history[:1]) is None  # no augmented run yet: the plain one's time is no guide
    assert estimate_duration(longer, history).seconds == 100.0 and estimate_duration(longer, history).basis == SIMILAR
