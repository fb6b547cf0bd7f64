"""The lab across machines: a web node and two worker nodes that share only Redis, PostgreSQL and an S3 bucket.

Real processes: node A is the site under gunicorn with its own DATA_DIR; nodes B and C are
one Celery worker each (`-Q gpu`), each with its own DATA_DIR and LAB_LOCAL_CACHE_DIR; the
S3 server is moto's, spoken to over HTTP. The tiny backbone and a small uploaded zip. In order:

1. a zip uploaded through A's web pages is trained by B, which never sees A's disk; the outputs
   are in the bucket; A shows the results, a gallery image and a prediction with its heatmap, and
   hands out the model as ONNX (which classifies as A does) and B's Grad-CAM heatmaps;
2. with B stopped, a second run of the same dataset and backbone waits in the queue (the Lab
   status page counts it), then C starts, runs it, and it is a feature-cache hit;
3. node loss: with B and C both up, the whole worker of the node running a long run (its main
   process and its pool child) is SIGKILLed mid-run; the other node's sweep requeues it within
   LAB_HEARTBEAT_STALE_S plus a margin and finishes it exactly once (one set of epoch rows,
   attempt 2); the killed node's message, redelivered afterwards, changes nothing.

The numbers here (LAB_HEARTBEAT_STALE_S=10, LAB_SWEEP_INTERVAL_S=2, the margins) are the
ones the README's deployment section quotes.
"""

import io
import json
import os
import re
import signal
import time
import zipfile
from pathlib import Path

import pytest
from kombu import Connection
from PIL import Image

from tests.conftest import require_postgres
from harness.processes import Site, port_open, postgres_database, wait_for
from harness.http_client import Client, csrf_token
from tests.modellab.lab_stack import LabStack

pytestmark = pytest.mark.integration

STALE_S = 10  # LAB_HEARTBEAT_STALE_S: a running run silent this long has lost its worker
SWEEP_S = 2  # LAB_SWEEP_INTERVAL_S: how often each worker sweeps
REQUEUE_MARGIN_S = 20  # after the heartbeat goes stale: the next sweep, the claim, a child process starting
FINISH_MARGIN_S = 120  # and then the whole run again, from its first epoch
TERMINAL = {"succeeded", "failed", "cancelled"}
LONG_EPOCHS = 30


