"""The lab's files on a remote storage (no ``path()``): each machine's local mirror, pulled and pushed.

Django's in-memory storage stands in for S3 here (fast, in process); tests/modellab/test_s3.py
runs the same paths over HTTP against an S3 server.
"""

import io
import os
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage, default_storage

from modellab import storage


class RemoteStorage(InMemoryStorage):
    """Django's in-memory storage without ``path()`` and replacing files in place, as S3's storage is."""

    def path(self, name):
        raise NotImplementedError("This backend doesn't support absolute paths.")

    def _relative_path(self, name):  # InMemoryStorage finds its own nodes through path()
        return os.path.relpath(InMemoryStorage.path(self, name), self.location)

    def get_available_name(self, name, max_length=None):
        return name


@pytest.fixture
def remote(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": f"{__name__}.RemoteStorage"}}
    settings.LAB_LOCAL_CACHE_DIR = tmp_path / "mirror"
    assert not storage.is_local()
    return tmp_path / "mirror"


def files_under(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


def push_from(settings, machine, name, files: dict[str, bytes]):
    """Push ``files`` as folder ``name`` from another machine's mirror."""
    mine = settings.LAB_LOCAL_CACHE_DIR
    settings.LAB_LOCAL_CACHE_DIR = machine
    for rel, data in files.items():
        path = storage.local_dir(name) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    storage.push_dir(name)
    settings.LAB_LOCAL_CACHE_DIR = mine


def test_pull_dir_mirrors_every_file_and_refreshes_a_changed_one(remote, settings, tmp_path):
    push_from(settings, tmp_path / "a", "lab/runs/7", {"model.pt": b"w" * 5000, "meta/model.json": b"{}"})
    local = storage.pull_dir("lab/runs/7")
    assert local == remote / "lab/runs/7"
    assert files_under(local) == ["meta/model.json", "model.pt"] and (local / "model.pt").read_bytes() == b"w" * 5000
    push_from(settings, tmp_path / "b", "lab/runs/7", {"model.pt": b"v" * 5000, "meta/model.json": b'{"classes": 3}'})
    storage.pull_dir("lab/runs/7")
    assert (local / "meta/model.json").read_bytes() == b'{"classes": 3}'
    assert (local / "model.pt").read_bytes() == b"v" * 5000  # same size, new content: fetched again


def test_pull_dir_removes_local_files_the_folder_no_longer_lists(remote, settings, tmp_path):
    push_from(settings, tmp_path / "a", "lab/runs/3", {"model.pt": b"w"})
    local = storage.pull_dir("lab/runs/3")
    (local / "stale.pt").write_bytes(b"from an older attempt")
    storage.pull_dir("lab/runs/3")
    assert files_under(local) == ["model.pt"]


class ResetAfter(io.BytesIO):
    """A download whose connection drops after the first ``n`` bytes."""

    def __init__(self, data: bytes, n: int):
        super().__init__(data)
        self.n = n

    def read(self, size=-1):
        if self.tell() >= self.n:
            raise ConnectionResetError("connection reset by peer")
        return super().read(min(size if size >= 0 else self.n, self.n - self.tell()))


def test_an_interrupted_pull_leaves_no_partial_file(remote, settings, tmp_path):
    """A worker that loses the connection mid-file keeps no half file, under any name, to train on later."""
    push_from(settings, tmp_path / "a", "lab/datasets/upload/u1/x", {"cat/1.png": b"p" * 4096})
    real_open = default_storage.open

    def dropping(name, mode="rb"):
        return ResetAfter(b"p" * 4096, 1000) if name.endswith("1.png") else real_open(name, mode)

    with mock.patch.object(default_storage, "open", side_effect=dropping):
        with pytest.raises(storage.StorageUnavailable):
            storage.pull_dir("lab/datasets/upload/u1/x")
    assert [p for p in remote.rglob("*") if p.is_file()] == []
    assert files_under(storage.pull_dir("lab/datasets/upload/u1/x")) == ["cat/1.png"]


def test_push_dir_uploads_the_mirror_under_the_same_names_and_its_manifest_last(remote):
    out = storage.local_dir("lab/runs/8")
    (out / "sub").mkdir(parents=True)
    (out / "model.pt").write_bytes(b"new")
    (out / "sub" / "a.txt").write_bytes(b"a")
    (out / ".hidden.part").write_bytes(b"temporary")
    default_storage.save("lab/runs/8/model.pt", ContentFile(b"old"))
    saved = []
    real_save = default_storage.save
    with mock.patch.object(default_storage, "save", side_effect=lambda n, c: saved.append(n) or real_save(n, c)):
        storage.push_dir("lab/runs/8")
    with default_storage.open("lab/runs/8/model.pt") as fh:
        assert fh.read() == b"new"
    assert default_storage.exists("lab/runs/8/sub/a.txt") and not default_storage.exists("lab/runs/8/.hidden.part")
    assert saved[-1] == f"lab/runs/8/{storage.MANIFEST}" and len(saved) == 3


def test_a_folder_without_its_manifest_is_never_read(remote):
    """Files of a push that stopped before its manifest (the folder was never completed) are not a folder."""
    default_storage.save("lab/runs/9/model.pt", ContentFile(b"half of a push"))
    with pytest.raises(storage.StorageObjectMissing) as caught:
        storage.pull_dir("lab/runs/9", what="this run's trained model")
    assert caught.value.code == storage.STORAGE_OBJECT_MISSING and caught.value.name.endswith(storage.MANIFEST)
    assert "This run's trained model" in caught.value.messages[0]
    assert not (remote / "lab/runs/9/model.pt").exists()


def test_a_listed_file_missing_from_storage_is_named_in_the_log_not_the_message(remote, settings, tmp_path):
    push_from(settings, tmp_path / "a", "lab/datasets/upload/u1/y", {"red/1.png": b"r", "blue/1.png": b"b"})
    default_storage.delete("lab/datasets/upload/u1/y/blue/1.png")
    with pytest.raises(storage.StorageObjectMissing) as caught:
        storage.pull_dir("lab/datasets/upload/u1/y", what="the images of dataset 'colours'")
    assert caught.value.name == "lab/datasets/upload/u1/y/blue/1.png"
    assert "lab/datasets" not in caught.value.messages[0] and "colours" in caught.value.messages[0]


def test_feature_cache_files_travel_by_name_both_ways(remote, settings, tmp_path):
    """New cache files go up, files another machine made come down; temporary ``.part`` files never travel."""
    cache = storage.local_dir(storage.FEATURE_CACHE)
    (cache / "onnx").mkdir(parents=True)
    (cache / "features-aa.pt").write_bytes(b"a")
    (cache / "onnx" / "tiny-1.onnx").write_bytes(b"o")
    (cache / ".features-bb.pt.x1.part").write_bytes(b"half")
    default_storage.save(f"{storage.FEATURE_CACHE}/features-cc.pt", ContentFile(b"c"))
    assert storage.push_new(storage.FEATURE_CACHE) == 2
    assert storage.push_new(storage.FEATURE_CACHE) == 0  # by name: nothing new the second time
    assert not default_storage.exists(f"{storage.FEATURE_CACHE}/.features-bb.pt.x1.part")
    assert storage.pull_new(storage.FEATURE_CACHE) == 1 and (cache / "features-cc.pt").read_bytes() == b"c"
    settings.LAB_LOCAL_CACHE_DIR = tmp_path / "other-machine"
    assert storage.pull_new(storage.FEATURE_CACHE) == 3
    assert files_under(storage.local_dir(storage.FEATURE_CACHE)) == ["features-aa.pt", "features-cc.pt", "onnx/tiny-1.onnx"]


def test_with_retries_tries_a_bounded_number_of_times(monkeypatch):
    monkeypatch.setattr(storage, "RETRY_DELAYS_S", (0.0, 0.0))
    calls = []

    def down():
        calls.append(1)
        raise storage.StorageUnavailable()

    with pytest.raises(storage.StorageUnavailable):
        storage.with_retries(down, what="test")
    assert len(calls) == 3
    assert storage.with_retries(lambda: calls.append(2) or "ok", what="test") == "ok"


def test_local_storage_is_its_own_mirror(settings, tmp_path):
    """With MEDIA_ROOT (or a shared volume) nothing is copied: the folder is the storage's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_LOCAL_CACHE_DIR = tmp_path / "mirror"
    assert storage.is_local()
    assert storage.pull_dir("lab/runs/1") == tmp_path / "media" / "lab/runs/1"
    storage.push_dir("lab/runs/1")
    assert storage.pull_new(storage.FEATURE_CACHE) == 0 and not (tmp_path / "mirror").exists()
