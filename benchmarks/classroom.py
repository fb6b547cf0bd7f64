"""A class presses "Run the comparison" in the same minute: N learners against the stack `make run` starts.

`make run` itself (gunicorn and the Celery worker on the embedded defaults: SQLite, the filesystem
broker, local media) in a throwaway DATA_DIR on a free port, with ``--worker-processes`` and
``--worker-threads`` passed as ``make run LAB_WORKER_PROCESSES=... LAB_WORKER_THREADS=...``. Over HTTP,
as people would: a teacher (staff with the class code permissions) logs in to the admin and creates a
class code for the first lesson's course with N + 1 seats; N + 1 learners sign up from one address
(127.0.0.1) with the code through the sign-up form. One of them presses the first lesson's ready-made
comparison (the form its lesson page shows) and waits for it to finish, so that the site has a run of
each arm to estimate from (the warm-up; it is not measured). Then the N others, each on the lesson
page, press it within ``--spread`` seconds (one thread each) and land on the comparison page that the
press redirects to, whose queue lines say when each run should start (``data-start-s`` of
templates/modellab/_eta.html). Run times are read from the site's database. Prints a table by run,
then one JSON line:

last_done_s (first press to last run finished), ideal_s (N x a comparison's worker seconds, the sum of
its runs' finished_at - started_at, mean over the burst, / worker processes), overhead (their ratio,
target <= 1.15), eta_error_p90 (per run |estimated - actual start| / its wait from the press, counted as
at least 10 s, where the page says "any moment now"; nearest-rank p90 over the runs with an estimate,
target <= 0.5; no_estimate counts the others), lost and duplicated runs (target 0), worker_slots (the
runs the worker recorded it takes at once), cpu and the load average. README, "Benchmarks", says more.
Exits 1 naming each missed target. Usage:
python benchmarks/classroom.py [--learners 30] [--worker-processes P] [--worker-threads T] [--spread 5]
(without P and T, make run sizes the worker itself, as it does for a user)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.http_client import LESSON_SLUG, Client, csrf_token, path_of  # noqa: E402
from harness.processes import free_port, query_database, wait_for  # noqa: E402

OVERHEAD_MAX, ETA_ERROR_MAX = 1.15, 0.5
MIN_WAIT_S = 10.0  # modellab.eta.about: a wait under 10 s reads "any moment now"
FINISHED = ("succeeded", "failed", "cancelled")
PASSWORD = "a-classroom-passphrase-42"
LEARNER = "learner-"  # the burst's usernames; the warm-up's is "warmup"
FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16")

_PRESET_RE = re.compile(r'data-preset="ready-made">.*?<form method="post" action="([^"]+)"', re.S)
_RUN_RE = re.compile(r'<li><a href="/lab/experiments/(\d+)/">(.*?)</li>', re.S)
_START_RE = re.compile(r'class="lab-eta" data-position="\d*" data-start-s="([^"]*)"')


# ----------------------------------------------------------------------------- what is measured


def p90(values: list[float]) -> float | None:
    """The 90th percentile, nearest rank (of 10 values the 9th smallest); None for none."""
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1] if ordered else None


def page_estimates(html: str) -> dict[int, float | None]:
    """Each run's seconds until it starts, as a comparison page's queue line says (None: no estimate)."""
    found = {}
    for pk, line in _RUN_RE.findall(html):
        start = _START_RE.search(line)
        found[int(pk)] = float(start.group(1)) if start and start.group(1) else None
    return found


def measure(presses: list[dict], runs: dict[int, dict], *, learners: int, arms: int, processes: int) -> dict:
    """The figures from the presses ({"press", "land": epoch seconds, "runs": {id: start_s or None}}) and
    every run of the burst's learners ({"status", "started", "finished": epoch seconds or None, "attempts"})."""
    done = {pk: r for pk, r in runs.items() if r["status"] == "succeeded"}
    pressed = {pk for p in presses for pk in p["runs"]}
    per_comparison = [
        sum(done[pk]["finished"] - done[pk]["started"] for pk in p["runs"])
        for p in presses
        if p["runs"] and all(pk in done for pk in p["runs"])
    ]
    worker_s = sum(per_comparison) / len(per_comparison) if per_comparison else None
    ideal = learners * worker_s / processes if worker_s else None
    first = min((p["press"] for p in presses), default=None)
    last_done = max((r["finished"] for r in done.values()), default=None)
    last_done_s = last_done - first if first is not None and last_done is not None else None
    errors, no_estimate = [], 0
    for p in presses:
        for pk, start_s in p["runs"].items():
            started = runs.get(pk, {}).get("started")
            if start_s is None:
                no_estimate += 1
            elif started is not None:
                wait = max(started - p["press"], MIN_WAIT_S)
                errors.append(abs(p["land"] + start_s - started) / wait)
    return {
        "last_done_s": _round(last_done_s),
        "comparison_worker_s": _round(worker_s),
        "ideal_s": _round(ideal),
        "overhead": _round(last_done_s / ideal if last_done_s and ideal else None, 3),
        "eta_error_p90": _round(p90(errors), 3),
        "estimated_runs": len(errors),
        "no_estimate": no_estimate,
        # a learner whose press failed lost a comparison; a run nobody pressed or started twice is duplicated
        "lost": (learners - len(presses)) * arms + sum(pk not in done for pk in pressed),
        "duplicated": len(runs.keys() - pressed) + sum(r["attempts"] > 1 for r in runs.values()),
    }