def colour_zip(per_class: int) -> bytes:
    """Two classes of 32x32 squares, reddish and bluish, each image a little different."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for cls, (r, g, b) in (("red", (200, 10, 10)), ("blue", (10, 10, 200))):
            for i in range(per_class):
                png = io.BytesIO()
                Image.new("RGB", (32, 32), (r + i % 50, g + i % 7, b - i % 40 if b > 100 else b + i % 7)).save(png, "PNG")
                zf.writestr(f"{cls}/{cls}{i:03d}.png", png.getvalue())
    return out.getvalue()


def png(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), colour).save(out, "PNG")
    return out.getvalue()


def top1_of_uniform_image(onnx_model: bytes, colour) -> str:
    """The class an exported model gives a one-colour image (the same at any size: no resizing to do)."""
    import numpy as np
    import onnxruntime

    session = onnxruntime.InferenceSession(onnx_model, providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    size, classes = int(meta["input_size"]), json.loads(meta["class_names"])
    pixel = (np.array(colour) / 255 - np.array(json.loads(meta["mean"]))) / np.array(json.loads(meta["std"]))
    x = np.broadcast_to(pixel.reshape(1, 3, 1, 1), (1, 3, size, size)).astype(np.float32)
    return classes[int(session.run(["probabilities"], {"images": x})[0][0].argmax())]


class Web:
    """A signed-in browser tab on node A."""

    def __init__(self, site: Site, username: str, password: str):
        self.tab = Client(site.port)
        page = self.tab.get("/accounts/login/")
        reply = self.tab.post("/accounts/login/", {"username": username, "password": password}, csrf=csrf_token(page.body))
        assert reply.status == 302, reply.body[:1000]

    def upload(self, archive: bytes, name: str) -> int:
        token = csrf_token(self.tab.get("/lab/new/").body)
        reply = self.tab.post(
            "/lab/datasets/upload/", {"name": name}, csrf=token, files={"archive": (f"{name}.zip", archive, "application/zip")}
        )
        assert reply.status == 302, reply.body[:3000]
        return int(re.search(r"upload(?::|%3A)(\d+)", reply.location).group(1))

    def submit(self, dataset_id: int, **fields) -> int:
        page = self.tab.get(f"/lab/new/?dataset=upload:{dataset_id}")
        data = {
            "dataset": f"upload:{dataset_id}",
            "backbone": "tiny",
            "strategy": "features",
            "epochs": "3",
            "lr": "0.05",
            "batch_size": "8",
            "action": "run",
            **{k: str(v) for k, v in fields.items()},
        }
        reply = self.tab.post("/lab/new/", data, csrf=csrf_token(page.body))
        assert reply.status == 302 and "/lab/experiments/" in reply.location, reply.body[:3000]
        return int(re.search(r"/lab/experiments/(\d+)/", reply.location).group(1))


class Cluster:
    def __init__(self, tmp: Path, database_url: str, redis_url: str, s3_env: dict):
        self.tmp, self.database_url, self.redis_url = tmp, database_url, redis_url
        common = {
            **s3_env,
            "CELERY_BROKER_URL": redis_url,
            "LAB_HEARTBEAT_STALE_S": STALE_S,
            "LAB_SWEEP_INTERVAL_S": SWEEP_S,
            "LAB_MAX_ATTEMPTS": 2,
            "LOG_LEVEL": "INFO",
        }
        self.site = Site(
            tmp / "node-a",
            database_url=database_url,
            workers=1,
            threads=4,
            LAB_LOCAL_CACHE_DIR=tmp / "node-a" / "lab-local",
            LAB_CIFAR_ROOT=tmp / "no-cifar",
            **common,
        )
        for name in ("b", "c"):
            (tmp / f"node-{name}").mkdir(parents=True, exist_ok=True)
        self.nodes = {
            name: LabStack(
                tmp / f"node-{name}",
                database_url=database_url,
                broker_url=redis_url,
                LAB_LOCAL_CACHE_DIR=tmp / f"node-{name}" / "lab-local",
                **common,
            )
            for name in ("b", "c")
        }
        self.workers = {}

    def start_worker(self, name: str):
        self.workers[name] = self.nodes[name].start_worker(f"node-{name}@test", queues="gpu")
        return self.workers[name]

    def stop(self):
        for stack in self.nodes.values():
            stack.stop_all()
        self.site.stop()

    def logs(self) -> str:
        return "\n".join([self.site.log()] + [stack.logs() for stack in self.nodes.values()])

    def row(self, pk: int) -> dict:
        cols = ("status", "attempts", "worker_hostname", "device", "failure_reason", "failure_code", "results", "finished_at")
        values = self.site.query(f"SELECT {', '.join(cols)} FROM modellab_experiment WHERE id = %s", (pk,))[0]
        return dict(zip(cols, values, strict=True))

    def epochs(self, pk: int) -> list[tuple]:
        return self.site.query(
            "SELECT epoch, created_at FROM modellab_epochrecord WHERE experiment_id = %s ORDER BY epoch", (pk,)
        )

    def wait_until_done(self, pk: int, timeout: float = 240) -> dict:
        wait_for(lambda: self.row(pk)["status"] in TERMINAL, timeout, f"experiment {pk} to end", interval=0.2)
        return self.row(pk)


@pytest.fixture
def cluster(tmp_path, s3_server):
    require_postgres()
    if not port_open("127.0.0.1", 6379):
        pytest.skip("Redis does not answer at 127.0.0.1:6379 (.ci/run starts it)")
    import redis

    # A Redis database of this suite's own (LAB_IT_REDIS_DB), emptied: no message of an earlier run is left.
    db = int(os.environ.get("LAB_IT_REDIS_DB", "11"))
    client = redis.Redis(host="127.0.0.1", port=6379, db=db)
    client.flushdb()
    bucket = s3_server.new_bucket("multinode")
    with postgres_database("lab_multinode") as database_url:
        cluster = Cluster(tmp_path, database_url, f"redis://127.0.0.1:6379/{db}", s3_server.env(bucket))
        cluster.redis, cluster.bucket, cluster.s3 = client, bucket, s3_server
        try:
            cluster.site.prepare(content=False)
            cluster.site.manage(
                "shell",
                "-c",
                (
                    "from django.contrib.auth.models import User; "
                    "User.objects.create_user('learner', password='pw-learner-123'); "
                    "User.objects.create_superuser('ops', 'ops@example.org', 'pw-ops-123')"
                ),
            )
            cluster.site.start()
            yield cluster
        except Exception:
            print(cluster.logs())
            raise
        finally:
            cluster.stop()
            client.flushdb()


def status_page(ops: Web) -> str:
    reply = ops.tab.get("/admin/modellab/worker/status/")
    assert reply.status == 200, reply.body[:1000]
    return reply.body


def worker_row(page: str, hostname: str) -> str:
    return re.search(rf'<tr data-worker="{re.escape(hostname)}".*?</tr>', page, re.S).group(0)


def living_in_group(pgid: int) -> list[int]:
    """Processes of process group ``pgid`` that are not dead (a zombie waiting for its reaper is dead)."""
    living = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            living.append(int(stat.parent.name))
    return living


def files_under(root: Path) -> list[str]:
    return sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_web_and_two_worker_nodes_share_only_broker_database_and_storage(cluster):
    site, s3, bucket = cluster.site, cluster.s3, cluster.bucket
    assert json.loads(Client(site.port).get("/health/").body) == {"database": "ok", "broker": "ok", "storage": "ok"}
    learner, ops = Web(site, "learner", "pw-learner-123"), Web(site, "ops", "pw-ops-123")

    # 1. an upload through A, trained by B, which never sees A's disk
    cluster.start_worker("b")
    dataset = learner.upload(colour_zip(per_class=100), "colours")
    folder = site.query("SELECT folder FROM modellab_dataset WHERE id = %s", (dataset,))[0][0]
    first = learner.submit(dataset)
    row = cluster.wait_until_done(first)
    assert row["status"] == "succeeded", (row, cluster.logs())
    assert (row["worker_hostname"], row["device"], row["attempts"]) == ("node-b@test", "CPU", 1)
    keys = s3.keys(bucket)
    assert {f"lab/runs/{first}/model.pt", f"lab/runs/{first}/.manifest.json", f"{folder}/.manifest.json"} <= set(keys)
    assert sum(k.startswith(f"{folder}/red/") for k in keys) == 100
    assert any(k.startswith("lab/cache/features/features-") for k in keys)
    page = learner.tab.get(f"/lab/experiments/{first}/")
    assert page.status == 200 and 'data-status="succeeded"' in page.body
    image = learner.tab.get(f"/lab/experiments/{first}/images/0/")
    assert image.status == 200 and image.headers["content-type"] == "image/png"
    predicted = learner.tab.post(
        f"/lab/experiments/{first}/predict/",
        csrf=csrf_token(page.body),
        files={"image": ("mine.png", png((230, 5, 5)), "image/png")},
    )
    assert predicted.status == 200 and 'class="lab-prediction"' in predicted.body, predicted.body[:3000]
    assert "Grad-CAM heatmap for the predicted class" in predicted.body
    # the model taken home from A, though B trained it: ONNX Runtime agrees with A's prediction; B's heatmaps on A
    assert {f"lab/runs/{first}/model.onnx", f"lab/runs/{first}/gradcam/0-predicted.png"} <= set(keys)
    model = learner.tab.get(f"/lab/experiments/{first}/model.onnx")
    assert model.status == 200 and 'filename="model.onnx"' in model.headers["content-disposition"]
    assert top1_of_uniform_image(model.raw, (230, 5, 5)) == re.search(r"Prediction: <strong>(\w+)</strong>", predicted.body)[1]
    heatmap = learner.tab.get(f"/lab/experiments/{first}/heatmaps/0/predicted/")
    assert heatmap.status == 200 and heatmap.raw.startswith(b"\x89PNG")

    # 2. B stopped: the second run waits in the queue; C takes it and reuses B's features
    cluster.nodes["b"].kill(cluster.workers["b"], signal.SIGTERM)  # a warm shutdown: it runs nothing
    second = learner.submit(dataset)
    page = status_page(ops)
    assert 'data-queue="gpu" data-depth="1"' in page and 'data-state="queued" data-count="1"' in page
    assert "The oldest queued run has waited" in page
    cluster.start_worker("c")
    row = cluster.wait_until_done(second)
    assert row["status"] == "succeeded" and row["worker_hostname"] == "node-c@test", (row, cluster.logs())
    assert row["results"]["cache_hit"] is True

    # 3. node loss: B back, a long run, the node running it SIGKILLed whole
    cluster.start_worker("b")
    third = learner.submit(dataset, strategy="scratch", epochs=LONG_EPOCHS, batch_size=2, lr=0.01)
    wait_for(lambda: cluster.row(third)["status"] == "running" and cluster.epochs(third), 180, "the long run's first epoch")
    holder = cluster.row(third)["worker_hostname"]
    doomed, survivor = ("b", "c") if holder == "node-b@test" else ("c", "b")
    assert f'data-run="{third}"' in worker_row(status_page(ops), holder)
    worker = cluster.workers[doomed]
    assert len(living_in_group(worker.pid)) >= 2  # the worker's main process and the pool child running the run
    cluster.nodes[doomed].kill(worker)  # SIGKILL to its process group: the main process and its pool child
    killed_at = time.monotonic()
    wait_for(lambda: not living_in_group(worker.pid), 10, "every process of the killed node to die")
    before = cluster.row(third)
    assert before["status"] == "running" and before["attempts"] == 1, before

    wait_for(lambda: cluster.row(third)["attempts"] == 2, STALE_S + REQUEUE_MARGIN_S, "the run requeued and claimed again")
    row = cluster.wait_until_done(third, timeout=STALE_S + FINISH_MARGIN_S)
    assert time.monotonic() - killed_at <= STALE_S + FINISH_MARGIN_S
    assert row["status"] == "succeeded", (row, cluster.logs())
    assert (row["attempts"], row["worker_hostname"]) == (2, f"node-{survivor}@test")
    trace = cluster.epochs(third)
    assert [epoch for epoch, _ in trace] == list(range(1, LONG_EPOCHS + 1))  # one set of epoch rows

    # the killed node's message, redelivered (as Redis does once its visibility timeout passes), changes nothing
    assert cluster.redis.zcard("unacked_index") >= 1  # still held for the dead node
    with Connection(cluster.redis_url, transport_options={"visibility_timeout": 0}) as conn:
        conn.default_channel.qos.restore_visible(num=100)
    log = Path(cluster.workers[survivor].log_path)
    wait_for(lambda: f"experiment {third}: nothing to run" in log.read_text(), 60, "the stale message to be delivered")
    wait_for(lambda: cluster.redis.llen("gpu") == 0 and cluster.redis.zcard("unacked_index") == 0, 30, "an empty queue")
    assert cluster.row(third) == row and cluster.epochs(third) == trace

    # who ran what, for admins; and nothing of the lab on A's disk
    page = status_page(ops)
    for name in ("node-b@test", "node-c@test"):
        assert 'data-device="CPU"' in worker_row(page, name)
    assert 'data-queue="gpu" data-depth="0"' in page and 'data-state="succeeded" data-count="3"' in page
    assert files_under(site.tmp / "data" / "media") == []
