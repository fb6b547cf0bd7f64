"""An S3 server for the tests: moto's standalone server in a subprocess on a loopback port.

The code under test speaks HTTP S3 to it exactly as it would to AWS or MinIO (nothing in
boto3 is patched). Each test takes a bucket of its own; ``env`` gives the settings a
process (web or worker) needs to use it, ``options`` the same for an in-process test.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from harness.processes import free_port, port_open, wait_for

ACCESS_KEY = "testing"  # moto accepts any credentials; these are never real ones
SECRET_KEY = "testing"
REGION = "us-east-1"


class S3Server:
    def __init__(self, log_path: Path):
        self.log_path = log_path
        self.port = 0
        self.proc: subprocess.Popen | None = None

    def start(self) -> S3Server:
        self.port = free_port()
        moto_server = Path(sys.executable).parent / "moto_server"
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [str(moto_server), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(lambda: port_open("127.0.0.1", self.port) or self.proc.poll() is not None, 60, "the S3 server")
        if self.proc.poll() is not None:
            raise RuntimeError(f"moto_server exited:\n{self.log_path.read_text()[-3000:]}")
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout=10)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self):
        import boto3

        return boto3.client(
            "s3", endpoint_url=self.endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY
        )

    def new_bucket(self, prefix: str = "lab") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

    def env(self, bucket: str, endpoint: str | None = None) -> dict[str, str]:
        """The environment of a process that keeps its media in ``bucket`` (README's settings)."""
        return {
            "MEDIA_STORAGE": "s3",
            "S3_BUCKET": bucket,
            "S3_ENDPOINT_URL": endpoint or self.endpoint,
            "S3_REGION": REGION,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        }

    def storages(self, bucket: str, endpoint: str | None = None) -> dict:
        """``STORAGES["default"]`` of an in-process test: what the settings make of ``env``."""
        from config.media_storage import default_storage_setting

        return default_storage_setting(self.env(bucket, endpoint))


def closed_endpoint() -> str:
    """An endpoint where nothing listens: a storage that cannot be reached."""
    return f"http://127.0.0.1:{free_port()}"