def missed_targets(out: dict) -> list[str]:
    """Each target the measurement misses, named with its figure."""
    missed = []
    if out["overhead"] is None or out["overhead"] > OVERHEAD_MAX:
        missed.append(f"overhead {out['overhead']} (target <= {OVERHEAD_MAX})")
    if out["eta_error_p90"] is None or out["eta_error_p90"] > ETA_ERROR_MAX:
        missed.append(f"eta_error_p90 {out['eta_error_p90']} (target <= {ETA_ERROR_MAX})")
    missed += [f"{key} {out[key]} (target 0)" for key in ("lost", "duplicated", "warmup_failed") if out.get(key)]
    storage = out.get("storage") or {}
    if storage.get("quota_mb") and storage["largest_learner_mb"] > storage["quota_mb"]:
        missed.append(f"largest_learner_mb {storage['largest_learner_mb']} (target <= the quota, {storage['quota_mb']})")
    return missed


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def cpu_summary() -> str:
    """ "AMD EPYC 9R14, 2 cores, avx2 avx512f ...": the model, the cores and the vector extensions that matter."""
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    flags = re.search(r"^flags\s*:\s*(.+)$", text, re.M)
    present = [f for f in FLAGS if flags and f in flags.group(1).split()]
    return f"{model.group(1) if model else 'unknown CPU'}, {len(os.sched_getaffinity(0))} cores, {' '.join(present) or 'no AVX2'}"


# ----------------------------------------------------------------------------- the stack and the class


class MakeRun:
    """`make run` in a throwaway DATA_DIR on a free port; its database read directly."""

    def __init__(self, tmp: Path, processes: int | None, threads: int | None):
        self.tmp, self.port, self.data = tmp, free_port(), tmp / "data"
        self.venv = Path(sys.prefix)  # the virtualenv running this; make must not install anything
        drop = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "OMP_NUM_THREADS"}
        self.env = {k: v for k, v in os.environ.items() if k not in drop}
        self.env.update(DATA_DIR=str(self.data), STATIC_ROOT=str(tmp / "static"), MAKEFLAGS="")
        self.command = [
            "make", "--no-print-directory", "-o", f"{self.venv}/.installed", f"VENV={self.venv}", f"PORT={self.port}",
            f"DATA_DIR={self.data}",
            *([f"LAB_WORKER_PROCESSES={processes}"] if processes else []),
            *([f"LAB_WORKER_THREADS={threads}"] if threads else []),
            "run",
        ]  # fmt: skip
        self.proc = None

    def start(self, timeout: float = 900) -> None:
        log = open(self.tmp / "make-run.log", "w")
        self.proc = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"make run exited:\n{self.log()}")
            try:
                up = Client(self.port, timeout=5).get("/").status == 200
            except OSError:
                return False
            return up and self.query("SELECT COUNT(*) FROM modellab_worker")[0][0] > 0

        wait_for(ready, timeout, "make run's site and worker", interval=1)

    def log(self) -> str:
        return (self.tmp / "make-run.log").read_text()[-4000:]

    def query(self, sql: str, params=()) -> list[tuple]:
        return query_database(f"sqlite:///{self.data / 'db.sqlite3'}", sql, params)

    def shell(self, code: str) -> str:
        """What ``manage.py shell -c code`` prints, run against this stack's settings and database."""
        env = {**self.env, "DEBUG": "0", "HTTPS": "0", "SECRET_KEY_FILE": str(self.data / "secret_key")}
        command = [sys.executable, "manage.py", "shell", "-c", code]
        return subprocess.run(command, cwd=ROOT, env=env, check=True, timeout=120, capture_output=True, text=True).stdout

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


