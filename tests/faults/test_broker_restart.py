"""The broker (Redis) restarted during a lab run.

A Redis server of our own (a free loopback port, no persistence: a restart loses every
message, the harshest case) is the broker of a real celery worker on a SQLite file
database. A run (tiny backbone) is submitted; once its first epoch is recorded, Redis is
SIGKILLed and started again on the same port. The run must end (succeeded, or failed with
a reason), never stay RUNNING, and stay one experiment; the worker must reconnect and run
the next submission.
"""

import os
import shutil
import signal
import subprocess
import time

import pytest

from tests.modellab.lab_stack import LabStack, free_port, port_open

pytestmark = pytest.mark.integration

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
TERMINAL = {"succeeded", "failed", "cancelled"}


class OwnRedis:
    def __init__(self, tmp):
        self.port, self.tmp, self.proc = free_port(), tmp, None

    def start(self):
        log = open(self.tmp / "redis.log", "a")
        self.proc = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
                "--daemonize",
                "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        LabStack.wait_for(lambda: port_open("127.0.0.1", self.port), 20, "redis-server")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)


@pytest.fixture
def redis(tmp_path):
    if not os.path.exists(REDIS_SERVER):
        pytest.skip("redis-server is not installed")
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.kill()


def test_broker_restarted_mid_run(tmp_path, redis):
    stack = LabStack(
        tmp_path,
        broker_url=f"redis://127.0.0.1:{redis.port}/12",
        LAB_BUILTIN_PER_CLASS=60,
        LAB_MAX_ATTEMPTS=2,
        LAB_SWEEP_INTERVAL_S=5,
        LAB_HEARTBEAT_STALE_S=30,
    )
    try:
        stack.migrate()
        stack.start_worker("faults-broker@test")
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
            "12",
            "--batch-size",
            "16",
            "--lr",
            "0.01",
        )
        stack.wait_for(lambda: len(stack.epochs(pk)) >= 1, 180, "the first epoch")
        assert stack.experiment(pk)["status"] == "running"

        redis.kill()  # the broker goes away mid-run, with the run's unacknowledged message
        time.sleep(2)
        redis.start()

        final = stack.wait_for(
            lambda: (e := stack.experiment(pk))["status"] in TERMINAL and e, 300, "the run to end after the broker restart"
        )
        if final["status"] == "succeeded":
            assert stack.epochs(pk) == list(range(1, 13))
        else:
            assert final["status"] == "failed" and final["failure_reason"], final
        assert stack.query("SELECT COUNT(*) FROM modellab_experiment")[0][0] == 1

        # the worker is back on the restarted broker: the next run is taken and ends
        (pk2,) = stack.submit(
            "--user",
            "it",
            "--dataset",
            "builtin:digits",
            "--backbone",
            "tiny",
            "--strategy",
            "scratch",
            "--epochs",
            "1",
            "--batch-size",
            "16",
            "--lr",
            "0.01",
        )
        second = stack.wait_for(
            lambda: (e := stack.experiment(pk2))["status"] in TERMINAL and e, 180, "a run submitted after the restart"
        )
        assert second["status"] == "succeeded", second
        time.sleep(1)  # a redelivered first message would show up now
        assert stack.experiment(pk)["status"] == final["status"]
        assert stack.query("SELECT COUNT(*) FROM modellab_experiment")[0][0] == 2
    except (AssertionError, TimeoutError):
        print(stack.logs())
        raise
    finally:
        stack.stop_all()
