"""The lab end to end with a real `celery worker` process and the tiny backbone.

Two stacks: the laptop one (embedded filesystem:// broker, SQLite file) and the
production one (Redis at 127.0.0.1:6379, PostgreSQL at 127.0.0.1:5432). One test
kills the worker with SIGKILL during a run and checks the run never stays RUNNING.
"""

import os

import pytest
import yaml

from tests.conftest import require_postgres
from harness.processes import postgres_database
from tests.modellab.lab_stack import LabStack, port_open

pytestmark = pytest.mark.integration

TERMINAL = {"succeeded", "failed", "cancelled"}


@pytest.fixture
def stack_factory(tmp_path):
    stacks = []

    def make(**kwargs):
        stack = LabStack(tmp_path, **kwargs)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.stop_all()


def submit_and_watch(stack: LabStack) -> None:
    """Submit a comparison, watch epoch rows appear one by one, then check predictions."""
    ids = stack.submit(
        "--user",
        "it",
        "--create-user",
        "--dataset",
        "builtin:digits-3",
        "--backbone",
        "tiny",
        "--epochs",
        "4",
        "--batch-size",
        "8",
        "--lr",
        "0.01",
        "--compare",
    )
    assert len(ids) == 2
    seen: dict[int, set[int]] = {pk: set() for pk in ids}

    def done():
        for pk in ids:
            seen[pk].add(len(stack.epochs(pk)))
        return all(stack.experiment(pk)["status"] in TERMINAL for pk in ids)

    try:
        stack.wait_for(done, 240, "both runs to finish", interval=0.1)
    except (AssertionError, TimeoutError):
        raise AssertionError(stack.logs()) from None
    for pk in ids:
        exp = stack.experiment(pk)
        assert exp["status"] == "succeeded", (exp["failure_reason"], stack.logs())
        assert stack.epochs(pk) == [1, 2, 3, 4]
        assert exp["attempts"] == 1 and exp["worker"].startswith("lab-it")
        predictions = exp["results"]["predictions"]
        assert predictions and {"path", "true", "predicted", "top_k"} <= set(predictions[0])
        assert len(predictions[0]["top_k"]) == 3
        # one row per epoch, each written when its epoch ended
        stamps = [
            r[0]
            for r in stack.query("SELECT created_at FROM modellab_epochrecord WHERE experiment_id = %s ORDER BY epoch", (pk,))
        ]
        assert stamps == sorted(stamps) and len(set(stamps)) == 4
    assert all(0 in counts for counts in seen.values())  # watched from before the first epoch


def test_filesystem_broker_and_sqlite(stack_factory):
    stack = stack_factory(LAB_BUILTIN_PER_CLASS=12)
    stack.migrate()
    stack.start_worker("lab-it-fs@test")
    submit_and_watch(stack)


TWO_PRESET_LESSON = """\
course: {slug: cv, title: Computer Vision, track: ml}
lesson: {slug: tiny, title: Tiny lesson}
lab:
  shapes_from: resnet18
  presets:
    - {key: quick, title: Quick, datasets: [builtin:digits-3], backbone: tiny, strategies: [features, scratch], epochs: 2, image_size: 32}
    - {key: last, title: Last block, datasets: [builtin:digits-3], backbone: tiny, strategies: [finetune, scratch], epochs: 2, image_size: 32}
"""


def test_lab_reference_measures_a_lessons_presets_on_the_worker(stack_factory, tmp_path):
    """The re-measuring recipe against a real worker: both presets run there, then one reference is published."""
    stack = stack_factory(LAB_BUILTIN_PER_CLASS=12)
    stack.migrate()
    (tmp_path / "tiny.yaml").write_text(TWO_PRESET_LESSON)
    stack.manage("loadcontent", str(tmp_path / "tiny.yaml"))
    stack.start_worker("lab-it-ref@test")
    out = stack.manage(
        "lab_reference", "--lesson", "tiny", "--user", "it", "--create-user", "--poll", "0.5", "--timeout", "240", timeout=300
    )
    measured = yaml.safe_load(out)["measured"]
    assert [r["strategy"] for r in measured["runs"]] == ["features", "scratch", "finetune"]
    assert "Left out as repeats of an arm shown: #4." in measured["note"]
    runs = stack.query("SELECT status, worker_hostname FROM modellab_experiment ORDER BY id")
    assert runs == [("succeeded", "lab-it-ref@test")] * 4
    assert stack.query("SELECT COUNT(*) FROM modellab_measuredreference") == [(1,)]


