"""A real site in a subprocess and a small HTTP client, for `benchmarks/web.py` and the fault tests.

Standard library only (plus psycopg for a throwaway PostgreSQL database). Traffic stays on
127.0.0.1. The site runs the production settings (DEBUG=0, WhiteNoise manifest storage)
under gunicorn, with a throwaway DATA_DIR; `settings_module` picks a settings module that
adds test- or benchmark-only URLs (never the production URL conf).
"""
from __future__ import annotations

import contextlib
import html
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
LESSON_SLUG = "why-pretrained-models-save-time"
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

        con = sqlite3.connect(database_url[len("sqlite:///"):], timeout=20)
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

    def __init__(self, tmp: Path | None = None, *, database_url: str | None = None,
                 settings_module: str = "config.settings", workers: int = 2, threads: int = 4, **extra_env):
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
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, timeout=timeout)
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
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{self.port}",
             "-w", str(self.workers), "-k", "gthread", "--threads", str(self.threads),
             "--keep-alive", "10", "--timeout", "60", "--graceful-timeout", "5",
             "--backlog", "512", "--error-logfile", "-"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
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


# ----------------------------------------------------------------------------- the client


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


@dataclass
class Reply:
    status: int
    headers: dict
    body: str
    seconds: float

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


_CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_ANSWER_RE = re.compile(r'<input type="(radio|checkbox)" name="answer" id="[^"]*" value="([A-Z]+)"')
_FORM_RE = re.compile(r'<form method="post" action="([^"]+)" class="question-form"')


@dataclass
class Client:
    """One browser tab: a keep-alive connection to 127.0.0.1, a cookie jar, CSRF from the forms.

    Redirects are not followed automatically, so each request is timed on its own; `follow`
    follows them with GETs the way a browser does after a POST.
    """

    port: int
    timeout: float = 60
    cookies: dict = field(default_factory=dict)
    conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def new_identity(self) -> None:
        """Forget the cookies: the next request is a new visitor (the connection is kept)."""
        self.cookies = {}

    def request(self, method: str, path: str, data: dict | list | None = None) -> Reply:
        headers = {"Host": f"127.0.0.1:{self.port}"}
        body = None
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            body = urlencode(data or {}, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://127.0.0.1:{self.port}"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        # A GET on a connection the server closed while idle is resent once; a POST never is.
        for attempt in (1, 2):
            conn = self._connection()
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if method == "GET" and attempt == 1:
                    continue
                raise
            except Exception:
                self.close()
                raise
            seconds = time.perf_counter() - start
            break
        for header in resp.msg.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, raw.decode("utf-8", "replace"), seconds)

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, data: dict | list | None = None, *, csrf: str | None = None) -> Reply:
        data = list(data.items()) if isinstance(data, dict) else list(data or [])
        token = csrf or self.cookies.get("csrftoken", "")
        return self.request("POST", path, [("csrfmiddlewaretoken", token), *data])

    def follow(self, reply: Reply, limit: int = 5) -> Reply:
        while reply.status in (301, 302, 303) and limit:
            reply = self.get(path_of(reply.location))
            limit -= 1
        return reply


def path_of(location: str) -> str:
    """The path (and query) of a redirect's Location, without its #fragment."""
    parts = urlsplit(location)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def csrf_token(page: str) -> str:
    match = _CSRF_RE.search(page)
    return html.unescape(match.group(1)) if match else ""


def answer_options(page: str) -> tuple[str, list[str]]:
    """('radio' or 'checkbox', the letters) of the question form on a question page."""
    found = _ANSWER_RE.findall(page)
    if not found:
        return "", []
    return found[0][0], [letter for _, letter in found]


_ATTEMPT_RE = re.compile(r"/attempts/(\d+)/questions/(\d+)/")
_RESULT_RE = re.compile(r"/attempts/(\d+)/result/")


def question_location(location: str) -> tuple[int, int] | None:
    """(attempt id, question number) of a question URL, else None."""
    match = _ATTEMPT_RE.search(location)
    return (int(match.group(1)), int(match.group(2))) if match else None


def is_result_location(location: str) -> bool:
    return bool(_RESULT_RE.search(location))


def start_test(client: Client, slug: str = LESSON_SLUG) -> tuple[int, Reply, Reply]:
    """Open the test page and start a new test; returns (attempt id, page reply, start reply)."""
    page = client.get(f"/lessons/{slug}/test/")
    if page.status != 200:
        raise RuntimeError(f"test page answered {page.status}")
    start = client.post(f"/lessons/{slug}/test/", {"new": "1"}, csrf=csrf_token(page.body))
    where = question_location(start.location) if start.status == 302 else None
    if where is None:
        raise RuntimeError(f"starting the test answered {start.status} {start.location!r}")
    return where[0], page, start
