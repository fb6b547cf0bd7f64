"""The lab's files on a remote storage (no ``path()``): a worker's local mirror, pulled and pushed."""
import io
import os
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage, default_storage

from modellab import storage


class RemoteStorage(InMemoryStorage):
    """Django's in-memory storage without ``path()``, as S3's storage is."""

    def path(self, name):
        raise NotImplementedError("This backend doesn't support absolute paths.")

    def _relative_path(self, name):  # InMemoryStorage finds its own nodes through path()
        return os.path.relpath(InMemoryStorage.path(self, name), self.location)


@pytest.fixture
def remote(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": f"{__name__}.RemoteStorage"}}
    settings.LAB_LOCAL_CACHE_DIR = tmp_path / "mirror"
    assert not storage.is_local()
    return tmp_path / "mirror"


def files_under(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_pull_dir_mirrors_every_file_and_refreshes_a_changed_one(remote):
    default_storage.save("lab/runs/7/model.pt", ContentFile(b"w" * 5000))
    default_storage.save("lab/runs/7/meta/model.json", ContentFile(b"{}"))
    local = storage.pull_dir("lab/runs/7")
    assert local == remote / "lab/runs/7"
    assert files_under(local) == ["meta/model.json", "model.pt"] and (local / "model.pt").read_bytes() == b"w" * 5000
    default_storage.delete("lab/runs/7/meta/model.json")
    default_storage.save("lab/runs/7/meta/model.json", ContentFile(b'{"classes": 3}'))
    storage.pull_dir("lab/runs/7")
    assert (local / "meta/model.json").read_bytes() == b'{"classes": 3}'


class ResetAfter(io.BytesIO):
    """A download whose connection drops after the first ``n`` bytes."""

    def __init__(self, data: bytes, n: int):
        super().__init__(data)
        self.n = n

    def read(self, size=-1):
        if self.tell() >= self.n:
            raise ConnectionResetError("connection reset by peer")
        return super().read(min(size if size >= 0 else self.n, self.n - self.tell()))


def test_an_interrupted_pull_leaves_no_partial_file(remote):
    """A worker that loses the connection mid-file keeps no half file, under any name, to train on later."""
    default_storage.save("lab/datasets/upload/u1/x/cat/1.png", ContentFile(b"p" * 4096))
    with mock.patch.object(default_storage, "open", return_value=ResetAfter(b"p" * 4096, 1000)):
        with pytest.raises(ConnectionResetError):
            storage.pull_dir("lab/datasets/upload/u1/x")
    assert files_under(remote) == []
    assert files_under(storage.pull_dir("lab/datasets/upload/u1/x")) == ["cat/1.png"]


def test_push_dir_uploads_the_mirror_under_the_same_names(remote):
    out = storage.local_dir("lab/runs/8")
    (out / "sub").mkdir(parents=True)
    (out / "model.pt").write_bytes(b"new")
    (out / "sub" / "a.txt").write_bytes(b"a")
    (out / ".hidden.part").write_bytes(b"temporary")
    default_storage.save("lab/runs/8/model.pt", ContentFile(b"old"))
    storage.push_dir("lab/runs/8")
    with default_storage.open("lab/runs/8/model.pt") as fh:
        assert fh.read() == b"new"
    assert default_storage.exists("lab/runs/8/sub/a.txt") and not default_storage.exists("lab/runs/8/.hidden.part")