@pytest.fixture
def postgres_url():
    require_postgres()
    with postgres_database("lab_it") as url:
        yield url


def test_redis_broker_and_postgres(stack_factory, postgres_url):
    if not port_open("127.0.0.1", 6379):
        pytest.skip("Redis does not answer at 127.0.0.1:6379 (.ci/run starts it)")
    # A Redis database of its own, so no other worker on this Redis takes our messages.
    db = os.environ.get("LAB_IT_REDIS_DB", "11")
    stack = stack_factory(database_url=postgres_url, broker_url=f"redis://127.0.0.1:6379/{db}", LAB_BUILTIN_PER_CLASS=12)
    stack.migrate()
    stack.start_worker("lab-it-redis@test")
    submit_and_watch(stack)


def test_sigkilled_worker_leaves_no_run_running(stack_factory):
    """SIGKILL the worker mid-run; a new worker's start-up sweep requeues the run, which then ends."""
    stack = stack_factory(LAB_BUILTIN_PER_CLASS=60, LAB_MAX_ATTEMPTS=2)
    stack.migrate()
    worker = stack.start_worker("lab-it-kill@test")
    (pk,) = stack.submit(
        "--user",
        "it",
        "--create-user",
        "--dataset",
        "builtin:digits",
        "--backbone",
        "tiny",
        "--strategy",
        "scratch",
        "--epochs",
        "25",
        "--batch-size",
        "16",
        "--lr",
        "0.01",
    )
    stack.wait_for(lambda: len(stack.epochs(pk)) >= 1, 180, "the first epoch")
    stack.kill(worker)  # SIGKILL to the whole process group: parent and child
    before = stack.experiment(pk)
    assert before["status"] == "running" and before["attempts"] == 1, before

    stack.start_worker("lab-it-kill@test")
    final = stack.wait_for(
        lambda: (e := stack.experiment(pk))["status"] in TERMINAL and e, 300, "the run to end after the restart"
    )
    assert final["status"] != "running"
    if final["status"] == "succeeded":
        assert final["attempts"] == 2
        assert stack.epochs(pk) == list(range(1, 26))  # the retry wrote its own trace afresh
    else:
        assert final["status"] == "failed" and final["failure_reason"], final
    assert "orphaned run(s) handled" in open(stack.procs[-1].log_path).read()


def test_hard_time_limit_fails_the_run_at_once(stack_factory):
    """A run killed at Celery's hard time limit is FAILED with "time limit" by the worker itself,
    long before the orphan sweep would notice, and the worker goes on to the next run."""
    # No soft limit (0), so the hard limit is what stops the run. 200 epochs take well over 4 s even on
    # a fast machine (30 once finished in 4.9 s, before the kill landed).
    stack = stack_factory(
        LAB_BUILTIN_PER_CLASS=12,
        LAB_RUN_SOFT_LIMIT_S="0",
        LAB_RUN_HARD_LIMIT_S="4",
        LAB_HEARTBEAT_STALE_S="600",
        LAB_SWEEP_INTERVAL_S="0",
        LAB_MAX_EPOCHS="200",
    )
    stack.migrate()
    stack.start_worker("lab-it-limit@test")
    (pk,) = stack.submit(
        "--user",
        "it",
        "--create-user",
        "--dataset",
        "builtin:digits",
        "--backbone",
        "tiny",
        "--strategy",
        "scratch",
        "--epochs",
        "200",
        "--batch-size",
        "4",
        "--lr",
        "0.01",
    )
    try:
        stack.wait_for(lambda: stack.experiment(pk)["status"] in TERMINAL, 120, "the run to end", interval=0.2)
    except (AssertionError, TimeoutError):
        raise AssertionError(stack.logs()) from None
    exp = stack.experiment(pk)
    assert exp["status"] == "failed", (exp, stack.logs())
    assert "time limit" in exp["failure_reason"] and "4 s" in exp["failure_reason"]
    assert len(stack.epochs(pk)) < 200
