"""The process harness: the real site under gunicorn in a subprocess, free ports, throwaway databases.

Used by the fault and concurrency tests, the lab's integration stack and `benchmarks/web.py`.
Standard library only (plus psycopg for a throwaway PostgreSQL database). Traffic stays on
127.0.0.1. The site runs the production settings (DEBUG=0, WhiteNoise manifest storage)
under gunicorn, with a throwaway DATA_DIR; `settings_module` picks a settings module that
adds test- or benchmark-only URLs (never the production URL conf). Talking to the site is
`harness/http_client.py`'s job.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from harness.http_client import Client

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


# ----------------------------------------------------------------------------- ports and services


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def query_database(database_url: str, sql: str, params=()) -> list[tuple]:
    """Run one statement on a sqlite:/// or postgres:// database (`%s` placeholders)."""
    if database_url.startswith("sqlite"):
        import sqlite3

        con = sqlite3.connect(database_url[len("sqlite:///") :], timeout=20)
        try:
            return con.execute(sql.replace("%s", "?"), params).fetchall()
        finally:
            con.close()
    import psycopg

    with psycopg.connect(database_url) as con:
        return con.execute(sql, params).fetchall()


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def postgres_available() -> bool:
    if not port_open("127.0.0.1", 5432):
        return False
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:
        return False


@contextlib.contextmanager
def postgres_database(prefix: str = "learn_tmp"):
    """A throwaway PostgreSQL database (trust auth, user postgres); dropped afterwards."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ----------------------------------------------------------------------------- the site


class Site:
    """The site under gunicorn on a loopback port, with its own data folder and database."""

    def __init__(
        self,
        tmp: Path | None = None,
        *,
        database_url: str | None = None,
        settings_module: str = "config.settings",
        workers: int = 2,
        threads: int = 4,
        **extra_env,
    ):
        self._own_tmp = tmp is None
        self.tmp = Path(tmp or tempfile.mkdtemp(prefix="learn-site-"))
        self.database_url = database_url or f"sqlite:///{self.tmp / 'db.sqlite3'}"
        self.workers, self.threads = workers, threads
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            "DATA_DIR": str(self.tmp / "data"),
            "STATIC_ROOT": str(self.tmp / "static"),
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": "filesystem://",
            "LOG_LEVEL": "WARNING",
            "LAB_DEVICE": "cpu",
            "OMP_NUM_THREADS": "1",
            "PYTHONUNBUFFERED": "1",
            **{k: str(v) for k, v in extra_env.items()},
        }
        self.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.log_path = self.tmp / "gunicorn.log"

    def manage(self, *args: str, timeout: float = 300) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def prepare(self, *, content: bool = True, static: bool = True) -> None:
        self.manage("migrate", "--noinput", "-v", "0")
        if static:
            self.manage("collectstatic", "--noinput", "-v", "0")
        if content:
            self.manage("loadcontent")

    def start(self, timeout: float = 60) -> str:
        self.port = free_port()
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "-b",
                f"127.0.0.1:{self.port}",
                "-w",
                str(self.workers),
                "-k",
                "gthread",
                "--threads",
                str(self.threads),
                "--keep-alive",
                "10",
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
                "--backlog",
                "512",
                "--error-logfile",
                "-",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        # Ready when a request gets an answer (not merely when the port is bound).
        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log()}")
            try:
                return Client(self.port, timeout=5).get("/").status < 500
            except OSError:
                return False

        wait_for(ready, timeout, "gunicorn to answer", interval=0.2)
        return self.url

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self, tail: int = 6000) -> str:
        try:
            return self.log_path.read_text()[-tail:]
        except OSError:
            return ""

    def query(self, sql: str, params=()) -> list[tuple]:
        """Read the site's database directly; `%s` placeholders."""
        return query_database(self.database_url, sql, params)

    def worker_pids(self) -> list[int]:
        """gunicorn's worker processes (children of the arbiter)."""
        try:
            out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        except FileNotFoundError:
            return []
        return [int(x) for x in out.split()]

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)
        self.proc = None

    def cleanup(self) -> None:
        self.stop()
        if self._own_tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


@contextlib.contextmanager
def running_site(db: str, tmp: Path, *, prefix: str, **options):
    """A started Site (migrated, content loaded) on a SQLite file or, with db="postgres", a
    throwaway PostgreSQL database; stopped (and the database dropped) afterwards."""
    with contextlib.ExitStack() as stack:
        if db == "postgres":
            options["database_url"] = stack.enter_context(postgres_database(prefix))
        site = Site(tmp, **options)
        site.prepare(static=False)
        site.start()
        stack.callback(site.stop)
        yield site