# After the burst: the largest learner's files against the quota, the lab's files by kind, and what
# `lab_prune --dry-run` (the retention settings) would remove; printed as one JSON line.
STORAGE_CODE = f"""
import json
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from io import StringIO
from modellab.quota import learner_storage_bytes
from modellab.storage_usage import usage_by_kind
learners = get_user_model().objects.filter(username__startswith="{LEARNER}")
prune = StringIO()
call_command("lab_prune", "--dry-run", stdout=prune)
print(json.dumps({{
    "largest_learner_mb": round(max((learner_storage_bytes(owner=u) for u in learners), default=0) / 2**20, 1),
    "quota_mb": settings.LAB_STORAGE_QUOTA_MB,
    "by_kind_mb": {{label: round(size / 2**20, 1) for label, _, size in usage_by_kind()}},
    "prune_dry_run": prune.getvalue().strip().splitlines()[-1],
}}))
"""


def class_code(stack: MakeRun, seats: int) -> str:
    """A teacher (staff with the class code permissions) creates a code in the admin; its code."""
    stack.shell(
        "from django.contrib.auth import get_user_model; from django.contrib.auth.models import Permission; "
        f"u = get_user_model().objects.create_user('teacher', password='{PASSWORD}', is_staff=True); "
        "u.user_permissions.add(*Permission.objects.filter(codename__in="
        "['add_classcode', 'view_classcode', 'change_classcode']))"
    )
    teacher = Client(stack.port)
    page = teacher.get("/admin/login/")
    login = teacher.post(
        "/admin/login/", {"username": "teacher", "password": PASSWORD, "next": "/admin/"}, csrf=csrf_token(page.body)
    )
    assert login.status == 302, f"the teacher's log-in answered {login.status}"
    course = stack.query("SELECT course_id FROM courses_lesson WHERE slug = %s", (LESSON_SLUG,))[0][0]
    form = teacher.get("/admin/courses/classcode/add/")
    expires = datetime.now(timezone.utc) + timedelta(days=1)
    fields = {"name": "Benchmark class", "course": course, "seats": seats, "expires_at_0": f"{expires:%Y-%m-%d}"}
    fields |= {"expires_at_1": f"{expires:%H:%M:%S}", "members-TOTAL_FORMS": 0, "members-INITIAL_FORMS": 0}
    added = teacher.post("/admin/courses/classcode/add/", fields, csrf=csrf_token(form.body))
    assert added.status == 302, f"creating the class code answered {added.status}"
    return stack.query("SELECT code FROM courses_classcode WHERE name = %s", ("Benchmark class",))[0][0]


def learner(port: int, username: str, code: str) -> tuple[Client, str, str]:
    """A learner signed up with the class code, on the lesson page: (client, the preset's form action, its token)."""
    client = Client(port, timeout=120)
    page = client.get("/accounts/signup/")
    fields = {"username": username, "email": "", "password1": PASSWORD, "password2": PASSWORD, "class_code": code}
    reply = client.post("/accounts/signup/", fields, csrf=csrf_token(page.body))
    assert reply.status == 302, f"{username}'s sign-up answered {reply.status}"
    lesson = client.get(f"/lessons/{LESSON_SLUG}/")
    preset = _PRESET_RE.search(lesson.body)
    assert preset, "the lesson page shows no ready-made preset to press"
    return client, preset.group(1), csrf_token(lesson.body)


def press(client: Client, action: str, token: str) -> dict:
    """Press the preset's button and land on the comparison page it opens."""
    client.close()  # the learner's connection went idle on the lesson page: the press opens a new one
    pressed = time.time()
    reply = client.post(action, {}, csrf=token)
    assert reply.status == 302 and "/lab/compare/" in reply.location, f"the press answered {reply.status} {reply.location}"
    page = client.get(path_of(reply.location))
    landed = time.time()
    ids = [int(i) for i in parse_qs(urlsplit(reply.location).query)["ids"]]
    shown = page_estimates(page.body)
    return {"press": pressed, "land": landed, "runs": {pk: shown.get(pk) for pk in ids}}


def _epoch(value) -> float | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(str(value))
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def runs_of(stack: MakeRun, prefix: str) -> dict[int, dict]:
    rows = stack.query(
        "SELECT e.id, e.status, e.started_at, e.finished_at, e.attempts, e.strategy FROM modellab_experiment e "
        "JOIN auth_user u ON u.id = e.owner_id WHERE u.username LIKE %s",
        (prefix + "%",),
    )
    return {
        r[0]: {"status": r[1], "started": _epoch(r[2]), "finished": _epoch(r[3]), "attempts": r[4], "arm": r[5]} for r in rows
    }


