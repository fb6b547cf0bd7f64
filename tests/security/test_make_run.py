"""`make run`'s site, started as `make run` starts it (issue 22, finding 12): gunicorn with DEBUG off,
no debug page for an unknown address or a foreign Host, plain HTTP on the loopback, WhiteNoise's
static files, a secret key kept in DATA_DIR, and a refused 400 MB body that never reaches memory.

The site is `make serve` (the same server and settings `make run` uses, without the worker) in a
fresh DATA_DIR; its gunicorn workers' memory is read from /proc.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from harness.processes import ROOT, free_port, wait_for
from harness.http_client import Client

pytestmark = pytest.mark.integration

MB = 2**20
BODY = 400 * 10**6  # the refused body
GROWTH_LIMIT = 150 * 10**6  # what the serving processes may grow by while refusing it


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(port, DATA_DIR, make's process) of `make serve` on a free port."""
    tmp = tmp_path_factory.mktemp("make-run")
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}
    }
    env.update(DATA_DIR=str(tmp / "data"), STATIC_ROOT=str(tmp / "static"), LOG_LEVEL="WARNING", MAKEFLAGS="")
    venv = Path(sys.prefix)  # the virtualenv running the tests; make must not install anything
    command = [
        "make",
        "--no-print-directory",
        "-o",
        f"{venv}/.installed",
        f"VENV={venv}",
        f"PORT={port}",
        f"DATA_DIR={tmp / 'data'}",
        "serve",
    ]
    log = open(tmp / "make.log", "w")
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def answers():
        if proc.poll() is not None:
            raise RuntimeError(f"make serve exited:\n{(tmp / 'make.log').read_text()[-4000:]}")
        try:
            return Client(port, timeout=5).get("/").status == 200
        except OSError:
            return False

    try:
        wait_for(answers, 600, "make serve to answer", interval=0.5)
        yield port, tmp / "data", proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        log.close()


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _gunicorn_workers(make_pid: int) -> list[int]:
    """The serving processes: the children of gunicorn's arbiter, itself make's child."""
    arbiters = [p for p in _children(make_pid) if b"gunicorn" in Path(f"/proc/{p}/cmdline").read_bytes()]
    assert len(arbiters) == 1, arbiters
    return _children(arbiters[0])


def _memory(pid: int, field: str) -> int:
    return int(re.search(field + r":\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text()).group(1)) * 1024


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_debug_is_off_on_the_loopback_over_plain_http(site):
    port, data_dir, _ = site
    client = Client(port)
    home = client.get("/")
    assert home.status == 200 and "strict-transport-security" not in home.headers, "no HTTPS redirect, no HSTS"
    unknown = client.get("/no-such-page/")
    assert unknown.status == 404 and "Page not found" in unknown.body
    assert "URLconf" not in unknown.body and "DEBUG" not in unknown.body
    foreign = _raw(port, b"GET / HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n").decode()
    assert foreign.startswith("HTTP/1.1 400") and "We could not read this request" in foreign
    for detail in ("attacker.example", "sys.path", "ALLOWED_HOSTS", str(ROOT)):
        assert detail not in foreign
    assert len(foreign) < 5000


def test_static_files_come_from_whitenoises_manifest_and_the_favicon_from_the_root(site):
    port, _, _ = site
    client = Client(port)
    css = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', client.get("/").body)
    assert css, "the stylesheet under its hashed name"
    reply = client.get(css.group(1))
    assert reply.status == 200 and "immutable" in reply.headers["cache-control"]
    assert client.get("/favicon.ico").status == 200


def test_the_secret_key_is_made_once_and_kept_in_the_data_folder(site):
    _, data_dir, _ = site
    key_file = data_dir / "secret_key"
    assert len(key_file.read_text().strip()) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_a_refused_400_mb_body_does_not_grow_the_server(site):
    """The body streams in 1 MB at a time; the server answers 413, and no serving process's peak
    memory grows by more than 150 MB over what it held before."""
    port, _, proc = site
    for _ in range(4):  # every worker has served pages and a refused body before the measure
        Client(port).get("/lab/datasets/upload/")
        _raw(
            port,
            b"POST /lab/datasets/upload/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999999\r\nConnection: close\r\n\r\n",
        )
    workers = _gunicorn_workers(proc.pid)
    assert workers
    before = {pid: _memory(pid, "VmRSS") for pid in workers}
    for pid in workers:  # the peak (VmHWM) starts again from the memory held now
        Path(f"/proc/{pid}/clear_refs").write_text("5")

    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.sendall(
        f"POST /lab/datasets/upload/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {BODY}\r\n\r\n".encode()
    )
    answer = []
    reader = threading.Thread(target=lambda: answer.append(sock.recv(65536)), daemon=True)
    reader.start()
    chunk, sent = b"x" * MB, 0
    try:
        while sent < BODY:
            sock.sendall(chunk[: BODY - sent])
            sent += min(MB, BODY - sent)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may close instead of reading the rest
    reader.join(60)
    sock.close()
    assert answer and answer[0].startswith(b"HTTP/1.1 413"), answer[:1]

    growth = {pid: _memory(pid, "VmHWM") - before[pid] for pid in workers}
    assert max(growth.values()) <= GROWTH_LIMIT, {pid: f"{g / MB:.0f} MiB" for pid, g in growth.items()}


def test_make_run_starts_the_worker_with_the_processes_and_threads_asked_for():
    """`make run LAB_WORKER_PROCESSES=2 LAB_WORKER_THREADS=3`: a pool of 2 processes, each told 3 threads
    (the task sets torch's count from LAB_WORKER_THREADS; OMP_NUM_THREADS for what reads it at import);
    by default one single-threaded process per core, while each has 4 GiB of memory."""
    venv = Path(sys.prefix)

    def worker_line(*overrides: str) -> str:
        command = ["make", "-n", "--no-print-directory", "-o", f"{venv}/.installed", f"VENV={venv}", *overrides, "run"]
        out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "MAKEFLAGS": ""}, check=True)
        return next(line for line in out.stdout.splitlines() if "celery -A config worker" in line)

    shaped = worker_line("LAB_WORKER_PROCESSES=2", "LAB_WORKER_THREADS=3")
    assert "OMP_NUM_THREADS=3 LAB_WORKER_THREADS=3 " in shaped and "--concurrency 2" in shaped
    default = worker_line()
    cpus, gib = len(os.sched_getaffinity(0)), os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**30

    def sized(threads: int) -> int:
        return max(1, min(cpus // threads, gib // 4))

    assert "OMP_NUM_THREADS=1 LAB_WORKER_THREADS=1 " in default and f"--concurrency {sized(1)} " in default
    assert f"--concurrency {sized(2)} " in worker_line("LAB_WORKER_THREADS=2")
