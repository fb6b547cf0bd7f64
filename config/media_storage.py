"""The media storage setting, ``STORAGES["default"]``: files under MEDIA_ROOT, or a private S3-compatible bucket.

``MEDIA_STORAGE=local`` (the default, ``make run``) keeps Django's FileSystemStorage.
``MEDIA_STORAGE=s3`` selects django-storages' S3 backend (boto3) with ``S3_BUCKET``,
``S3_ENDPOINT_URL`` (MinIO, Ceph, R2; empty for AWS), ``S3_REGION`` (default us-east-1) and
``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` (empty: boto3's own chain, e.g. an instance role).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

LOCAL = "local"
S3 = "s3"
FILESYSTEM_BACKEND = "django.core.files.storage.FileSystemStorage"
S3_BACKEND = "storages.backends.s3.S3Storage"

# A connection that does not open in this many seconds counts as a failed try; boto3 tries
# this many times in all (with its own backoff) before the lab sees "storage unavailable".
CONNECT_TIMEOUT_S = 3
READ_TIMEOUT_S = 60
MAX_ATTEMPTS = 3
# Downloads larger than this spool to a temporary file instead of memory.
MAX_MEMORY_BYTES = 8 * 2**20


def s3_options(
    *, bucket: str, endpoint_url: str = "", region: str = "us-east-1", access_key: str = "", secret_key: str = ""
) -> dict:
    """The S3Storage options of a private bucket: objects keep the bucket's own (private) ACL, are
    only read through the site's views, and are replaced in place under their names."""
    from botocore.config import Config

    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url or None,
        "region_name": region or "us-east-1",
        "access_key": access_key or None,
        "secret_key": secret_key or None,
        "default_acl": None,  # never public-read: the web serves files through access-checked views
        "querystring_auth": True,
        "file_overwrite": True,  # a name is replaced in one PUT, never renamed to name_<random>
        "max_memory_size": MAX_MEMORY_BYTES,
        "client_config": Config(
            # A custom endpoint (MinIO, Ceph, a test server on 127.0.0.1) is addressed by path;
            # virtual-host names (bucket.host) only resolve on AWS itself.
            s3={"addressing_style": "path" if endpoint_url else "auto"},
            connect_timeout=CONNECT_TIMEOUT_S,
            read_timeout=READ_TIMEOUT_S,
            retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
        ),
    }


def default_storage_setting(environ: Mapping[str, str]) -> dict:
    """``STORAGES["default"]`` for the environment; ImproperlyConfigured names a bad or missing variable."""
    kind = (environ.get("MEDIA_STORAGE") or LOCAL).strip().lower()
    if kind == LOCAL:
        return {"BACKEND": FILESYSTEM_BACKEND}
    if kind != S3:
        raise ImproperlyConfigured(f"MEDIA_STORAGE={kind!r} is not a storage: use {LOCAL!r} or {S3!r}.")
    bucket = (environ.get("S3_BUCKET") or "").strip()
    if not bucket:
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs S3_BUCKET (the bucket's name).")
    options = s3_options(
        bucket=bucket,
        endpoint_url=(environ.get("S3_ENDPOINT_URL") or "").strip(),
        region=(environ.get("S3_REGION") or "").strip(),
        access_key=environ.get("AWS_ACCESS_KEY_ID") or "",
        secret_key=environ.get("AWS_SECRET_ACCESS_KEY") or "",
    )
    return {"BACKEND": S3_BACKEND, "OPTIONS": options}