def wait_finished(stack: MakeRun, prefix: str, count: int, timeout: float) -> None:
    def finished():
        runs = runs_of(stack, prefix)
        return len(runs) >= count and all(r["status"] in FINISHED for r in runs.values())

    try:
        wait_for(finished, timeout, f"{count} runs to finish", interval=2)
    except TimeoutError as exc:
        print(f"{exc}: measuring what finished", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--worker-processes", type=int, help="make run's LAB_WORKER_PROCESSES (default: make run's own sizing)")
    parser.add_argument("--worker-threads", type=int, help="make run's LAB_WORKER_THREADS (default: make run's, 1)")
    parser.add_argument("--spread", type=float, default=5.0, help="the presses come within this many seconds")
    parser.add_argument("--timeout", type=float, help="seconds to wait for the runs (default 600 + 300 per learner)")
    parser.add_argument("--seed", type=int, default=24)
    args = parser.parse_args(argv)
    n, load_before, began = args.learners, [round(x, 2) for x in os.getloadavg()], time.monotonic()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="classroom-") as tmp:
        stack = MakeRun(Path(tmp), args.worker_processes, args.worker_threads)
        try:
            stack.start()
            slots = stack.query("SELECT SUM(concurrency) FROM modellab_worker")[0][0]
            code = class_code(stack, seats=n + 1)
            warmup = press(*learner(stack.port, "warmup", code))
            arms = len(warmup["runs"])
            wait_finished(stack, "warmup", arms, args.timeout or 900)
            warmup_failed = sum(r["status"] != "succeeded" for r in runs_of(stack, "warmup").values())
            ready = [learner(stack.port, f"{LEARNER}{i:02d}", code) for i in range(n)]
            delays = sorted(rng.uniform(0, args.spread) for _ in range(n))
            presses: list[dict | None] = [None] * n
            start = time.monotonic()

            def one(i: int) -> None:
                time.sleep(max(0.0, start + delays[i] - time.monotonic()))
                try:
                    presses[i] = press(*ready[i])
                except (AssertionError, OSError) as exc:
                    print(f"learner {i}: {exc}", file=sys.stderr)

            with ThreadPoolExecutor(max_workers=n) as pool:  # one thread a learner
                list(pool.map(one, range(n)))
            done = [p for p in presses if p]
            wait_finished(stack, LEARNER, len(done) * arms, args.timeout or 600 + 300 * n)
            runs = runs_of(stack, LEARNER)
            storage = json.loads(stack.shell(STORAGE_CODE).strip().splitlines()[-1])
        finally:
            stack.stop()
    out = {
        "learners": n,
        "worker_threads": args.worker_threads or 1,
        "worker_slots": slots,  # the worker's pool as it recorded it: what make run started
        "cpu": cpu_summary(),
        **measure(done, runs, learners=n, arms=arms, processes=slots),
        "warmup_failed": warmup_failed,
        "storage": storage,  # its runs are what the estimates rest on: each must succeed
        "arms": arms,
        "press_spread_s": _round(max(p["press"] for p in done) - min(p["press"] for p in done) if done else None),
        "wall_s": round(time.monotonic() - began, 1),
        "load_avg": load_before,
        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
    }
    print_table(done, runs)
    return report(out)


def report(out: dict) -> int:
    """Print the JSON line, then each missed target; the exit status: 1 when any is missed."""
    out["missed"] = missed_targets(out)
    print(json.dumps(out))
    for reason in out["missed"]:
        print(f"missed: {reason}", file=sys.stderr)
    return 1 if out["missed"] else 0


def print_table(presses: list[dict], runs: dict[int, dict]) -> None:
    """One line a run: its learner, then seconds from the first press to the press, the start the page
    estimated, the actual start and the finish."""
    t0 = min((p["press"] for p in presses), default=0.0)

    def cell(t: float | None) -> str:
        return f"{t - t0:9.1f}" if t is not None else f"{'-':>9}"

    print(f"{'learner':>7} {'run':>5} {'arm':<13} {'pressed':>9} {'est.start':>9} {'started':>9} {'finished':>9}  status")
    for i, p in enumerate(sorted(presses, key=lambda p: p["press"])):
        for pk, start_s in p["runs"].items():
            r = runs.get(pk, {})
            estimate = cell(p["land"] + start_s if start_s is not None else None)
            print(f"{i:>7} {pk:>5} {r.get('arm', '?'):<13} {cell(p['press'])} {estimate} {cell(r.get('started'))} "
                  f"{cell(r.get('finished'))}  {r.get('status', 'missing')}")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
