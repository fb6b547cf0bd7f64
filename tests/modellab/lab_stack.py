"""A real lab stack in subprocesses for integration and browser tests.

The test process cannot share pytest-django's in-memory database with a Celery worker,
so everything runs against a file (SQLite) or server (PostgreSQL) database through
``manage.py`` and ``celery`` subprocesses, and the test reads the tables directly.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from harness.processes import free_port, port_open, query_database, wait_for

ROOT = Path(__file__).resolve().parents[2]


class LabStack:
    def __init__(self, tmp: Path, *, database_url: str | None = None, broker_url: str = "filesystem://", **extra_env):
        self.tmp = tmp
        self.database_url = database_url or f"sqlite:///{tmp / 'lab.sqlite3'}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATA_DIR": str(tmp / "data"),
            "MEDIA_ROOT": str(tmp / "data" / "media"),
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": broker_url,
            "DEBUG": "1",
            "LAB_DEVICE": "cpu",
            "LAB_CIFAR_ROOT": str(tmp / "no-cifar"),
            "OMP_NUM_THREADS": "1",
            "PYTHONUNBUFFERED": "1",
            **{k: str(v) for k, v in extra_env.items()},
        }
        self.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.procs: list[subprocess.Popen] = []

    # ------------------------------------------------------------------ processes

    def manage(self, *args: str, timeout: float = 120) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if result.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def migrate(self) -> None:
        self.manage("migrate", "--noinput", "-v", "0")

    def submit(self, *args: str) -> list[int]:
        out = self.manage("lab_submit", *args)
        return json.loads(out.strip().splitlines()[-1])["experiments"]

    def start_worker(self, name: str, queues: str = "gpu") -> subprocess.Popen:
        log = open(self.tmp / f"worker-{name}-{len(self.procs)}.log", "w")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                queues,
                "-c",
                "1",
                "-n",
                name,
                "--without-gossip",
                "--without-mingle",
                "-l",
                "info",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        proc.log_path = log.name  # type: ignore[attr-defined]
        self.procs.append(proc)
        self.wait_for(lambda: "ready." in Path(log.name).read_text() or proc.poll() is not None, 90, "worker ready")
        if proc.poll() is not None:
            raise AssertionError(f"worker exited:\n{Path(log.name).read_text()}")
        return proc

    def start_web(self) -> str:
        port = free_port()
        log = open(self.tmp / "web.log", "w")
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        self.wait_for(lambda: port_open("127.0.0.1", port) or proc.poll() is not None, 60, "web server")
        return f"http://127.0.0.1:{port}"

    @staticmethod
    def kill(proc: subprocess.Popen, sig=signal.SIGKILL) -> None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                self.kill(proc, signal.SIGTERM)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-4000:]}" for p in sorted(self.tmp.glob("*.log")))

    # ------------------------------------------------------------------ reading the tables

    def query(self, sql: str, params=()) -> list[tuple]:
        return query_database(self.database_url, sql, params)

    def experiment(self, pk: int) -> dict:
        row = self.query(
            "SELECT status, failure_reason, attempts, results, worker_hostname FROM modellab_experiment WHERE id = %s", (pk,)
        )[0]
        results = row[3] if isinstance(row[3], dict) else json.loads(row[3] or "{}")
        return {"status": row[0], "failure_reason": row[1], "attempts": row[2], "results": results, "worker": row[4]}

    def epochs(self, pk: int) -> list[int]:
        return [r[0] for r in self.query("SELECT epoch FROM modellab_epochrecord WHERE experiment_id = %s ORDER BY epoch", (pk,))]

    wait_for = staticmethod(wait_for)  # raises TimeoutError naming what it waited for
